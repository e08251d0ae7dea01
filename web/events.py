"""GET /events/<id>.ics: one event as a calendar file, so a resident's phone can remind them too."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app
from icalendar import Calendar, Event as CalendarEvent

from storage import events
from storage.database import new_session

blueprint = Blueprint("events", __name__)

# Events have a start time only; ward panels and forums usually run about two hours.
ASSUMED_LENGTH = timedelta(hours=2)


@blueprint.get("/events/<int:event_id>.ics")
def event_calendar_file(event_id: int):
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        found = events.find_event(session, event_id=event_id)
    if found is None:
        abort(404)
    event, ward_name = found
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@safer-homes")
    entry.add("summary", event.title)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.starts_at + ASSUMED_LENGTH)
    entry.add("dtstamp", event.created_at)
    if event.place or ward_name:
        entry.add("location", event.place or ward_name)
    if event.cancelled_at:
        entry.add("status", "CANCELLED")
    calendar = Calendar()
    calendar.add("prodid", "-//Safer Homes//Tower Hamlets//EN")
    calendar.add("version", "2.0")
    calendar.add_component(entry)
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="event-{event.id}.ics"'
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
