"""Events: ward panels, forums and community events (the first part of the events capability)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Event, Rsvp, Ward
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


def save_rsvp(
    session: Session, *, event_id: int, contact_id: int, attending: bool, needs: tuple[str, ...],
    interpreter_language: Optional[str], now: datetime,
) -> Rsvp:
    """Record or change a resident's answer; the latest answer is the one that counts."""
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"unknown needs {sorted(unknown)!r}")
    rsvp = session.execute(
        select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.contact_id == contact_id).with_for_update()
    ).scalar_one_or_none()
    if rsvp is None:
        rsvp = Rsvp(event_id=event_id, contact_id=contact_id, created_at=now, updated_at=now)
        session.add(rsvp)
    rsvp.status = "attending" if attending else "declined"
    rsvp.confirmed_at = (rsvp.confirmed_at or now) if attending else None
    rsvp.needs = list(needs) if attending else []
    rsvp.interpreter_language = interpreter_language if attending and "interpreter" in needs else None
    rsvp.updated_at = now
    session.flush()
    return rsvp
