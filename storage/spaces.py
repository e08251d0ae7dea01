"""The community spaces directory (rec 1): halls, rooms and centres residents and groups can use.

Staff keep it current (`safer-homes spaces add|edit|remove`); residents ask the bot for the free and
low-cost ones near them. Names, addresses, hours and booking notes are as staff wrote them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import case, select
from sqlmodel import Session

from storage import places
from storage.events import MAX_PLACE_LENGTH
from storage.models import SPACE_COSTS, Event, Space, Ward
from storage.reports import UnknownChoice  # noqa: F401 - what an unknown ward raises; callers catch spaces.UnknownChoice

# What a space offers, as the boolean columns of Space name them: accessibility first, then facilities.
ACCESSIBILITY = ("step_free", "hearing_loop", "accessible_toilet")
FACILITIES = ("childcare_room", "kitchen", "prayer_space")
FEATURES = ACCESSIBILITY + FACILITIES

MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 300
MAX_BOOKING_LENGTH = 500
MAX_HOURS_LENGTH = 300


class SpaceInUse(ValueError):
    """A space an upcoming event is held in: move or cancel the event first."""


def add_space(
    session: Session, *, name: str, address: str, now: datetime, ward_slug: Optional[str] = None,
    cost: str = "free", booking: Optional[str] = None, opening_hours: Optional[str] = None,
    features: Iterable[str] = (),
) -> Space:
    """Add a space to the directory; refuses a missing name or address, an unknown ward, cost or feature."""
    space = Space(created_at=now, updated_at=now)
    _apply(session, space, name=name, address=address, ward_slug=ward_slug, cost=cost, booking=booking,
           opening_hours=opening_hours, features=features)
    session.add(space)
    session.flush()
    return space


def update_space(
    session: Session, *, space_id: int, now: datetime, name: Optional[str] = None, address: Optional[str] = None,
    ward_slug: Optional[str] = None, cost: Optional[str] = None, booking: Optional[str] = None,
    opening_hours: Optional[str] = None, features: Optional[Iterable[str]] = None,
) -> Space:
    """Change what staff give; None leaves a field as it is, "" clears the ward, booking or hours and
    an empty `features` clears them all. Everything is checked before anything changes."""
    space = session.get(Space, space_id)
    if space is None:
        raise LookupError(f"there is no space {space_id}")
    _apply(
        session, space,
        name=space.name if name is None else name,
        address=space.address if address is None else address,
        ward_slug=places.ward_slug(session, ward_id=space.ward_id) if ward_slug is None else ward_slug,
        cost=space.cost if cost is None else cost,
        booking=space.booking if booking is None else booking,
        opening_hours=space.opening_hours if opening_hours is None else opening_hours,
        features=[feature for feature in FEATURES if getattr(space, feature)] if features is None else features,
    )
    space.updated_at = now
    session.flush()
    return space


def remove_space(session: Session, *, space_id: int, now: datetime) -> None:
    """Take a space out of the directory.

    Refused while an upcoming event that is not cancelled is held there: residents who said they are
    coming would lose the venue without a word, so staff move or cancel the event first. Past and
    cancelled events keep the venue's name and address as their place, so their history stays readable.
    """
    space = session.get(Space, space_id)
    if space is None:
        raise LookupError(f"there is no space {space_id}")
    held_here = list(session.execute(select(Event).where(Event.space_id == space_id).with_for_update()).scalars())
    upcoming = sorted(event.id for event in held_here if event.starts_at > now and event.cancelled_at is None)
    if upcoming:
        raise SpaceInUse(f"space {space_id} is the venue of upcoming event(s) {', '.join(map(str, upcoming))}: "
                         "move or cancel them first")
    for event in held_here:
        event.place = event.place or f"{space.name}, {space.address}"[:MAX_PLACE_LENGTH]
        event.space_id = None
    session.flush()
    session.delete(space)
    session.flush()


def list_spaces(
    session: Session, *, ward_slug: Optional[str] = None, costs: Optional[Iterable[str]] = None,
) -> list[tuple[Space, Optional[str]]]:
    """Spaces with their ward's name, free first, then affordable, then paid, then by name.

    `ward_slug` keeps one ward's spaces (an unknown slug is refused, not answered with an empty list);
    `costs` keeps only those costs (residents are shown free and affordable ones).
    """
    query = select(Space, Ward.name).outerjoin(Ward, Ward.id == Space.ward_id)
    if ward_slug is not None:
        query = query.where(Space.ward_id == places.ward_id(session, slug=ward_slug))
    if costs is not None:
        costs = tuple(costs)
        _check_costs(costs)
        query = query.where(Space.cost.in_(costs))
    cheapest_first = case({cost: rank for rank, cost in enumerate(SPACE_COSTS)}, value=Space.cost, else_=len(SPACE_COSTS))
    query = query.order_by(cheapest_first, Space.name, Space.id)
    return [(space, ward_name) for space, ward_name in session.execute(query).all()]


def features_of(space: Space) -> tuple[str, ...]:
    """The features a space has, in FEATURES order."""
    return tuple(feature for feature in FEATURES if getattr(space, feature))


def _apply(
    session: Session, space: Space, *, name: str, address: str, ward_slug: Optional[str], cost: str,
    booking: Optional[str], opening_hours: Optional[str], features: Iterable[str],
) -> None:
    """Check every value, then set them all, so a refused change leaves the space as it was."""
    name = _text(name, "name", MAX_NAME_LENGTH, required=True)
    address = _text(address, "address", MAX_ADDRESS_LENGTH, required=True)
    booking = _text(booking, "booking", MAX_BOOKING_LENGTH)
    opening_hours = _text(opening_hours, "hours", MAX_HOURS_LENGTH)
    _check_costs((cost,))
    features = {feature.strip() for feature in features if feature.strip()}
    unknown = features - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {', '.join(sorted(unknown))}; known: {', '.join(FEATURES)}")
    ward_id = places.ward_id(session, slug=ward_slug) if ward_slug else None
    space.name, space.address, space.ward_id, space.cost = name, address, ward_id, cost
    space.booking, space.opening_hours = booking, opening_hours
    for feature in FEATURES:
        setattr(space, feature, feature in features)


def _text(value: Optional[str], label: str, limit: int, *, required: bool = False) -> Optional[str]:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValueError(f"the {label} must not be empty")
    if len(value) > limit:
        raise ValueError(f"the {label} must be at most {limit} characters")
    return value or None


def _check_costs(costs: tuple[str, ...]) -> None:
    unknown = set(costs) - set(SPACE_COSTS)
    if unknown:
        raise ValueError(f"unknown cost {', '.join(sorted(unknown))}; known: {', '.join(SPACE_COSTS)}")
