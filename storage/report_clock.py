"""The two clocks public figures read, counted once when they stop rather than on every page view.

An agency's response clock runs from when the report reached it (ReportAgency.shared_at) to its first
response; the close clock to when the report was closed. Both in England and Wales working days
(flows/working_days.py), the unit residents agreed targets in. Every writer of Report.status goes
through `set_status`, and every first response through `record_response`, so the figures can never
disagree with the history. A report reopened ("was this sorted?" answered "no") has its close clock
cleared, and counted afresh when it closes again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from flows.working_days import working_days_between
from storage.models import Report, ReportAgency


def record_response(sharing: ReportAgency, now: datetime) -> None:
    """The agency's first response: stops its clock (later responses change nothing)."""
    if sharing.responded_at is None:
        sharing.responded_at = now
        sharing.response_working_days = working_days_between(sharing.shared_at, now)


def set_status(session: Session, *, report: Report, status: str, now: datetime) -> None:
    """Give the report `status`, starting or clearing the close clock of every agency it is shared with."""
    if status == "closed" and report.closed_at is None:
        report.closed_at = now
        for sharing in _sharings(session, report):
            sharing.close_working_days = working_days_between(sharing.shared_at, now)
    elif status != "closed" and report.closed_at is not None:
        report.closed_at = None
        for sharing in _sharings(session, report):
            sharing.close_working_days = None
    report.status = status
    report.updated_at = now


def _sharings(session: Session, report: Report) -> list[ReportAgency]:
    return list(session.execute(select(ReportAgency).where(ReportAgency.report_id == report.id)).scalars())
