"""Reminders before an event, queued exactly once, and what happens to RSVPs once an event is over.

A reminder moment (one event, one offset, the event's start time) is taken by inserting its ReminderRun;
the reminders go into the outbox in the same transaction. A second worker, or this one after a crash
or restart, hits the unique constraint and queues nothing. A moved event has a new `starts_at`, so its
new moments are new runs. Reminders are inserted set-based (INSERT … SELECT, one statement per channel,
language and payload), so planning an event with 100,000 RSVPs holds no more than one of them in memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import Integer, String, and_, delete, func, insert, literal, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import Contact, Event, OutboxMessage, ReminderRun, Rsvp
from storage.organiser import count_rsvps
from storage.types import UTCDateTime

REMINDER = "reminder"
DEFAULT_LANGUAGE = "en"


def events_not_yet_reminded(session: Session, *, offset_minutes: int, start: datetime,
                            end: datetime) -> list[tuple[int, datetime]]:
    """(id, starts_at) of the events not cancelled that start in [start, end) and whose reminder at this
    offset before their start is not taken yet: the ones it may be due for. A cheap look, one query per
    offset: most ticks find every due moment already done. `take_reminder_moment` decides."""
    taken = select(ReminderRun.id).where(
        ReminderRun.event_id == Event.id, ReminderRun.offset_minutes == offset_minutes,
        ReminderRun.starts_at == Event.starts_at,
    )
    query = (
        select(Event.id, Event.starts_at)
        .where(Event.starts_at >= start, Event.starts_at < end, Event.cancelled_at.is_(None), ~taken.exists())
        .order_by(Event.starts_at, Event.id)
    )
    return [(event_id, starts_at) for event_id, starts_at in session.execute(query).all()]


def take_reminder_moment(session: Session, *, event_id: int, offset_minutes: int, starts_at: datetime,
                         now: datetime) -> Optional[ReminderRun]:
    """Mark this moment as done, or None if another worker (or an earlier pass) already took it.

    On PostgreSQL a second worker inserting the same moment waits for the first to commit, then gets
    the unique violation: it never queues the reminders a second time."""
    run = ReminderRun(event_id=event_id, offset_minutes=offset_minutes, starts_at=starts_at, ran_at=now)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run


def _with_a_place_by(event_id: int, moment: datetime):
    """RSVPs due a reminder at `moment`: coming, with a place they had by then (a place given after the
    moment would make it a reminder sent late)."""
    return and_(Rsvp.event_id == event_id, Rsvp.status == "attending", Rsvp.confirmed_at.is_not(None),
                Rsvp.confirmed_at <= moment)


def _language():
    # A literal, not a bound parameter: PostgreSQL must see the GROUP BY expression as the selected one.
    return func.coalesce(Contact.language, literal_column(f"'{DEFAULT_LANGUAGE}'"))


def reminder_audience(session: Session, *, event_id: int, moment: datetime) -> list[tuple[str, str, int]]:
    """(channel, language, how many) for the reachable residents due this reminder: the caller renders
    one text per group. Contacts marked unreachable (blocked us, sent STOP) are left out."""
    query = (
        select(Contact.channel, _language(), func.count())
        .select_from(Rsvp)
        .join(Contact, Contact.id == Rsvp.contact_id)
        .where(_with_a_place_by(event_id, moment), Contact.unreachable.is_(False))
        .group_by(Contact.channel, _language())
        .order_by(Contact.channel, _language())
    )
    return [(channel, language, count) for channel, language, count in session.execute(query).all()]


def count_due(session: Session, *, event_id: int, moment: datetime) -> int:
    """RSVPs that had a place by `moment`, reachable or not: skipped when the moment has passed."""
    return session.execute(
        select(func.count()).select_from(Rsvp).where(_with_a_place_by(event_id, moment))
    ).scalar_one()


def queue_reminders(
    session: Session, *, event_id: int, moment: datetime, channel: str, contact_language: str, language: str,
    payloads: list[dict], expires_at: datetime, now: datetime,
) -> None:
    """Queue `payloads` (already rendered for this channel and language) for every reachable resident in
    one (channel, contact language) group of `reminder_audience`, in one INSERT … SELECT per payload. How
    many residents that is, the caller has from the audience: counted by the same condition in the same
    transaction (the driver's rowcount for INSERT … SELECT is not reliable everywhere: psycopg reported -1).

    `contact_language` is the group's Contact.language ("en" when none was chosen); `language` the one
    the text is in (the same, unless the contact's is not shipped). Payloads go in order, so a resident
    gets the parts of a split message in order (the outbox sends each contact's oldest first)."""
    table = OutboxMessage.__table__
    for payload in payloads:
        rows = (
            select(
                Contact.id,
                literal(channel, String),
                literal(REMINDER, String),
                literal(language, String),
                literal(payload, table.c.payload.type),
                literal("pending", String),
                literal(0, Integer),
                literal(now, UTCDateTime),
                literal(event_id, Integer),
                literal(expires_at, UTCDateTime),
                literal(now, UTCDateTime),
            )
            .select_from(Rsvp)
            .join(Contact, Contact.id == Rsvp.contact_id)
            .where(_with_a_place_by(event_id, moment), Contact.unreachable.is_(False), Contact.channel == channel,
                   _language() == contact_language)
            .order_by(Contact.id)
        )
        session.execute(
            insert(table).from_select(
                ["contact_id", "channel", "kind", "language", "payload", "status", "attempts", "next_attempt_at",
                 "event_id", "expires_at", "created_at"],
                rows,
            )
        )


def finish_reminder_moment(session: Session, *, run: ReminderRun, queued: int, skipped: int) -> None:
    """Record what the moment did, for operators (`worker --once` prints the same counts)."""
    run.queued, run.skipped = queued, skipped
    session.flush()


def drop_unsent_event_messages(session: Session, *, event_id: int) -> int:
    """Delete the reminders and notices about an event that have not gone yet (a moved event's
    reminders name the old time; an earlier notice is out of date). Returns how many."""
    result = session.execute(
        delete(OutboxMessage).where(OutboxMessage.event_id == event_id,
                                    OutboxMessage.status.in_(("pending", "held")))
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Answered:
    """One resident who answered an event and is owed a notice if it changes."""

    contact_id: int
    channel: str
    language: str


def residents_to_tell(session: Session, *, event_id: int) -> list[Answered]:
    """Residents who said yes (with a place) or are on the waiting list, and can still be reached."""
    query = (
        select(Contact.id, Contact.channel, _language())
        .select_from(Rsvp)
        .join(Contact, Contact.id == Rsvp.contact_id)
        .where(Rsvp.event_id == event_id, Rsvp.status.in_(("attending", "waiting")), Contact.unreachable.is_(False))
        .order_by(Contact.id)
    )
    return [Answered(contact_id, channel, language) for contact_id, channel, language in session.execute(query).all()]


def summarise_and_delete_rsvps(session: Session, *, started_before: datetime) -> int:
    """RSVPs are personal data the organisers need only until the event: once it started longer ago than
    the retention period, keep their totals in Event.rsvp_summary (storage.organiser's shape: answers by
    status and the needs of those with a place, which `events show` prints) and delete them. Returns
    how many RSVPs were deleted."""
    event_ids = list(session.execute(
        select(Rsvp.event_id).join(Event, Event.id == Rsvp.event_id)
        .where(Event.starts_at < started_before).distinct()
    ).scalars())
    deleted = 0
    for event_id in event_ids:
        event = session.get(Event, event_id, with_for_update=True)
        counted = count_rsvps(session, event_id=event_id).as_summary()
        if event.rsvp_summary:  # never expected (a past event takes no answers), but never lose a total
            kept = event.rsvp_summary
            interpreters = dict(kept.get("interpreters", {}))
            for code, count in counted["interpreters"].items():
                interpreters[code] = interpreters.get(code, 0) + count
            counted = {**{name: kept.get(name, 0) + count for name, count in counted.items() if name != "interpreters"},
                       "interpreters": interpreters}
        event.rsvp_summary = counted
        deleted += session.execute(delete(Rsvp).where(Rsvp.event_id == event_id)).rowcount or 0
    session.flush()
    return deleted
