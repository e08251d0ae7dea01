""""How was it?" after an event: ratings and comments, kept without who gave them.

EventFeedback has no contact and its date is the day only, so a rating cannot be traced back to the
resident who gave it (the RSVP says they were asked, never what they said).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional, Sequence

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from storage.models import ASSUMED_EVENT_LENGTH, Contact, Event, EventFeedback, Rsvp, Space, Ward, event_end

MAX_COMMENT_LENGTH = 2000
# "How was it?" is asked within this long after the end; later, memories fade and it is skipped.
ASK_WITHIN = timedelta(days=3)


@dataclass(frozen=True)
class FeedbackTarget:
    """A resident to ask "how was it?", with the event as they will read it named."""

    contact: Contact
    rsvp: Rsvp
    event: Event
    ward_name: Optional[str]
    ward_slug: Optional[str]
    space: Optional[Space]

    @property
    def ended_at(self) -> datetime:
        return event_end(self.event)


def _ended_within_asking_time(now: datetime):
    return or_(
        and_(Event.ends_at.is_not(None), Event.ends_at <= now, Event.ends_at > now - ASK_WITHIN),
        and_(Event.ends_at.is_(None), Event.starts_at <= now - ASSUMED_EVENT_LENGTH,
             Event.starts_at > now - ASSUMED_EVENT_LENGTH - ASK_WITHIN),
    )


def feedback_due(session: Session, *, now: datetime, channels: Sequence[str]) -> list[tuple[int, int]]:
    """(RSVP id, contact id) of everyone with a place at an event that ended within ASK_WITHIN, not
    cancelled, who has not been asked yet and whose contact is on one of `channels` (the ones a message
    can go to here). Residents on another channel are left unasked, not marked, and not looked at again
    every tick: if its credentials are added within ASK_WITHIN, they are asked then.
    No locks: `claim_feedback_question` takes them one by one."""
    query = (
        select(Rsvp.id, Rsvp.contact_id)
        .join(Event, Event.id == Rsvp.event_id)
        .join(Contact, Contact.id == Rsvp.contact_id)
        .where(Rsvp.status == "attending", Rsvp.feedback_asked_at.is_(None), Event.cancelled_at.is_(None),
               Contact.channel.in_(list(channels)), _ended_within_asking_time(now))
        .order_by(Rsvp.id)
    )
    return [(rsvp_id, contact_id) for rsvp_id, contact_id in session.execute(query).all()]


def claim_feedback_question(session: Session, *, rsvp_id: int, contact_id: int, now: datetime) -> Optional[FeedbackTarget]:
    """Lock the resident, then their RSVP, and check it is still due; None if not (asked by another worker,
    cancelled, answered "no" since). The contact is locked first, as a conversation turn locks it first,
    so the worker and a message from the resident take turns instead of deadlocking."""
    # FOR NO KEY UPDATE, as a turn locks it: FOR UPDATE would block every outbox insert for this contact.
    contact = session.execute(
        select(Contact).where(Contact.id == contact_id).with_for_update(key_share=True)
    ).scalar_one_or_none()
    if contact is None:
        return None
    row = session.execute(
        select(Rsvp, Event, Ward.name, Ward.slug, Space)
        .join(Event, Event.id == Rsvp.event_id)
        .outerjoin(Ward, Ward.id == Event.ward_id)
        .outerjoin(Space, Space.id == Event.space_id)
        .where(Rsvp.id == rsvp_id, Rsvp.contact_id == contact_id, Rsvp.status == "attending",
               Rsvp.feedback_asked_at.is_(None), Event.cancelled_at.is_(None), _ended_within_asking_time(now))
        .with_for_update(of=Rsvp)
    ).first()
    if row is None:
        return None
    rsvp, event, ward_name, ward_slug, space = row
    return FeedbackTarget(contact=contact, rsvp=rsvp, event=event, ward_name=ward_name, ward_slug=ward_slug, space=space)


def mark_feedback_asked(session: Session, *, target: FeedbackTarget, now: datetime) -> None:
    """Asked (the question is queued) or given up on (the contact is unreachable: blocked us, or sent
    STOP) once; never again for this event. Not for a question that could not be queued."""
    target.rsvp.feedback_asked_at = now


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    average: Optional[float]  # None when nobody answered
    distribution: dict[int, int]  # rating 1..5 -> how many gave it (every rating present, zeros included)
    comments: tuple[tuple[str, str], ...]  # (comment, language code), oldest first


def save_feedback(
    session: Session, *, event_id: int, rating: int, comment: Optional[str], language: str, now: datetime,
) -> EventFeedback:
    """Keep one answer to "how was it?", dated by the day only (no time to pair it with a conversation)."""
    if rating not in range(1, 6):
        raise ValueError("a rating is 1 to 5")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT_LENGTH:
        raise ValueError(f"a comment is at most {MAX_COMMENT_LENGTH} characters")
    if session.get(Event, event_id) is None:
        raise LookupError(f"there is no event {event_id}")
    day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    feedback = EventFeedback(event_id=event_id, rating=rating, comment=comment, language=language, created_on=day)
    session.add(feedback)
    session.flush()
    return feedback


def feedback_summary(session: Session, *, event_id: int) -> FeedbackSummary:
    """What organisers read after an event: how many answered, the average, each rating's count, the comments."""
    rows = session.execute(
        select(EventFeedback.rating, EventFeedback.comment, EventFeedback.language)
        .where(EventFeedback.event_id == event_id)
        .order_by(EventFeedback.created_on, EventFeedback.id)
    ).all()
    distribution = {rating: 0 for rating in range(1, 6)}
    for rating, _comment, _language in rows:
        distribution[rating] += 1
    average = sum(rating for rating, _c, _l in rows) / len(rows) if rows else None
    comments = tuple((comment, language) for _r, comment, language in rows if comment)
    return FeedbackSummary(count=len(rows), average=average, distribution=distribution, comments=comments)
