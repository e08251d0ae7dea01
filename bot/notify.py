"""Messages nobody just asked for: reminders, notices about a moved or cancelled event, a place offered
from the waiting list. They are queued in the outbox in the caller's transaction, like replies, and the
worker sends them.

Rendering depends on the contact's channel: a sending channel renders its own payloads; the web chat has
no address to send to, so its notices wait in the outbox until the page asks for them
(POST /chat/api/updates).
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Optional, Sequence

from sqlmodel import Session

from bot.channels.base import Channel
from flows.types import Reply
from storage import outbox

WEBCHAT = "webchat"


def render_for(channel: str, channels: Mapping[str, Channel], replies: Sequence[Reply]) -> list[dict]:
    """The payloads `replies` become on `channel`; none for a channel this installation cannot send on."""
    if channel in channels:
        return channels[channel].render(replies)
    if channel == WEBCHAT:
        return [webchat_payload(replies)] if replies else []
    return []


def webchat_payload(replies: Sequence[Reply]) -> dict:
    """The same shape POST /chat/api/messages answers with, so the page shows it the same way."""
    return {
        "replies": [
            {"text": reply.text, "lang": reply.lang,
             "choices": [{"key": choice.key, "label": choice.label} for choice in reply.choices]}
            for reply in replies
        ]
    }


def queue_notice(
    session: Session, *, channels: Mapping[str, Channel], contact_id: int, channel: str,
    replies: Sequence[Reply], kind: str, now: datetime, event_id: Optional[int] = None,
    expires_at: Optional[datetime] = None,
) -> list[int]:
    """Queue `replies` for one contact on their channel; returns the outbox ids (none if it can't go)."""
    payloads = render_for(channel, channels, replies)
    if not payloads:
        return []
    language = replies[-1].lang
    return outbox.enqueue(session, contact_id=contact_id, channel=channel, payloads=payloads, kind=kind,
                          language=language, now=now, event_id=event_id, expires_at=expires_at)
