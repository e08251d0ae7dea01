"""Events: ward panels, forums and community events (the first part of the events capability)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import EVENT_KINDS, Contact, Event, Rsvp, Space, Ward
from storage.reports import UnknownChoice

MAX_TITLE_LENGTH = 200
# An event further ahead than this is a typo: a start in the year 9999 is a date, but two hours after it (the
# calendar file's end) is not, and the calendar file failed. Generous, so no real plan is refused.
MAX_AHEAD = timedelta(days=100 * 366)
MAX_LENGTH = timedelta(days=366)
MAX_DESCRIPTION_LENGTH = 4000
MAX_OFFER_TEXT_LENGTH = 200
# Languages an organiser may give a title or description in: design.md's list, shipped or not yet,
# so a translation can be stored before its catalogue arrives.
CONTENT_LANGUAGES = ("en", "bn", "so", "ur", "ar", "zh-Hans", "zh-Hant", "pl", "lt", "es", "pt", "it", "fr", "tr")
# Interpreters an event can offer, with the names organisers use. Written out rather than taken from
# CLDR, which calls Bengali "Bangla" and has no name for Sylheti (spoken, not written: `syl`).
INTERPRETER_LANGUAGE_NAMES = {
    "bn": "Bengali", "syl": "Sylheti", "so": "Somali", "ur": "Urdu", "ar": "Arabic", "tr": "Turkish",
    "pl": "Polish", "lt": "Lithuanian", "zh": "Chinese", "es": "Spanish", "pt": "Portuguese", "it": "Italian",
    "fr": "French", "bsl": "British Sign Language",
}
# Kept unless a caller names a new value: lets update_event tell "leave it" from "clear it" (None).
UNCHANGED = object()


class EventDetails(ValueError):
    """Input an organiser gave that cannot become an event (the message says what to change, in English
    for the command line). `code` names the refusals the staff pages can reach past their own form checks,
    so they say it in the page's language (web/staff_events.py); `count` goes with "places_given"."""

    def __init__(self, message: str, *, code: Optional[str] = None, count: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.count = count


def _language_texts(texts: Optional[dict], what: str, limit: int) -> dict:
    cleaned = {}
    for code, text in (texts or {}).items():
        if code not in CONTENT_LANGUAGES:
            raise EventDetails(f"unknown language {code!r} for the {what}; use one of {', '.join(CONTENT_LANGUAGES)}")
        text = (text or "").strip()
        if len(text) > limit:
            raise EventDetails(f"the {what} in {code} is over {limit} characters")
        cleaned[code] = text
    return cleaned


def _offers(offers: Optional[dict]) -> dict:
    """What is offered, checked: interpreter languages we know, yes/no offers, a short voucher text."""
    offers = dict(offers or {})
    unknown = set(offers) - {"interpreters", "food", "childcare", "step_free", "voucher", "travel_costs"}
    if unknown:
        raise EventDetails(f"unknown offers {sorted(unknown)!r}")
    cleaned: dict = {}
    interpreters = [code.strip() for code in offers.get("interpreters") or () if code.strip()]
    strange = [code for code in interpreters if code not in INTERPRETER_LANGUAGE_NAMES]
    if strange:
        raise EventDetails(f"unknown interpreter language {', '.join(strange)}; use codes from "
                           f"{', '.join(INTERPRETER_LANGUAGE_NAMES)} (syl is Sylheti)")
    if interpreters:
        cleaned["interpreters"] = list(dict.fromkeys(interpreters))
    for flag in ("food", "childcare", "step_free", "travel_costs"):
        if offers.get(flag):
            cleaned[flag] = True
    voucher = (offers.get("voucher") or "").strip()
    if len(voucher) > MAX_OFFER_TEXT_LENGTH:
        raise EventDetails(f"the voucher text is over {MAX_OFFER_TEXT_LENGTH} characters")
    if voucher:
        cleaned["voucher"] = voucher
    return cleaned


def _decision_makers(names) -> list:
    cleaned = [name.strip() for name in names or () if name and name.strip()]
    too_long = [name for name in cleaned if len(name) > MAX_OFFER_TEXT_LENGTH]
    if too_long:
        raise EventDetails(f"a decision-maker is over {MAX_OFFER_TEXT_LENGTH} characters: {too_long[0][:40]!r}…")
    return cleaned


def _check_event(session: Session, event: Event) -> None:
    """The rules every event keeps, whether new or edited; raises with a message the organiser can act on."""
    if not event.title or len(event.title) > MAX_TITLE_LENGTH:
        raise EventDetails(f"the title must be 1 to {MAX_TITLE_LENGTH} characters")
    if event.kind not in EVENT_KINDS:
        raise EventDetails(f"unknown kind {event.kind!r}; use one of {', '.join(EVENT_KINDS)}")
    if event.capacity is not None and event.capacity < 1:
        raise EventDetails("the capacity must be at least 1")
    if event.ends_at is not None and event.ends_at <= event.starts_at:
        raise EventDetails("the event must end after it starts")
    if event.ends_at is not None and event.ends_at - event.starts_at > MAX_LENGTH:
        # An end years away is a typo, and moving the event moves its end past what a date can hold.
        raise EventDetails("the event must end within a year of its start")
    if event.description is not None and len(event.description) > MAX_DESCRIPTION_LENGTH:
        raise EventDetails(f"the description is over {MAX_DESCRIPTION_LENGTH} characters")
    if event.space_id is not None and session.get(Space, event.space_id) is None:
        raise EventDetails(f"unknown space {event.space_id}: see the community spaces directory for ids")
    marked = set(event.machine_translated) - set(event.titles) - set(event.descriptions)
    if marked:
        raise EventDetails(f"machine-translated {', '.join(sorted(marked))}: there is no title or description "
                           "in that language to mark")


def _apply_translations(event: Event, *, titles: Optional[dict], descriptions: Optional[dict],
                        machine_translated) -> None:
    """Set titles/descriptions per language (an empty text removes one); a language given new text is
    machine-translated only if named in `machine_translated` again, because the mark describes the text."""
    titles = _language_texts(titles, "title", MAX_TITLE_LENGTH)
    descriptions = _language_texts(descriptions, "description", MAX_DESCRIPTION_LENGTH)
    machine = set(machine_translated or ())
    unknown = machine - set(CONTENT_LANGUAGES)
    if unknown:
        raise EventDetails(f"unknown language {', '.join(sorted(unknown))} for --machine-translated")
    new_titles, new_descriptions = dict(event.titles or {}), dict(event.descriptions or {})
    for target, given in ((new_titles, titles), (new_descriptions, descriptions)):
        for code, text in given.items():
            if text:
                target[code] = text
            else:
                target.pop(code, None)
    rewritten = set(titles) | set(descriptions)
    kept = {code for code in event.machine_translated or () if code not in rewritten}
    # Fresh dicts and lists: SQLAlchemy notices a JSON column changed only when it is a new object.
    event.titles, event.descriptions = new_titles, new_descriptions
    event.machine_translated = sorted(kept | machine)


def create_event(
    session: Session, *, title: str, starts_at: datetime, now: datetime, ward_slug: Optional[str] = None,
    place: Optional[str] = None, capacity: Optional[int] = None, kind: str = "community_forum",
    ends_at: Optional[datetime] = None, description: Optional[str] = None, titles: Optional[dict] = None,
    descriptions: Optional[dict] = None, machine_translated=(), space_id: Optional[int] = None,
    offers: Optional[dict] = None, decision_makers=(),
) -> Event:
    """Add an event; refuses an empty title, an unknown ward, kind, space or language, a capacity under one,
    an end before the start, or a time gone by, adding nothing (the message says what to change)."""
    if starts_at <= now:
        raise EventDetails("the event must start in the future")
    if starts_at > now + MAX_AHEAD:
        raise EventDetails("the event must start within a hundred years", code="too_far")
    ward_id = None
    if ward_slug:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == ward_slug)).scalar_one_or_none()
        if ward_id is None:
            raise UnknownChoice(f"unknown ward {ward_slug!r}")
    event = Event(title=title.strip(), kind=kind, ward_id=ward_id, place=(place or "").strip() or None,
                  space_id=space_id, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
                  description=(description or "").strip() or None, offers=_offers(offers),
                  decision_makers=_decision_makers(decision_makers), created_at=now, updated_at=now)
    _apply_translations(event, titles=titles, descriptions=descriptions, machine_translated=machine_translated)
    _check_event(session, event)
    session.add(event)
    session.flush()
    return event


def update_event(
    session: Session, *, event_id: int, now: datetime, title=UNCHANGED, kind=UNCHANGED, ends_at=UNCHANGED,
    description=UNCHANGED, titles: Optional[dict] = None, descriptions: Optional[dict] = None,
    machine_translated=(), capacity=UNCHANGED, offers: Optional[dict] = None, decision_makers=UNCHANGED,
) -> "EventEdited":
    """Change what an event is and offers. Not its time or place: residents must be told of those, so
    they go through move_event. `offers` holds only the offers to change; None or "" clears one.
    Refuses what create_event refuses, and a capacity below the places already given, changing nothing.
    A larger capacity gives the new places to the waiting list in order, and no limit (capacity=None)
    gives everyone waiting a place (returned, to be told)."""
    event = session.execute(select(Event).where(Event.id == event_id).with_for_update()).scalar_one_or_none()
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    if event.cancelled_at is not None:
        raise EventDetails(f"event {event_id} is cancelled", code="cancelled")
    # Checked on a copy first, so a refused edit leaves the loaded event (and the session) untouched.
    draft = Event(**{column: getattr(event, column) for column in Event.model_fields})
    if title is not UNCHANGED:
        draft.title = (title or "").strip()
    if kind is not UNCHANGED:
        draft.kind = kind
    if ends_at is not UNCHANGED:
        draft.ends_at = ends_at
    if description is not UNCHANGED:
        draft.description = (description or "").strip() or None
    if capacity is not UNCHANGED:
        draft.capacity = capacity
    if offers:
        merged = {**(event.offers or {}), **offers}
        draft.offers = _offers({name: value for name, value in merged.items() if value not in (None, "", False, [])})
    if decision_makers is not UNCHANGED:
        draft.decision_makers = _decision_makers(decision_makers)
    _apply_translations(draft, titles=titles, descriptions=descriptions, machine_translated=machine_translated)
    _check_event(session, draft)
    if draft.capacity != event.capacity and event.starts_at <= now:
        # Its places were settled when it began: a place given now would come too late to use, and the
        # resident would then be asked how an event they could not go to went.
        raise EventDetails(f"event {event_id} has started; its capacity can no longer change", code="started")
    if draft.capacity is not None and draft.capacity != event.capacity:
        given = count_attending(session, event_id=event_id)
        if draft.capacity < given:
            raise EventDetails(f"{given} people already have a place; the capacity cannot go below that",
                               code="places_given", count=given)
    for column in ("title", "kind", "ends_at", "description", "capacity", "offers", "decision_makers", "titles",
                   "descriptions", "machine_translated"):
        setattr(event, column, getattr(draft, column))
    event.updated_at = now
    session.flush()
    return EventEdited(event=event, promoted=_fill_free_places(session, event, now=now))


@dataclass(frozen=True)
class EventEdited:
    """An edited event, and anyone a larger capacity (or none) moved from the waiting list to a place."""

    event: Event
    promoted: tuple["PlaceOffered", ...] = ()


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


def list_past_events(session: Session, *, now: datetime, limit: int = 50) -> list[tuple[Event, Optional[str]]]:
    """Events that have started, cancelled ones too, most recent first, each with its ward's name (or None):
    organisers look back at answers and feedback."""
    query = (
        select(Event, Ward.name)
        .outerjoin(Ward, Ward.id == Event.ward_id)
        .where(Event.starts_at <= now)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return [(event, ward_name) for event, ward_name in session.execute(query).all()]


def cancel_event(session: Session, *, event_id: int, now: datetime) -> Event:
    """Mark an event cancelled (kept, so people who look for it learn it was cancelled).

    The event row is locked, as move_event locks it: a worker queuing its reminders holds the same lock
    (bot/reminders._queue_moment), so the caller's tell_residents drops every reminder that worker
    queued, or the worker sees the cancellation and queues none."""
    event = session.get(Event, event_id, with_for_update=True)
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    if event.cancelled_at is None:
        event.cancelled_at = now
        event.updated_at = now
    return event


MAX_PLACE_LENGTH = 300  # Event.place


def move_event(session: Session, *, event_id: int, starts_at: datetime, now: datetime,
               place: Optional[str] = None) -> Event:
    """Give an event a new start (and, if `place` is given, a new place); the end moves with the start.

    Refuses a cancelled or already started event, a time gone by, and a "move" that changes nothing,
    leaving the event as it was. The caller tells the residents (bot/reminders.tell_residents) in the
    same transaction; reminders follow the new time, because a reminder moment is keyed by the start."""
    event = session.get(Event, event_id, with_for_update=True)
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    if event.cancelled_at is not None:
        raise EventDetails(f"event {event_id} is cancelled; add a new event instead", code="cancelled")
    if event.starts_at <= now:
        raise EventDetails(f"event {event_id} has already started", code="started")
    if starts_at <= now:
        raise EventDetails("the new time must be in the future", code="time_gone_by")
    if starts_at > now + MAX_AHEAD:
        raise EventDetails("the new time must be within a hundred years", code="too_far")
    new_place = event.place if place is None else (place.strip() or None)
    if new_place is not None and len(new_place) > MAX_PLACE_LENGTH:
        raise ValueError(f"the place must be at most {MAX_PLACE_LENGTH} characters")
    # A new place given as text replaces a space from the directory too.
    new_space_id = event.space_id if place is None else None
    # Compared in UTC: Python finds no London time in the hour the clocks repeat or skip equal to any UTC
    # time (PEP 495), so the same move sent twice for 01:30 on the October change went through again.
    starts_at = starts_at.astimezone(timezone.utc)
    if starts_at == event.starts_at and (new_place, new_space_id) == (event.place, event.space_id):
        raise EventDetails(f"event {event_id} already starts then, at that place: nothing to change",
                           code="nothing_to_change")
    if event.ends_at is not None:
        event.ends_at = event.ends_at + (starts_at - event.starts_at)
    event.starts_at, event.place, event.space_id = starts_at, new_place, new_space_id
    event.moved_at = event.updated_at = now
    session.flush()
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


class EventClosed(ValueError):
    """The event was cancelled or has started: it takes no answers (the resident is told so)."""


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
    locked first (SELECT … FOR NO KEY UPDATE on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE), so
    two people answering at once for the last place cannot both get it. Not coming keeps no needs.

    A cancelled or started event takes no answer, yes or no (EventClosed, nothing changed): the check is
    made under the lock, so an answer racing a cancellation is refused, or counted before it and then
    told of it; and a place given back there is never offered to the waiting list."""
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"unknown needs {sorted(unknown)!r}")
    # FOR NO KEY UPDATE: it serialises answers to one event (and waits for a cancel or move, which take
    # FOR UPDATE), but not the reminder planner's FOR KEY SHARE. The planner holds the event and then
    # inserts outbox rows that key-share-lock contacts, while this turn holds its contact and then wants
    # the event; with a plain FOR UPDATE here those two could deadlock.
    event = session.execute(
        select(Event).where(Event.id == event_id).with_for_update(key_share=True)
    ).scalar_one_or_none()
    if event is None:
        raise LookupError(f"there is no event {event_id}")
    if event.cancelled_at is not None:
        raise EventClosed(f"event {event_id} is cancelled")
    if event.starts_at <= now:
        raise EventClosed(f"event {event_id} has already started")
    rsvp = session.execute(
        select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.contact_id == contact_id)
    ).scalar_one_or_none()
    if rsvp is None:
        rsvp = Rsvp(event_id=event_id, contact_id=contact_id, status="declined", created_at=now, updated_at=now)
        session.add(rsvp)
    had_place = rsvp.status == "attending" and rsvp.id is not None
    if attending:
        if rsvp.status == "declined" or rsvp.id is None:
            if _has_a_free_place(session, event):
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


def count_attending(session: Session, *, event_id: int) -> int:
    """How many have a place at the event: the one count that capacity, places left and the waiting list
    are all measured against."""
    return session.execute(
        select(func.count()).select_from(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == "attending")
    ).scalar_one()


def _has_a_free_place(session: Session, event: Event) -> bool:
    """Asked only for someone without a place (new, or who said no), so they are not in the count."""
    if event.capacity is None:
        return True
    return count_attending(session, event_id=event.id) < event.capacity


def _waiting_list(session: Session, event_id: int):
    """The waiting list in the order places are offered (who asked first), with where to tell each."""
    return (
        select(Rsvp, Contact.channel, Contact.language)
        .join(Contact, Contact.id == Rsvp.contact_id)
        .where(Rsvp.event_id == event_id, Rsvp.status == "waiting")
        .order_by(Rsvp.waiting_since, Rsvp.id)
    )


def _fill_free_places(session: Session, event: Event, *, now: datetime) -> tuple[PlaceOffered, ...]:
    """Give each free place to the earliest on the waiting list, or, with no limit any more, a place to
    everyone waiting; the caller holds the event's lock."""
    waiting = _waiting_list(session, event.id)
    if event.capacity is not None:
        free = event.capacity - count_attending(session, event_id=event.id)
        if free <= 0:
            return ()
        waiting = waiting.limit(free)
    promoted = []
    for rsvp, channel, language in session.execute(waiting):
        rsvp.status, rsvp.confirmed_at, rsvp.waiting_since, rsvp.updated_at = "attending", now, None, now
        promoted.append(PlaceOffered(contact_id=rsvp.contact_id, channel=channel, language=language))
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
    places_left = None if event.capacity is None else max(0, event.capacity - count_attending(session, event_id=event_id))
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
