"""How an event row from storage becomes the EventInfo the flows (and the notices) show a resident, and the
address of its calendar file."""
from __future__ import annotations

from typing import Optional

from flows.types import EventInfo, RsvpInfo
from storage.events import EventForResident
from storage.models import Event, Rsvp, Space


def calendar_url(public_base_url: str, event_id: int) -> str:
    """Where the event's .ics file is served (web/events.py)."""
    return f"{public_base_url}/events/{event_id}.ics"


def to_event_info(
    event: Event, *, ward_name: Optional[str], space: Optional[Space] = None, my_rsvp: Optional[Rsvp] = None,
    places_left: Optional[int] = None, waiting_position: Optional[int] = None, ward_slug: Optional[str] = None,
) -> EventInfo:
    """The event as a resident may see it; `my_rsvp` is this resident's answer, if they gave one.

    Flows may not import storage, so the JSON columns are copied into plain dicts and tuples here."""
    return EventInfo(
        event_id=event.id,
        title=event.title,
        starts_at=event.starts_at,
        place=event.place,
        ward_name=ward_name,
        cancelled=event.cancelled_at is not None,
        kind=event.kind,
        description=event.description,
        titles=dict(event.titles or {}),
        descriptions=dict(event.descriptions or {}),
        machine_translated=tuple(event.machine_translated or ()),
        space_name=space.name if space else None,
        space_address=space.address if space else None,
        offers=dict(event.offers or {}),
        decision_makers=tuple(event.decision_makers or ()),
        capacity=event.capacity,
        places_left=places_left,
        ends_at=event.ends_at,
        ward_slug=ward_slug,
        my_rsvp=to_rsvp_info(my_rsvp, waiting_position=waiting_position) if my_rsvp else None,
    )


def event_info_for_resident(found: EventForResident) -> EventInfo:
    """to_event_info for what storage.events gives a resident: their answer, place on the list, places left."""
    return to_event_info(found.event, ward_name=found.ward_name, ward_slug=found.ward_slug, space=found.space,
                         my_rsvp=found.rsvp, places_left=found.places_left, waiting_position=found.waiting_position)


def to_rsvp_info(rsvp: Rsvp, *, waiting_position: Optional[int] = None) -> RsvpInfo:
    return RsvpInfo(
        status=rsvp.status,
        needs=tuple(rsvp.needs or ()),
        interpreter_language=rsvp.interpreter_language,
        waiting_position=waiting_position if rsvp.status == "waiting" else None,
    )
