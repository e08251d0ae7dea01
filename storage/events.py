"""Events: ward panels, forums and community events (the first part of the events capability)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import Contact, Event, Rsvp, Space, Ward
from storage.reports import UnknownChoice

MAX_TITLE_LENGTH = 200


def create_event(
    session: Session, *, title: str, starts_at: datetime, now: datetime, ward_slug: Optional[str] = None,
    place: Optional[str] = None, capacity: Optional[int] = None,
) -> Event:
    """Add an event; refuses an empty title, an unknown ward, a capacity under one, or a time gone by."""
    title = title.strip()
    if not title or len(title) > MAX_TITLE_LENGTH:
        raise ValueError(f"the title must be 1 to {MAX_TITLE_LENGTH} characters")
    if capacity is not None and capacity < 1:
        raise ValueError("the capacity must be at least 1")
    if starts_at <= now:
        raise ValueError("the event must start in the future")
    ward_id = None
    if ward_slug:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == ward_slug)).scalar_one_or_none()
        if ward_id is None:
            raise UnknownChoice(f"unknown ward {ward_slug!r}")
    event = Event(title=title, ward_id=ward_id, place=(place or "").strip() or None, starts_at=starts_at,
                  capacity=capacity, created_at=now)
    session.add(event)
    session.flush()
    return event


def list_upcoming_events(session: Session, *, now: datetime, include_cancelled: bool = False) -> list[tuple[Event, Optional[str]]]:
    """Events that have not started yet, soonest first, each with its ward's name (or None)."""
    query = (
        select(Event, Ward.name)
        .outerjoin(Ward, Ward.id == Event.ward_id)
        .where(Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    if not include_cancelled:
        query = query.where(Event.cancelled_at.is_(None))
    return [(event, ward_name) for event, ward_name in session.execute(query).all()]


def cancel_event(session: Session, *, event_id: int, now: datetime) -> Event:
    """Mark an event cancelled (kept, so people who look for it learn it was cancelled)."""
    event = session.get(Event, event_id)
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    if event.cancelled_at is None:
        event.cancelled_at = now
    return event


def find_event(session: Session, *, event_id: int) -> Optional[tuple[Event, Optional[str]]]:
    """One event with its ward's name, or None."""
    row = session.execute(
        select(Event, Ward.name).outerjoin(Ward, Ward.id == Event.ward_id).where(Event.id == event_id)
    ).first()
    return (row[0], row[1]) if row else None


NEEDS = ("interpreter", "childcare", "step_free", "food")


@dataclass(frozen=True)
class PlaceOffered:
    """Someone moved from the waiting list to a place, who must be told (on their own channel)."""

    contact_id: int
    channel: str
    language: Optional[str]


@dataclass(frozen=True)
class RsvpSaved:
    """What an answer came to: the resident's RSVP as saved, and anyone it gave a freed place to."""

    rsvp: Rsvp
    promoted: tuple[PlaceOffered, ...] = ()


def save_rsvp(
    session: Session, *, event_id: int, contact_id: int, attending: bool, needs: tuple[str, ...],
    interpreter_language: Optional[str], now: datetime,
) -> RsvpSaved:
    """Record or change a resident's answer; the latest answer is the one that counts.

    With a capacity, a yes when every place is taken joins the waiting list; a yes from someone who
    already has a place (or is waiting) only changes their needs. A no from someone with a place frees
    it for the earliest on the waiting list, who is returned in `promoted` to be told. The event row is
    locked first (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE), so
    two people answering at once for the last place cannot both get it. Not coming keeps no needs."""
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"unknown needs {sorted(unknown)!r}")
    event = session.execute(select(Event).where(Event.id == event_id).with_for_update()).scalar_one_or_none()
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    rsvp = session.execute(
        select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.contact_id == contact_id)
    ).scalar_one_or_none()
    if rsvp is None:
        rsvp = Rsvp(event_id=event_id, contact_id=contact_id, status="declined", created_at=now, updated_at=now)
        session.add(rsvp)
    had_place = rsvp.status == "attending" and rsvp.id is not None
    if attending:
        if rsvp.status == "declined" or rsvp.id is None:
            if _has_a_free_place(session, event, but_not=rsvp.id):
                rsvp.status, rsvp.confirmed_at, rsvp.waiting_since = "attending", now, None
            else:
                rsvp.status, rsvp.confirmed_at, rsvp.waiting_since = "waiting", None, now
        rsvp.needs = list(dict.fromkeys(needs))
        rsvp.interpreter_language = interpreter_language if "interpreter" in needs else None
    else:
        rsvp.status, rsvp.confirmed_at, rsvp.waiting_since = "declined", None, None
        rsvp.needs, rsvp.interpreter_language = [], None
    rsvp.updated_at = now
    session.flush()
    promoted = _fill_free_places(session, event, now=now) if had_place and not attending else ()
    return RsvpSaved(rsvp=rsvp, promoted=promoted)


def _places_taken(session: Session, event_id: int, *, but_not: Optional[int] = None) -> int:
    query = select(func.count()).select_from(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == "attending")
    if but_not is not None:
        query = query.where(Rsvp.id != but_not)
    return session.execute(query).scalar_one()


def _has_a_free_place(session: Session, event: Event, *, but_not: Optional[int]) -> bool:
    if event.capacity is None:
        return True
    return _places_taken(session, event.id, but_not=but_not) < event.capacity


def _waiting_list(session: Session, event_id: int):
    """The waiting list in the order places are offered: who asked first."""
    return (
        select(Rsvp)
        .where(Rsvp.event_id == event_id, Rsvp.status == "waiting")
        .order_by(Rsvp.waiting_since, Rsvp.id)
    )


def _fill_free_places(session: Session, event: Event, *, now: datetime) -> tuple[PlaceOffered, ...]:
    """Give each free place to the earliest on the waiting list; the caller holds the event's lock."""
    if event.capacity is None:
        return ()
    free = event.capacity - _places_taken(session, event.id)
    if free <= 0:
        return ()
    promoted = []
    for rsvp in session.execute(_waiting_list(session, event.id).limit(free)).scalars():
        rsvp.status, rsvp.confirmed_at, rsvp.waiting_since, rsvp.updated_at = "attending", now, None, now
        contact = session.get(Contact, rsvp.contact_id)
        promoted.append(PlaceOffered(contact_id=contact.id, channel=contact.channel, language=contact.language))
    session.flush()
    return tuple(promoted)


@dataclass(frozen=True)
class EventForResident:
    """One event with what a resident's view of it needs: ward, venue, places left and their own answer."""

    event: Event
    ward_name: Optional[str]
    ward_slug: Optional[str]
    space: Optional[Space]
    places_left: Optional[int]  # None when there is no capacity
    rsvp: Optional[Rsvp] = None
    waiting_position: Optional[int] = None  # 1 for the first in line


def event_for_resident(session: Session, *, event_id: int, contact_id: Optional[int]) -> Optional[EventForResident]:
    """The event as `contact_id` may see it (past or cancelled included: the caller decides), or None."""
    row = session.execute(
        select(Event, Ward.name, Ward.slug, Space)
        .outerjoin(Ward, Ward.id == Event.ward_id)
        .outerjoin(Space, Space.id == Event.space_id)
        .where(Event.id == event_id)
    ).first()
    if row is None:
        return None
    event, ward_name, ward_slug, space = row
    rsvp = position = None
    if contact_id is not None:
        rsvp = session.execute(
            select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.contact_id == contact_id)
        ).scalar_one_or_none()
    if rsvp is not None and rsvp.status == "waiting":
        position = 1 + session.execute(
            select(func.count()).select_from(Rsvp).where(
                Rsvp.event_id == event_id, Rsvp.status == "waiting",
                (Rsvp.waiting_since < rsvp.waiting_since)
                | ((Rsvp.waiting_since == rsvp.waiting_since) & (Rsvp.id < rsvp.id)),
            )
        ).scalar_one()
    places_left = None if event.capacity is None else max(0, event.capacity - _places_taken(session, event_id))
    return EventForResident(event=event, ward_name=ward_name, ward_slug=ward_slug, space=space,
                            places_left=places_left, rsvp=rsvp, waiting_position=position)


def upcoming_events_for_residents(session: Session, *, now: datetime, limit: int = 50) -> list[EventForResident]:
    """Events not yet started and not cancelled, soonest first, with ward, venue and places left."""
    taken = (
        select(Rsvp.event_id, func.count().label("taken"))
        .where(Rsvp.status == "attending")
        .group_by(Rsvp.event_id)
        .subquery()
    )
    rows = session.execute(
        select(Event, Ward.name, Ward.slug, Space, taken.c.taken)
        .outerjoin(Ward, Ward.id == Event.ward_id)
        .outerjoin(Space, Space.id == Event.space_id)
        .outerjoin(taken, taken.c.event_id == Event.id)
        .where(Event.starts_at > now, Event.cancelled_at.is_(None))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    return [
        EventForResident(event=event, ward_name=ward_name, ward_slug=ward_slug, space=space,
                         places_left=None if event.capacity is None else max(0, event.capacity - (count or 0)))
        for event, ward_name, ward_slug, space, count in rows
    ]
