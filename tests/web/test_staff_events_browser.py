"""The staff events pages in a real browser (Debian's chromium) on a 320 px screen: an organiser adds an
event with the keyboard-usable form, and the list, the form and the event page scroll only downwards and
give axe-core nothing serious. Screenshots: tests/artifacts/."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storage import agenda
from storage.database import make_engine, new_session
from storage.models import Event
from tests.web.browser_checks import PASSWORD, SMALL_PHONE, add_staff_account, serious_axe_violations

pytestmark = pytest.mark.browser


def _upcoming_event_with_an_item(database_url) -> int:
    engine = make_engine(database_url)
    now = datetime.now(timezone.utc)
    with new_session(engine) as session:
        event = Event(title="Weavers ward panel", kind="ward_panel", starts_at=now + timedelta(days=20),
                      place="Weavers Community Centre", capacity=40, created_at=now,
                      offers={"interpreters": ["bn", "syl"], "food": True})
        session.add(event)
        session.flush()
        agenda.save_item(session, topic="unsafe_place", text="The stair lights are out again", language="en",
                         now=now, event_id=event.id)
        session.commit()
        event_id = event.id
    engine.dispose()
    return event_id


def test_an_organiser_uses_the_events_pages_at_320px(new_context, live_server, live_database_url, artifacts):
    add_staff_account(live_database_url, "organiser@council.example", "organiser", "council")
    event_id = _upcoming_event_with_an_item(live_database_url)
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email address").fill("organiser@council.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/")

    for path in ("/staff/events", f"/staff/events/{event_id}", "/staff/events/new"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path  # no sideways scrolling
        assert serious_axe_violations(page) == [], path
    page.screenshot(path=str(artifacts / "staff-event-new-320.png"), full_page=True)

    # Every field has its label; the start is a native date and time picker on a phone.
    page.get_by_label("Title").fill("Spitalfields forum")
    assert page.get_by_label("Day", exact=True).get_attribute("type") == "date"
    page.get_by_label("Day", exact=True).fill((datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%d"))
    page.get_by_label("Time", exact=True).fill("18:30")
    page.get_by_label("Sylheti").check()
    page.get_by_label("British Sign Language (BSL)").check()
    page.get_by_role("button", name="Add the event").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]")
    assert "Spitalfields forum" in page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.screenshot(path=str(artifacts / "staff-event-added-320.png"), full_page=True)
