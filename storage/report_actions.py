"""What staff do to a report, written as ReportUpdates: a status change with its reason, a public reply,
an internal note, a referral or share to another agency, a merge of duplicates.

Every function checks everything before it writes anything, and raises an `ActionRefused` (with a stable
`code` the pages translate) for input it will not take, so a refused action leaves the session untouched.
Who may act is decided before these are called (storage/casework.py: the report as the acting agency
sees it, and `StaffScope.may_act`); the caller commits, together with the resident's notice in the outbox.

Each action holds the report's row until that commit and reads it afresh, so two officers acting at once
take turns; given the `expected_update_id` their form was shown (`latest_update_id`), an action on a report
that has changed since (another officer, or the same form sent twice) is refused ("report_changed").

A report the resident reopened ("was this sorted?" answered no: Report.reopened_at) counts as picked up
once staff of any agency it is shared with change its status or answer the resident (a reply, a referral,
a merge); that clears reopened_at, so it leaves every inbox's "Reopened by the resident" list. An internal
note or a share does not: the resident has still heard nothing.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import func, select, text, update
from sqlmodel import Session

from storage.casework import SharedReport, StaffScope, may_share_with, shared_report
from storage.models import Agency, Contact, Report, ReportAgency, ReportLink, ReportUpdate
from storage.report_clock import record_response, set_status
from storage.reports import STATUSES

# Long enough for a few plain sentences; short enough that the whole notice fits one WhatsApp template
# variable (1,000 characters) with the status line and the "status TH-…" hint around it.
MAX_PUBLIC_MESSAGE = 800
MAX_STAFF_TEXT = 4000  # reasons and internal notes: staff pages only
SHARE_ROUTES = ("referral", "share")
# Merges also take this PostgreSQL advisory lock (held to commit): two officers merging A into B and B into
# A at once would otherwise each find the other not yet merged and leave a cycle. Any fixed number no other
# advisory lock in the schema uses. SQLite needs none: BEGIN IMMEDIATE already serialises transactions.
MERGE_LOCK_KEY = 0x5AFE0006


class ActionRefused(ValueError):
    """Input an action will not take; nothing was written. `code` names the problem for the page."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def change_status(
    session: Session, *, shared: SharedReport, status: str, reason: Optional[str], staff_user_id: int,
    agency_id: int, now: datetime, public_message: Optional[str] = None, message_language: Optional[str] = None,
    standard_reply: Optional[str] = None, original_message: Optional[str] = None, machine_translated: bool = False,
    internal_note: Optional[str] = None, expected_update_id: Optional[int] = None,
) -> ReportUpdate:
    """One update to the report: a new status (with the reason why), a public reply, an internal note, or
    several at once. A standard reply is stored by its key with its English text as `public_message`
    (the caller gives both); a free reply as sent, with the officer's own words in `original_message`
    when a machine translated them. The acting agency's clock stops at its first status change or reply."""
    report = shared.report
    reason, public_message, internal_note = _clean(reason), _clean(public_message), _clean(internal_note)
    _hold(session, shared, expected_update_id)
    _refuse_if_merged(report)
    if status not in STATUSES:
        raise ActionRefused("unknown_status", f"unknown status {status!r}")
    changes_status = status != report.status
    # Why it changed: the reason field, or else the officer's internal note or their reply to the resident,
    # which say why as well. So a form with only design.md's fields (status, message, internal_note)
    # still works, and a status never changes with no word of explanation.
    if changes_status and not (reason or internal_note or public_message):
        raise ActionRefused("reason_needed", "a status change needs a reason, a note or a reply")
    if standard_reply and not public_message:
        raise ActionRefused("standard_reply_text_needed", "a standard reply is stored with its English text")
    if not (changes_status or public_message or internal_note):
        raise ActionRefused("empty_update", "nothing to change: no new status, reply or note")
    if public_message and len(public_message) > MAX_PUBLIC_MESSAGE:
        raise ActionRefused("message_too_long", f"a public reply is at most {MAX_PUBLIC_MESSAGE} characters")
    if any(text and len(text) > MAX_STAFF_TEXT for text in (reason, internal_note)):
        raise ActionRefused("note_too_long", f"reasons and notes are at most {MAX_STAFF_TEXT} characters")

    action = "status" if changes_status else ("reply" if public_message else "note")
    entry = ReportUpdate(
        report_id=report.id, status=status, action=action, created_at=now, staff_user_id=staff_user_id,
        agency_id=agency_id, reason=reason, internal_note=internal_note,
        public_message=public_message, message_language=(message_language or "en") if public_message else None,
        standard_reply=standard_reply if public_message else None,
        original_message=_clean(original_message) if machine_translated and public_message else None,
        machine_translated=bool(machine_translated and public_message),
    )
    session.add(entry)
    if changes_status or public_message:
        _responded(shared, now)
    set_status(session, report=report, status=status, now=now)
    session.flush()
    return entry


def add_internal_note(session: Session, *, shared: SharedReport, note: str, staff_user_id: int, agency_id: int,
                      now: datetime, expected_update_id: Optional[int] = None) -> ReportUpdate:
    """A note for staff only: never sent, never on the status check, and no response to the resident."""
    if not _clean(note):
        raise ActionRefused("empty_update", "an internal note needs some words")
    # Held first, so the status it keeps is the one the report has now, not the one the page read: a note
    # must never undo a colleague's status change made meanwhile.
    _hold(session, shared, expected_update_id)
    return change_status(session, shared=shared, status=shared.report.status, reason=None, internal_note=note,
                         staff_user_id=staff_user_id, agency_id=agency_id, now=now)


def share_report(
    session: Session, *, shared: SharedReport, to_agency_slug: str, route: str, reason: Optional[str],
    staff_user_id: int, agency_id: int, now: datetime, public_message: Optional[str] = None,
    standard_reply: Optional[str] = None, expected_update_id: Optional[int] = None,
) -> ReportUpdate:
    """Pass the report to another agency, keeping it here too (both see the whole history). A referral
    hands the work over and sets the status "referred" (the resident is told, with the standard reply the
    caller chose); a share only lets the other agency see it. Never the police (storage/casework.py)."""
    report = shared.report
    reason = _clean(reason)
    _hold(session, shared, expected_update_id)
    _refuse_if_merged(report)
    if route not in SHARE_ROUTES:
        raise ActionRefused("unknown_route", f"unknown route {route!r}")
    if not reason:
        raise ActionRefused("reason_needed", "a referral or share needs a reason")
    if len(reason) > MAX_STAFF_TEXT:
        raise ActionRefused("note_too_long", f"reasons are at most {MAX_STAFF_TEXT} characters")
    agency = agency_by_slug(session, slug=to_agency_slug)
    if agency is None:
        raise ActionRefused("unknown_agency", f"no agency {to_agency_slug!r}")
    if agency.kind == "police":
        # Only the resident may choose the police; if they did, the police have it already.
        raise ActionRefused("police_refused", "a report goes to the police only when the resident chooses them")
    if not may_share_with(session, report_id=report.id, agency=agency):
        if agency.active:
            raise ActionRefused("already_shared", f"the report is already shared with {to_agency_slug!r}")
        raise ActionRefused("agency_inactive", f"agency {to_agency_slug!r} is not active")

    referral = route == "referral"
    session.add(ReportAgency(report_id=report.id, agency_id=agency.id, shared_at=now, via=route))
    entry = ReportUpdate(
        report_id=report.id, status="referred" if referral else report.status, action=route, created_at=now,
        staff_user_id=staff_user_id, agency_id=agency_id, reason=reason, to_agency_id=agency.id,
        public_message=public_message if referral else None,
        message_language="en" if referral and public_message else None,
        standard_reply=standard_reply if referral and public_message else None,
    )
    session.add(entry)
    if referral:
        _responded(shared, now)
        set_status(session, report=report, status="referred", now=now)
    session.flush()
    return entry


def merge_report(
    session: Session, *, duplicate: SharedReport, into_reference: str, staff_user_id: int, agency_id: int,
    now: datetime, public_message: Optional[str] = None, standard_reply: Optional[str] = None,
    expected_update_id: Optional[int] = None,
) -> ReportUpdate:
    """Close `duplicate` as a duplicate of the report `into_reference` names (or the one that one was
    itself merged into: duplicates always point at a report that is not one, so there are no chains).
    Both must be visible to the acting agency. The duplicate keeps its history and its reference."""
    report = duplicate.report
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MERGE_LOCK_KEY})
    _hold(session, duplicate, expected_update_id)
    _refuse_if_merged(report)
    scope = StaffScope(agency_id=agency_id, role="officer")  # visibility depends on the agency alone
    target = shared_report(session, reference=(into_reference or "").strip().upper(), scope=scope)
    if target is None:
        raise ActionRefused("merge_target_not_found", "no report with that reference is shared with your agency")
    root = target.report
    seen = {root.id}
    while root.duplicate_of_id is not None:
        root = session.get(Report, root.duplicate_of_id)
        if root.id in seen:  # never written by this module; a hand-edited loop must not hang a request
            raise ActionRefused("merge_target_not_found", "that report's merge history is broken")
        seen.add(root.id)
    if root.id == report.id:
        raise ActionRefused("merge_same_report", "a report cannot be merged into itself")
    if shared_report(session, reference=root.reference, scope=scope) is None:
        raise ActionRefused("merge_target_not_found", "that report was merged into one your agency cannot see")

    # Reports earlier merged into this one follow it to the root, so every duplicate points at a root.
    session.execute(update(Report).where(Report.duplicate_of_id == report.id).values(duplicate_of_id=root.id))
    entry = ReportUpdate(
        report_id=report.id, status="closed", action="merge", created_at=now, staff_user_id=staff_user_id,
        agency_id=agency_id, merged_into_id=root.id, public_message=public_message,
        message_language="en" if public_message else None, standard_reply=standard_reply if public_message else None,
    )
    session.add(entry)
    _responded(duplicate, now)
    set_status(session, report=report, status="closed", now=now)
    report.duplicate_of_id = root.id
    session.flush()
    return entry


def report_contact(session: Session, *, report_id: int) -> Optional[Contact]:
    """The contact a private or named report's updates go to (its sealed link), or None: anonymous reports
    have no link, and a resident who asked to be forgotten has none any more."""
    return session.execute(
        select(Contact).join(ReportLink, ReportLink.contact_id == Contact.id).where(ReportLink.report_id == report_id)
    ).scalar_one_or_none()


def hold_report_contact(session: Session, *, report_id: int) -> Optional[Contact]:
    """`report_contact`, locked FOR NO KEY UPDATE as a conversation turn locks it, so a notice written into
    their conversation state (bot/report_notify.py) and their own turn take turns. Staff actions take it
    before the report's own lock, in the order a turn takes them (contact, then report)."""
    return session.execute(
        select(Contact).join(ReportLink, ReportLink.contact_id == Contact.id).where(ReportLink.report_id == report_id)
        .with_for_update(of=Contact, key_share=True)
    ).scalar_one_or_none()


def agency_by_slug(session: Session, *, slug: str) -> Optional[Agency]:
    return session.execute(select(Agency).where(Agency.slug == slug)).scalar_one_or_none()


def agencies_to_share_with(session: Session, *, report_id: int) -> list[Agency]:
    """The agencies staff may refer or share this report with (never the police; none it already has)."""
    candidates = session.execute(
        select(Agency).where(Agency.active.is_(True), Agency.kind != "police").order_by(Agency.slug)
    ).scalars().all()
    already = set(session.execute(select(ReportAgency.agency_id).where(ReportAgency.report_id == report_id)).scalars())
    return [agency for agency in candidates if agency.id not in already]


def latest_update_id(session: Session, *, report_id: int) -> int:
    """The id of the report's newest update: the version a staff form carries as `expected_update_id`."""
    return session.execute(
        select(func.max(ReportUpdate.id)).where(ReportUpdate.report_id == report_id)
    ).scalar_one() or 0


def _hold(session: Session, shared: SharedReport, expected_update_id: Optional[int]) -> None:
    """Lock the report's row to commit and read it and the agency's sharing afresh (the page read them
    before anyone waited); refuse if the report has had an update since the form was shown."""
    # FOR NO KEY UPDATE: officers take turns, while rows that merely refer to the report are not held up.
    session.execute(select(Report).where(Report.id == shared.report.id).with_for_update(key_share=True)
                    .execution_options(populate_existing=True))
    session.execute(select(ReportAgency).where(ReportAgency.report_id == shared.sharing.report_id,
                                               ReportAgency.agency_id == shared.sharing.agency_id)
                    .execution_options(populate_existing=True))
    if expected_update_id is not None and latest_update_id(session, report_id=shared.report.id) != expected_update_id:
        raise ActionRefused("report_changed", "the report has changed since the form was shown")


def _responded(shared: SharedReport, now: datetime) -> None:
    """Staff changed the report's status or answered the resident (a reply, a referral, a merge): the
    acting agency's clock stops, and a report the resident reopened is picked up, so it leaves the inbox's
    "Reopened by the resident" list in every agency's inbox. An internal note or a share does neither: the
    resident has been told nothing, so the report still waits for someone to take it on."""
    record_response(shared.sharing, now)
    shared.report.reopened_at = None


def _refuse_if_merged(report: Report) -> None:
    if report.duplicate_of_id is not None:
        raise ActionRefused("report_merged", "this report was merged into another; act on that one")


def _clean(text: Optional[str]) -> Optional[str]:
    text = (text or "").strip()
    return text or None
