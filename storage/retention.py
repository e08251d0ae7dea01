"""Deleting what we promised not to keep: docs/privacy.md's table says how long, bot/worker.py runs these.

Each purge is one batch in the caller's transaction: at most `limit` rows, returning how many it changed, so
the worker commits batch by batch and a kill part way loses only the batch it was in (rolled back, done again
on the next pass). Each is idempotent: what is gone is not found again, and a second run changes nothing.
Where a resident's message could change the answer at the same moment (they write again, a report reopens),
the rows are first locked the way a turn locks them and the conditions asked again in a fresh statement, so
on PostgreSQL (read committed: each statement sees what committed before it) a turn that committed while we
waited is seen, and one that comes after waits for us. SQLite runs one writer at a time anyway.
Nothing is logged here: the worker logs counts only.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import forgetting
from storage.models import (AgendaBacking, AgendaItem, AuditEntry, Contact, Conversation, EarlyDeliveryReport, Event,
                            InboundReceipt, OutboxMessage, Report, ReportLink, ReportMedia, ReportUpdate, Rsvp,
                            SortedCheck, WorkerHeartbeat)

# Rows per batch: small enough that a batch's transaction holds its locks for well under a second.
BATCH = 500
# What an idle conversation keeps: only the language they chose (every flow's draft, its step, overlays
# such as "are you still there?" and anything a flow adds later go, whatever its key)...
KEPT_CONVERSATION_KEYS = ("lang",)
# ...and a neutral notice still waiting for their "1" (flows/report_notices.py: `pending` is its PENDING, with
# its `notices`: kinds, references and update ids, nothing they wrote). It is how a staff update reaches them
# without showing on a lock screen, so it waits for their next message, which drops it, or for their contact
# to go. storage does not import flows, so the word is spelled out (tests/storage/test_retention.py checks it).
WAITING_NOTICE = "notice"
# Outbox rows that are finished: their text is already gone; the row still says a message went to a contact.
FINISHED_OUTBOX = ("sent", "failed", "expired")
# The web chat's messages wait for its page to collect them (bot/webchat.py); the page's session lives only as long
# as its tab, so one still waiting after OUTBOX_RETENTION_DAYS never will be collected and goes like a finished one.
WEBCHAT = "webchat"
# Outbox rows that still need the contact's address to be sent. A held WhatsApp message is not among them:
# it goes when the resident next writes, and that message brings their address back (storage/contacts.py).
SENDING_OUTBOX = ("pending", "sending")
# The name of the retention pass's row in WorkerHeartbeat: when a pass last began (bot/worker.py spaces them).
RETENTION_PASS = "retention"


# --- drafts --------------------------------------------------------------------------------------------

def purge_stale_drafts(session: Session, *, older_than: datetime, limit: int = BATCH) -> int:
    """Conversations idle since `older_than` keep only their language (KEPT_CONVERSATION_KEYS) and a neutral
    notice waiting for them (WAITING_NOTICE): the draft of any flow (report, events, agenda, feedback, sorted,
    spaces), the step, and every other overlay are dropped. Returns how many changed (at most `limit`)."""
    # Read without locks, then lock only the ones that hold more than the language. The states are small
    # and idle contacts with nothing linked are deleted after ADDRESS_RETENTION_DAYS, so this stays cheap.
    candidates = [conversation_id for conversation_id, state in session.execute(
        select(Conversation.id, Conversation.state).where(Conversation.updated_at < older_than)
        .order_by(Conversation.id)) if _holds_more_than_kept(state)][:limit]
    if not candidates:
        return 0
    stale = session.execute(
        select(Conversation).where(Conversation.id.in_(candidates), Conversation.updated_at < older_than)
        .order_by(Conversation.id).with_for_update()
    ).scalars()
    purged = 0
    for conversation in stale:
        if _holds_more_than_kept(conversation.state):
            conversation.state = _kept(conversation.state)
            purged += 1
    session.flush()
    return purged


def _kept(state: dict) -> dict:
    kept = {key: value for key, value in state.items() if key in KEPT_CONVERSATION_KEYS}
    if state.get("pending") == WAITING_NOTICE:
        kept.update(pending=WAITING_NOTICE, notices=state.get("notices", []))
    return kept


def _holds_more_than_kept(state: Optional[dict]) -> bool:
    return bool(state) and _kept(state) != state


# --- contacts: delivery addresses, and contacts nothing needs ------------------------------------------

def _idle_since(moment: datetime):
    """The contact has not written since `moment` (nor has its conversation moved: the web chat keeps no
    last-message time on the contact, and a worker's question counts as a reason to wait for an answer)."""
    return and_(func.coalesce(Contact.last_inbound_at, Contact.created_at) < moment,
                ~exists().where(Conversation.contact_id == Contact.id, Conversation.updated_at >= moment))


def _report_needs_them(closed_since: datetime):
    """A private or named report of theirs is open, or closed since `closed_since` (staff may still reply; they
    may be asked "was this sorted?")."""
    return exists().where(ReportLink.contact_id == Contact.id, Report.id == ReportLink.report_id,
                          or_(Report.closed_at.is_(None), Report.closed_at >= closed_since))


def _address_needed(*, closed_since: datetime):
    return or_(
        _report_needs_them(closed_since),
        # Any RSVP: reminders, notices of a moved meeting and "how was it?"; RSVPs themselves go
        # RSVP_RETENTION_DAYS after the meeting.
        exists().where(Rsvp.contact_id == Contact.id),
        exists().where(OutboxMessage.contact_id == Contact.id, OutboxMessage.status.in_(SENDING_OUTBOX)),
    )


def _anything_linked(*, now: datetime):
    """Anything that would be lost with the contact: a link to any report (open or closed: updates reach them
    through it), an RSVP, a message still to send, or their agenda item or backing for a meeting still to come
    (deleting the contact would take their backing off the count)."""
    upcoming = select(Event.id).where(Event.starts_at > now)
    return or_(
        exists().where(ReportLink.contact_id == Contact.id),
        exists().where(Rsvp.contact_id == Contact.id),
        exists().where(OutboxMessage.contact_id == Contact.id, OutboxMessage.status.in_(SENDING_OUTBOX)),
        exists().where(AgendaItem.contact_id == Contact.id, AgendaItem.event_id.in_(upcoming)),
        exists().where(AgendaBacking.contact_id == Contact.id, AgendaItem.id == AgendaBacking.item_id,
                       AgendaItem.event_id.in_(upcoming)),
    )


def clear_idle_addresses(session: Session, *, idle_since: datetime, closed_since: datetime,
                         limit: int = BATCH) -> int:
    """Clear the sealed address of contacts who have not written since `idle_since` and whom nothing needs to
    reach (`_address_needed`). The keyed hash and the language stay, so they are known when they write again,
    and that message seals their address anew. Returns how many addresses were cleared."""
    conditions = (Contact.address_sealed.is_not(None), _idle_since(idle_since),
                  ~_address_needed(closed_since=closed_since))
    ids = _locked_contacts(session, conditions, limit=limit)
    if not ids:
        return 0
    result = session.execute(
        update(Contact).where(Contact.id.in_(ids), *conditions).values(address_sealed=None)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def forget_idle_contacts(session: Session, *, idle_since: datetime, now: datetime, limit: int = BATCH) -> int:
    """Delete contacts who have not written since `idle_since` and have nothing linked to them
    (`_anything_linked`), as `forget me` would (storage/forgetting.py): hash, address, language, conversation.
    Someone who writes again afterwards is a new contact and chooses their language again. Returns how many."""
    conditions = (_idle_since(idle_since), ~_anything_linked(now=now))
    ids = _locked_contacts(session, conditions, limit=limit)
    if not ids:
        return 0
    still_idle = session.execute(select(Contact.id).where(Contact.id.in_(ids), *conditions)).scalars()
    return sum(forgetting.forget_contact(session, contact_id=contact_id, now=now).contacts
               for contact_id in list(still_idle))


def _locked_contacts(session: Session, conditions, *, limit: int) -> list[int]:
    """Up to `limit` contacts meeting `conditions`, locked as a resident's turn locks its contact (FOR NO KEY
    UPDATE, storage/contacts.py), so a message being answered now finishes first. The caller asks the
    conditions again in a new statement before changing anything."""
    candidates = list(session.execute(select(Contact.id).where(*conditions).order_by(Contact.id).limit(limit))
                      .scalars())
    if not candidates:
        return []
    return list(session.execute(select(Contact.id).where(Contact.id.in_(candidates)).order_by(Contact.id)
                                .with_for_update(key_share=True)).scalars())


# --- the outbox, receipts and delivery reports ------------------------------------------------------------

def _finished():
    """Sent, failed or expired; or a web chat message still waiting for a page (WEBCHAT), which the age limit
    then treats as given up."""
    return or_(OutboxMessage.status.in_(FINISHED_OUTBOX),
               and_(OutboxMessage.channel == WEBCHAT, OutboxMessage.status == "pending"))


def purge_finished_outbox(session: Session, *, older_than: datetime, limit: int = BATCH) -> int:
    """Delete sent, failed and expired messages finished before `older_than` (their text went when they were
    sent; the row still says a message went to a contact at a time), and web chat messages queued before it
    that no page has collected (their text, a staff reply's words among them, goes with them). A delivery
    report arriving later is kept as an early one and dropped a day after (purge_early_delivery_reports)."""
    finished_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    batch = (select(OutboxMessage.id).where(_finished(), finished_at < older_than)
             .order_by(OutboxMessage.id).limit(limit))
    ids = list(session.execute(batch).scalars())
    if not ids:
        return 0
    # Asked again: a page that collected one meanwhile made it "sent", and its row then keeps its own time.
    result = session.execute(delete(OutboxMessage)
                             .where(OutboxMessage.id.in_(ids), _finished(), finished_at < older_than)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def purge_inbound_receipts(session: Session, *, older_than: datetime) -> int:
    """Providers redeliver within hours, so a week of receipts is plenty to refuse duplicates."""
    result = session.execute(delete(InboundReceipt).where(InboundReceipt.received_hour < older_than))
    return result.rowcount or 0


def purge_early_delivery_reports(session: Session, *, older_than: datetime) -> int:
    """A report whose message never got recorded as sent within a day never will be."""
    result = session.execute(delete(EarlyDeliveryReport).where(EarlyDeliveryReport.received_at < older_than))
    return result.rowcount or 0


# --- media ---------------------------------------------------------------------------------------------

def referenced_media_ids(session: Session) -> set[str]:
    """Media files something still needs: an unfinished draft's, or a report's.

    Drafts are read first: a file moves only from a draft to a report (the turn that sends it), so a turn
    committing between the two reads is seen in one or the other; the other way round it could be in
    neither, and its file be deleted with the orphans (tests/storage/test_media_sweep_race.py)."""
    kept: set[str] = set()
    for state in session.execute(select(Conversation.state)).scalars():
        kept.update(item[0] for item in (state or {}).get("draft", {}).get("media", []))
    kept.update(session.execute(select(ReportMedia.media_id)).scalars())
    return kept


def purge_closed_report_media(session: Session, *, closed_before: datetime, limit: int = BATCH) -> list[str]:
    """Forget the photos and voice notes of reports closed before `closed_before` (still closed: a reopened
    report keeps them). Returns the media ids whose files the caller deletes after committing: should it
    stop in between, the files are no report's any more and the orphan sweep deletes them."""
    closed = and_(Report.id == ReportMedia.report_id, Report.closed_at < closed_before)
    report_ids = list(session.execute(
        select(ReportMedia.report_id).where(exists().where(closed)).distinct().order_by(ReportMedia.report_id)
        .limit(limit)).scalars())
    if not report_ids:
        return []
    # Locked as reopening a report locks it, then asked again: a report reopened meanwhile keeps its media.
    session.execute(select(Report.id).where(Report.id.in_(report_ids)).order_by(Report.id)
                    .with_for_update(key_share=True)).all()
    rows = session.execute(select(ReportMedia.id, ReportMedia.media_id)
                           .where(ReportMedia.report_id.in_(report_ids), exists().where(closed))).all()
    if rows:
        session.execute(delete(ReportMedia).where(ReportMedia.id.in_([row_id for row_id, _ in rows]))
                        .execution_options(synchronize_session=False))
    return [media_id for _, media_id in rows]


# --- reports' words ------------------------------------------------------------------------------------

def _holds_words():
    """A report still holding something a person wrote (or a place that could point at them)."""
    return or_(
        Report.description != "", Report.location_text.is_not(None), Report.latitude.is_not(None),
        Report.longitude.is_not(None), Report.when_text.is_not(None), Report.translation.is_not(None),
        Report.content_fingerprint.is_not(None),
        exists().where(ReportLink.report_id == Report.id),
        exists().where(ReportUpdate.report_id == Report.id, _update_words()),
        exists().where(SortedCheck.report_id == Report.id, SortedCheck.comment.is_not(None)),
    )


def _update_words():
    return or_(ReportUpdate.public_message.is_not(None), ReportUpdate.original_message.is_not(None),
               ReportUpdate.internal_note.is_not(None), ReportUpdate.reason.is_not(None))


def delete_closed_report_words(session: Session, *, closed_before: datetime, limit: int = BATCH) -> int:
    """Reports closed before `closed_before` (and still closed) lose every word a person wrote about them and
    every way back to their sender: the resident's description, place, coordinates, "when" in their words, its
    machine translation and the keyed fingerprint of its words (storage/identical_reports.py); staff's
    replies, notes and reasons; "was this sorted?" comments; the sealed link and a named reporter's name.
    What is counted stays: category, ward, times, status, agencies, the response clock, a standard reply's
    key, and the public summary staff wrote to be published. Returns how many."""
    conditions = (Report.closed_at < closed_before, _holds_words())
    candidates = list(session.execute(select(Report.id).where(*conditions).order_by(Report.id).limit(limit))
                      .scalars())
    if not candidates:
        return 0
    session.execute(select(Report.id).where(Report.id.in_(candidates)).order_by(Report.id)
                    .with_for_update(key_share=True)).all()
    ids = list(session.execute(select(Report.id).where(Report.id.in_(candidates), *conditions)).scalars())
    if not ids:
        return 0
    session.execute(update(Report).where(Report.id.in_(ids))
                    .values(description="", location_text=None, latitude=None, longitude=None, when_text=None,
                            translation=None, translation_engine=None, content_fingerprint=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(ReportUpdate).where(ReportUpdate.report_id.in_(ids), _update_words())
                    .values(public_message=None, original_message=None, internal_note=None, reason=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(SortedCheck).where(SortedCheck.report_id.in_(ids), SortedCheck.comment.is_not(None))
                    .values(comment=None, comment_language=None).execution_options(synchronize_session=False))
    session.execute(delete(ReportLink).where(ReportLink.report_id.in_(ids))
                    .execution_options(synchronize_session=False))
    return len(ids)


# --- the staff audit log -------------------------------------------------------------------------------

def purge_audit_entries(session: Session, *, older_than: datetime, limit: int = BATCH) -> int:
    """Delete audit entries recorded before `older_than`."""
    ids = list(session.execute(select(AuditEntry.id).where(AuditEntry.at < older_than).order_by(AuditEntry.id)
                               .limit(limit)).scalars())
    if not ids:
        return 0
    result = session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids))
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


# --- when the worker runs a pass -------------------------------------------------------------------------

def take_retention_pass(session: Session, *, now: datetime, every: timedelta) -> bool:
    """Take the retention pass if none began in the last `every`, so that of several workers one runs it and
    the others go on delivering. The caller commits at once (the claim is its own transaction)."""
    taken = session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.name == RETENTION_PASS, WorkerHeartbeat.beat_at <= now - every)
        .values(beat_at=now).execution_options(synchronize_session=False)).rowcount
    if taken:
        return True
    if session.get(WorkerHeartbeat, RETENTION_PASS) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(WorkerHeartbeat(name=RETENTION_PASS, beat_at=now))
        return True
    except IntegrityError:  # another worker took the first pass this moment
        return False


def release_retention_pass(session: Session, *, every: timedelta, now: datetime) -> None:
    """A pass that ran out of time: let the next tick (of any worker) carry on with it."""
    session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == RETENTION_PASS)
                    .values(beat_at=now - every).execution_options(synchronize_session=False))
