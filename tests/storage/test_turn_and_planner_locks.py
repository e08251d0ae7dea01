"""A resident's turn and the reminder planner at once, on the same event and contact: neither waits for
the other and they cannot deadlock. The turn locks its contact (find_or_create_contact) and then the
event (save_rsvp); the planner holds the event FOR KEY SHARE (_queue_moment) and then inserts outbox
rows whose foreign key takes FOR KEY SHARE on the contact. With FOR NO KEY UPDATE on both of the turn's
locks, nothing conflicts; with plain FOR UPDATE the two wait for each other in a circle."""
from __future__ import annotations

import secrets
import threading
from datetime import timedelta

from sqlalchemy import select

from bot.reminders import reminder_moment
from storage import contacts
from storage import events as event_store
from storage import reminders
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Rsvp
from tests.concurrency import hold_until_blocked_or_done, named_engine, run_together
from tests.storage.test_reminders import TWO_DAYS, WINTER, _event, _outbox, _plan, _resident


def test_a_turn_answering_while_the_planner_queues_its_reminder_neither_waits_nor_deadlocks(
        database_url, engine, backend, monkeypatch):
    """The planner takes the event and pauses before its outbox insert; the turn locks the contact and
    answers (save_rsvp) meanwhile, then keeps its transaction open while the planner inserts the
    resident's reminder. On PostgreSQL each side checks the other never had to wait for a lock: with
    FOR UPDATE in save_rsvp the turn waits for the planner's key share on the event, with FOR UPDATE in
    find_or_create_contact the planner's insert waits for the turn's contact, and with both the two
    deadlock. SQLite serialises writers (BEGIN IMMEDIATE), so there the turn waits its turn and both
    still finish, with the reminder queued and the answer kept."""
    event_id = _event(engine)
    contact_id = _resident(engine, event_id, "resident", channel="telegram")
    now = reminder_moment(WINTER, TWO_DAYS) + timedelta(minutes=1)
    planner_name, turn_name = f"planner-{secrets.token_hex(4)}", f"turn-{secrets.token_hex(4)}"
    planner_holds, turn_saved, planner_done = threading.Event(), threading.Event(), threading.Event()
    waited, errors = [], []
    real_queue = reminders.queue_reminders

    def hold_then_queue(session, **kwargs):
        # Here _queue_moment holds the event FOR KEY SHARE and has not inserted into the outbox yet.
        planner_holds.set()
        hold_until_blocked_or_done(database_url, turn_saved, turn_name)
        if not turn_saved.is_set():
            waited.append("the turn waited for the planner's event")
        return real_queue(session, **kwargs)

    monkeypatch.setattr(reminders, "queue_reminders", hold_then_queue)

    def planner():
        own = named_engine(database_url, planner_name)
        try:
            assert _plan(own, now, offsets=(TWO_DAYS,)).queued == 1
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            planner_done.set()
            own.dispose()

    def turn():
        own = named_engine(database_url, turn_name)
        try:
            assert planner_holds.wait(20)
            with new_session(own) as session:
                contact = contacts.find_or_create_contact(
                    session, channel="telegram", address_hash=keyed_hash("k", "telegram", "resident"),
                    address_sealed=None, now=now)
                assert contact.id == contact_id
                event_store.save_rsvp(session, event_id=event_id, contact_id=contact_id, attending=True,
                                      needs=("step_free",), interpreter_language=None, now=now)
                turn_saved.set()
                # Still holding the contact while the planner inserts this resident's reminder.
                hold_until_blocked_or_done(database_url, planner_done, planner_name)
                if not planner_done.is_set():
                    waited.append("the planner's outbox insert waited for the turn's contact")
                session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            turn_saved.set()
            own.dispose()

    threads = run_together(planner, turn)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []  # a deadlock aborts one of them (DeadlockDetected)
    if backend == "postgresql":
        assert waited == []
    assert [(message.contact_id, message.kind) for message in _outbox(engine)] == [(contact_id, "reminder")]
    with new_session(engine) as session:
        rsvp = session.execute(select(Rsvp).where(Rsvp.event_id == event_id)).scalar_one()
        assert (rsvp.contact_id, rsvp.status, rsvp.needs) == (contact_id, "attending", ["step_free"])
