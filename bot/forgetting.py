"""Forgetting a resident, from the bot's side: storage deletes their contact and every link
(storage/forgetting.py); this tells whoever the waiting list moved up into a place they held, and rounds the
modification times of their reports' files to the hour, as an anonymous report's files are.

Called by `forget me` (bot/conversations.py), the web chat's quick exit (bot/webchat.py) and a staff erasure,
each in its own transaction (the caller commits). Logs nothing: the caller decides whether an audit entry is
due, and counts are all there is to tell.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Optional

from sqlmodel import Session

from bot import notify
from bot.channels.base import Channel
from bot.event_info import calendar_url
from bot.settings import Settings
from storage import forgetting
from storage.types import hour_of


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
    _round_file_times(settings.media_dir, result.media_ids)
    return result


def _round_file_times(media_dir: str, media_ids: tuple[str, ...]) -> None:
    """A file's modification time is a clock reading too: down to its hour, as for an anonymous report."""
    for media_id in media_ids:
        path = Path(media_dir) / media_id
        try:
            written = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
        except FileNotFoundError:
            continue  # already gone (retention), nothing to round
        hour = hour_of(written).timestamp()
        os.utime(path, (hour, hour))
