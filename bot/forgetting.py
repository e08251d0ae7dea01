"""Forgetting a resident, from the bot's side: storage deletes their contact and every link
(storage/forgetting.py); this tells whoever the waiting list moved up into a place they held, and rounds the
modification times of their reports' files to the hour, as an anonymous report's files are.

Called by `forget me` (bot/conversations.py), the web chat's quick exit (bot/webchat.py) and a staff erasure,
each in its own transaction (the caller commits). Logs nothing: the caller decides whether an audit entry is
due, and counts are all there is to tell.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Optional

from sqlmodel import Session

from bot import notify
from bot.channels.base import Channel
from bot.event_info import calendar_url
from bot.media import round_file_times
from bot.settings import Settings
from storage import forgetting


def forget_resident(session: Session, settings: Settings, *, contact_id: int, now: datetime,
                    channels: Optional[Mapping[str, Channel]] = None) -> forgetting.ForgetResult:
    """Forget the contact `contact_id` in the caller's transaction; returns what went, as counts."""
    result = forgetting.forget_contact(session, contact_id=contact_id, now=now)
    if result.places_given_back:
        if channels is None:
            from bot.channels.registry import configured_channels  # only now: building them is not free

            channels = configured_channels(settings)
        for given in result.places_given_back:
            notify.tell_of_places(session, channels, event_id=given.event_id, promoted=given.promoted,
                                  calendar_url=calendar_url(settings.public_base_url, given.event_id), now=now)
    round_file_times(result.media_ids, media_dir=settings.media_dir)
    return result
