"""RSVPs through the web chat, saved once per person per event, on SQLite and PostgreSQL."""
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
