"""Who on the staff side may see and do what with a report: the one access rule every staff page uses.

A report is visible to an agency only when it is shared with it (a ReportAgency row): the resident's own
choice, or a referral or share by another agency's staff. The police see a report only when the resident
chose them, so nothing here or in the actions may share a report with a police agency afterwards
(`may_share_with`). A named resident's name is shown only to officers and admins of an agency the resident
chose themselves (`via == "resident"`), never to an agency it was passed on to. An admin account with no
agency sees no reports at all: it runs accounts and the audit log, and residents shared their report with
agencies, not with whoever runs the service.

Pages answer 404 for a report this rule hides (design.md, "Staff access"): its existence is not revealed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Agency, Report, ReportAgency

# Roles that act on reports (change status, reply, refer, merge); viewers and organisers only read.
ACTING_ROLES = ("admin", "officer")


@dataclass(frozen=True)
class StaffScope:
    """What a signed-in account brings to a report: its agency and role (web/staff.StaffIdentity has both)."""

    agency_id: Optional[int]
    role: str

    @property
    def may_act(self) -> bool:
        return self.role in ACTING_ROLES


@dataclass(frozen=True)
class SharedReport:
    """A report as one agency may see it, with how it reached that agency."""

    report: Report
    sharing: ReportAgency

    @property
    def chosen_by_resident(self) -> bool:
        return self.sharing.via == "resident"


def shared_report(session: Session, *, reference: str, scope: StaffScope) -> Optional[SharedReport]:
    """The report with this reference if `scope`'s agency may see it; None otherwise (the page says 404)."""
    if scope.agency_id is None:
        return None
    row = session.execute(
        select(Report, ReportAgency)
        .join(ReportAgency, ReportAgency.report_id == Report.id)
        .where(Report.reference == reference, ReportAgency.agency_id == scope.agency_id)
    ).first()
    if row is None:
        return None
    return SharedReport(report=row[0], sharing=row[1])


def may_see_named_details(shared: SharedReport, scope: StaffScope) -> bool:
    """Whether this account may read a named resident's name (and so whether its view is audited as such)."""
    return shared.report.privacy == "named" and shared.chosen_by_resident and scope.may_act


def may_share_with(session: Session, *, report_id: int, agency: Agency) -> bool:
    """Whether staff may refer or share the report with `agency`: not one it already has, not an inactive
    one, and never the police unless the resident chose them (then they already have it)."""
    if not agency.active or agency.kind == "police":
        return False
    already = session.execute(
        select(ReportAgency.agency_id).where(ReportAgency.report_id == report_id, ReportAgency.agency_id == agency.id)
    ).first()
    return already is None
