""""Have your say" (recommendation 12): agenda items residents send for a meeting, and who backs them.

An item belongs to an event, or (sent after a meeting, "what should the next one discuss?") to a ward only;
then it shows for that ward's next meeting: the first one that starts after it was sent.
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

# The report categories' keys (flows/report.py): organisers see items grouped the way reports are.
TOPICS = ("asb", "drugs", "harassment", "hate", "unsafe_place", "noise", "other")
MAX_TEXT_LENGTH = 2000


@dataclass(frozen=True)
class MeetingItem:
    """An item as listed for a meeting: its words, their language, and how many back it."""

    item_id: int
    topic: str
    text: str
    language: str
    # English from the configured translator, or None. TRANSLATOR arrives with issue 6; until then none.
    translation: Optional[str]
    backers: int
    sender_contact_id: Optional[int]
    created_at: datetime


@dataclass(frozen=True)
class AgendaGroup:
    topic: str
    items: tuple[MeetingItem, ...]

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


def back_item(session: Session, *, item_id: int, contact_id: int, now: datetime) -> bool:
    """"Me too". False, and nothing stored, for their own item, one they already back, or one that is gone."""
    item = session.get(AgendaItem, item_id)
    if item is None or item.contact_id == contact_id:
        return False
    try:
        # The primary key (item, contact) decides a double tap or two workers at once.
        with session.begin_nested():
            session.add(AgendaBacking(item_id=item_id, contact_id=contact_id, created_at=now))
        return True
    except IntegrityError:
        return False


def items_for_meeting(session: Session, *, event_id: int) -> list[MeetingItem]:
    """The event's own items and its ward's "for the next meeting" items sent since the ward's previous
    meeting began and before this one, most backed first (then oldest first)."""
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
    rows = session.execute(
        select(AgendaItem, func.coalesce(backers.c.backers, 0))
        .outerjoin(backers, backers.c.item_id == AgendaItem.id)
        .where(belongs)
        .order_by(func.coalesce(backers.c.backers, 0).desc(), AgendaItem.created_at, AgendaItem.id)
    ).all()
    return [
        MeetingItem(item_id=item.id, topic=item.topic, text=item.text, language=item.language,
                    translation=item.translation, backers=count, sender_contact_id=item.contact_id,
                    created_at=item.created_at)
        for item, count in rows
    ]


def backed_by(session: Session, *, contact_id: int, item_ids: list[int]) -> set[int]:
    """Which of these items this resident already backs (so they are not offered again)."""
    if not item_ids:
        return set()
    query = select(AgendaBacking.item_id).where(AgendaBacking.contact_id == contact_id,
                                                AgendaBacking.item_id.in_(item_ids))
    return set(session.execute(query).scalars())


def grouped_agenda(session: Session, *, event_id: int) -> list[AgendaGroup]:
    """For organisers: the meeting's items grouped by topic, the most asked-for topic first (items plus
    backers), each group's items most backed first."""
    groups: dict[str, list[MeetingItem]] = {}
    for item in items_for_meeting(session, event_id=event_id):
        groups.setdefault(item.topic, []).append(item)
    ordered = [AgendaGroup(topic=topic, items=tuple(items)) for topic, items in groups.items()]
    return sorted(ordered, key=lambda group: (-group.weight, TOPICS.index(group.topic) if group.topic in TOPICS else 99))
