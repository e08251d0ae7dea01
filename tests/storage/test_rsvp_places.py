"""Places and the waiting list: a yes gets a place or joins the list, a place given back goes to the
first in line, and two people answering at once for the last place never both get it."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import contacts, events
from storage.database import make_engine, new_session
from storage.models import Event, Rsvp
from storage.types import utcnow
from tests.concurrency import hold_until_blocked_or_done, run_together
from tests.helpers import dump_every_table

NOW = utcnow().replace(microsecond=0)


def _setup(engine, *, capacity, people=4) -> tuple[int, list[int]]:
    with new_session(engine) as session:
        event = events.create_event(session, title="Bow East ward panel", starts_at=NOW + timedelta(days=9), now=NOW,
                                    ward_slug="bow-east", capacity=capacity)
        ids = []
        for n in range(people):
            contact = contacts.find_or_create_contact(session, channel="telegram", address_hash=f"hash-{n}",
                                                      address_sealed=None, now=NOW)
            contacts.set_contact_language(session, contact_id=contact.id, language=["bn", "so", "en", "en"][n % 4])
            ids.append(contact.id)
        session.commit()
        return event.id, ids


def _answer(engine, event_id, contact_id, attending=True, *, at=0, needs=(), interpreter=None) -> events.RsvpSaved:
    with new_session(engine) as session:
        saved = events.save_rsvp(session, event_id=event_id, contact_id=contact_id, attending=attending, needs=needs,
                                 interpreter_language=interpreter, now=NOW + timedelta(minutes=at))
        session.commit()
        session.refresh(saved.rsvp)
        session.expunge_all()
        return saved


def _statuses(engine, event_id) -> dict[int, str]:
    with new_session(engine) as session:
        return {r.contact_id: r.status for r in session.execute(select(Rsvp).where(Rsvp.event_id == event_id)).scalars()}


def test_a_yes_gets_a_place_until_they_are_gone_then_joins_the_waiting_list(engine):
    event_id, (a, b, c, d) = _setup(engine, capacity=2)
    assert _answer(engine, event_id, a, at=1).rsvp.confirmed_at == NOW + timedelta(minutes=1)
    _answer(engine, event_id, b, at=2)
    waiting = _answer(engine, event_id, c, at=3).rsvp
    assert (waiting.status, waiting.confirmed_at, waiting.waiting_since) == ("waiting", None, NOW + timedelta(minutes=3))
    _answer(engine, event_id, d, at=4)
    assert _statuses(engine, event_id) == {a: "attending", b: "attending", c: "waiting", d: "waiting"}
    with new_session(engine) as session:
        seen = events.event_for_resident(session, event_id=event_id, contact_id=d)
        assert (seen.places_left, seen.rsvp.status, seen.waiting_position) == (0, "waiting", 2)
        [listed] = events.upcoming_events_for_residents(session, now=NOW)
        assert listed.places_left == 0 and listed.ward_slug == "bow-east"


def test_a_place_given_back_goes_to_the_first_in_line_who_is_returned_to_be_told(engine):
    event_id, (a, b, c, d) = _setup(engine, capacity=2)
    for n, who in enumerate((a, b, c, d)):
        _answer(engine, event_id, who, at=n)
    saved = _answer(engine, event_id, a, attending=False, at=10)
    assert saved.rsvp.status == "declined"
    assert saved.promoted == (events.PlaceOffered(contact_id=c, channel="telegram", language="en"),)
    assert _statuses(engine, event_id) == {a: "declined", b: "attending", c: "attending", d: "waiting"}
    with new_session(engine) as session:
        promoted = session.execute(select(Rsvp).where(Rsvp.contact_id == c)).scalar_one()
        assert (promoted.confirmed_at, promoted.waiting_since) == (NOW + timedelta(minutes=10), None)
        assert events.event_for_resident(session, event_id=event_id, contact_id=d).waiting_position == 1


def test_leaving_the_waiting_list_or_saying_no_again_gives_no_place_away(engine):
    event_id, (a, b, c, d) = _setup(engine, capacity=1)
    for n, who in enumerate((a, b, c)):
        _answer(engine, event_id, who, at=n)
    assert _answer(engine, event_id, b, attending=False, at=5).promoted == ()
    assert _answer(engine, event_id, d, attending=False, at=6).promoted == ()
    assert _statuses(engine, event_id) == {a: "attending", b: "declined", c: "waiting", d: "declined"}


def test_answering_again_changes_needs_but_not_the_place_or_the_place_in_line(engine):
    event_id, (a, b, c, d) = _setup(engine, capacity=1)
    _answer(engine, event_id, a, at=1)
    _answer(engine, event_id, b, at=2)
    again = _answer(engine, event_id, a, at=7, needs=("interpreter", "food"), interpreter="syl").rsvp
    assert (again.status, again.confirmed_at, again.needs, again.interpreter_language) == (
        "attending", NOW + timedelta(minutes=1), ["interpreter", "food"], "syl")
    still = _answer(engine, event_id, b, at=8, needs=("childcare",)).rsvp
    assert (still.status, still.waiting_since, still.needs) == ("waiting", NOW + timedelta(minutes=2), ["childcare"])


def test_not_coming_keeps_no_needs_and_an_interpreter_language_needs_an_interpreter(engine):
    event_id, (a, b, *_) = _setup(engine, capacity=None)
    assert _answer(engine, event_id, a, needs=("food",), interpreter="bn").rsvp.interpreter_language is None
    declined = _answer(engine, event_id, a, attending=False).rsvp
    assert (declined.needs, declined.interpreter_language, declined.confirmed_at) == ([], None, None)
    for who in (a, b):  # without a capacity everyone has a place
        assert _answer(engine, event_id, who, at=3).rsvp.status == "attending"


def test_bad_answers_are_refused_and_change_nothing(database_url, engine):
    event_id, (a, *_) = _setup(engine, capacity=1)
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(ValueError, match="unknown needs"):
            events.save_rsvp(session, event_id=event_id, contact_id=a, attending=True, needs=("limousine",),
                             interpreter_language=None, now=NOW)
        with pytest.raises(LookupError, match="no event 999"):
            events.save_rsvp(session, event_id=999, contact_id=a, attending=True, needs=(),
                             interpreter_language=None, now=NOW)
    assert dump_every_table(database_url) == before


def test_two_people_answering_at_once_for_the_last_place_never_both_get_it(database_url, engine):
    """The first holds the event row (uncommitted) while the second answers; on PostgreSQL we wait until
    the second is really blocked on the lock before the first commits, so without the lock both would
    count one place free and both get it."""
    event_id, (a, b, *_) = _setup(engine, capacity=1)
    first_saved, second_done, outcomes, errors = threading.Event(), threading.Event(), {}, []

    def first():
        other = make_engine(database_url)
        try:
            with new_session(other) as session:
                saved = events.save_rsvp(session, event_id=event_id, contact_id=a, attending=True, needs=(),
                                         interpreter_language=None, now=NOW)
                outcomes[a] = saved.rsvp.status
                first_saved.set()
                # PostgreSQL: until any connection to the database waits on a lock (the second, on the
                # event row) or the second has answered without waiting; SQLite: a short pause.
                hold_until_blocked_or_done(database_url, second_done)
                session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            other.dispose()

    def second():
        other = make_engine(database_url)
        try:
            first_saved.wait(20)
            with new_session(other) as session:
                saved = events.save_rsvp(session, event_id=event_id, contact_id=b, attending=True, needs=(),
                                         interpreter_language=None, now=NOW)
                outcomes[b] = saved.rsvp.status
                session.commit()
            second_done.set()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            other.dispose()

    run_together(first, second)
    assert not errors
    assert outcomes == {a: "attending", b: "waiting"}
    assert _statuses(engine, event_id) == {a: "attending", b: "waiting"}


@pytest.mark.parametrize("closed", ["cancelled", "started"])
def test_a_cancelled_or_started_event_takes_no_answer_and_changes_nothing(database_url, engine, closed):
    event_id, (a, b, c, _) = _setup(engine, capacity=1)
    _answer(engine, event_id, a)
    _answer(engine, event_id, b)  # waiting: a place given back now must not be offered to them
    with new_session(engine) as session:
        if closed == "cancelled":
            events.cancel_event(session, event_id=event_id, now=NOW)
        else:
            session.get(Event, event_id).starts_at = NOW + timedelta(minutes=30)
        session.commit()
    before = dump_every_table(database_url)
    for who, attending in ((c, True), (a, False), (a, True), (b, False)):
        with new_session(engine) as session, pytest.raises(events.EventClosed, match=f"event {event_id} "):
            events.save_rsvp(session, event_id=event_id, contact_id=who, attending=attending, needs=(),
                             interpreter_language=None, now=NOW + timedelta(hours=1))
    assert dump_every_table(database_url) == before


def test_removing_the_limit_gives_everyone_waiting_a_place_in_order(engine):
    event_id, (a, b, c, d) = _setup(engine, capacity=1)
    for n, who in enumerate((a, b, c, d)):
        _answer(engine, event_id, who, at=n)
    with new_session(engine) as session:
        edited = events.update_event(session, event_id=event_id, now=NOW + timedelta(minutes=9), capacity=None)
        session.commit()
        assert edited.event.capacity is None
        assert [person.contact_id for person in edited.promoted] == [b, c, d]
        assert events.count_attending(session, event_id=event_id) == 4
        seen = events.event_for_resident(session, event_id=event_id, contact_id=d)
        assert (seen.places_left, seen.rsvp.confirmed_at) == (None, NOW + timedelta(minutes=9))
    assert _statuses(engine, event_id) == dict.fromkeys((a, b, c, d), "attending")


@pytest.mark.parametrize("capacity", [2, None])
def test_once_an_event_has_started_its_capacity_can_no_longer_change_and_nobody_waiting_is_moved_up(
        database_url, engine, capacity):
    event_id, (a, b, _, _) = _setup(engine, capacity=1)
    _answer(engine, event_id, a)
    _answer(engine, event_id, b)  # waiting
    with new_session(engine) as session:
        session.get(Event, event_id).starts_at = NOW + timedelta(minutes=30)
        session.commit()
    before = dump_every_table(database_url)
    with new_session(engine) as session, pytest.raises(events.EventDetails, match="has started"):
        events.update_event(session, event_id=event_id, now=NOW + timedelta(hours=3), capacity=capacity)
    assert dump_every_table(database_url) == before
    assert _statuses(engine, event_id) == {a: "attending", b: "waiting"}
