"""The public "You said, we did" pages on a real database (SQLite and PostgreSQL): hand-computed figures,
"fewer than 5" at the threshold, the 404, language links, caching, and no resident's words anywhere."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html import unescape

import pytest
from babel.dates import format_date
from sqlalchemy import select

from flows import i18n
from flows.report import CATEGORIES
from storage.contacts import find_or_create_contact
from storage.database import new_session
from storage.models import (Agency, AgendaItem, PublicEntry, Report, ReportAgency, ReportUpdate, SortedCheck,
                            SuccessTarget, Ward)
from storage.public_figures import clear_public_figures_cache
from storage.report_clock import record_response, set_status
from storage.reports import create_report

# A Friday in March 2026; every report below is from February, which has no bank holiday.
NOW = datetime(2026, 3, 13, 12, 0, tzinfo=timezone.utc)
MONDAY = datetime(2026, 2, 2, 10, 0, tzinfo=timezone.utc)
# Council reports in Weavers answered after 1, 1, 2, 3 and 5 working days (Tue, Tue, Wed, Thu, next Mon),
# all closed 10 working days after they arrived (Monday 16 February).
RESPONSE_DAYS = (1, 1, 2, 3, 7)  # calendar days after MONDAY: 3, 3, 4, 5 February and 9 February
CLOSED_ON = MONDAY + timedelta(days=14)

MARKERS = {
    "description": "MARKER-DESCRIPTION-7f3a",
    "location_text": "MARKER-LOCATION-91bc",
    "when_text": "MARKER-WHEN-4de2",
    "reporter_name": "MARKER-NAME-c0d1",
    "sorted_comment": "MARKER-SORTED-COMMENT-55ae",
    "agenda_text": "MARKER-AGENDA-6b7f",
    "unapproved_summary": "MARKER-UNAPPROVED-SUMMARY-2c9d",
    "approved_summary": "MARKER-APPROVED-SUMMARY-8e1f",
    "public_message": "MARKER-REPLY-3a44",
    "internal_note": "MARKER-NOTE-d9e0",
    "draft_entry": "MARKER-DRAFT-ENTRY-0b7c",
}


@pytest.fixture
def fixed_clock(app):
    app.extensions["safer_homes.clock"] = lambda: NOW
    clear_public_figures_cache()
    yield
    clear_public_figures_cache()


def _report(session, number: int, *, category: str, ward: str = "weavers", agencies=("council",), **extra) -> Report:
    return create_report(session, reference=f"TH-TEST-{number:04d}", category=category, language="en",
                         channel="webchat", privacy=extra.pop("privacy", "anonymous"), agency_slugs=agencies,
                         description=extra.pop("description", "A report."), received_at=MONDAY, ward_slug=ward,
                         **extra)


def seed_weavers(engine) -> None:
    """Weavers: 5 noise reports the council answered and closed, 4 anti-social behaviour reports still open,
    and a spam and a duplicate noise report that must not be counted."""
    with new_session(engine) as session:
        council = session.execute(select(Agency).where(Agency.slug == "council")).scalar_one()
        noise = [_report(session, number, category="noise") for number in range(5)]
        for number in range(5, 9):
            _report(session, number, category="asb")
        spam = _report(session, 9, category="noise")
        spam.spam_at = MONDAY
        duplicate = _report(session, 10, category="noise")
        duplicate.duplicate_of_id = noise[0].id
        session.flush()
        for report, days_later in zip(noise, RESPONSE_DAYS):
            sharing = session.get(ReportAgency, (report.id, council.id))
            record_response(sharing, MONDAY + timedelta(days=days_later))
            set_status(session, report=report, status="closed", now=CLOSED_ON)
        session.commit()


def _cell_after(html: str, row_label: str) -> list[str]:
    """The text of the cells in the table row headed `row_label` (the first such row)."""
    match = re.search(r"<tr>\s*<th scope=\"row\">(?:<a [^>]*>)?" + re.escape(row_label) + r"(?:</a>)?</th>(.*?)</tr>",
                      html, re.S)
    assert match, f"no row for {row_label!r}"
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def _fewer(lang: str) -> str:
    return i18n.translations(lang).gettext("fewer than 5")


@pytest.mark.parametrize("lang", ["en", "bn", "so"])
def test_ward_page_shows_hand_computed_figures_with_fewer_than_five_below_the_threshold(client, engine, fixed_clock, lang):
    seed_weavers(engine)
    page = client.get(f"/public/wards/weavers?lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    translate = i18n.translations(lang).gettext

    def number(text: str) -> str:
        return i18n.localise_digits(text, lang)

    # 5 noise reports are shown (the spam and the duplicate are not counted); 4 anti-social behaviour are not.
    assert _cell_after(html, translate(CATEGORIES["cat:noise"])) == [number("5")]
    assert _cell_after(html, translate(CATEGORIES["cat:asb"])) == [_fewer(lang)]
    assert f'<html lang="{lang}" dir="ltr">' in html
    # The council: 9 reports shared; answered after 1, 1, 2, 3, 5 working days: the median (3rd of 5) is 2,
    # the 90th percentile (nearest rank: the 5th of 5) 5; 3 of the 5 answered within its target of 2
    # (60%); all 5 closed after 10 working days.
    council_name = {"en": "Tower Hamlets Council ASB team", "bn": "টাওয়ার হ্যামলেটস কাউন্সিলের অসামাজিক আচরণ (ASB) টিম",
                    "so": "Kooxda ASB ee Golaha Tower Hamlets"}[lang]
    assert _cell_after(html, council_name) == [number("9"), number("2"), number("2"), number("5"), number("60%"),
                                               number("10"), number("10")]
    # Police had nothing shared with them: every figure is a count under 5.
    police_cells = _cell_after(html, {"en": "Police (Safer Neighbourhoods team)", "bn": "পুলিশ (সেফার নেইবারহুডস টিম)",
                                      "so": "Booliska (kooxda Safer Neighbourhoods)"}[lang])
    assert police_cells[0] == _fewer(lang)
    # The month of February holds the 9 reports.
    february = "February 2026" if lang == "en" else number(format_date(date(2026, 2, 1), "LLLL y", locale=lang))
    assert _cell_after(html, february) == [number("9")]


def test_bengali_pages_write_numbers_in_bengali_digits_in_tables_and_charts(client, engine, fixed_clock):
    seed_weavers(engine)
    html = client.get("/public/wards/weavers?lang=bn").get_data(as_text=True)
    months_chart = re.search(r'<svg[^>]*aria-labelledby="chart-months-title.*?</svg>', html, re.S).group(0)
    categories_chart = re.search(r'<svg[^>]*aria-labelledby="chart-categories-title.*?</svg>', html, re.S).group(0)
    assert ">৫<" in categories_chart and ">5<" not in categories_chart
    assert "মার্চ" in months_chart and "২৬" in months_chart  # the last month's label, "মার্চ ২৬"


def test_four_reports_are_fewer_than_five_and_the_fifth_shows_the_number(client, engine, fixed_clock):
    with new_session(engine) as session:
        for number in range(4):
            _report(session, number, category="hate", ward="bow-east")
        session.commit()
    html = client.get("/public/wards/bow-east").get_data(as_text=True)
    assert _cell_after(html, CATEGORIES["cat:hate"]) == ["fewer than 5"]
    with new_session(engine) as session:
        _report(session, 4, category="hate", ward="bow-east")
        session.commit()
    clear_public_figures_cache()
    # Figures may be 60 seconds old (the first count is kept as the page's snapshot): a minute later.
    client.application.extensions["safer_homes.clock"] = lambda: NOW + timedelta(seconds=61)
    html = client.get("/public/wards/bow-east").get_data(as_text=True)
    assert _cell_after(html, CATEGORIES["cat:hate"]) == ["5"]


def test_borough_page_lists_every_ward_and_links_to_the_downloads(client, engine, fixed_clock):
    seed_weavers(engine)
    page = client.get("/public?lang=so")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    with new_session(engine) as session:
        wards = session.execute(select(Ward.slug)).scalars().all()
    assert len(wards) == 20
    for slug in wards:
        assert f'href="/public/wards/{slug}?lang=so"' in html
    assert 'href="/public.csv"' in html and 'href="/public.json"' in html
    ward_html = client.get("/public/wards/weavers").get_data(as_text=True)
    assert 'href="/public/wards/weavers.csv"' in ward_html and 'href="/public/wards/weavers.json"' in ward_html
    assert client.get("/public/wards/weavers.csv").status_code == 200


@pytest.mark.parametrize("path", ["/public/wards/nowhere", "/public/wards/Weavers", "/public/wards/no_ward", "/public/wards/weavers-",
                                  # addresses no route matches get the same page
                                  "/public/wards/a/b", "/public/nothing", "/public/wards/weavers/meetings/x"])
def test_unknown_ward_is_a_translated_404(client, fixed_clock, path):
    for lang in ("en", "bn", "so"):
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 404
        html = page.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html
        assert i18n.translations(lang).gettext("Page not found") in html
        nonce = re.search(r"style-src 'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
        assert f'<style nonce="{nonce}">' in html


def test_language_links_keep_the_address_and_accept_language_chooses(client, fixed_clock):
    html = client.get("/public/wards/weavers?lang=bn").get_data(as_text=True)
    for language in i18n.LANGUAGES:
        assert f'href="/public/wards/weavers?lang={language.code}"' in html
    assert '<html lang="so"' in client.get("/public", headers={"Accept-Language": "so-SO,so;q=0.9"}).get_data(as_text=True)
    assert '<html lang="bn"' in client.get("/public?lang=bn", headers={"Accept-Language": "so"}).get_data(as_text=True)


def test_pages_are_cached_a_minute_and_run_no_scripts(client, fixed_clock):
    for path in ("/public", "/public/wards/weavers"):
        page = client.get(path)
        assert page.headers["Cache-Control"] == "public, max-age=60"
        policy = page.headers["Content-Security-Policy"]
        assert "script-src" not in policy and policy.startswith("default-src 'none'")
        html = page.get_data(as_text=True)
        assert "<script" not in html
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        assert f'<style nonce="{nonce}">' in html
        assert " style=" not in html  # inline style attributes would be refused by the policy


def seed_markers(engine) -> None:
    """Everything a resident or an officer wrote that must never reach a public page, each a unique marker,
    on reports (enough of them to be counted) in Weavers."""
    with new_session(engine) as session:
        weavers = session.execute(select(Ward).where(Ward.slug == "weavers")).scalar_one()
        contact = find_or_create_contact(session, channel="webchat", address_hash="marker-contact",
                                         address_sealed=None, now=MONDAY)
        reports = [
            _report(session, 100 + number, category="unsafe_place", privacy="named",
                    description=MARKERS["description"], location_text=MARKERS["location_text"],
                    when_text=MARKERS["when_text"], reporter_name_sealed=MARKERS["reporter_name"],
                    time_of_day="night", woman_or_girl=True, sender_contact_id=contact.id)
            for number in range(6)
        ]
        session.flush()
        reports[0].public_summary = MARKERS["unapproved_summary"]
        reports[1].public_summary = MARKERS["approved_summary"]
        reports[1].public_summary_approved_at = MONDAY
        for report in reports:
            set_status(session, report=report, status="closed", now=CLOSED_ON)
            session.add(ReportUpdate(report_id=report.id, status="closed", public_message=MARKERS["public_message"],
                                     internal_note=MARKERS["internal_note"], created_at=CLOSED_ON, action="reply"))
            session.add(SortedCheck(report_id=report.id, closed_at=CLOSED_ON, asked_at=CLOSED_ON, answer="no",
                                    comment=MARKERS["sorted_comment"], comment_language="en",
                                    answered_at=CLOSED_ON + timedelta(days=1), via="question"))
        session.add(AgendaItem(ward_id=weavers.id, topic="unsafe_place", text=MARKERS["agenda_text"], language="en",
                              created_at=MONDAY))
        session.add(PublicEntry(ward_id=weavers.id, you_said=MARKERS["draft_entry"], we_did=MARKERS["draft_entry"],
                                state="draft", created_at=MONDAY, updated_at=MONDAY))
        session.add(PublicEntry(ward_id=weavers.id, category="unsafe_place", you_said="The canal path is dark.",
                                we_did="Six lights were mended.", state="published", published_at=MONDAY,
                                created_at=MONDAY, updated_at=MONDAY,
                                translations={"bn": {"you_said": "খালের পথ অন্ধকার।", "we_did": "ছয়টি বাতি ঠিক করা হয়েছে।"}},
                                machine_translated=["bn"]))
        session.commit()


def test_no_resident_or_staff_words_reach_any_public_page_in_any_language(client, engine, fixed_clock):
    seed_markers(engine)
    with new_session(engine) as session:
        slugs = session.execute(select(Ward.slug)).scalars().all()
    paths = ["/public"] + [f"/public/wards/{slug}" for slug in slugs]
    for language in i18n.LANGUAGES:
        for path in paths:
            html = client.get(f"{path}?lang={language.code}").get_data(as_text=True)
            # Approved summaries are not shown on these pages either (docs/public.md): they describe one
            # report, and a ward's page is about patterns.
            leaked = [name for name, marker in MARKERS.items() if marker in html]
            assert not leaked, f"{path}?lang={language.code} shows {leaked}"
            assert "TH-TEST-" not in html  # references add nothing to a ward's page
    # The published entry is shown: in Bengali, marked as machine translated; in Somali (no translation),
    # in English marked lang="en".
    bengali = client.get("/public/wards/weavers?lang=bn").get_data(as_text=True)
    assert "খালের পথ অন্ধকার।" in bengali and i18n.translations("bn").gettext("Translated by machine.") in bengali
    somali = client.get("/public/wards/weavers?lang=so").get_data(as_text=True)
    assert '<p lang="en" dir="ltr">The canal path is dark.</p>' in somali
    # The six unsafe-place reports (at night) are counted in the night-safety view.
    assert _cell_after(somali, "Weavers")[3] == "6"


def test_a_page_reads_the_ward_list_once_a_minute_and_never_the_signed_in_account(app, client, fixed_clock,
                                                                                  monkeypatch):
    from sqlalchemy import event

    from storage import places
    from tests.web.test_staff_pages import _account, _login
    from web.public import clear_ward_list_cache

    ward_lists = []
    real_list_wards = places.list_wards
    monkeypatch.setattr(places, "list_wards", lambda session: ward_lists.append(1) or real_list_wards(session))

    _account(app, "officer@example.org", "officer", agency="council")
    assert _login(client, "officer@example.org").status_code == 302
    assert client.get("/staff/reports").status_code == 200  # signed in: the staff pages load the account
    clear_ward_list_cache()
    statements = []
    app_engine = app.extensions["safer_homes.engine"]  # the pages' own (the `engine` fixture is another)
    event.listen(app_engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))
    for path in ("/public", "/public/wards/weavers", "/public?lang=bn", "/public/wards/nowhere"):
        assert client.get(path).status_code in (200, 404), path
    assert len(ward_lists) == 1  # four pages, one read of the wards (and an unknown slug is told from it)
    # The staff pages' context (current_user, a query for the account) is not loaded on a public page.
    assert not [sql for sql in statements if "from staffuser" in sql]
    statements.clear()
    assert client.get("/staff/reports").status_code == 200
    assert [sql for sql in statements if "from staffuser" in sql]  # the check above can fail


def _scrolling_tables_are_named_regions(html: str) -> int:
    """Every scrolling table is a focusable region named by elements on the page (its caption); how many."""
    wraps = re.findall(r'<div class="table-wrap"[^>]*>', html)
    for wrap in wraps:
        assert 'role="region"' in wrap and 'tabindex="0"' in wrap, wrap
        (names,) = re.findall(r'aria-labelledby="([^"]+)"', wrap)
        for name in names.split():
            assert re.search(rf'id="{name}">[^<]+<', html), name
    return len(wraps)


def test_scrolling_tables_are_named_regions(client, engine, fixed_clock):
    with new_session(engine) as session:
        for number in range(5):
            _report(session, number, category="asb", ward="weavers")
        session.commit()
    for path in ("/public/wards/weavers", "/public"):
        for lang in ("en", "bn"):
            page = client.get(f"{path}?lang={lang}").get_data(as_text=True)
            assert _scrolling_tables_are_named_regions(page) >= 5, path
