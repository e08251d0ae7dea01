"""Reports a resident reopened, on SQLite and PostgreSQL: a "no" to "was this sorted?" flags the report
(Report.reopened_at) in every inbox it is shared with, until staff of any agency change its status or
answer the resident (a note or a share is not picking it up); the inbox's "reopened" filter, its keyset
pages and the header's count."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import inbox, report_actions, sorted_checks, staff
from storage.database import new_session
from storage.inbox import InboxFilters, inbox_page, inbox_summary
from storage.models import Report, Ward
from tests.storage.test_report_actions import AT, _agency_id, _officer, _report, _shared

CLOSED = AT + timedelta(days=1, minutes=7)  # Tuesday 12 January 2027, 09:37
ANSWERED = CLOSED + timedelta(days=15, minutes=41)
ANSWER_HOUR = ANSWERED.replace(minute=0, second=0, microsecond=0)
LATER = ANSWERED + timedelta(hours=2)


def _close_and_answer(session, reference, answer="no", *, user_id, agency_id, closed_at=CLOSED, answered=ANSWERED):
    report_actions.change_status(session, shared=_shared(session, reference, agency_id=agency_id), status="closed",
                                 reason="Noise abatement notice served", staff_user_id=user_id, agency_id=agency_id,
                                 now=closed_at)
    return sorted_checks.record_answer(session, reference=reference, answer=answer, now=answered, via="question")


def _reopened(engine, reference="TH-7K3M-9QXR", agencies=("council", "housing")):
    """A report shared with `agencies`, closed by the council and reopened by its resident's "no"."""
    with new_session(engine) as session:
        _report(session, reference, agencies=agencies)
        user_id, agency_id = _officer(session)
        assert _close_and_answer(session, reference, user_id=user_id, agency_id=agency_id).reopened
        session.commit()
    return user_id, agency_id


def _reopened_at(engine, reference="TH-7K3M-9QXR"):
    with new_session(engine) as session:
        return session.execute(select(Report.reopened_at).where(Report.reference == reference)).scalar_one()


def _listed(session, agency_slug, **filters):
    page = inbox_page(session, agency_id=_agency_id(session, agency_slug), filters=InboxFilters(**filters),
                      now=LATER)
    return [(row.reference, row.reopened_at) for row in page.rows]


def test_a_no_flags_the_report_in_every_inbox_it_is_shared_with(engine):
    _reopened(engine)
    with new_session(engine) as session:
        other = _report(session, "TH-AAAA-0001")  # open, never closed: not reopened
        other.created_at = AT + timedelta(days=1)
        session.commit()
        for agency in ("council", "housing"):
            # The same order as ever (newest first): the reopened report is flagged, not moved.
            assert _listed(session, agency) == [("TH-AAAA-0001", None), ("TH-7K3M-9QXR", ANSWER_HOUR)]
            assert _listed(session, agency, reopened=True) == [("TH-7K3M-9QXR", ANSWER_HOUR)]
            summary = inbox_summary(session, agency_id=_agency_id(session, agency), now=LATER)
            assert (summary.open, summary.reopened) == (2, 1)
        police = _agency_id(session, "police")
        assert inbox_page(session, agency_id=police, filters=InboxFilters(reopened=True), now=LATER).rows == []
        assert inbox_summary(session, agency_id=police, now=LATER).reopened == 0


@pytest.mark.parametrize("answer", ["yes", "partly"])
def test_yes_and_partly_reopen_nothing_and_flag_nothing(engine, answer):
    with new_session(engine) as session:
        _report(session)
        user_id, agency_id = _officer(session)
        assert not _close_and_answer(session, "TH-7K3M-9QXR", answer, user_id=user_id, agency_id=agency_id).reopened
        session.commit()
        assert _listed(session, "council", status="all", reopened=True) == []
    assert _reopened_at(engine) is None


def _act(session, action, *, user_id, agency_id):
    shared = _shared(session, "TH-7K3M-9QXR", agency_id=agency_id)
    if action == "status":
        report_actions.change_status(session, shared=shared, status="action_taken", reason="Visited again",
                                     staff_user_id=user_id, agency_id=agency_id, now=LATER)
    elif action == "reply":
        report_actions.change_status(session, shared=shared, status=shared.report.status, reason=None,
                                     public_message="We are looking at it again.", staff_user_id=user_id,
                                     agency_id=agency_id, now=LATER)
    elif action == "note":
        report_actions.add_internal_note(session, shared=shared, note="Resident says the music goes on",
                                         staff_user_id=user_id, agency_id=agency_id, now=LATER)
    elif action in ("referral", "share"):
        report_actions.share_report(session, shared=shared, to_agency_slug="housing", route=action,
                                    reason="Their estate", staff_user_id=user_id, agency_id=agency_id, now=LATER,
                                    public_message="We have passed your report on." if action == "referral" else None)
    elif action == "merge":
        _report(session, "TH-AAAA-0002", agencies=("council",))
        report_actions.merge_report(session, duplicate=shared, into_reference="TH-AAAA-0002", staff_user_id=user_id,
                                    agency_id=agency_id, now=LATER)


@pytest.mark.parametrize("action, picked_up", [
    ("status", True), ("reply", True), ("referral", True), ("merge", True), ("note", False), ("share", False),
])
def test_a_status_change_or_a_word_to_the_resident_picks_it_up_a_note_or_a_share_does_not(engine, action,
                                                                                          picked_up):
    user_id, agency_id = _reopened(engine, agencies=("council",))
    with new_session(engine) as session:
        _act(session, action, user_id=user_id, agency_id=agency_id)
        session.commit()
    assert _reopened_at(engine) == (None if picked_up else ANSWER_HOUR)
    with new_session(engine) as session:
        listed = _listed(session, "council", status="all", reopened=True)
        assert listed == ([] if picked_up else [("TH-7K3M-9QXR", ANSWER_HOUR)])
        assert inbox_summary(session, agency_id=agency_id, now=LATER).reopened == (0 if picked_up else 1)


def test_another_agencys_officer_picking_it_up_clears_it_for_everyone(engine):
    _reopened(engine)
    with new_session(engine) as session:
        housing_officer = staff.add_staff(session, email="officer@housing.example", role="officer",
                                          agency_slug="housing", password="a long enough passphrase", now=AT)
        _act(session, "reply", user_id=housing_officer.id, agency_id=housing_officer.agency_id)
        session.commit()
        for agency in ("council", "housing"):
            assert _listed(session, agency, reopened=True) == []
            assert _listed(session, agency) == [("TH-7K3M-9QXR", None)]


def test_reopened_again_after_being_picked_up_and_closed_again(engine):
    user_id, agency_id = _reopened(engine, agencies=("council",))
    second_closing = LATER + timedelta(days=3)
    with new_session(engine) as session:
        _close_and_answer(session, "TH-7K3M-9QXR", user_id=user_id, agency_id=agency_id, closed_at=second_closing,
                          answered=second_closing + timedelta(days=15))
        session.commit()
    assert _reopened_at(engine) == (second_closing + timedelta(days=15)).replace(minute=0, second=0, microsecond=0)


def test_the_reopened_filter_pages_newest_first_with_other_filters(engine):
    with new_session(engine) as session:
        user_id, agency_id = _officer(session)
        for number in range(7):
            reference = f"TH-AAAA-{number:04d}"
            report = _report(session, reference, agencies=("council",))
            # Two reports share each hour, so ties break on id; numbers 0, 2, 3, 5 and 6 are reopened.
            report.created_at = AT + timedelta(hours=number // 2)
            if number in (0, 2, 3, 5, 6):
                _close_and_answer(session, reference, user_id=user_id, agency_id=agency_id)
            if number in (3, 4, 5):
                report.ward_id = session.execute(select(Ward.id).where(Ward.slug == "weavers")).scalar_one()
        session.commit()

        pages, after = [], None
        while True:
            page = inbox_page(session, agency_id=agency_id, filters=InboxFilters(reopened=True), now=LATER,
                              page_size=2, after=after)
            pages.append([row.reference[-1] for row in page.rows])
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert pages == [["6", "5"], ["3", "2"], ["0"]]
        in_weavers = inbox_page(session, agency_id=agency_id, now=LATER,
                                filters=InboxFilters(reopened=True, ward="weavers"))
        assert [row.reference[-1] for row in in_weavers.rows] == ["5", "3"]
        everywhere = inbox_page(session, agency_id=agency_id, now=LATER,
                                filters=InboxFilters(reopened=True, status="in_progress", category="noise"))
        assert [row.reference[-1] for row in everywhere.rows] == ["6", "5", "3", "2", "0"]
        assert inbox_summary(session, agency_id=agency_id, now=LATER) == inbox.InboxSummary(
            open=7, overdue=2, reopened=5, target_working_days=2)
