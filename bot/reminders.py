"""Reminders before an event and the one notice when it moves or is cancelled: when they are due, in
which words (flows/notices.py) and on which channel (bot/notify.py). Storage queues them exactly once
(storage/reminders.py); the worker sends them (bot/worker.py).

When a reminder is due: REMINDER_OFFSETS before the start. A day offset keeps the London wall-clock
time across a clock change ("2d" before Tuesday 18:00 is Sunday 18:00, whether or not the clocks went
back in between); an hour or minute offset is an exact duration. A reminder may leave while less than
SEND_WINDOW has passed since its moment (may_still_leave); from then on it is skipped (recorded, never
sent late), and it expires in the outbox at the same instant, so a slow queue cannot send it late either.
A resident on a channel with no credentials here is skipped too (counted, not queued). The web chat is
the exception to the expiry: it has no address, so its reminder is delivered by being queued on time,
and waits for the page until the event starts.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.base import Channel
from bot.event_info import to_event_info
from bot.notify import WEBCHAT, queue_notice, render_for
from bot.settings import ReminderOffset
from flows import i18n, notices
from storage import events as event_store
from storage import reminders
from storage.database import new_session
from storage.models import Event, Space, Ward

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
SEND_WINDOW = timedelta(minutes=15)
# Moments missed by longer than SEND_WINDOW (the worker was down) are still recorded, as skipped, when
# they passed within this long: operators see what residents did not get.
LATE_LOOKBACK = timedelta(days=1)
# A day offset moves its moment by up to an hour either way across a clock change; the search for
# candidate events is twice that wide, and the exact moment decides.
CLOCK_CHANGE = timedelta(hours=1)
NOTICE = "event_notice"


def reminder_moment(starts_at: datetime, offset: ReminderOffset) -> datetime:
    """When the reminder `offset` before `starts_at` is due, in UTC (see the module docstring)."""
    if offset.unit == "d":
        wall = starts_at.astimezone(LONDON).replace(tzinfo=None) - timedelta(days=offset.amount)
        # A wall time the spring change skips (01:30 on the last Sunday of March) reads as GMT (fold=0),
        # which is 02:30 BST: the first moment that day that the clock shows it or later.
        return wall.replace(tzinfo=LONDON).astimezone(timezone.utc)
    return starts_at - timedelta(minutes=offset.minutes)


def may_still_leave(moment: datetime, *, now: datetime) -> bool:
    """The one boundary of the 15-minute rule: a reminder may leave while now < moment + SEND_WINDOW.
    At exactly 15:00 after its moment it is late. The outbox agrees: a message expires when
    expires_at <= now (storage/outbox.py), and a reminder's expires_at is moment + SEND_WINDOW."""
    return now < moment + SEND_WINDOW


@dataclass
class ReminderCounts:
    queued: int = 0  # reminders queued (one per resident; a long text split in parts counts once)
    skipped: int = 0  # residents with a place who did not get this reminder (late, unreachable, no channel)


def plan_due_reminders(engine: Engine, offsets: tuple[ReminderOffset, ...], channels: Mapping[str, Channel], *,
                       now: datetime) -> ReminderCounts:
    """Queue every reminder due now, each moment in its own transaction, exactly once across workers."""
    counts = ReminderCounts()
    for offset in offsets:
        span = timedelta(minutes=offset.minutes)
        with new_session(engine) as session:
            candidates = reminders.events_not_yet_reminded(
                session, offset_minutes=offset.minutes, start=now - LATE_LOOKBACK + span - 2 * CLOCK_CHANGE,
                end=now + span + 2 * CLOCK_CHANGE)
        due = [(event_id, starts_at, reminder_moment(starts_at, offset)) for event_id, starts_at in candidates]
        due = [(event_id, starts_at, moment) for event_id, starts_at, moment in due
               if now - LATE_LOOKBACK <= moment <= now]
        for event_id, starts_at, moment in due:
            with new_session(engine) as session:
                done = _queue_moment(session, channels, event_id=event_id, offset=offset, starts_at=starts_at,
                                     moment=moment, now=now)
                session.commit()
            if done is not None:
                counts.queued += done.queued
                counts.skipped += done.skipped
    return counts


def _queue_moment(session: Session, channels: Mapping[str, Channel], *, event_id: int, offset: ReminderOffset,
                  starts_at: datetime, moment: datetime, now: datetime) -> Optional[ReminderCounts]:
    """One reminder moment of one event: take it (or learn another worker did) and queue its reminders."""
    # The event row is locked before it is read: a cancellation or move (which lock it FOR UPDATE)
    # either commits first and is seen here, or waits for this commit and then drops what was queued.
    # Unlocked, a cancellation committing between this read and the commit left reminders beside it.
    # FOR KEY SHARE, the weakest lock that does this: it is the lock the ReminderRun's foreign key takes
    # anyway, and two workers planning the same event do not wait for each other (the insert decides).
    event = session.get(Event, event_id, with_for_update={"read": True, "key_share": True})
    if event is None:
        return None
    if event.starts_at != starts_at or event.cancelled_at is not None:
        return None  # moved or cancelled since we looked: its new moments are planned on their own
    run = reminders.take_reminder_moment(session, event_id=event_id, offset_minutes=offset.minutes,
                                         starts_at=starts_at, now=now)
    if run is None:
        return None
    if not may_still_leave(moment, now=now) or starts_at <= now:
        skipped = reminders.count_due(session, event_id=event_id, moment=moment)
        reminders.finish_reminder_moment(session, run=run, queued=0, skipped=skipped)
        log.info("event %s: the %s reminder was due at %s and was skipped, not sent late (%d residents)",
                 event_id, offset, moment.isoformat(), skipped)
        return ReminderCounts(skipped=skipped)
    ward = session.get(Ward, event.ward_id) if event.ward_id else None
    space = session.get(Space, event.space_id) if event.space_id else None
    info = to_event_info(event, ward_name=ward.name if ward else None, space=space)
    queued = 0
    for channel, contact_language, residents in reminders.reminder_audience(session, event_id=event_id, moment=moment):
        # A sending channel must send within the window. The web chat has no address to send to: queuing
        # is its delivery, into the box the page empties when it is next open, so what is there is shown
        # until the event starts rather than lost after 15 minutes of a closed page.
        expires_at = starts_at if channel == WEBCHAT else min(moment + SEND_WINDOW, starts_at)
        language = i18n.shipped_or_default(contact_language)
        payloads = render_for(channel, channels, notices.reminder(language, info))
        if payloads:
            reminders.queue_reminders(
                session, event_id=event_id, moment=moment, channel=channel, contact_language=contact_language,
                language=language, payloads=payloads, expires_at=expires_at, now=now)
            queued += residents
    skipped = event_store.count_attending(session, event_id=event_id) - queued
    reminders.finish_reminder_moment(session, run=run, queued=queued, skipped=skipped)
    log.info("event %s: %s reminder queued for %d residents, %d skipped", event_id, offset, queued, skipped)
    return ReminderCounts(queued=queued, skipped=skipped)


def tell_residents(session: Session, channels: Mapping[str, Channel], *, event_id: int, now: datetime) -> int:
    """After a move or a cancellation, in the caller's transaction: drop the event's unsent reminders and
    notices, and queue one notice (moved or cancelled, as the event now is) for each resident who said
    yes or is waiting. Returns how many residents were told."""
    reminders.drop_unsent_event_messages(session, event_id=event_id)
    event, ward_name = event_store.find_event(session, event_id=event_id)
    if event.starts_at <= now:
        return 0  # it has begun (or gone): a notice about it would come too late
    space = session.get(Space, event.space_id) if event.space_id else None
    info = to_event_info(event, ward_name=ward_name, space=space)
    words = notices.cancelled if event.cancelled_at is not None else notices.moved
    by_language: dict[str, tuple] = {}
    told = 0
    for resident in reminders.residents_to_tell(session, event_id=event_id):
        language = i18n.shipped_or_default(resident.language)
        replies = by_language.setdefault(language, words(language, info))
        # Past the event's (new, or cancelled) start a notice about it is no use: it expires then.
        if queue_notice(session, channels=channels, contact_id=resident.contact_id, channel=resident.channel,
                        replies=replies, kind=NOTICE, now=now, event_id=event_id, expires_at=event.starts_at):
            told += 1
    return told
