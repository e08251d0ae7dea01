"""The poster in a real browser (Debian's chromium): a Bengali page prints as one A4 page with its text in
Bengali script and QR codes, and the page loads nothing from anywhere. Screenshot: tests/artifacts/."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from storage import events
from storage.database import make_engine, new_session

pytestmark = pytest.mark.browser

A4 = {"width": 794, "height": 1123}  # CSS pixels at 96 dpi


def _add_event(database_url) -> int:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        event = events.create_event(
            session, title="Weavers ward panel", starts_at=datetime(2099, 7, 14, 17, 30, tzinfo=timezone.utc),
            ends_at=datetime(2099, 7, 14, 19, 30, tzinfo=timezone.utc), now=datetime.now(timezone.utc),
            ward_slug="weavers", place="Weavers Community Centre", kind="ward_panel",
            titles={"bn": "উইভার্স ওয়ার্ড প্যানেল"}, descriptions={"bn": "পুলিশ ও কাউন্সিলকে বলুন কী নিয়ে কাজ করতে হবে।"},
            offers={"interpreters": ["bn", "syl", "so"], "food": True, "childcare": True, "step_free": True},
            decision_makers=["Ward councillors", "Safer Neighbourhood sergeant"])
        session.commit()
        event_id = event.id
    engine.dispose()
    return event_id


def test_the_bengali_poster_prints_on_one_a4_page_per_language(live_app, live_server, live_database_url, new_context,
                                                               artifacts):
    settings = live_app.extensions["safer_homes.settings"]
    live_app.extensions["safer_homes.settings"] = settings.with_overrides(
        telegram_bot_username="SaferHomesBot", twilio_whatsapp_number="+447700900123")
    event_id = _add_event(live_database_url)
    page = new_context(viewport=A4).new_page()
    page.goto(f"{live_server}/events/{event_id}/poster?lang=bn")
    section = page.locator("section.page")
    assert section.count() == 1 and section.get_attribute("lang") == "bn"
    assert page.locator("h1").inner_text() == "উইভার্স ওয়ার্ড প্যানেল"
    assert page.locator("section.page svg").count() == 2
    # Bengali digits for the day and time; the RSVP command stays as residents type it.
    text = section.inner_text()
    assert "১৮:৩০" in text and f"RSVP {event_id}" in text
    # Bengali script really renders (a missing font would draw boxes of the fallback font's width 0 or tofu):
    # the title is wider than a few pixels and the page fits its A4 width without sideways scrolling.
    assert page.locator("h1").bounding_box()["width"] > 200
    page.emulate_media(media="print")
    assert page.evaluate("document.documentElement.scrollWidth") <= A4["width"]
    page.screenshot(path=artifacts / "poster-bengali.png")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1

    both = new_context(viewport=A4).new_page()
    both.goto(f"{live_server}/events/{event_id}/poster?lang=en,bn,so")
    assert len(re.findall(rb"/Type\s*/Page\b", both.pdf(format="A4", print_background=True))) == 3
