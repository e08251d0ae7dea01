"""Forgetting a resident ("forget me", the web chat's quick exit, a staff erasure): their contact and
everything tied to it goes; the reports they sent stay, as anonymous reports are kept.

What goes, each deleted explicitly (ON DELETE CASCADE is a second line, not the only one): the contact row
(hashed and sealed address, language), its conversation (state, draft, the name being typed), its outbox
messages, its RSVPs (a place at an event yet to come is first given back through storage/events.py's own
path, so the waiting list moves up and whoever gets the place can be told), its agenda backings, and every
ReportLink (the sealed link to a private report and a named reporter's sealed name). Agenda items they sent
stay for the organisers, with no sender (contact set to NULL).

Their reports become what an anonymous report is (storage/reports.py): privacy "anonymous", no link, and
no time the resident caused finer than the hour (the report's arrival, its "received" entry, the resident's
own sharing with agencies, and the closing and merge entry of a copy merged on arrival). Times staff caused
(their updates, referrals) stay as they are: they are not a clock reading of the resident. The reference
still answers `status`, since the report and its updates stay.

Nothing is logged here: the caller decides whether an audit entry is due (staff did it) and logs counts
only. One transaction, the caller's; a second call finds nothing and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlmodel import Session

from storage import events
from storage.models import (AgendaBacking, AgendaItem, Contact, Conversation, Event, OutboxMessage, Report,
                            ReportAgency, ReportLink, ReportMedia, ReportUpdate, Rsvp)
from storage.types import hour_of

# The outbox kind of the one message a forgotten resident still gets on a sending channel: the confirmation
# that they were forgotten. It goes to a fresh contact row holding only the address (bot/conversations.py),
# which is deleted once the message is sent or can no longer be (`drop_parted_contact`,
# `purge_parted_contacts`).
FORGOTTEN_CONFIRMATION = "forgotten"
# A confirmation not sent within this is dropped (expired), and its contact row with it.
CONFIRMATION_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class PlacesGivenBack:
    """An event where the forgotten resident had a place: who on the waiting list got it, to be told."""

    event_id: int
    promoted: tuple[events.PlaceOffered, ...]


@dataclass(frozen=True)
class ForgetResult:
    """What forgetting removed, as counts (nothing here identifies the resident forgotten)."""

    contacts: int = 0
    conversations: int = 0
    outbox_messages: int = 0
    rsvps: int = 0
    agenda_backings: int = 0
    agenda_items_unlinked: int = 0
    reports_made_anonymous: int = 0
    # Places at events yet to come given back, each with whoever the waiting list moved up (other
    # residents, to be told by the caller: bot/forgetting.py).
    places_given_back: tuple[PlacesGivenBack, ...] = ()
    # The media files of the reports made anonymous: the caller rounds their modification times to the hour,
    # as bot/conversations.py does for an anonymous report's files (storage does not know where files live).
    media_ids: tuple[str, ...] = field(default=())


def forget_contact(session: Session, *, contact_id: int, now: datetime) -> ForgetResult:
    """Delete the contact `contact_id` and everything tied to it; its reports stay, anonymous. Idempotent."""
    # FOR NO KEY UPDATE, as a turn holds it: a move, a cancellation or the reminder planner holds the event and
    # then queues this contact a notice (its foreign key takes FOR KEY SHARE on the contact), while we go on to
    # the event (_give_back_places). FOR UPDATE here would make them wait for each other in a circle; the
    # contact's own DELETE below takes the stronger lock, after the event (tests/storage/
    # test_forget_and_event_locks.py).
    contact = session.execute(select(Contact).where(Contact.id == contact_id)
                              .with_for_update(key_share=True)).scalar_one_or_none()
    if contact is None:
        return ForgetResult()
    places = _give_back_places(session, contact_id=contact_id, now=now)
    rsvps = _count(session.execute(delete(Rsvp).where(Rsvp.contact_id == contact_id)))
    report_ids = list(session.execute(select(ReportLink.report_id).where(ReportLink.contact_id == contact_id)).scalars())
    media_ids = _make_anonymous(session, report_ids=report_ids)
    session.execute(delete(ReportLink).where(ReportLink.contact_id == contact_id))
    backings = _count(session.execute(delete(AgendaBacking).where(AgendaBacking.contact_id == contact_id)))
    items = _count(session.execute(update(AgendaItem).where(AgendaItem.contact_id == contact_id)
                                   .values(contact_id=None)))
    messages = _count(session.execute(delete(OutboxMessage).where(OutboxMessage.contact_id == contact_id)))
    conversations = _count(session.execute(delete(Conversation).where(Conversation.contact_id == contact_id)))
    session.execute(delete(Contact).where(Contact.id == contact_id))
    # The bulk deletes above bypass the session's identity map: forget what it still holds of these rows.
    session.expunge(contact)
    session.flush()
    return ForgetResult(contacts=1, conversations=conversations, outbox_messages=messages, rsvps=rsvps,
                        agenda_backings=backings, agenda_items_unlinked=items,
                        reports_made_anonymous=len(report_ids), places_given_back=places, media_ids=media_ids)


def _give_back_places(session: Session, *, contact_id: int, now: datetime) -> tuple[PlacesGivenBack, ...]:
    """A place held at an event yet to come is given back as a "no" would give it (save_rsvp: the event's
    lock, then the earliest on the waiting list moves up), before the RSVP row itself is deleted."""
    held = session.execute(
        select(Rsvp.event_id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.contact_id == contact_id, Rsvp.status == "attending", Event.cancelled_at.is_(None),
               Event.starts_at > now)
        .order_by(Rsvp.event_id)  # one order for every caller, so two forgettings never wait on each other
    ).scalars()
    given_back = []
    for event_id in list(held):
        try:
            saved = events.save_rsvp(session, event_id=event_id, contact_id=contact_id, attending=False, needs=(),
                                     interpreter_language=None, now=now)
        except events.EventClosed:
            continue  # cancelled or started since the query: there is no place to give
        if saved.promoted:
            given_back.append(PlacesGivenBack(event_id=event_id, promoted=saved.promoted))
    return tuple(given_back)


def _make_anonymous(session: Session, *, report_ids: list[int]) -> tuple[str, ...]:
    """Turn the linked reports into anonymous ones: privacy, and the resident's own times to the hour."""
    media: list[str] = []
    for report_id in report_ids:
        report = session.execute(select(Report).where(Report.id == report_id).with_for_update()).scalar_one()
        arrived = report.created_at
        hour = hour_of(arrived)
        report.privacy = "anonymous"
        report.created_at = hour
        if report.updated_at == arrived:  # nobody has touched it since it arrived
            report.updated_at = hour
        if report.closed_at == arrived:  # a copy merged on arrival (storage/identical_reports.py)
            report.closed_at = hour
        # Its "received" entry, and the merge of a copy merged on arrival: both written the moment it arrived.
        session.execute(update(ReportUpdate)
                        .where(ReportUpdate.report_id == report_id, ReportUpdate.action.in_(("received", "merge")),
                               ReportUpdate.created_at == arrived)
                        .values(created_at=hour))
        session.execute(update(ReportAgency)
                        .where(ReportAgency.report_id == report_id, ReportAgency.via == "resident",
                               ReportAgency.shared_at == arrived)
                        .values(shared_at=hour))
        media.extend(session.execute(select(ReportMedia.media_id).where(ReportMedia.report_id == report_id)).scalars())
    session.flush()
    return tuple(media)


def drop_parted_contact(session: Session, *, contact_id: int) -> bool:
    """After the "you have been forgotten" confirmation was sent (or can no longer be): delete the contact row
    that held only its address, unless the resident has written again since (then it is a new contact with a
    conversation, and stays). Returns whether it was deleted."""
    contact = session.execute(select(Contact).where(Contact.id == contact_id).with_for_update()).scalar_one_or_none()
    if contact is None or session.execute(select(Conversation.id).where(Conversation.contact_id == contact_id)).first():
        return False
    session.execute(delete(OutboxMessage).where(OutboxMessage.contact_id == contact_id))
    session.execute(delete(Contact).where(Contact.id == contact_id))
    session.expunge(contact)
    session.flush()
    return True


def purge_parted_contacts(session: Session) -> int:
    """The worker's sweep for confirmations that failed, expired or found the contact unreachable: every
    contact whose only reason to exist was a confirmation no longer waiting to go is deleted."""
    finished = ~exists().where(OutboxMessage.contact_id == Contact.id,
                               OutboxMessage.status.in_(("pending", "sending", "held")))
    parted = exists().where(OutboxMessage.contact_id == Contact.id, OutboxMessage.kind == FORGOTTEN_CONFIRMATION)
    talking = exists().where(Conversation.contact_id == Contact.id)
    ids = list(session.execute(select(Contact.id).where(parted, finished, ~talking)).scalars())
    return sum(drop_parted_contact(session, contact_id=contact_id) for contact_id in ids)


def _count(result) -> int:
    return result.rowcount or 0
