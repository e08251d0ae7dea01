""""Have your say" (recommendation 12): agenda items residents send for a meeting, and who backs them.

An item belongs to an event, or (sent after a meeting, "what should the next one discuss?") to a ward only;
then it shows for that ward's next meeting: the first one that starts after it was sent.

Residents write in their own words, which may name people, addresses or allege things, so organisers read
every item (`review_items`) and other residents see one (`items_for_meeting`) and may back it only after an
organiser approved it (`approve_item`), in the organiser's wording when they gave one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import AgendaBacking, AgendaItem, Event, Ward
from storage.reports import UnknownChoice
from storage.seed import CATEGORIES

# The report categories' keys (flows/report.py): organisers see items grouped the way reports are.
TOPICS = CATEGORIES
MAX_TEXT_LENGTH = 2000


@dataclass(frozen=True)
class MeetingItem:
    """An item as other residents may see it: approved by an organiser, in the wording they approved."""

    item_id: int
    topic: str
    text: str  # the organiser's wording when they gave one, else the resident's
    language: str
    backers: int
    sender_contact_id: Optional[int]
    created_at: datetime


@dataclass(frozen=True)
class ReviewItem:
    """An item as organisers read it: the resident's own words, and whether other residents see it."""

    item_id: int
    topic: str
    text: str  # as the resident wrote it
    language: str
    # English from the configured translator (bot/agenda_translation.py), or None: TRANSLATOR=none or not yet.
    translation: Optional[str]
    backers: int
    created_at: datetime
    approved_at: Optional[datetime]
    hidden_at: Optional[datetime]
    shown_text: Optional[str]  # the organiser's wording shown to residents instead, if any

    @property
    def status(self) -> str:
        """ "approved" (residents see it), "hidden" (an organiser kept it from them) or "waiting"."""
        if self.approved_at is not None:
            return "approved"
        return "hidden" if self.hidden_at is not None else "waiting"


@dataclass(frozen=True)
class AgendaGroup:
    topic: str
    items: tuple[ReviewItem, ...]

    @property
    def backers(self) -> int:
        return sum(item.backers for item in self.items)

    @property
    def weight(self) -> int:
        """Everyone who asked for this topic: each item's sender and each of its backers."""
        return len(self.items) + self.backers


def save_item(
    session: Session, *, topic: str, text: str, language: str, now: datetime, event_id: Optional[int] = None,
    ward_slug: Optional[str] = None, contact_id: Optional[int] = None,
) -> AgendaItem:
    """Keep an item for an event, or for the next meeting in a ward. The sender is kept only so they cannot
    back their own item (and is gone when they ask us to forget them)."""
    text = text.strip()
    if not text or len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"an agenda item must be 1 to {MAX_TEXT_LENGTH} characters")
    if topic not in TOPICS:
        raise UnknownChoice(f"unknown topic {topic!r}")
    if (event_id is None) == (ward_slug is None):
        raise ValueError("an agenda item is for one event, or for the next meeting in one ward")
    ward_id = None
    if event_id is not None:
        if session.get(Event, event_id) is None:
            raise LookupError(f"there is no event {event_id}")
    else:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == ward_slug)).scalar_one_or_none()
        if ward_id is None:
            raise UnknownChoice(f"unknown ward {ward_slug!r}")
    item = AgendaItem(event_id=event_id, ward_id=ward_id, topic=topic, text=text, language=language,
                      contact_id=contact_id, created_at=now)
    session.add(item)
    session.flush()
    return item


def approve_item(
    session: Session, *, item_id: int, now: datetime, shown_text: Optional[str] = None, as_written: bool = False,
) -> AgendaItem:
    """An organiser lets other residents see an item and back it: in `shown_text`, their wording without
    the names, addresses or allegations the resident's words may hold, or as written. Approving again
    without either keeps the wording given before: the resident's own words are shown only when an
    organiser says so (`as_written`), never by accident after a hide and a re-approval."""
    if shown_text is not None and as_written:
        raise ValueError("give a wording or approve it as written, not both")
    if shown_text is not None:
        shown_text = shown_text.strip()
        if not shown_text or len(shown_text) > MAX_TEXT_LENGTH:
            raise ValueError(f"the wording shown to residents must be 1 to {MAX_TEXT_LENGTH} characters")
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise LookupError(f"there is no agenda item {item_id}")
    if shown_text is not None:
        item.shown_text = shown_text
    elif as_written:
        item.shown_text = None
    item.approved_at, item.hidden_at = now, None
    session.flush()
    return item


def hide_item(session: Session, *, item_id: int, now: datetime) -> AgendaItem:
    """An organiser keeps an item from other residents (approved or not): it stays on the organisers' list,
    with its backers, and can no longer be backed."""
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise LookupError(f"there is no agenda item {item_id}")
    item.approved_at, item.hidden_at = None, now
    session.flush()
    return item


def back_item(session: Session, *, item_id: int, contact_id: int, now: datetime) -> bool:
    """"Me too". False, and nothing stored, for their own item, one they already back, one that is gone, or
    one no organiser approved (residents cannot have seen it)."""
    item = session.get(AgendaItem, item_id)
    if item is None or item.contact_id == contact_id or item.approved_at is None:
        return False
    try:
        # The primary key (item, contact) decides a double tap or two workers at once.
        with session.begin_nested():
            session.add(AgendaBacking(item_id=item_id, contact_id=contact_id, created_at=now))
        return True
    except IntegrityError:
        return False


def items_for_meeting(session: Session, *, event_id: int) -> list[MeetingItem]:
    """What other residents may see of a meeting's items (the chat offers them to back): only those an
    organiser approved, in the approved wording, most backed first (then oldest first)."""
    return [
        # The organiser's wording is in whatever language they wrote it: no resident's language is claimed.
        MeetingItem(item_id=item.id, topic=item.topic, text=item.shown_text or item.text,
                    language=None if item.shown_text else item.language,
                    backers=count, sender_contact_id=item.contact_id, created_at=item.created_at)
        for item, count in _meeting_rows(session, event_id=event_id, approved_only=True)
    ]


def review_items(session: Session, *, event_id: int) -> list[ReviewItem]:
    """For organisers: every item of the meeting, approved, hidden or waiting, in the resident's own words,
    most backed first (then oldest first)."""
    return [
        ReviewItem(item_id=item.id, topic=item.topic, text=item.text, language=item.language,
                   translation=item.translation, backers=count, created_at=item.created_at,
                   approved_at=item.approved_at, hidden_at=item.hidden_at, shown_text=item.shown_text)
        for item, count in _meeting_rows(session, event_id=event_id, approved_only=False)
    ]


def _meeting_rows(session: Session, *, event_id: int, approved_only: bool) -> list:
    """(item, backers) for the event's own items and its ward's "for the next meeting" items sent since the
    ward's previous meeting began and before this one."""
    event = session.get(Event, event_id)
    if event is None:
        return []
    belongs = AgendaItem.event_id == event_id
    if event.ward_id is not None:
        previous_start = session.execute(
            select(func.max(Event.starts_at)).where(
                Event.ward_id == event.ward_id, Event.starts_at < event.starts_at, Event.cancelled_at.is_(None),
                Event.id != event.id,
            )
        ).scalar_one_or_none()
        for_next = (AgendaItem.event_id.is_(None)) & (AgendaItem.ward_id == event.ward_id) & (
            AgendaItem.created_at < event.starts_at
        )
        if previous_start is not None:
            for_next = for_next & (AgendaItem.created_at >= previous_start)
        belongs = belongs | for_next
    backers = (
        select(AgendaBacking.item_id, func.count().label("backers")).group_by(AgendaBacking.item_id).subquery()
    )
    if approved_only:
        belongs = belongs & AgendaItem.approved_at.is_not(None)
    return session.execute(
        select(AgendaItem, func.coalesce(backers.c.backers, 0))
        .outerjoin(backers, backers.c.item_id == AgendaItem.id)
        .where(belongs)
        .order_by(func.coalesce(backers.c.backers, 0).desc(), AgendaItem.created_at, AgendaItem.id)
    ).all()


def backed_by(session: Session, *, contact_id: int, item_ids: list[int]) -> set[int]:
    """Which of these items this resident already backs (so they are not offered again)."""
    if not item_ids:
        return set()
    query = select(AgendaBacking.item_id).where(AgendaBacking.contact_id == contact_id,
                                                AgendaBacking.item_id.in_(item_ids))
    return set(session.execute(query).scalars())


def grouped_agenda(session: Session, *, event_id: int) -> list[AgendaGroup]:
    """For organisers: the meeting's items grouped by topic, the most asked-for topic first (items plus
    backers), each group's items most backed first. Every item, whether residents see it or not."""
    groups: dict[str, list[ReviewItem]] = {}
    for item in review_items(session, event_id=event_id):
        groups.setdefault(item.topic, []).append(item)
    ordered = [AgendaGroup(topic=topic, items=tuple(items)) for topic, items in groups.items()]
    return sorted(ordered, key=lambda group: (-group.weight, TOPICS.index(group.topic) if group.topic in TOPICS else 99))
