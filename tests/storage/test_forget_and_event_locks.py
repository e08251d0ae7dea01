"""Forgetting a resident while an organiser moves a meeting they have a place at: neither deadlocks.

A move (and a cancellation, and the reminder planner) locks the event, then queues a notice for each
resident who answered, whose outbox insert takes FOR KEY SHARE on their contact. Forgetting locks the
contact, then gives their place back through save_rsvp, which locks the event. With the contact held FOR
UPDATE the notice's key share waits for the forgetting, which waits for the event: PostgreSQL aborts one
of them (DeadlockDetected). Held FOR NO KEY UPDATE, as a resident's turn holds it, the key share goes
through, the move commits, and the forgetting finishes after it (tests/storage/test_turn_and_planner_locks.py
has the turn's side of the same rule)."""
from __future__ import annotations

import secrets
import threading
from datetime import timedelta

from sqlalchemy import select

from bot.event_changes import move_and_tell
from storage import contacts, forgetting
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, Event, Rsvp
from tests.concurrency import hold_until_blocked_or_done, named_engine
from tests.storage.test_reminders import WINTER, _event, _outbox, _resident


def test_forgetting_a_resident_while_their_meeting_is_moved_neither_deadlocks(database_url, engine):
    """The move is first in line for the event, the forgetting (holding the contact, as a turn does) second;
    then the event is let go. The move queues the resident's notice and commits; the forgetting gives their
    place to the waiting list, and deletes them and the notice just queued."""
    event_id = _event(engine, capacity=1)
    forgotten = _resident(engine, event_id, "forgotten")
    waiting = _resident(engine, event_id, "waiting", status="waiting")
    now = WINTER - timedelta(days=10)
    holder, mover, forgetter = (f"{role}-{secrets.token_hex(4)}" for role in ("holder", "mover", "forgetter"))
    moved, forgot = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def move():
        own = named_engine(database_url, mover)
        try:
            with new_session(own) as session:
                move_and_tell(session, {}, event_id=event_id, starts_at=WINTER + timedelta(days=1), now=now)
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            moved.set()
            own.dispose()

    def forget():
        own = named_engine(database_url, forgetter)
        try:
            with new_session(own) as session:
                # As a turn finds its contact before `forget me` is carried out.
                contact = contacts.find_or_create_contact(
                    session, channel="webchat", address_hash=keyed_hash("k", "webchat", "forgotten"),
                    address_sealed=None, now=now)
                assert forgetting.forget_contact(session, contact_id=contact.id, now=now).contacts == 1
                session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            forgot.set()
            own.dispose()

    hold = named_engine(database_url, holder)
    threads: list[threading.Thread] = []
    try:
        with new_session(hold) as session:
            session.execute(select(Event).where(Event.id == event_id).with_for_update()).scalar_one()
            threads.append(threading.Thread(target=move))
            threads[-1].start()
            hold_until_blocked_or_done(database_url, moved, mover)
            threads.append(threading.Thread(target=forget))
            threads[-1].start()
            hold_until_blocked_or_done(database_url, forgot, forgetter)
            session.commit()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        hold.dispose()
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []  # a deadlock aborts one of them (DeadlockDetected)
    with new_session(engine) as session:
        assert session.get(Event, event_id).starts_at == WINTER + timedelta(days=1)
        assert session.get(Contact, forgotten) is None
        places = dict(session.execute(select(Rsvp.contact_id, Rsvp.status).where(Rsvp.event_id == event_id)).all())
    assert places == {waiting: "attending"}
    # The forgotten resident's notice of the move went with them; the one now holding the place has theirs.
    assert {message.contact_id for message in _outbox(engine)} == {waiting}
