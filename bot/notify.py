"""Messages nobody just asked for: reminders, notices about a moved or cancelled event, a place offered
from the waiting list. They are queued in the outbox in the caller's transaction, like replies, and the
worker sends them.

Rendering depends on the contact's channel: a sending channel renders its own payloads; the web chat has
no address to send to, so its notices wait in the outbox until the page asks for them
(POST /chat/api/updates).
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Mapping, Optional, Sequence

from sqlmodel import Session

from bot.channels.base import Channel
from bot.event_info import event_info_for_resident
from flows import i18n
from flows.notices import place_offered_notice
from flows.types import Reply
from storage import events, outbox

WEBCHAT = "webchat"
PLACE_OFFERED = "place_offered"


def reachable_channels(channels: Mapping[str, Channel]) -> tuple[str, ...]:
    """The contact channels a notice can go to here: the sending channels with credentials, and the web
    chat (whose box needs none). A contact on any other channel is skipped, not queued."""
    return tuple(sorted({*channels, WEBCHAT}))


def render_for(channel: str, channels: Mapping[str, Channel], replies: Sequence[Reply]) -> list[dict]:
    """The payloads `replies` become on `channel`; none for a channel this installation cannot send on."""
    if channel in channels:
        return channels[channel].render(replies)
    if channel == WEBCHAT:
        return [webchat_payload(replies)] if replies else []
    return []


def webchat_payload(replies: Sequence[Reply], audio_url: Optional[Callable[[Reply], Optional[str]]] = None) -> dict:
    """What POST /chat/api/messages answers with; a notice queued for the web chat is the same, so the page
    shows it the same way. `audio_url` gives a reply's community recording's address (bot/audio_prompts.py),
    which the page plays above the reply's text as `"audio"`."""
    shown = []
    for reply in replies:
        entry = {"text": reply.text, "lang": reply.lang,
                 "choices": [{"key": choice.key, "label": choice.label} for choice in reply.choices]}
        url = audio_url(reply) if audio_url else None
        if url:
            entry["audio"] = url
        shown.append(entry)
    return {"replies": shown}


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


def tell_of_places(
    session: Session, channels: Mapping[str, Channel], *, event_id: int,
    promoted: Sequence[events.PlaceOffered], calendar_url: str, now: datetime,
) -> int:
    """Queue "a place has opened for you" for each person moved up from the waiting list, in the
    caller's transaction (the one that gave them the place). `channels` are the caller's sending
    channels, built once per process, not per message. Returns how many were queued a notice."""
    # The notice names only the event, not their answer: one load serves everyone told.
    found = events.event_for_resident(session, event_id=event_id, contact_id=None)
    if found.event.starts_at <= now:
        return 0  # storage gives no place once an event has begun; a notice then would expire unsent
    event = event_info_for_resident(found)
    told = 0
    for person in promoted:
        lang = i18n.shipped_or_default(person.language)
        text = place_offered_notice(lang, event, calendar_url=calendar_url)
        if queue_notice(session, channels=channels, contact_id=person.contact_id, channel=person.channel,
                        replies=[Reply(text=text, lang=lang)], kind=PLACE_OFFERED, now=now, event_id=event_id,
                        expires_at=found.event.starts_at):
            told += 1
    return told
