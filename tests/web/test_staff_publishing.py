"""The report page's "on the public pages" forms (SQLite and PostgreSQL): not a genuine report / count it
again, and the public summary approved or withdrawn; CSRF, roles, other agencies' reports, stale forms, the
care-language check and the length limit, each refusal changing nothing; the history labels each; and the
night-safety answers in the report's details."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import contacts
from storage.database import new_session
from storage.models import Report
from storage.reports import create_report
from tests.helpers import dump_every_table
from tests.web.test_staff_action_repeats import _form_fields
from tests.web.test_staff_actions import (OFFICER, OTHER, REFERENCE, _audits, _care_term, _outbox, _report,
                                          _report_row, _signed_in, _updates, _without_audit)
from tests.web.test_staff_pages import NOW, _account, _login, clock  # noqa: F401 (clock is a fixture)
from web.staff_actions import care_digest

SPAM = f"/staff/reports/{REFERENCE}/spam"
COUNT_AGAIN = f"/staff/reports/{REFERENCE}/spam/undo"
SUMMARY = f"/staff/reports/{REFERENCE}/public-summary"
WITHDRAW = f"/staff/reports/{REFERENCE}/public-summary/withdraw"
RESIDENT_WORDS = "Muusig habeenkii"  # what tests.web.test_staff_actions._report has the resident say


def _page(client, reference=REFERENCE) -> str:
    response = client.get(f"/staff/reports/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _post(client, action: str, data: dict, reference=REFERENCE):
    """Post `data` with the hidden fields of the page's form for `action` (its token and version)."""
    fields = _form_fields(_page(client, reference), action)
    return client.post(action, data={**fields, **data})


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', _page(client)).group(1)


# --- not a genuine report ---------------------------------------------------------------------------------

def test_marking_spam_and_counting_again_are_saved_with_reasons_and_labelled_in_the_history(app, client, clock):
    _report(app)
    _signed_in(app, client)
    assert "Counted in the public figures." in _page(client)
    response = _post(client, SPAM, {"reason": "A test message from a colleague"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/reports/{REFERENCE}?done=spam_marked")
    assert _report_row(app).spam_at == NOW
    page = _page(client)
    assert "Marked as not a genuine report on" in page
    assert "Marked as not a genuine report: left out of the public figures" in page
    assert "A test message from a colleague" in page
    assert f'action="{COUNT_AGAIN}' in page and f'action="{SPAM}"' not in page

    clock.now += timedelta(minutes=5)
    assert _post(client, COUNT_AGAIN, {"reason": "The resident rang: it is real"}).status_code == 303
    assert _report_row(app).spam_at is None
    page = _page(client)
    assert "Counted again in the public figures" in page and "The resident rang: it is real" in page
    assert [update.action for update in _updates(app)] == ["received", "spam", "spam"]
    assert [entry.detail["update_id"] for entry in _audits(app, "report_marked_spam")] == [_updates(app)[1].id]
    assert len(_audits(app, "report_counted_again")) == 1
    assert _outbox(app) == []  # the resident is not told


def test_spam_needs_a_reason(app, client, clock, database_url):
    _report(app)
    _signed_in(app, client)
    before = _without_audit(database_url)
    response = _post(client, SPAM, {"reason": "   "})
    assert response.status_code == 400
    assert "Say why. Only staff see the reason" in response.get_data(as_text=True)
    assert _without_audit(database_url) == before


# --- the public summary -----------------------------------------------------------------------------------

def test_the_summary_box_starts_empty_with_the_residents_words_beside_it_and_the_redaction_hint(app, client, clock):
    _report(app)
    _signed_in(app, client)
    page = _page(client)
    box = re.search(r'<textarea id="public-summary"[^>]*>(.*?)</textarea>', page, re.S)
    assert box and box.group(1) == ""
    assert "remove names, addresses, phone numbers and anything that could identify someone" in page
    section = page[page.index('id="publishing-heading"'):]
    assert RESIDENT_WORDS in section  # shown beside the box to copy from, never copied into it
    assert 'maxlength="500"' in section


def test_approving_publishes_the_words_and_withdrawing_takes_them_off(app, client, clock):
    _report(app)
    _signed_in(app, client)
    response = _post(client, SUMMARY, {"summary": "  Loud music from a flat late at night.  "})
    assert response.status_code == 303 and response.headers["Location"].endswith("?done=summary_approved")
    report = _report_row(app)
    assert (report.public_summary, report.public_summary_approved_at) == ("Loud music from a flat late at night.", NOW)
    page = _page(client)
    assert "Published, approved on" in page and OFFICER in page
    assert "Public summary approved:" in page
    box = re.search(r'<textarea id="public-summary"[^>]*>(.*?)</textarea>', page, re.S)
    assert box.group(1) == "Loud music from a flat late at night."  # the approved words, to edit

    clock.now += timedelta(minutes=1)
    assert _post(client, WITHDRAW, {}).status_code == 303
    assert _report_row(app).public_summary is None
    page = _page(client)
    assert "Public summary withdrawn" in page and "No public summary" in page
    assert [update.action for update in _updates(app)] == ["received", "publish", "publish"]
    [approved] = _audits(app, "public_summary_approved")
    assert "Loud music" not in str(approved.detail)
    assert len(_audits(app, "public_summary_withdrawn")) == 1
    assert _outbox(app) == []


@pytest.mark.parametrize("summary, status, shown", [
    ("", 400, "Write the public summary first."),
    ("x" * 501, 400, "The public summary is too long: at most 500 characters."),
])
def test_an_empty_or_long_summary_is_shown_again_and_changes_nothing(app, client, clock, database_url, summary,
                                                                      status, shown):
    _report(app)
    _signed_in(app, client)
    before = _without_audit(database_url)
    response = _post(client, SUMMARY, {"summary": summary})
    assert response.status_code == status
    assert shown in response.get_data(as_text=True)
    assert _without_audit(database_url) == before


def test_500_characters_are_published(app, client, clock):
    _report(app)
    _signed_in(app, client)
    assert _post(client, SUMMARY, {"summary": "y" * 500}).status_code == 303
    assert _report_row(app).public_summary == "y" * 500


def test_a_stigmatising_word_stops_the_summary_until_changed_or_published_as_written(app, client, clock, database_url):
    _care_term(app, "junkies", "people who use drugs", "addiction")
    _report(app)
    _signed_in(app, client)
    words = "Junkies were using the stairwell."
    before = _without_audit(database_url)
    flagged = _post(client, SUMMARY, {"summary": words})
    assert flagged.status_code == 400
    page = flagged.get_data(as_text=True)
    assert "people who use drugs" in page and 'id="summary-care-confirmed"' in page
    assert f">{words}</textarea>" in page  # the words kept in the box to change
    assert _without_audit(database_url) == before

    # The tick names the words it was given for: for other words (or a bare "yes") it is no tick.
    for tick in ("yes", care_digest("Junkies were using the lift.")):
        assert _post(client, SUMMARY, {"summary": words, "care_confirmed": tick}).status_code == 400
    assert _without_audit(database_url) == before
    assert _post(client, SUMMARY, {"summary": words, "care_confirmed": care_digest(words)}).status_code == 303
    assert _report_row(app).public_summary == words
    assert _audits(app, "public_summary_approved")[0].detail["care_flags_confirmed"] == 1

    clock.now += timedelta(minutes=1)
    assert _post(client, SUMMARY, {"summary": "People who use drugs were using the stairwell."}).status_code == 303


def test_a_spam_report_offers_no_summary_form_and_marking_spam_withdraws_one(app, client, clock):
    _report(app)
    _signed_in(app, client)
    assert _post(client, SUMMARY, {"summary": "Loud music at night."}).status_code == 303
    assert _post(client, SPAM, {"reason": "Abuse"}).status_code == 303
    assert _report_row(app).public_summary is None
    page = _page(client)
    assert f'action="{SUMMARY}' not in page and "Count it again to write a summary." in page


# --- who may, and refusals that change nothing ------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "organiser"])
def test_viewers_and_organisers_see_the_state_but_get_403(app, client, clock, database_url, role):
    _report(app)
    _signed_in(app, client, role=role, email=f"{role}@council.example")
    page = _page(client)
    assert "On the public pages" in page and "Counted in the public figures." in page
    assert f'action="{SPAM}' not in page and f'action="{SUMMARY}' not in page
    token = _token(client)
    before = _without_audit(database_url)
    for action, data in ((SPAM, {"reason": "x"}), (COUNT_AGAIN, {"reason": "x"}), (SUMMARY, {"summary": "x"}),
                         (WITHDRAW, {})):
        assert client.post(action, data={"csrf_token": token, **data}).status_code == 403, action
    assert _without_audit(database_url) == before


def test_another_agencys_report_answers_404(app, client, clock, database_url):
    _report(app, agencies=("council",))
    _report(app, OTHER, agencies=("police",))
    _signed_in(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    for path, data in (("/spam", {"reason": "x"}), ("/spam/undo", {"reason": "x"}), ("/public-summary",
                                                                                    {"summary": "x"}),
                       ("/public-summary/withdraw", {})):
        assert client.post(f"/staff/reports/{OTHER}{path}", data={"csrf_token": token, **data}).status_code == 404
        assert client.post(f"/staff/reports/TH-0000-0000{path}", data={"csrf_token": token, **data}).status_code == 404
    assert dump_every_table(database_url) == before


def test_a_post_without_a_valid_csrf_token_is_refused(app, client, clock, database_url):
    _report(app)
    _signed_in(app, client)
    fields = _form_fields(_page(client), SPAM)
    before = dump_every_table(database_url)
    for token in (None, "forged"):
        for action, data in ((SPAM, {"reason": "x"}), (SUMMARY, {"summary": "x"})):
            body = {"expected_update_id": fields["expected_update_id"], **data}
            if token:
                body["csrf_token"] = token
            assert client.post(action, data=body).status_code == 400
    assert dump_every_table(database_url) == before


def test_a_form_sent_twice_or_after_a_colleagues_change_is_409_and_changes_nothing(app, client, clock, database_url):
    _report(app)
    _signed_in(app, client)
    spam_form = _form_fields(_page(client), SPAM)
    summary_form = _form_fields(_page(client), SUMMARY)
    assert client.post(SPAM, data={**spam_form, "reason": "Test"}).status_code == 303
    before = _without_audit(database_url)
    again = client.post(SPAM, data={**spam_form, "reason": "Test"})
    assert again.status_code == 409 and "changed while you had it open" in again.get_data(as_text=True)
    assert client.post(SUMMARY, data={**summary_form, "summary": "Loud music"}).status_code == 409
    assert _without_audit(database_url) == before
    # Shown again, the page carries the new version: sending once more after checking goes through.
    fresh = _form_fields(again.get_data(as_text=True), COUNT_AGAIN)
    assert client.post(COUNT_AGAIN, data={**fresh, "reason": "Real after all"}).status_code == 303

    colleague = app.test_client()
    _account(app, "colleague@council.example", "officer", "council")
    _login(colleague, "colleague@council.example")
    stale = _form_fields(_page(client), SUMMARY)
    assert _post(colleague, SUMMARY, {"summary": "Noise at night"}).status_code == 303
    assert client.post(SUMMARY, data={**stale, "summary": "Something else"}).status_code == 409
    assert _report_row(app).public_summary == "Noise at night"


def test_a_merged_report_offers_neither_form(app, client, clock):
    _report(app, agencies=("council",))
    _report(app, OTHER, agencies=("council",))
    _signed_in(app, client)
    assert _post(client, f"/staff/reports/{REFERENCE}/merge", {"into_reference": OTHER}).status_code == 303
    page = _page(client)
    assert f'action="{SPAM}' not in page and f'action="{SUMMARY}' not in page
    token = _token(client)
    response = client.post(SUMMARY, data={"csrf_token": token, "summary": "Noise"})
    assert response.status_code == 400 and "merged into another" in response.get_data(as_text=True)


# --- the night-safety answers on the report page ----------------------------------------------------------

@pytest.mark.parametrize("time_of_day, woman_or_girl, shown, hidden", [
    ("night", True, ["Time of day it feels unsafe", "Night", "The resident said they are a woman or girl."], []),
    (None, None, ["Time of day it feels unsafe"], ["woman or girl"]),
])
def test_an_unsafe_places_details_show_the_time_of_day_and_only_a_yes(app, client, clock, time_of_day, woman_or_girl,
                                                                       shown, hidden):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact = contacts.find_or_create_contact(session, channel="webchat", address_hash="n" * 64,
                                                  address_sealed=None, now=NOW)
        create_report(session, reference=REFERENCE, category="unsafe_place", language="en", channel="webchat",
                      privacy="private", agency_slugs=("council",), description="The underpass lights are out",
                      received_at=NOW - timedelta(days=1), sender_contact_id=contact.id, time_of_day=time_of_day,
                      woman_or_girl=woman_or_girl)
        session.commit()
    _signed_in(app, client, role="viewer", email="viewer@council.example")
    page = _page(client)
    details = page[page.index('id="details-heading"'):page.index("</dl>")]
    for text in shown:
        assert text in details
    for text in hidden:
        assert text not in details
    if time_of_day is None:
        assert re.search(r"Time of day it feels unsafe</dt>\s*<dd>Not given</dd>", details)


def test_other_categories_show_no_time_of_day(app, client, clock):
    _report(app)  # noise
    _signed_in(app, client)
    assert "Time of day it feels unsafe" not in _page(client)
