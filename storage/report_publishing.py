"""What staff decide about a report's place on the public pages: that it is not a genuine report (spam, left
out of every public figure, as duplicates are) or genuine after all, and the short summary of it that may be
published, which staff write or redact from the resident's words and approve (nothing else a resident wrote
is ever published).

Each is a ReportUpdate in the report's history, as every staff action is (storage/report_actions.py, whose
rules these follow: everything is checked before anything is written, a refusal is an `ActionRefused` with a
stable `code`, the report's row is held to commit and a form shown before someone else's change is refused
as "report_changed"; the caller commits). Only officers and admins decide these (casework.ACTING_ROLES): the
pages check first, and this module checks the account again, so no other caller can skip it.

The history tells the two kinds of each apart without a column of its own:
- "spam": marking and counting again alternate (each is refused unless the report is in the other state,
  under the row lock), so the first, third, ... "spam" entries mark it and the others count it again
  (`spam_marks`). Both carry the officer's reason.
- "publish": an approval keeps the approved words in `original_message` (what the officer wrote, as for a
  reply); a withdrawal has none. The words in force are always Report.public_summary.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.casework import ACTING_ROLES, SharedReport
from storage.models import ReportUpdate, StaffUser
# The same hold, refusal and clean-up as every other staff action, so the two can never disagree on when a
# form is stale.
from storage.report_actions import MAX_STAFF_TEXT, ActionRefused, _clean, _hold, _refuse_if_merged

# Short enough to read on a phone in a list of a ward's reports, and to check properly for anything that
# could identify someone before approving it.
MAX_PUBLIC_SUMMARY = 500


def mark_spam(session: Session, *, shared: SharedReport, staff_user_id: int, agency_id: int, reason: Optional[str],
              now: datetime, expected_update_id: Optional[int] = None) -> ReportUpdate:
    """Not a genuine report (a test, nonsense, abuse): left out of every public figure from now on, and any
    public summary it had is withdrawn with it. Its status, history and the resident's reference stay."""
    report = shared.report
    reason = _checked_reason(reason)
    _prepare(session, shared, staff_user_id=staff_user_id, agency_id=agency_id, expected_update_id=expected_update_id)
    if report.spam_at is not None:
        raise ActionRefused("already_spam", "the report is already marked as not genuine")
    report.spam_at = now
    _clear_summary(shared)
    return _record(session, shared, action="spam", staff_user_id=staff_user_id, agency_id=agency_id, now=now,
                   reason=reason)


def unmark_spam(session: Session, *, shared: SharedReport, staff_user_id: int, agency_id: int,
                reason: Optional[str], now: datetime, expected_update_id: Optional[int] = None) -> ReportUpdate:
    """Genuine after all: counted in the public figures again (a withdrawn summary is not restored)."""
    report = shared.report
    reason = _checked_reason(reason)
    _prepare(session, shared, staff_user_id=staff_user_id, agency_id=agency_id, expected_update_id=expected_update_id)
    if report.spam_at is None:
        raise ActionRefused("not_spam", "the report is counted already")
    report.spam_at = None
    return _record(session, shared, action="spam", staff_user_id=staff_user_id, agency_id=agency_id, now=now,
                   reason=reason)


def approve_public_summary(session: Session, *, shared: SharedReport, text: Optional[str], staff_user_id: int,
                           agency_id: int, now: datetime, expected_update_id: Optional[int] = None) -> ReportUpdate:
    """Publish `text` as what the public pages and Open311 may say about this report, in place of any
    earlier summary. The caller has run the care-language check on exactly these words."""
    report = shared.report
    text = _clean(text)
    if not text:
        raise ActionRefused("summary_needed", "a public summary needs some words")
    if len(text) > MAX_PUBLIC_SUMMARY:
        raise ActionRefused("summary_too_long", f"a public summary is at most {MAX_PUBLIC_SUMMARY} characters")
    _prepare(session, shared, staff_user_id=staff_user_id, agency_id=agency_id, expected_update_id=expected_update_id)
    if report.spam_at is not None:
        raise ActionRefused("summary_of_spam", "a report marked as not genuine is not published")
    report.public_summary = text
    report.public_summary_approved_at = now
    report.public_summary_staff_id = staff_user_id
    return _record(session, shared, action="publish", staff_user_id=staff_user_id, agency_id=agency_id, now=now,
                   original_message=text)


def withdraw_public_summary(session: Session, *, shared: SharedReport, staff_user_id: int, agency_id: int,
                            now: datetime, expected_update_id: Optional[int] = None) -> ReportUpdate:
    """Take the summary off the public pages: nothing about this report's words is published any more."""
    _prepare(session, shared, staff_user_id=staff_user_id, agency_id=agency_id, expected_update_id=expected_update_id)
    if shared.report.public_summary is None:
        raise ActionRefused("no_summary", "the report has no public summary to withdraw")
    _clear_summary(shared)
    return _record(session, shared, action="publish", staff_user_id=staff_user_id, agency_id=agency_id, now=now)


def spam_marks(session: Session, *, report_id: int) -> dict[int, bool]:
    """For each "spam" update of the report, by id: True where it marked the report not genuine, False where
    it counted it again (they alternate, starting with a mark: see the module docstring)."""
    ids = session.execute(
        select(ReportUpdate.id).where(ReportUpdate.report_id == report_id, ReportUpdate.action == "spam")
        .order_by(ReportUpdate.created_at, ReportUpdate.id)
    ).scalars()
    return {update_id: position % 2 == 0 for position, update_id in enumerate(ids)}


def _checked_reason(reason: Optional[str]) -> str:
    reason = _clean(reason)
    if not reason:
        raise ActionRefused("reason_needed", "say why: staff read it in the history")
    if len(reason) > MAX_STAFF_TEXT:
        raise ActionRefused("note_too_long", f"reasons are at most {MAX_STAFF_TEXT} characters")
    return reason


def _prepare(session: Session, shared: SharedReport, *, staff_user_id: int, agency_id: int,
             expected_update_id: Optional[int]) -> None:
    """The account may decide this for this report, and the report is held and as the form saw it."""
    account = session.get(StaffUser, staff_user_id)
    if account is None or not account.active or account.role not in ACTING_ROLES:
        raise ActionRefused("not_allowed", "only officers and admins decide what is published")
    if shared.sharing.agency_id != agency_id:
        raise ActionRefused("not_allowed", "the report reached this agency's page through another agency")
    _hold(session, shared, expected_update_id)
    # A merged duplicate is left out of the public figures already; staff act on the report it joined.
    _refuse_if_merged(shared.report)


def _clear_summary(shared: SharedReport) -> None:
    report = shared.report
    report.public_summary = None
    report.public_summary_approved_at = None
    report.public_summary_staff_id = None


def _record(session: Session, shared: SharedReport, *, action: str, staff_user_id: int, agency_id: int,
            now: datetime, reason: Optional[str] = None, original_message: Optional[str] = None) -> ReportUpdate:
    report = shared.report
    # The report's status is unchanged: nothing here is a response to the resident, so no clock stops.
    entry = ReportUpdate(report_id=report.id, status=report.status, action=action, created_at=now,
                         staff_user_id=staff_user_id, agency_id=agency_id, reason=reason,
                         original_message=original_message)
    session.add(entry)
    report.updated_at = now
    session.flush()
    return entry
