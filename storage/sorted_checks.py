""""Was this sorted?" (rec 13): asking a resident about a closing of their report, and their answer.

One SortedCheck row per closing (report, Report.closed_at), made when the worker asks a private or named
resident, or when anyone holding the reference answers through the status check. Its unique constraint is
what makes asking exactly-once across workers and restarts.

The answer rule: one answer per closing, kept the moment it is given (`record_answer`), so a "no" from a
resident who then goes quiet still reopens the report. A later, different answer about the same closing
(the resident checks the status again on another device, or answers the worker's question after the
status check) replaces the earlier one on the row, and every answer is kept in the report's history as a
"sorted" ReportUpdate, so staff see each; the same answer again (a double tap, a second device) writes
nothing. An answer of "no" about the report's current closing reopens it ("reopen" ReportUpdate, status
in_progress through storage/report_clock.set_status, which clears the close clocks): it shows as open in
every inbox it is shared with. The resident's optional comment comes a message later (`add_comment`) and
is added to that answer: the row's `comment` and the same "sorted" entry's `internal_note`, never a second
entry. Anyone holding an anonymous report's reference can answer, so changes are capped: after the first
answer about a closing, at most MAX_ANSWER_CHANGES different ones are kept; later ones are taken politely
(the resident is thanked as ever) but change nothing, so flipping yes and partly cannot fill the history.
The one exception is a "no" that reopens the report: it always counts (the resident is told at once that
it was reopened, and it can happen only once per closing, since the report is then open). A "sorted" ReportUpdate keeps the answer key in `reason` and the comment in `internal_note` (with
its language in `message_language`): both staff-only fields, never sent, never on the status check, never
published.

Times a resident's answer leaves are to the hour (SortedCheck.answered_at, and the updates it writes): no
finer time links an anonymous resident's answer to their conversation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.counting import counted_reports, dialect_of
from storage.models import SORTED_ANSWERS, Contact, Report, ReportLink, ReportUpdate, SortedCheck
from storage.report_clock import set_status

# Asked at most this long after becoming due (closed_at + SORTED_AFTER). A closing older than that is never
# asked late: two weeks on, the question would arrive out of the blue. The status check still takes an
# answer about it from anyone holding the reference.
ASK_WITHIN = timedelta(days=14)
MAX_COMMENT_LENGTH = 1000
# How an answer came: the worker's question to a private or named resident, or the status check.
ANSWER_ROUTES = ("question", "status_check")
# The status a "no" reopens the report to: someone is looking into it again.
REOPENED_STATUS = "in_progress"
# After the first answer about a closing, how many different answers are still kept (see the docstring).
MAX_ANSWER_CHANGES = 3


class AnswerRefused(ValueError):
    """An answer storage will not take; nothing was written. `code` names the problem."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SortedDue:
    report_id: int
    contact_id: int
    closed_at: datetime


@dataclass(frozen=True)
class SortedTarget:
    """A resident to ask about one closing, locked for this transaction, with the row that marks it asked."""

    contact: Contact
    report: Report
    check: SortedCheck
    # Past this the question is not worth sending (held on WhatsApp, say): the end of the asking window.
    expires_at: datetime


def _askable(dialect: str, now: datetime, after: timedelta):
    """Closed, due (`after` since closing) but not longer ago than ASK_WITHIN on top, and counted: not merged,
    not spam (storage/counting.py)."""
    return and_(Report.status == "closed", Report.closed_at.is_not(None), Report.closed_at <= now - after,
                Report.closed_at > now - after - ASK_WITHIN, *counted_reports(dialect))


def _not_yet_asked():
    return ~exists().where(SortedCheck.report_id == Report.id, SortedCheck.closed_at == Report.closed_at)


def sorted_due(session: Session, *, now: datetime, after: timedelta, channels: Sequence[str],
               limit: int) -> list[SortedDue]:
    """Private and named reports (a sealed link to the sender) closed at least `after` ago and at most
    `after` + ASK_WITHIN ago, not merged into another and not spam, whose closing has no SortedCheck yet,
    and whose sender is on one of `channels` (the ones a message can go to here): the `limit` closed
    longest ago. Older closings are never asked late. Unreachable contacts are included so the worker marks
    them (there is nobody to ask). No locks: `claim_question` takes them one by one."""
    query = (
        select(Report.id, ReportLink.contact_id, Report.closed_at)
        .join(ReportLink, ReportLink.report_id == Report.id)
        .join(Contact, Contact.id == ReportLink.contact_id)
        .where(_askable(dialect_of(session), now, after), _not_yet_asked(), Contact.channel.in_(list(channels)))
        .order_by(Report.closed_at, Report.id)
        .limit(limit)
    )
    return [SortedDue(report_id, contact_id, closed_at) for report_id, contact_id, closed_at in session.execute(query)]


def claim_question(session: Session, *, report_id: int, contact_id: int, closed_at: datetime, now: datetime,
                   after: timedelta, asked: bool = True) -> Optional[SortedTarget]:
    """Lock the resident, check the closing is still due, and make its SortedCheck (asked_at now, or None
    with `asked=False` for a contact nobody can reach: marked, so never looked at again). None if it is not
    due any more: another worker asked (its row exists), staff reopened it, it was merged or marked spam.

    The contact is locked first, as a conversation turn locks it, so the worker and the resident's own
    message take turns; the row is inserted in a savepoint, so a row another process made meanwhile (the
    status check answering for this closing) ends only the savepoint, never the caller's transaction."""
    # FOR NO KEY UPDATE, as a turn locks it: FOR UPDATE would block every outbox insert for this contact.
    contact = session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update(key_share=True)
    ).scalar_one_or_none()
    if contact is None:
        return None
    report = session.execute(
        select(Report)
        .join(ReportLink, ReportLink.report_id == Report.id)
        .where(Report.id == report_id, ReportLink.contact_id == contact_id, Report.closed_at == closed_at,
               _askable(dialect_of(session), now, after), _not_yet_asked())
        .with_for_update(of=Report, key_share=True)
    ).scalar_one_or_none()
    if report is None:
        return None
    check = SortedCheck(report_id=report.id, closed_at=closed_at, asked_at=now if asked else None)
    try:
        with session.begin_nested():
            session.add(check)
    except IntegrityError:
        return None
    return SortedTarget(contact=contact, report=report, check=check, expires_at=closed_at + after + ASK_WITHIN)


def release_question(session: Session, *, target: SortedTarget) -> None:
    """Undo a claim in the same transaction (the resident is busy, or nothing could be queued): a later tick
    asks, within the window."""
    session.delete(target.check)
    session.flush()


@dataclass(frozen=True)
class RecordedAnswer:
    check: SortedCheck
    reopened: bool
    # Why the answer changed nothing, or None when it was kept: "same_answer" (already the answer) or
    # "too_many_changes" (MAX_ANSWER_CHANGES reached). Either way the resident is thanked as usual.
    ignored: Optional[str] = None


def answer_of(session: Session, *, report_id: int, closed_at: Optional[datetime]) -> Optional[str]:
    """The answer given about this closing, if any (what the status check needs to know)."""
    if closed_at is None:
        return None
    return session.execute(
        select(SortedCheck.answer).where(SortedCheck.report_id == report_id, SortedCheck.closed_at == closed_at)
    ).scalar_one_or_none()


def record_answer(session: Session, *, reference: str, answer: str, now: datetime, via: str,
                  closed_at: Optional[datetime] = None, report_id: Optional[int] = None) -> RecordedAnswer:
    """Keep a resident's answer about a closing of the report (`reference`, or `report_id`): the closing
    `closed_at` they were asked about, or the report's current one. See the module docstring for the rule
    (one answer per closing, the latest different one wins, every answer in the history, the same answer
    again writes nothing; "no" reopens the current closing). Refuses (AnswerRefused, nothing written) an
    unknown answer or route, an unknown report, or one that is not closed and names no closing. An answer
    past MAX_ANSWER_CHANGES is not refused: it changes nothing, and `ignored` says so."""
    if answer not in SORTED_ANSWERS:
        raise AnswerRefused("unknown_answer", f"an answer is one of {SORTED_ANSWERS}")
    if via not in ANSWER_ROUTES:
        raise AnswerRefused("unknown_route", f"an answer comes by one of {ANSWER_ROUTES}")
    report = _held_report(session, reference=reference, report_id=report_id)
    closing = closed_at or report.closed_at
    if closing is None:
        raise AnswerRefused("not_closed", "the report is not closed, so there is nothing to answer about")

    check = _check_for(session, report_id=report.id, closed_at=closing)
    if check.answer == answer:
        # A double tap, or the same answer from a second device: already kept (and a "no" already
        # reopened it), so no second history entry and no second reopening; any comment stays.
        return RecordedAnswer(check=check, reopened=False, ignored="same_answer")
    # Only the closing they were asked about: a newer closing (staff reopened and closed it again since)
    # is a newer decision, and is asked about itself. A merged or spam report is not reopened: staff act
    # on the report it joined, or judged it not genuine.
    reopen = (answer == "no" and report.status == "closed" and report.closed_at == closing
              and report.duplicate_of_id is None and report.spam_at is None)
    if check.answer is not None and not reopen and _answers_since(session, report_id=report.id,
                                                                  closed_at=closing) > MAX_ANSWER_CHANGES:
        return RecordedAnswer(check=check, reopened=False, ignored="too_many_changes")
    at = _answer_time(session, report_id=report.id, now=now)
    # A new answer has no comment yet: the earlier answer's comment stays in its own history entry.
    check.answer, check.comment, check.comment_language, check.answered_at, check.via = answer, None, None, at, via
    session.add(ReportUpdate(report_id=report.id, status=report.status, action="sorted", created_at=at,
                             reason=answer))
    if reopen:
        set_status(session, report=report, status=REOPENED_STATUS, now=at)
        # Flags it in the inbox until an officer picks it up (storage/report_actions.py clears it).
        report.reopened_at = at
        session.add(ReportUpdate(report_id=report.id, status=REOPENED_STATUS, action="reopen", created_at=at))
    session.flush()
    return RecordedAnswer(check=check, reopened=reopen)


def add_comment(session: Session, *, reference: str, closed_at: datetime, comment: str,
                language: str) -> SortedCheck:
    """Add the resident's comment to their answer about this closing: the row's `comment` and the answer's
    own "sorted" history entry (`internal_note`, its language in `message_language`), so staff read the
    answer and its words together. A comment sent again replaces the one before. Refuses (AnswerRefused,
    nothing written) an empty comment or one over MAX_COMMENT_LENGTH, an unknown report, and a closing
    with no answer (the comment belongs to an answer)."""
    comment = comment.strip()
    if not comment:
        raise AnswerRefused("empty_comment", "a comment has some words")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise AnswerRefused("comment_too_long", f"a comment is at most {MAX_COMMENT_LENGTH} characters")
    report = _held_report(session, reference=reference, report_id=None)
    check = session.execute(
        select(SortedCheck).where(SortedCheck.report_id == report.id, SortedCheck.closed_at == closed_at)
        .with_for_update()
    ).scalar_one_or_none()
    if check is None or check.answer is None:
        raise AnswerRefused("not_answered", "there is no answer about this closing to add a comment to")
    # The entry the row's answer wrote: record_answer gives both the same time, and it is never before any
    # earlier update, so the newest "sorted" entry with that time and answer is this one.
    entry = session.execute(
        select(ReportUpdate)
        .where(ReportUpdate.report_id == report.id, ReportUpdate.action == "sorted",
               ReportUpdate.created_at == check.answered_at, ReportUpdate.reason == check.answer)
        .order_by(ReportUpdate.id.desc()).limit(1).with_for_update()
    ).scalar_one()
    check.comment, check.comment_language = comment, language
    entry.internal_note, entry.message_language = comment, language
    session.flush()
    return check


def _held_report(session: Session, *, reference: str, report_id: Optional[int]) -> Report:
    """The report, held to commit as staff actions hold it: a resident's answer and an officer's change take
    turns."""
    where = Report.id == report_id if report_id is not None else Report.reference == reference
    report = session.execute(select(Report).where(where).with_for_update(key_share=True)
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    if report is None:
        raise AnswerRefused("unknown_report", "there is no such report")
    return report


def _answers_since(session: Session, *, report_id: int, closed_at: datetime) -> int:
    """The answers ("sorted" history entries) kept about the report since this closing. Every answer about
    it is dated at or after the closing (_answer_time); one about an older closing given since counts too,
    which only makes the cap stricter."""
    return session.execute(
        select(func.count()).select_from(ReportUpdate)
        .where(ReportUpdate.report_id == report_id, ReportUpdate.action == "sorted",
               ReportUpdate.created_at >= closed_at)
    ).scalar_one()


def _answer_time(session: Session, *, report_id: int, now: datetime) -> datetime:
    """The hour of `now`; never before the report's latest update, so the history keeps its order (an
    officer's closing at 10:40 and the answer at 10:50 read in that order, without a finer resident time)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    latest = session.execute(
        select(func.max(ReportUpdate.created_at)).where(ReportUpdate.report_id == report_id)
    ).scalar_one_or_none()
    return max(hour, latest) if latest is not None else hour


def _check_for(session: Session, *, report_id: int, closed_at: datetime) -> SortedCheck:
    """The closing's row, locked; made here when nobody asked (an anonymous resident, or the status check
    before the worker). A row another process made meanwhile is read instead."""
    query = (select(SortedCheck).where(SortedCheck.report_id == report_id, SortedCheck.closed_at == closed_at)
             .with_for_update())
    check = session.execute(query).scalar_one_or_none()
    if check is not None:
        return check
    check = SortedCheck(report_id=report_id, closed_at=closed_at)
    try:
        with session.begin_nested():
            session.add(check)
    except IntegrityError:
        check = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    return check
