"""Reports a resident reopened, in the staff inbox (SQLite and PostgreSQL): the flag on the row in words,
the header's count linking to the "Reopened by the resident" filter, the filter itself, and the flag gone
once an officer replies through the report page (a note leaves it)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from storage import report_actions, sorted_checks
from storage.casework import StaffScope, shared_report
from storage.database import new_session
from storage.models import StaffUser
from tests.web.test_staff_actions import OTHER, REFERENCE, _post, _report, _signed_in
from tests.web.test_staff_inbox import _references
from tests.web.test_staff_pages import NOW, clock  # noqa: F401 (clock is a fixture)

BADGE = "Reopened: the resident says it is not sorted"
COUNT_LINK = re.compile(r'Reopened by residents</dt><dd><a href="([^"]+)">(\d+ reports?)</a></dd>')


def _closed_then_answered_no(app, reference=REFERENCE):
    """The council officer closed it two weeks and more ago; the resident has just answered "no"."""
    with new_session(app.extensions["safer_homes.engine"]) as session:
        officer = session.execute(select(StaffUser).where(StaffUser.email == "officer@council.example")).scalar_one()
        shared = shared_report(session, reference=reference,
                               scope=StaffScope(agency_id=officer.agency_id, role="officer"))
        report_actions.change_status(session, shared=shared, status="closed", reason="Notice served",
                                     staff_user_id=officer.id, agency_id=officer.agency_id,
                                     now=NOW - timedelta(days=16))
        assert sorted_checks.record_answer(session, reference=reference, answer="no", now=NOW - timedelta(hours=2),
                                           via="question").reopened
        session.commit()


def test_a_reopened_report_is_flagged_counted_and_listed_alone_until_an_officer_replies(app, client, clock):
    _signed_in(app, client)
    _report(app)
    _report(app, OTHER)
    _closed_then_answered_no(app)

    page = client.get("/staff/reports").get_data(as_text=True)
    # The order stays newest first (both arrived at once; OTHER was written second); only one is flagged.
    assert _references(page) == [OTHER, REFERENCE]
    assert page.count(BADGE) == 1 and page.count('class="flag reopened"') == 1
    flagged = page[page.index(f"/staff/reports/{REFERENCE}"):]
    assert BADGE in flagged[:flagged.index("</li>")]
    link, words = COUNT_LINK.search(page).groups()
    assert (link, words) == ("/staff/reports?reopened=1", "1 report")

    listed = client.get(link).get_data(as_text=True)
    assert _references(listed) == [REFERENCE]
    assert '<input type="checkbox" id="filter-reopened" name="reopened" value="1" checked>' in listed
    assert "1 report shown, newest first." in listed

    # A note is not picking it up: the resident has still heard nothing.
    assert _post(client, {"internal_note": "Asked the caretaker about it"}).status_code == 303
    assert _references(client.get(link).get_data(as_text=True)) == [REFERENCE]
    # A reply is. The header counts are kept a minute, so look again after one.
    assert _post(client, {"status": "in_progress", "standard_reply": "in_progress.looking"}).status_code == 303
    clock.now = NOW + timedelta(minutes=1)
    page = client.get("/staff/reports").get_data(as_text=True)
    assert BADGE not in page and _references(page) == [OTHER, REFERENCE]
    assert re.search(r"Reopened by residents</dt><dd>0</dd>", page) and not COUNT_LINK.search(page)
    assert _references(client.get(link).get_data(as_text=True)) == []


def test_the_count_link_keeps_the_page_language(app, client, clock):
    _signed_in(app, client)
    _report(app)
    _closed_then_answered_no(app)
    page = client.get("/staff/reports?lang=bn").get_data(as_text=True)
    assert 'href="/staff/reports?reopened=1&amp;lang=bn"' in page


def test_a_bad_reopened_value_is_refused_clearly(app, client, clock):
    _signed_in(app, client)
    _report(app)
    response = client.get("/staff/reports?reopened=yes")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“Reopened by the resident” had a value this page does not offer" in page and _references(page) == []
