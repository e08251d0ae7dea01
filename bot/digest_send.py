"""Sending the ward panel digest's link (web/digest.py) to the residents coming to the meeting, exactly once.

The DigestSend row is written first, in the caller's transaction, and its primary key (the event) decides: a
second send (a double click, two organisers at once, a retry after a restart mid-way) hits the key, queues
nothing and learns when the first went. The messages are queued in the same transaction, so either the marker
and every message commit together or neither does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Optional
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.channels.base import Channel
from bot.notify import queue_notice
from flows import i18n
from flows.digest_link import digest_link_notice
from storage import reminders
from storage.models import DigestSend, Event, Ward

# The outbox kind: picks the WhatsApp template outside the 24-hour window (docs/deploy.md).
DIGEST = "digest"


class DigestRefused(ValueError):
    """A link that is not sent, and nothing written: `code` is "cancelled" (its words say "Before <the
    meeting>", to residents told it will not happen) or "nobody_coming" (a send with nobody to tell would
    mark it sent, and those who answer later would never get it)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DigestSent:
    queued: int  # residents queued a message by this call (0 when it had been sent before)
    sent_at: datetime  # when the link was sent: now, or the first time
    already_sent: bool


def digest_url(base_url: str, *, ward_slug: str, event_id: int, lang: Optional[str] = None) -> str:
    """The public digest's address; with `lang`, the page opens in that language."""
    url = f"{base_url.rstrip('/')}/public/wards/{ward_slug}/meetings/{event_id}"
    return f"{url}?{urlencode({'lang': lang})}" if lang else url


def ward_slug_of(session: Session, *, event_id: int) -> Optional[str]:
    """The slug of the event's ward; None for an event with no ward (it has no digest). LookupError if none."""
    row = session.execute(
        select(Event.id, Ward.slug).outerjoin(Ward, Ward.id == Event.ward_id).where(Event.id == event_id)
    ).first()
    if row is None:
        raise LookupError(f"there is no event {event_id}")
    return row[1]


def digest_sent(session: Session, *, event_id: int) -> Optional[DigestSend]:
    return session.get(DigestSend, event_id)


def digest_audience(session: Session, *, event_id: int) -> int:
    """How many residents the link would go to: those with a place or waiting for one, still reachable."""
    return len(reminders.residents_to_tell(session, event_id=event_id))


def send_digest_link(
    session: Session, *, event_id: int, staff_user_id: Optional[int], now: datetime,
    channels: Mapping[str, Channel], base_url: str,
) -> DigestSent:
    """Queue one message with the digest's link, in their language, for each resident who said they are
    coming or is on the waiting list (they may still come), once per meeting. LookupError for an unknown
    event or one with no ward (it has no digest); DigestRefused for a cancelled meeting, or one nobody has
    said they are coming to yet (a later send, once someone has, goes)."""
    ward_slug = ward_slug_of(session, event_id=event_id)
    if ward_slug is None:
        raise LookupError(f"event {event_id} is not in a ward, so it has no digest")
    first = digest_sent(session, event_id=event_id)
    if first is not None:  # a second press says when it went, whatever has happened since
        return DigestSent(queued=0, sent_at=first.sent_at, already_sent=True)
    if session.get(Event, event_id).cancelled_at is not None:
        raise DigestRefused("cancelled", f"event {event_id} was cancelled, so its digest link is not sent")
    if not reminders.residents_to_tell(session, event_id=event_id):
        raise DigestRefused("nobody_coming", f"nobody has said they are coming to event {event_id} yet, so "
                                             "nothing was sent (send it once someone has)")
    marker = DigestSend(event_id=event_id, sent_at=now, staff_user_id=staff_user_id, queued=0)
    try:
        with session.begin_nested():
            session.add(marker)
    except IntegrityError:
        first = session.get(DigestSend, event_id, populate_existing=True)
        return DigestSent(queued=0, sent_at=first.sent_at, already_sent=True)
    event = session.get(Event, event_id)
    queued = 0
    by_language: dict[str, tuple] = {}
    for resident in reminders.residents_to_tell(session, event_id=event_id):
        lang = i18n.shipped_or_default(resident.language)
        replies = by_language.get(lang)
        if replies is None:
            replies = by_language[lang] = digest_link_notice(
                lang, title=event.titles.get(lang) or event.title,
                url=digest_url(base_url, ward_slug=ward_slug, event_id=event_id, lang=lang))
        # No event_id on the message: moving the meeting drops its stale reminders, and must not drop this
        # (the marker says it went). No expiry either: the digest is worth reading after the meeting too.
        if queue_notice(session, channels=channels, contact_id=resident.contact_id, channel=resident.channel,
                        replies=replies, kind=DIGEST, now=now):
            queued += 1
    marker.queued = queued
    session.flush()
    return DigestSent(queued=queued, sent_at=now, already_sent=False)
