"""Reminders before events: when each is due (across both clock changes), the skipped-late rule, no
reminder before the resident had a place, exactly once (twice run, a crash between, two workers at
once), and what a moved or cancelled event does to them. Retention of RSVPs after the event."""
from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.reminders import SEND_WINDOW, plan_due_reminders, reminder_moment, tell_residents
from bot.settings import ReminderOffset, parse_reminder_offsets
from storage import events as event_store
from storage import reminders
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, Event, OutboxMessage, ReminderRun, Rsvp
from tests.concurrency import hold_until_blocked_or_done, named_engine, run_together

UTC = timezone.utc
TWO_DAYS, TWO_HOURS = ReminderOffset(2, "d"), ReminderOffset(2, "h")
OFFSETS = (TWO_DAYS, TWO_HOURS)
# A winter event: no clock change near it. Tuesday 8 December 2026, 18:00 GMT.
WINTER = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
CREATED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class TextChannel:
    """Renders like a sending channel (the delivery tests cover sending)."""

    def __init__(self, name="telegram"):
        self.name = name

    def render(self, replies):
        return [{"text": reply.text} for reply in replies]


CHANNELS = {"telegram": TextChannel()}


def _event(engine, starts_at=WINTER, **fields) -> int:
    with new_session(engine) as session:
        event = Event(title=fields.pop("title", "Weavers ward panel"), starts_at=starts_at,
                      place=fields.pop("place", "Weavers Community Centre"), created_at=CREATED, **fields)
        session.add(event)
        session.commit()
        return event.id


def _resident(engine, event_id, name, *, channel="webchat", language="en", status="attending",
              confirmed_at=CREATED, unreachable=False) -> int:
    with new_session(engine) as session:
        contact = Contact(channel=channel, address_hash=keyed_hash("k", channel, name), language=language,
                          unreachable=unreachable, created_at=CREATED)
        session.add(contact)
        session.flush()
        session.add(Rsvp(event_id=event_id, contact_id=contact.id, status=status, needs=[], created_at=CREATED,
                         updated_at=CREATED, confirmed_at=confirmed_at if status == "attending" else None,
                         waiting_since=CREATED if status == "waiting" else None))
        session.commit()
        return contact.id


def _outbox(engine, **where) -> list[OutboxMessage]:
    with new_session(engine) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.execute(query).scalars())


def _runs(engine) -> list[ReminderRun]:
    with new_session(engine) as session:
        return list(session.execute(select(ReminderRun).order_by(ReminderRun.id)).scalars())


def _plan(engine, now, offsets=OFFSETS, channels=CHANNELS):
    return plan_due_reminders(engine, offsets, channels, now=now)


# --- when a reminder is due ----------------------------------------------------------------------

def test_offsets_parse_and_a_bad_value_names_the_variable():
    assert parse_reminder_offsets("2d,2h") == (TWO_DAYS, TWO_HOURS)
    assert parse_reminder_offsets(" 30m , 1D ") == (ReminderOffset(1, "d"), ReminderOffset(30, "m"))
    for bad in ("", "2 days", "2d;2h", "0h", "2w", "2d,48h,2d", "-1h"):
        with pytest.raises(ValueError, match="REMINDER_OFFSETS"):
            parse_reminder_offsets(bad)


@pytest.mark.parametrize("starts_at, offset, expected", [
    # Winter: two days is 48 hours.
    (WINTER, TWO_DAYS, datetime(2026, 12, 6, 18, 0, tzinfo=UTC)),
    # Clocks go back on Sunday 25 October 2026. Monday 26th 18:00 GMT: two days before is Saturday 24th
    # at 18:00 BST, which is 17:00 UTC (49 hours before), not 18:00 UTC (19:00 on the resident's clock).
    (datetime(2026, 10, 26, 18, 0, tzinfo=UTC), TWO_DAYS, datetime(2026, 10, 24, 17, 0, tzinfo=UTC)),
    # Clocks go forward on Sunday 29 March 2026. Monday 30th 18:00 BST (17:00 UTC): two days before is
    # Saturday 28th at 18:00 GMT, 18:00 UTC (47 hours before).
    (datetime(2026, 3, 30, 17, 0, tzinfo=UTC), TWO_DAYS, datetime(2026, 3, 28, 18, 0, tzinfo=UTC)),
    # Hours are exact durations, across either change: 03:00 BST on 29 March is 02:00 UTC; two hours
    # before is 00:00 UTC (00:00 GMT on the clock, only one hour earlier on its face).
    (datetime(2026, 3, 29, 2, 0, tzinfo=UTC), TWO_HOURS, datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),
    (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), TWO_HOURS, datetime(2026, 10, 25, 0, 0, tzinfo=UTC)),
    # Two days before Tuesday 31 March 01:30 BST is a time the clocks skip (01:30 on the 29th): it
    # goes at 02:30 BST, the first moment the clock shows that time or later (01:30 UTC).
    (datetime(2026, 3, 31, 0, 30, tzinfo=UTC), TWO_DAYS, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
])
def test_day_offsets_keep_the_london_clock_time_and_hours_are_exact(starts_at, offset, expected):
    assert reminder_moment(starts_at, offset) == expected


@pytest.mark.parametrize("starts_at, moment", [
    (datetime(2026, 10, 26, 18, 0, tzinfo=UTC), datetime(2026, 10, 24, 17, 0, tzinfo=UTC)),  # October change
    (datetime(2026, 3, 30, 17, 0, tzinfo=UTC), datetime(2026, 3, 28, 18, 0, tzinfo=UTC)),  # March change
])
def test_the_worker_queues_a_day_reminder_at_the_clock_time_across_a_change(engine, starts_at, moment):
    event_id = _event(engine, starts_at)
    _resident(engine, event_id, "a")
    assert _plan(engine, moment - timedelta(seconds=1)).queued == 0
    assert _outbox(engine) == []
    assert _plan(engine, moment).queued == 1
    [message] = _outbox(engine)
    # A web chat reminder is delivered by being queued; it waits for the page until the event starts.
    assert (message.channel, message.expires_at) == ("webchat", starts_at)
    # The text gives the London time the resident will see on their clock.
    assert "18:00" in message.payload["replies"][0]["text"]


def test_a_reminder_names_the_event_its_time_place_and_how_to_change_the_answer(engine):
    event_id = _event(engine)
    _resident(engine, event_id, "a")
    _resident(engine, event_id, "b", channel="telegram", language="bn")
    counts = _plan(engine, reminder_moment(WINTER, TWO_DAYS))
    assert (counts.queued, counts.skipped) == (2, 0)
    telegram, webchat = sorted(_outbox(engine), key=lambda message: message.channel)
    text = webchat.payload["replies"][0]["text"]
    assert "Weavers ward panel" in text and "Tuesday 8 December, 18:00" in text and "Weavers Community Centre" in text
    assert f"RSVP {event_id}" in text
    assert (webchat.kind, webchat.event_id, webchat.channel, webchat.status) == ("reminder", event_id, "webchat", "pending")
    # A sending channel must send within the window; the web chat's box keeps it until the start.
    assert telegram.expires_at == reminder_moment(WINTER, TWO_DAYS) + SEND_WINDOW
    assert webchat.expires_at == WINTER
    # In the resident's language: the day and time in Bengali from Babel, digits in Bengali.
    assert telegram.language == "bn" and "মঙ্গলবার" in telegram.payload["text"] and "১৮:০০" in telegram.payload["text"]


# --- skipped, never late -------------------------------------------------------------------------

def test_within_fifteen_minutes_it_still_goes_later_it_is_skipped_and_recorded(engine):
    on_time, late = _event(engine), _event(engine, WINTER + timedelta(hours=1))
    _resident(engine, on_time, "a")
    _resident(engine, late, "b")
    moment = reminder_moment(WINTER, TWO_HOURS)
    counts = _plan(engine, moment + timedelta(minutes=14, seconds=59), offsets=(TWO_HOURS,))
    assert (counts.queued, counts.skipped) == (1, 0)
    # The worker was down: the later event's moment passed 16 minutes ago.
    counts = _plan(engine, moment + timedelta(hours=1, minutes=16), offsets=(TWO_HOURS,))
    assert (counts.queued, counts.skipped) == (0, 1)
    assert [message.event_id for message in _outbox(engine)] == [on_time]
    assert [(run.event_id, run.queued, run.skipped) for run in _runs(engine)] == [(on_time, 1, 0), (late, 0, 1)]
    # Recorded once: the next pass neither sends it nor counts it again.
    counts = _plan(engine, moment + timedelta(hours=1, minutes=17), offsets=(TWO_HOURS,))
    assert (counts.queued, counts.skipped) == (0, 0)


def test_no_reminder_for_a_moment_before_the_resident_had_a_place(engine):
    event_id = _event(engine)
    moment = reminder_moment(WINTER, TWO_HOURS)
    _resident(engine, event_id, "early", confirmed_at=moment - timedelta(minutes=1))
    _resident(engine, event_id, "late", confirmed_at=moment + timedelta(seconds=1))  # promoted after it
    _resident(engine, event_id, "waiting", status="waiting")
    _resident(engine, event_id, "declined", status="declined")
    _resident(engine, event_id, "blocked", unreachable=True)
    _resident(engine, event_id, "no-channel", channel="sms")  # no SMS credentials here
    counts = _plan(engine, moment + timedelta(minutes=1), offsets=(TWO_HOURS,))
    assert (counts.queued, counts.skipped) == (1, 3)  # late, blocked, no channel (waiting has no place)
    [message] = _outbox(engine)
    with new_session(engine) as session:
        assert session.get(Contact, message.contact_id).address_hash == keyed_hash("k", "webchat", "early")


# --- exactly once --------------------------------------------------------------------------------

def test_two_passes_queue_each_reminder_once(engine):
    event_id = _event(engine)
    for name in "abc":
        _resident(engine, event_id, name)
    moment = reminder_moment(WINTER, TWO_DAYS)
    assert _plan(engine, moment).queued == 3
    assert _plan(engine, moment).queued == 0
    assert _plan(engine, moment + timedelta(minutes=5)).queued == 0
    assert len(_outbox(engine)) == 3


def test_a_crash_part_way_leaves_nothing_and_the_restart_queues_everything_once(engine, monkeypatch):
    event_id = _event(engine)
    _resident(engine, event_id, "a")
    _resident(engine, event_id, "b", channel="telegram")
    moment = reminder_moment(WINTER, TWO_DAYS)
    real_queue = reminders.queue_reminders
    calls = []

    def crash_on_second_group(session, **kwargs):
        calls.append(kwargs["channel"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_queue(session, **kwargs)

    monkeypatch.setattr(reminders, "queue_reminders", crash_on_second_group)
    with pytest.raises(RuntimeError):
        _plan(engine, moment)
    assert _outbox(engine) == [] and _runs(engine) == []  # the moment and its reminders commit together
    monkeypatch.setattr(reminders, "queue_reminders", real_queue)
    assert _plan(engine, moment + timedelta(minutes=1)).queued == 2
    assert _plan(engine, moment + timedelta(minutes=2)).queued == 0
    assert len(_outbox(engine)) == 2


def test_two_workers_at_once_queue_each_reminder_once(engine, backend, monkeypatch):
    event_id = _event(engine)
    for n in range(20):
        _resident(engine, event_id, f"r{n}")
    moment = reminder_moment(WINTER, TWO_DAYS)
    if backend == "postgresql":
        # Both workers see the moment as not yet taken before either takes it: the insert decides.
        # (SQLite serialises writers with BEGIN IMMEDIATE, so there the second simply waits its turn.)
        barrier = threading.Barrier(2)
        real_look = reminders.events_not_yet_reminded

        def look_then_meet(session, **kwargs):
            result = real_look(session, **kwargs)
            barrier.wait(timeout=30)
            return result

        monkeypatch.setattr(reminders, "events_not_yet_reminded", look_then_meet)
    results, errors = [], []

    def worker():
        try:
            results.append(_plan(engine, moment, offsets=(TWO_DAYS,)).queued)
        except Exception as error:  # pragma: no cover - shown by the assert below
            errors.append(error)

    run_together(worker, worker)
    assert errors == []
    assert sorted(results) == [0, 20]
    assert len(_outbox(engine)) == 20 and len(_runs(engine)) == 1


# --- moved and cancelled -------------------------------------------------------------------------

def _move(engine, event_id, starts_at, now, place=None) -> int:
    with new_session(engine) as session:
        event_store.move_event(session, event_id=event_id, starts_at=starts_at, place=place, now=now)
        told = tell_residents(session, CHANNELS, event_id=event_id, now=now)
        session.commit()
    return told


def test_a_moved_event_tells_each_resident_once_and_reminders_follow_the_new_time(engine):
    event_id = _event(engine)
    coming = _resident(engine, event_id, "coming")
    waiting = _resident(engine, event_id, "waiting", status="waiting")
    _resident(engine, event_id, "declined", status="declined")
    first_moment = reminder_moment(WINTER, TWO_DAYS)
    assert _plan(engine, first_moment).queued == 1  # the two-day reminder, not yet delivered
    new_start = WINTER + timedelta(days=1, hours=1)  # Wednesday 9 December, 19:00
    now = first_moment + timedelta(minutes=5)
    assert _move(engine, event_id, new_start, now, place="Brady Arts Centre") == 2

    notices = _outbox(engine)
    assert [(message.contact_id, message.kind) for message in notices] == [(coming, "event_notice"), (waiting, "event_notice")]
    text = notices[0].payload["replies"][0]["text"]
    assert "Wednesday 9 December, 19:00" in text and "Brady Arts Centre" in text and "changed" in text
    assert all(message.expires_at == new_start and message.event_id == event_id for message in notices)
    with new_session(engine) as session:
        event = session.get(Event, event_id)
        assert (event.starts_at, event.place, event.moved_at) == (new_start, "Brady Arts Centre", now)

    # The new time's moments each queue one reminder; the old time's two-hour moment passes quietly.
    assert _plan(engine, reminder_moment(new_start, TWO_DAYS)).queued == 1
    assert _plan(engine, reminder_moment(WINTER, TWO_HOURS)).queued == 0
    assert _plan(engine, reminder_moment(new_start, TWO_HOURS)).queued == 1
    reminders_now = _outbox(engine, kind="reminder")
    assert len(reminders_now) == 2 and all("19:00" in m.payload["replies"][0]["text"] for m in reminders_now)

    # Moving again replaces the earlier notice that had not gone yet: one notice each, about the latest.
    _move(engine, event_id, new_start + timedelta(hours=1), now + timedelta(minutes=1))
    assert len(_outbox(engine, kind="event_notice")) == 2


def test_a_cancelled_event_sends_one_notice_and_no_more_reminders(engine):
    event_id = _event(engine)
    coming = _resident(engine, event_id, "coming")
    _plan(engine, reminder_moment(WINTER, TWO_DAYS))
    now = reminder_moment(WINTER, TWO_DAYS) + timedelta(hours=1)
    with new_session(engine) as session:
        event_store.cancel_event(session, event_id=event_id, now=now)
        assert tell_residents(session, CHANNELS, event_id=event_id, now=now) == 1
        session.commit()
    [notice] = _outbox(engine)
    assert (notice.contact_id, notice.kind) == (coming, "event_notice")
    assert "cancelled" in notice.payload["replies"][0]["text"]
    assert _plan(engine, reminder_moment(WINTER, TWO_HOURS)).queued == 0
    assert len(_outbox(engine)) == 1


@pytest.mark.parametrize("first", ["worker", "cancel"])
def test_a_cancellation_racing_the_worker_leaves_no_reminder_to_send(database_url, engine, monkeypatch, first):
    """The worker queues an event's reminders while `events cancel` commits. Whichever takes the event
    row first, the other waits for it: the cancellation drops what the worker queued, or the worker sees
    the cancellation and queues nothing. Before the lock, the worker's uncommitted reminders survived."""
    event_id = _event(engine)
    coming = _resident(engine, event_id, "coming")
    moment = reminder_moment(WINTER, TWO_DAYS)
    now = moment + timedelta(minutes=1)
    worker_name, cancel_name = f"worker-{secrets.token_hex(4)}", f"cancel-{secrets.token_hex(4)}"
    first_holds, worker_done, cancel_done, errors = threading.Event(), threading.Event(), threading.Event(), []
    if first == "worker":
        real_finish = reminders.finish_reminder_moment

        def finish_then_hold(session, **kwargs):
            real_finish(session, **kwargs)  # queued, not committed
            first_holds.set()
            hold_until_blocked_or_done(database_url, cancel_done, cancel_name)

        monkeypatch.setattr(reminders, "finish_reminder_moment", finish_then_hold)

    def worker():
        own = named_engine(database_url, worker_name)
        try:
            if first == "cancel":
                first_holds.wait(20)
            _plan(own, now, offsets=(TWO_DAYS,))
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            worker_done.set()
            own.dispose()

    def cancel():
        own = named_engine(database_url, cancel_name)
        try:
            if first == "worker":
                first_holds.wait(20)
            with new_session(own) as session:
                event_store.cancel_event(session, event_id=event_id, now=now)
                tell_residents(session, CHANNELS, event_id=event_id, now=now)
                if first == "cancel":
                    first_holds.set()
                    hold_until_blocked_or_done(database_url, worker_done, worker_name)
                session.commit()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            cancel_done.set()
            own.dispose()

    run_together(worker, cancel)
    assert errors == []
    assert first_holds.is_set()
    assert [(message.contact_id, message.kind) for message in _outbox(engine)] == [(coming, "event_notice")]
    # Later passes queue nothing for the cancelled event either.
    assert _plan(engine, reminder_moment(WINTER, TWO_HOURS)).queued == 0


@pytest.mark.parametrize("starts_at, place, message", [
    (WINTER, None, "nothing to change"),
    (CREATED - timedelta(days=1), None, "future"),
    (WINTER + timedelta(days=1), "x" * 301, "300 characters"),
])
def test_a_bad_move_is_refused_and_changes_nothing(engine, starts_at, place, message):
    event_id = _event(engine)
    _resident(engine, event_id, "coming")
    with new_session(engine) as session:
        with pytest.raises(ValueError, match=message):
            event_store.move_event(session, event_id=event_id, starts_at=starts_at, place=place, now=CREATED)
    with new_session(engine) as session:
        event = session.get(Event, event_id)
        assert (event.starts_at, event.place, event.moved_at) == (WINTER, "Weavers Community Centre", None)
    assert _outbox(engine) == []


def test_a_cancelled_or_started_event_cannot_be_moved(engine):
    cancelled, started = _event(engine), _event(engine, CREATED + timedelta(hours=1))
    with new_session(engine) as session:
        event_store.cancel_event(session, event_id=cancelled, now=CREATED)
        session.commit()
    with new_session(engine) as session:
        with pytest.raises(ValueError, match="cancelled"):
            event_store.move_event(session, event_id=cancelled, starts_at=WINTER + timedelta(days=1), now=CREATED)
        with pytest.raises(ValueError, match="already started"):
            event_store.move_event(session, event_id=started, starts_at=WINTER, now=CREATED + timedelta(hours=2))
        with pytest.raises(LookupError):
            event_store.move_event(session, event_id=9999, starts_at=WINTER, now=CREATED)


# --- retention -----------------------------------------------------------------------------------

def test_rsvps_are_summarised_then_deleted_after_the_retention_period(engine):
    event_id, later = _event(engine), _event(engine, WINTER + timedelta(days=40))
    with new_session(engine) as session:
        for n, (status, needs, interpreter) in enumerate([
            ("attending", ["interpreter", "childcare"], "bn"), ("attending", ["interpreter"], "bn"),
            ("attending", ["step_free"], None), ("waiting", [], None), ("declined", [], None),
        ]):
            contact = Contact(channel="webchat", address_hash=f"h{n}", created_at=CREATED)
            session.add(contact)
            session.flush()
            session.add(Rsvp(event_id=event_id, contact_id=contact.id, status=status, needs=needs,
                             interpreter_language=interpreter, created_at=CREATED, updated_at=CREATED))
        session.commit()
    _resident(engine, later, "later")
    with new_session(engine) as session:
        assert reminders.summarise_and_delete_rsvps(session, started_before=WINTER) == 0
        assert reminders.summarise_and_delete_rsvps(session, started_before=WINTER + timedelta(days=30)) == 5
        session.commit()
    with new_session(engine) as session:
        assert session.get(Event, event_id).rsvp_summary == {
            "attending": 3, "waiting": 1, "declined": 1, "interpreters": {"bn": 2}, "childcare": 1, "step_free": 1,
            "food": 0,
        }
        remaining = session.execute(select(Rsvp.event_id, func.count()).group_by(Rsvp.event_id)).all()
        assert remaining == [(later, 1)]
