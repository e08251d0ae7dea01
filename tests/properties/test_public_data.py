"""What machines read, for any set of reports and any event, on SQLite and PostgreSQL: the public CSV and
JSON downloads say the same figures as each other, hide every count under 5 the same way, and carry no
resident's words; an event's calendar file parses back to its own title and venue whatever they hold."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy import select

from storage.database import new_session
from storage.models import Event, Ward
from storage.public_figures import clear_public_figures_cache
from tests.storage.test_public_figures import IN_APRIL, IN_JUNE, IN_MAY, NOW, Reports
from web.public_downloads import CSV_COLUMNS

SHARED_APP = settings(max_examples=25, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MARKER = "Resident-words-marker-9q"
# Counts of things people did, which are hidden under 5; agency times and targets are figures from counts.
COUNT_SECTIONS = {("reports", "count"), ("satisfaction", "answers"), ("satisfaction", "yes"), ("satisfaction", "partly"),
                  ("satisfaction", "no"), ("night_safety", "unsafe_place_reports"),
                  ("night_safety", "women_and_girls_reports"), ("agency", "reports"), ("agency", "responded"),
                  ("agency", "closed")}

reports = st.lists(st.fixed_dictionaries({
    "category": st.sampled_from(("asb", "drugs", "noise", "unsafe_place", "other", "harassment")),
    "status": st.sampled_from(("received", "in_progress", "action_taken", "referred", "closed")),
    "ward": st.sampled_from(("weavers", "bow-east", None)),
    "at": st.sampled_from((IN_JUNE, IN_MAY, IN_APRIL, NOW - timedelta(days=400))),
    "spam": st.booleans(),
    "time_of_day": st.sampled_from((None, "morning", "night")),
    "woman_or_girl": st.sampled_from((None, True)),
    "shared": st.sampled_from(((), (("council", 1, 3),), (("council", None, None), ("police", 2, None)))),
    "copies": st.integers(1, 12),
}), max_size=8)


@pytest.fixture
def frozen(app):
    app.extensions["safer_homes.clock"] = lambda: NOW
    clear_public_figures_cache()
    yield app
    clear_public_figures_cache()


def _add(engine, batch) -> None:
    with new_session(engine) as session:
        made = Reports(session)
        for item in batch:
            unsafe = item["category"] == "unsafe_place"
            for _ in range(item["copies"]):
                made.add(category=item["category"], status=item["status"], ward=item["ward"], at=item["at"],
                         spam=item["spam"], time_of_day=item["time_of_day"] if unsafe else None,
                         woman_or_girl=item["woman_or_girl"] if unsafe else None, shared=item["shared"],
                         description=MARKER, location_text=MARKER, when_text=MARKER)
        session.commit()


def _figure(value):
    """A CSV cell as the JSON holds it: empty is null, numbers are numbers."""
    if value == "":
        return None
    return float(value) if "." in value else int(value)


@SHARED_APP
@given(batch=reports, where=st.sampled_from(("/public/wards/weavers", "/public/wards/bow-east", "/public")))
@example(batch=[{"category": "noise", "status": "closed", "ward": "weavers", "at": IN_JUNE, "spam": False,
                 "time_of_day": None, "woman_or_girl": None, "shared": (("council", 1, 3),), "copies": 4}],
         where="/public/wards/weavers")
def test_the_csv_and_json_downloads_say_the_same_and_hide_every_count_under_five(frozen, batch, where):
    client = frozen.test_client()
    _add(frozen.extensions["safer_homes.engine"], batch)
    clear_public_figures_cache()
    as_json, as_csv = client.get(f"{where}.json"), client.get(f"{where}.csv")
    assert as_json.status_code == as_csv.status_code == 200
    for body in (as_json.get_data(as_text=True), as_csv.get_data(as_text=True)):
        assert MARKER not in body
    document = as_json.get_json()
    text = as_csv.get_data(as_text=True)
    assert text.splitlines()[0].split(",") == list(CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        assert set(row) == set(CSV_COLUMNS) and row["suppressed"] in ("true", "false")
        if row["section"] != "target":
            assert (row["value"] == "") == (row["suppressed"] == "true"), row
        if (row["section"], row["measure"]) in COUNT_SECTIONS and row["value"] != "":
            assert int(row["value"]) >= 5, f"a count under 5 is shown: {row}"
    # Every report count in the CSV is the JSON's, hidden or shown alike.
    figures = document["reports"]
    months = {month["month"]: month for month in figures["months"]}
    for row in rows:
        if row["section"] != "reports":
            continue
        held = figures if row["month"] == "" else months[row["month"]]
        if row["category"]:
            expected = held["by_category"][row["category"]]
        elif row["status"]:
            expected = held["by_status"][row["status"]]
        else:
            expected = held["total"]
        assert _figure(row["value"]) == expected, (row, expected)
    assert sum(1 for row in rows if row["section"] == "reports" and not row["month"] and not row["category"]
               and not row["status"]) == 1
    shown = [value for value in [figures["total"], *figures["by_category"].values(), *figures["by_status"].values()]
             if value is not None]
    assert all(value >= 5 for value in shown)
    event(f"report counts shown: {len(shown)}")


# --- calendar files -----------------------------------------------------------------------------------------------

# What an organiser may type, less what no database keeps (NUL) and what no form lets through (surrogates).
organiser_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                         max_size=80).filter(lambda text: text.strip())


def _one_kind_of_line_break(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@SHARED_APP
@given(title=organiser_text, place=st.none() | organiser_text,
       starts=st.datetimes(min_value=NOW.replace(tzinfo=None), max_value=NOW.replace(tzinfo=None) + timedelta(days=800)),
       minutes=st.none() | st.integers(1, 60 * 24 * 3), cancelled=st.booleans())
@example(title="Ward panel; with, commas\\ and \n new lines", place="Hall: \"A\" <b>", starts=NOW.replace(tzinfo=None),
         minutes=None, cancelled=True)
@example(title="Panel\r\nLOCATION:Somewhere else\r\nEND:VEVENT", place="Hall\rDTSTART:19700101T000000Z",
         starts=NOW.replace(tzinfo=None), minutes=30, cancelled=False)
def test_a_calendar_file_reads_back_the_event_as_written(app, client, title, place, starts, minutes, cancelled):
    from datetime import timezone

    starts = starts.replace(tzinfo=timezone.utc, microsecond=0)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == "weavers")).scalar_one()
        event = Event(title=title, starts_at=starts, ends_at=starts + timedelta(minutes=minutes) if minutes else None,
                      ward_id=ward_id, place=place, created_at=NOW, cancelled_at=NOW if cancelled else None)
        session.add(event)
        session.commit()
        event_id = event.id
    response = client.get(f"/events/{event_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    [entry] = Calendar.from_ical(response.data).walk("VEVENT")
    # iCalendar text has one kind of line break: a carriage return comes back as a new line, and nothing
    # typed can end the line early to add a property of its own (the venue and times are still the event's).
    assert str(entry["summary"]) == _one_kind_of_line_break(title)
    assert str(entry["location"]) == (_one_kind_of_line_break(place) if place else "Weavers")
    assert entry.decoded("dtstart") == starts
    assert entry.decoded("dtend") > starts
    assert (str(entry.get("status", "")) == "CANCELLED") == cancelled
