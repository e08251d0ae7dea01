"""The staff inbox page through the Flask client (SQLite and PostgreSQL): who sees which reports,
filters, pages, the overdue flag in words, and bad filter values refused with a clear message."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from storage import contacts, reports
from storage.database import new_session
from tests.helpers import dump_every_table
from tests.web.test_staff_pages import _account, _login

# Monday 18 January 2027, 10:00 London.
NOW = datetime(2027, 1, 18, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(app):
    class Clock:
        now = NOW

    app.extensions["safer_homes.clock"] = lambda: Clock.now
    return Clock


def _report(app, number, *, at=NOW - timedelta(hours=1), agencies=("council", "housing"), **overrides):
    values = dict(reference=f"TH-BBBB-{number:04d}", category="noise", language="en", channel="webchat",
                  privacy="anonymous", agency_slugs=agencies, description=f"Music at night, report {number}",
                  received_at=at, ward_slug="weavers")
    values.update(overrides)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        if values["privacy"] != "anonymous":
            values["sender_contact_id"] = contacts.find_or_create_contact(
                session, channel=values["channel"], address_hash=f"{number:064d}", address_sealed=None, now=at).id
        reports.create_report(session, **values)
        session.commit()


def _references(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/staff/reports/(TH-[0-9A-Z-]+)', page)


def test_an_officer_sees_their_agencys_reports_newest_first_with_the_residents_words(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _report(app, 1, at=NOW - timedelta(hours=3))
    _report(app, 2, at=NOW - timedelta(hours=2), language="so", channel="whatsapp", privacy="private",
            description="Buuq habeenkii ah oo aad u badan\nlabaad", danger_now=True)
    _login(client, "officer@council.example")
    response = client.get("/staff/reports")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _references(page) == ["TH-BBBB-0002", "TH-BBBB-0001"]
    assert '<p class="words" lang="so" dir="auto">Buuq habeenkii ah oo aad u badan</p>' in page
    assert "labaad" not in page  # the first line only
    assert "Danger at the time" in page and "Soomaali" in page and "WhatsApp" in page
    assert "2 reports shown, newest first." in page
    # The summary: open, overdue and the council's target of 2 working days.
    assert re.search(r"Open reports</dt><dd>2</dd>", page) and "2 working days" in page


def test_another_agencys_report_is_never_listed(app, client, clock):
    _account(app, "officer@police.example", "officer", "police")
    _report(app, 1, agencies=("council", "housing"))
    _report(app, 2, agencies=("police",), description="For the police")
    _login(client, "officer@police.example")
    page = client.get("/staff/reports?status=all").get_data(as_text=True)
    assert _references(page) == ["TH-BBBB-0002"]
    assert "TH-BBBB-0001" not in page and "report 1" not in page


def test_a_viewer_sees_the_list_and_an_admin_without_agency_is_told_why_it_is_empty(app, client, clock):
    _account(app, "viewer@housing.example", "viewer", "housing")
    _account(app, "admin@example.org", "admin")
    _report(app, 1)
    _login(client, "viewer@housing.example")
    assert _references(client.get("/staff/reports").get_data(as_text=True)) == ["TH-BBBB-0001"]
    other = app.test_client()
    _login(other, "admin@example.org")
    page = other.get("/staff/reports").get_data(as_text=True)
    assert _references(page) == [] and "belongs to no agency has no reports" in page


def test_filtering_through_the_form(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _report(app, 1, ward_slug="bow-east", category="drugs")
    _report(app, 2, language="bn", channel="telegram", privacy="private")
    _report(app, 3, at=NOW - timedelta(days=40), agencies=("council", "police"))
    _login(client, "officer@council.example")
    page = client.get("/staff/reports").get_data(as_text=True)
    # Every filter is a labelled control of a GET form.
    for name in ("ward", "category", "status", "agency", "language", "channel", "age"):
        assert f'<label for="filter-{name}">' in page and f'<select id="filter-{name}" name="{name}">' in page
    assert '<label class="check" for="filter-overdue">' in page and '<form method="get"' in page
    assert '<option value="bow-east">Bow East</option>' in page and ">বাংলা</option>" in page
    assert _references(client.get("/staff/reports?ward=bow-east").get_data(as_text=True)) == ["TH-BBBB-0001"]
    assert _references(client.get("/staff/reports?category=drugs&status=received").get_data(as_text=True)) == ["TH-BBBB-0001"]
    assert _references(client.get("/staff/reports?language=bn&channel=telegram").get_data(as_text=True)) == ["TH-BBBB-0002"]
    assert _references(client.get("/staff/reports?agency=police").get_data(as_text=True)) == ["TH-BBBB-0003"]
    assert _references(client.get("/staff/reports?age=older").get_data(as_text=True)) == ["TH-BBBB-0003"]
    chosen = client.get("/staff/reports?ward=bow-east&lang=bn").get_data(as_text=True)
    assert '<option value="bow-east" selected>' in chosen and '<input type="hidden" name="lang" value="bn">' in chosen


def test_overdue_reports_say_so_in_words(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    # Shared Monday 11 January at 09:00; council's 2 working days: due Wednesday 13th 09:00. On Monday 18th
    # at 10:00 that is 3 working days late (14th, 15th, 18th).
    _report(app, 1, at=datetime(2027, 1, 11, 9, 0, tzinfo=timezone.utc))
    _report(app, 2, at=NOW - timedelta(hours=1))
    _login(client, "officer@council.example")
    page = client.get("/staff/reports").get_data(as_text=True)
    assert "Overdue by 3 working days" in page
    assert page.count('class="flag late"') == 1
    assert re.search(r"Overdue</dt><dd>1</dd>", page)
    assert _references(client.get("/staff/reports?overdue=1").get_data(as_text=True)) == ["TH-BBBB-0001"]


def test_overdue_only_lists_the_most_overdue_first_page_by_page(app, client, clock, monkeypatch):
    from web import staff_inbox

    monkeypatch.setattr(staff_inbox, "PAGE_SIZE", 2)
    _account(app, "officer@council.example", "officer", "council")
    # Received (and shared) on these January days at 09:00; all overdue on Monday 18th but number 4.
    for number, day in enumerate((6, 4, 12, 5, 15)):
        _report(app, number, at=datetime(2027, 1, day, 9, 0, tzinfo=timezone.utc))
    _login(client, "officer@council.example")
    seen, url = [], "/staff/reports?overdue=1"
    while url:
        page = client.get(url).get_data(as_text=True)
        assert "most overdue first" in page and "newest first" not in page
        seen += _references(page)
        found = re.search(r'<a href="([^"]+)" rel="next">Next page \(less overdue\)</a>', page)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "overdue=1" in url and "after=" in url
    assert seen == ["TH-BBBB-0001", "TH-BBBB-0003", "TH-BBBB-0000", "TH-BBBB-0002"]


def test_the_header_counts_are_kept_a_minute_and_say_when_they_were_counted(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _report(app, 1)
    _login(client, "officer@council.example")
    page = client.get("/staff/reports").get_data(as_text=True)
    assert re.search(r"Open reports</dt><dd>1</dd>", page) and "Counted at 10:00" in page
    _report(app, 2)
    clock.now = NOW + timedelta(seconds=59)
    page = client.get("/staff/reports").get_data(as_text=True)
    # The list is live; the counts are a minute old at most, and say so.
    assert _references(page) == ["TH-BBBB-0002", "TH-BBBB-0001"]
    assert re.search(r"Open reports</dt><dd>1</dd>", page) and "Counted at 10:00" in page
    clock.now = NOW + timedelta(seconds=60)
    page = client.get("/staff/reports").get_data(as_text=True)
    assert re.search(r"Open reports</dt><dd>2</dd>", page) and "Counted at 10:01" in page


def test_next_page_link_keeps_the_filters(app, client, clock, monkeypatch):
    from web import staff_inbox

    monkeypatch.setattr(staff_inbox, "PAGE_SIZE", 2)
    _account(app, "officer@council.example", "officer", "council")
    for number in range(5):
        _report(app, number, at=NOW - timedelta(hours=10 - number))
    _login(client, "officer@council.example")
    seen = []
    url = "/staff/reports?ward=weavers"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += _references(page)
        found = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "ward=weavers" in url
    assert seen == [f"TH-BBBB-{number:04d}" for number in range(4, -1, -1)]


@pytest.mark.parametrize("query", ["ward=atlantis", "category=spam", "status=lost", "agency=mi5", "language=xx",
                                   "channel=pigeon", "age=ancient", "overdue=maybe", "after=yesterday",
                                   "after=99999999999999999-1"])
def test_a_bad_filter_value_is_refused_clearly_and_changes_nothing(app, client, clock, database_url, query):
    _account(app, "officer@council.example", "officer", "council")
    _report(app, 1)
    _login(client, "officer@council.example")
    before = dump_every_table(database_url)
    response = client.get(f"/staff/reports?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "had a value this page does not offer" in page and _references(page) == []
    assert dump_every_table(database_url) == before


def test_the_landing_page_links_to_the_inbox(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _login(client, "officer@council.example")
    page = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/reports">See the reports shared with your agency' in page
    assert "will be listed here" not in page


def test_signed_out_visitors_are_sent_to_sign_in(app, client, clock):
    assert client.get("/staff/reports").status_code == 302
