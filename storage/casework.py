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
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.models import Agency, Report, ReportAgency, ReportLink, ReportMedia, ReportUpdate, StaffUser, Ward

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


# --- what the report page reads (web/staff_report.py) -------------------------------------------------

@dataclass(frozen=True)
class Sharing:
    """One agency the report is shared with, how it came (ReportAgency.via) and, for a referral or share,
    which agency passed it on."""

    agency: Agency
    share: ReportAgency
    passed_on_by: Optional[Agency]


@dataclass(frozen=True)
class HistoryEntry:
    """One ReportUpdate with the names the page shows beside it."""

    update: ReportUpdate
    staff_email: Optional[str]
    agency: Optional[Agency]
    to_agency: Optional[Agency]
    merged_into_reference: Optional[str]
    # The report's status before this update (None for the first), for "old → new".
    previous_status: Optional[str]


@dataclass(frozen=True)
class RelatedReport:
    """A report merged into this one (only those the agency may see), or the one this was merged into
    (`reference` None when the agency may not see that one: this report's own fate, never its name)."""

    reference: Optional[str]


def report_sharing(session: Session, *, report_id: int) -> list[Sharing]:
    """Every agency the report is shared with, the resident's choices first, then in the order it was passed on."""
    rows = session.execute(
        select(ReportAgency, Agency).join(Agency, Agency.id == ReportAgency.agency_id)
        .where(ReportAgency.report_id == report_id)
        .order_by(ReportAgency.shared_at, Agency.slug)
    ).all()
    passers = dict(session.execute(
        select(ReportUpdate.to_agency_id, Agency)
        .join(Agency, Agency.id == ReportUpdate.agency_id)
        .where(ReportUpdate.report_id == report_id, ReportUpdate.action.in_(("referral", "share")),
               ReportUpdate.to_agency_id.is_not(None))
        .order_by(ReportUpdate.created_at, ReportUpdate.id)
    ).all())
    sharing = [Sharing(agency=agency, share=share,
                       passed_on_by=None if share.via == "resident" else passers.get(agency.id))
               for share, agency in rows]
    return sorted(sharing, key=lambda item: item.share.via != "resident")


def report_history(session: Session, *, report_id: int, scope: StaffScope) -> list[HistoryEntry]:
    """The report's updates, oldest first, with who made each (account email, agency) and what it points at;
    the report it was merged into is named only if `scope`'s agency may see that one too."""
    by_agency, to_agency, merged = aliased(Agency), aliased(Agency), aliased(Report)
    merged_visible = (
        select(ReportAgency.report_id)
        .where(ReportAgency.report_id == merged.id, ReportAgency.agency_id == scope.agency_id)
        .exists()
    )
    rows = session.execute(
        select(ReportUpdate, StaffUser.email, by_agency, to_agency, merged.reference, merged_visible)
        .outerjoin(StaffUser, StaffUser.id == ReportUpdate.staff_user_id)
        .outerjoin(by_agency, by_agency.id == ReportUpdate.agency_id)
        .outerjoin(to_agency, to_agency.id == ReportUpdate.to_agency_id)
        .outerjoin(merged, merged.id == ReportUpdate.merged_into_id)
        .where(ReportUpdate.report_id == report_id)
        .order_by(ReportUpdate.created_at, ReportUpdate.id)
    ).all()
    history = []
    previous = None
    for update, email, agency, target, merged_reference, may_see_merged in rows:
        history.append(HistoryEntry(update=update, staff_email=email, agency=agency, to_agency=target,
                                    merged_into_reference=merged_reference if may_see_merged else None,
                                    previous_status=previous))
        previous = update.status
    return history


def merged_into_this(session: Session, *, report_id: int, scope: StaffScope) -> list[RelatedReport]:
    """The duplicates merged into this report that `scope`'s agency may see, oldest first. One it may not
    see is left out altogether, not counted: even a line for it would tell an agency that a resident made
    a report they did not give it (say, to the police alone)."""
    visible = (
        select(ReportAgency.report_id)
        .where(ReportAgency.report_id == Report.id, ReportAgency.agency_id == scope.agency_id)
        .exists()
    )
    rows = session.execute(
        select(Report.reference)
        .where(Report.duplicate_of_id == report_id, visible)
        .order_by(Report.created_at, Report.id)
    ).scalars()
    return [RelatedReport(reference=reference) for reference in rows]


def merged_into(session: Session, *, report: Report, scope: StaffScope) -> Optional[RelatedReport]:
    """The report this one was merged into, if any; named only if `scope`'s agency may see it."""
    if report.duplicate_of_id is None:
        return None
    target = session.get(Report, report.duplicate_of_id)
    if target is None:
        return None
    may_see = session.execute(
        select(ReportAgency.report_id)
        .where(ReportAgency.report_id == target.id, ReportAgency.agency_id == scope.agency_id)
    ).first() is not None
    return RelatedReport(reference=target.reference if may_see else None)


def report_media(session: Session, *, report_id: int) -> list[ReportMedia]:
    """The photos, voice notes and other files sent with the report, in the order they came."""
    return list(session.execute(
        select(ReportMedia).where(ReportMedia.report_id == report_id).order_by(ReportMedia.id)
    ).scalars())


def media_of_report(session: Session, *, report_id: int, media_id: str) -> Optional[ReportMedia]:
    """The report's own media row with this id, or None: a file is served only through its report."""
    return session.execute(
        select(ReportMedia).where(ReportMedia.report_id == report_id, ReportMedia.media_id == media_id)
    ).scalar_one_or_none()


def sealed_reporter_name(session: Session, *, report_id: int) -> Optional[str]:
    """The named resident's sealed name (storage/crypto.Sealer opens it); read only after
    `may_see_named_details` said yes."""
    return session.execute(
        select(ReportLink.reporter_name_sealed).where(ReportLink.report_id == report_id)
    ).scalar_one_or_none()


def ward_name(session: Session, *, ward_id: Optional[int]) -> Optional[str]:
    if ward_id is None:
        return None
    ward = session.get(Ward, ward_id)
    return ward.name if ward else None
