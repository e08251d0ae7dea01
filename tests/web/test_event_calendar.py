"""GET /events/<id>.ics: the calendar file a resident's phone reads, with the event's own end time and the
venue a resident can find on a map."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar
from sqlalchemy import select

from storage.database import new_session
from storage.models import ASSUMED_EVENT_LENGTH, Event, Space, Ward

UTC = timezone.utc
STARTS = datetime(2026, 12, 8, 18, 30, tzinfo=UTC)


def _add_event(engine, **fields) -> int:
    with new_session(engine) as session:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == "weavers")).scalar_one()
        event = Event(title="Weavers ward panel", starts_at=STARTS, ward_id=ward_id, created_at=STARTS - timedelta(days=9),
                      **fields)
        session.add(event)
        session.commit()
        return event.id


def _add_space(engine) -> int:
    with new_session(engine) as session:
        space = Space(name="Weavers Community Centre", address="Bethnal Green Road, E2 6HG", cost="free",
                      created_at=STARTS, updated_at=STARTS)
        session.add(space)
        session.commit()
        return space.id


def _calendar_entry(client, event_id: int):
    response = client.get(f"/events/{event_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    return entry


def test_an_event_with_an_end_time_ends_then_in_the_calendar(client, engine):
    event_id = _add_event(engine, ends_at=STARTS + timedelta(minutes=90), place="Toynbee Hall")
    entry = _calendar_entry(client, event_id)
    assert entry.decoded("dtstart") == STARTS
    assert entry.decoded("dtend") == STARTS + timedelta(minutes=90)


def test_an_event_without_an_end_time_lasts_the_assumed_length(client, engine):
    event_id = _add_event(engine, place="Toynbee Hall")
    entry = _calendar_entry(client, event_id)
    assert entry.decoded("dtend") == STARTS + ASSUMED_EVENT_LENGTH == STARTS + timedelta(hours=2)
    assert str(entry["location"]) == "Toynbee Hall"


def test_an_event_in_a_space_from_the_directory_gives_its_name_and_address(client, engine):
    event_id = _add_event(engine, space_id=_add_space(engine))
    entry = _calendar_entry(client, event_id)
    assert str(entry["location"]) == "Weavers Community Centre, Bethnal Green Road, E2 6HG"


def test_an_event_with_no_venue_names_its_ward(client, engine):
    entry = _calendar_entry(client, _add_event(engine))
    assert str(entry["location"]) == "Weavers"


def test_an_unknown_event_has_no_calendar_file(client):
    assert client.get("/events/999999.ics").status_code == 404
