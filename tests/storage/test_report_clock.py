"""storage/report_clock.py on SQLite and PostgreSQL: the response and close clocks the public figures read
are counted in working days when they stop, by every writer of a report's status, and a reopened report's
close clock is cleared and counted afresh."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from storage import report_actions, reports
from storage.database import new_session
from storage.models import Agency, Report, ReportAgency
from storage.report_clock import set_status
from tests.storage.test_report_actions import _officer, _report, _shared

MONDAY = datetime(2027, 1, 11, 9, 30, tzinfo=timezone.utc)  # a Monday in January: London is on UTC


def _sharing(session, slug: str) -> ReportAgency:
    return session.execute(select(ReportAgency).join(Agency, Agency.id == ReportAgency.agency_id)
                           .where(Agency.slug == slug)).scalar_one()


def test_the_first_response_counts_working_days_from_sharing_and_later_ones_change_nothing(engine):
    with new_session(engine) as session:
        _report(session)  # received Monday 09:30, shared with the council and housing
        user_id, agency_id = _officer(session)
        thursday = MONDAY + timedelta(days=3, hours=1)  # three working days later, after 09:30
        report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status="in_progress",
                                     reason="Visit booked", staff_user_id=user_id, agency_id=agency_id, now=thursday)
        report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status="action_taken",
                                     reason="Visited", staff_user_id=user_id, agency_id=agency_id,
                                     now=thursday + timedelta(days=7))
        session.commit()
    with new_session(engine) as session:
        council, housing = _sharing(session, "council"), _sharing(session, "housing")
        assert (council.responded_at, council.response_working_days) == (thursday, 3)
        assert (housing.responded_at, housing.response_working_days) == (None, None)


def test_closing_counts_every_agencys_close_clock_and_reopening_clears_it(engine):
    # Closed the next Monday at 09:00, before 09:30: four whole working days for both agencies.
    closed = MONDAY + timedelta(days=7) - timedelta(minutes=30)
    with new_session(engine) as session:
        _report(session)
        user_id, agency_id = _officer(session)
        report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status="closed",
                                     reason="Sorted", staff_user_id=user_id, agency_id=agency_id, now=closed)
        session.commit()
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert report.closed_at == closed
        assert {_sharing(session, slug).close_working_days for slug in ("council", "housing")} == {4}
        assert _sharing(session, "council").response_working_days == 4

        set_status(session, report=report, status="in_progress", now=closed + timedelta(days=1))
        session.commit()
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert (report.status, report.closed_at) == ("in_progress", None)
        assert {_sharing(session, slug).close_working_days for slug in ("council", "housing")} == {None}
        # Closed again a week later: counted afresh from sharing, not from the reopening.
        again = closed + timedelta(days=7)
        set_status(session, report=report, status="closed", now=again)
        session.commit()
    with new_session(engine) as session:
        assert session.execute(select(Report.closed_at)).scalar_one() == again
        assert _sharing(session, "council").close_working_days == 9


def test_the_command_lines_status_updates_keep_the_close_clock_too(engine):
    with new_session(engine) as session:
        _report(session)
        reports.add_report_update(session, reference="TH-7K3M-9QXR", status="closed", at=MONDAY + timedelta(days=2))
        session.commit()
    with new_session(engine) as session:
        assert session.execute(select(Report.closed_at)).scalar_one() == MONDAY + timedelta(days=2)
        assert _sharing(session, "housing").close_working_days == 2


def test_a_merged_duplicate_is_closed_with_its_clock(engine):
    with new_session(engine) as session:
        _report(session)
        _report(session, reference="TH-7K3M-9QXS")
        user_id, agency_id = _officer(session)
        report_actions.merge_report(session, duplicate=_shared(session, reference="TH-7K3M-9QXS", agency_id=agency_id),
                                    into_reference="TH-7K3M-9QXR", staff_user_id=user_id, agency_id=agency_id,
                                    now=MONDAY + timedelta(hours=2))
        session.commit()
    with new_session(engine) as session:
        duplicate = session.execute(select(Report).where(Report.reference == "TH-7K3M-9QXS")).scalar_one()
        assert duplicate.closed_at == MONDAY + timedelta(hours=2)
