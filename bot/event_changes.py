"""What an organiser's change to an event sets off, the same from the command line and the staff pages: the
change (storage/events.py) and, in the caller's transaction, the notices owed to residents who answered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Optional

from sqlmodel import Session

from bot.channels.base import Channel
from bot.event_info import calendar_url
from bot.notify import tell_of_places
from bot.reminders import tell_residents
from storage import events as event_store
from storage.models import Event


@dataclass(frozen=True)
class EventChange:
    """The event after the change, how many residents were queued a notice, whether anything changed, and
    anyone an edit moved from the waiting list to a place."""

    event: Event
    told: int
    changed: bool = True
    promoted: tuple[event_store.PlaceOffered, ...] = ()


def cancel_and_tell(session: Session, channels: Mapping[str, Channel], *, event_id: int, now: datetime) -> EventChange:
    """Cancel the event and queue one "cancelled" notice for everyone who said yes or is waiting. Cancelling
    an event already cancelled tells nobody: the notice went with the first cancellation, whenever it was
    (a double click, or two organisers at once: the row lock makes the second see the first)."""
    # Locked before looking, as cancel_event locks it, so the look and the change are one step.
    event = session.get(Event, event_id, with_for_update=True)
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    if event.cancelled_at is not None:
        return EventChange(event=event, told=0, changed=False)
    event = event_store.cancel_event(session, event_id=event_id, now=now)
    return EventChange(event=event, told=tell_residents(session, channels, event_id=event_id, now=now))


def move_and_tell(
    session: Session, channels: Mapping[str, Channel], *, event_id: int, starts_at: datetime, now: datetime,
    place: Optional[str] = None,
) -> EventChange:
    """Give the event a new time (and place) and queue one "moved" notice for everyone who said yes or is
    waiting; reminders follow the new time. A move to where and when it already is raises ValueError
    (storage.events.move_event), so sending the same move twice tells nobody twice."""
    event = event_store.move_event(session, event_id=event_id, starts_at=starts_at, place=place, now=now)
    return EventChange(event=event, told=tell_residents(session, channels, event_id=event_id, now=now))


def edit_and_tell(
    session: Session, channels: Mapping[str, Channel], *, event_id: int, now: datetime, public_base_url: str,
    **changes,
) -> EventChange:
    """Change what the event is and offers (storage.events.update_event takes `changes`); anyone a larger
    capacity gave a place is queued the same "a place has opened" notice as when a place is given back in
    the chat."""
    edited = event_store.update_event(session, event_id=event_id, now=now, **changes)
    told = 0
    if edited.promoted:
        told = tell_of_places(session, channels, event_id=event_id, promoted=edited.promoted,
                              calendar_url=calendar_url(public_base_url, event_id), now=now)
    return EventChange(event=edited.event, told=told, promoted=edited.promoted)
