"""RSVPs through the web chat, saved once per person per event, on SQLite and PostgreSQL."""
import dataclasses
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import events
from storage.database import make_engine, new_session
from storage.models import Rsvp
from storage.types import utcnow
from tests.helpers import WebChat


def _add_event(database_url, **overrides) -> int:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        values = dict(title="Weavers ward panel", starts_at=utcnow() + timedelta(days=10), now=utcnow(),
                      ward_slug="weavers", place="Weavers Community Centre")
        values.update(overrides)
        event = events.create_event(session, **values)
        session.commit()
        event_id = event.id
    engine.dispose()
    return event_id


def _rsvps(database_url):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = [(r.event_id, r.status, r.needs, r.interpreter_language) for r in session.execute(select(Rsvp)).scalars()]
    engine.dispose()
    return rows


def test_an_rsvp_with_needs_is_saved_and_a_change_of_mind_replaces_it(client, database_url):
    event_id = _add_event(database_url)
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:so")
    chat.send(choice="menu:events")
    assert chat.keys == [f"event:{event_id}", "menu"]
    chat.send(choice=f"event:{event_id}")
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:interpreter")
    chat.send(choice="need:step_free")
    chat.send(choice="done")
    chat.send(choice="interp:so")
    assert _rsvps(database_url) == [(event_id, "attending", ["interpreter", "step_free"], "so")]
    chat.send(f"RSVP {event_id}")
    chat.send(choice="rsvp:no")
    assert _rsvps(database_url) == [(event_id, "declined", [], None)]


def test_past_events_are_not_listed_and_take_no_reply(client, database_url):
    event_id = _add_event(database_url)
    engine = make_engine(database_url)
    with new_session(engine) as session:
        session.get(events.Event, event_id).starts_at = utcnow() - timedelta(hours=1)
        session.commit()
    engine.dispose()
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send(f"RSVP {event_id}")
    assert "not open for replies" in chat.text and _rsvps(database_url) == []


def test_unknown_needs_are_refused_by_storage(engine):
    with new_session(engine) as session, pytest.raises(ValueError):
        events.save_rsvp(session, event_id=1, contact_id=1, attending=True, needs=("limousine",),
                         interpreter_language=None, now=utcnow())


def test_the_confirmation_links_a_calendar_file_that_phones_can_read(client, database_url):
    from icalendar import Calendar

    event_id = _add_event(database_url, place="Weavers Community Centre")
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send(f"RSVP {event_id}")
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:none")
    assert f"/events/{event_id}.ics" in chat.text
    response = client.get(f"/events/{event_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(entry["summary"]) == "Weavers ward panel"
    assert str(entry["location"]) == "Weavers Community Centre"
    assert client.get("/events/999999.ics").status_code == 404


def _outbox(database_url):
    from storage.models import OutboxMessage

    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = [(m.contact_id, m.kind, m.event_id, m.expires_at, m.language, m.payload)
                for m in session.execute(select(OutboxMessage)).scalars()]
    engine.dispose()
    return rows


def _contact_ids(database_url):
    from storage.models import Contact

    engine = make_engine(database_url)
    with new_session(engine) as session:
        ids = session.execute(select(Contact.id).order_by(Contact.id)).scalars().all()
    engine.dispose()
    return ids


def test_a_full_event_has_a_waiting_list_and_a_place_given_back_goes_to_the_first_in_it(client, database_url):
    event_id = _add_event(database_url, capacity=1)
    first, second = WebChat(client), WebChat(client)
    for chat, lang in ((first, "bn"), (second, "so")):
        chat.send(choice="start")
        chat.send(choice=f"lang:{lang}")
    first.send(f"RSVP {event_id}")
    first.send(choice="rsvp:yes")
    first.send(choice="need:none")
    assert f"/events/{event_id}.ics" in first.text
    second.send(f"RSVP {event_id}")
    assert second.keys[0] == "rsvp:yes"  # "join the waiting list", in Somali
    second.send(choice="rsvp:yes")
    second.send(choice="need:step_free")
    second.send(choice="done")
    assert f"/events/{event_id}.ics" not in second.text
    assert [status for _, status, _, _ in _rsvps(database_url)] == ["attending", "waiting"]

    first.send(f"RSVP {event_id}")
    assert first.keys[:3] == ["rsvp:needs", "rsvp:no", "rsvp:keep"]
    first.send(choice="rsvp:no")
    assert sorted(status for _, status, _, _ in _rsvps(database_url)) == ["attending", "declined"]
    _, second_id = _contact_ids(database_url)
    [(contact_id, kind, about, expires_at, language, payload)] = _outbox(database_url)
    assert (contact_id, kind, about, language) == (second_id, "place_offered", event_id, "so")
    assert expires_at is not None and f"RSVP {event_id}" in payload["replies"][0]["text"]
    second.send(f"RSVP {event_id}")
    assert second.keys[:3] == ["rsvp:needs", "rsvp:no", "rsvp:keep"]


def test_the_confirmation_tells_the_truth_when_the_last_place_goes_while_they_answer(client, database_url):
    event_id = _add_event(database_url, capacity=1)
    slow, quick = WebChat(client), WebChat(client)
    for chat in (slow, quick):
        chat.send(choice="start")
        chat.send(choice="lang:en")
        chat.send(f"RSVP {event_id}")
    assert "1 place left" in slow.text
    slow.send(choice="rsvp:yes")
    quick.send(choice="rsvp:yes")
    quick.send(choice="need:none")
    slow.send(choice="need:none")  # the flow expected a place; storage gave the waiting list
    assert "is full, so you are on the waiting list" in slow.text and "Thank you, you are on the list" not in slow.text
    assert sorted(status for _, status, _, _ in _rsvps(database_url)) == ["attending", "waiting"]


def _cancel(database_url, event_id):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        events.cancel_event(session, event_id=event_id, now=utcnow())
        session.commit()
    engine.dispose()


@pytest.mark.parametrize("answer", [["rsvp:yes"], ["rsvp:yes", "need:none"]])
def test_an_event_cancelled_between_showing_and_answering_takes_no_reply(client, database_url, answer):
    event_id = _add_event(database_url)
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send(f"RSVP {event_id}")
    for key in answer[:-1]:
        chat.send(choice=key)
    _cancel(database_url, event_id)
    chat.send(choice=answer[-1])
    assert "not open for replies" in chat.text and "Thank you, you are on the list" not in chat.text
    assert chat.keys[0] == "menu:report" and _rsvps(database_url) == []


@pytest.mark.parametrize("with_a_place", [False, True])
def test_a_cancellation_racing_the_answer_is_refused_by_storage_and_said(client, database_url, monkeypatch,
                                                                        with_a_place):
    """The flow read the event just before the organiser's cancellation committed: storage, which checks
    under the event's lock, refuses the answer and the resident is told, not thanked."""
    from bot import conversations

    event_id = _add_event(database_url, capacity=1)
    other = WebChat(client)
    other.send(choice="start")
    other.send(choice="lang:en")
    other.send(f"RSVP {event_id}")
    other.send(choice="rsvp:yes")
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    if with_a_place:
        chat.send(f"RSVP {event_id}")
        chat.send(choice="rsvp:yes")
        chat.send(choice="need:none")
        other.send(choice="need:none")  # on the waiting list: a place given back must not go to them now
    chat.send(f"RSVP {event_id}")
    before = _rsvps(database_url)
    real = conversations._lookup_event

    def read_before_the_cancellation(session, event_id, now, *, contact_id):
        found = real(session, event_id, now, contact_id=contact_id)
        return dataclasses.replace(found, cancelled=False) if found else None

    monkeypatch.setattr(conversations, "_lookup_event", read_before_the_cancellation)
    _cancel(database_url, event_id)
    if with_a_place:
        chat.send(choice="rsvp:no")
        assert "Your place is cancelled" not in chat.text
    else:
        chat.send(choice="rsvp:yes")
        chat.send(choice="need:none")
        assert "Thank you, you are on the list" not in chat.text and "waiting list" not in chat.text
    assert "That event is not open for replies" in chat.text and chat.keys[0] == "menu:report"
    assert _rsvps(database_url) == before and _outbox(database_url) == []


def test_each_lookup_goes_to_the_database_once_per_message(client, database_url, monkeypatch):
    """The flows ask for the events list, or one event, more than once in a message: the database is asked once."""
    event_id = _add_event(database_url)
    asked = Counter()

    def counted(name):
        real = getattr(events, name)

        def lookup(*args, **kwargs):
            asked[name] += 1
            return real(*args, **kwargs)
        return lookup

    for name in ("upcoming_events_for_residents", "event_for_resident"):
        monkeypatch.setattr(events, name, counted(name))
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    asked.clear()
    chat.send(choice="menu:events")
    assert chat.keys == [f"event:{event_id}", "menu"]
    assert asked == {"upcoming_events_for_residents": 1}
    asked.clear()
    chat.send(choice=f"event:{event_id}")
    assert "Weavers ward panel" in chat.text
    assert asked == {"event_for_resident": 1, "upcoming_events_for_residents": 1}
