"""A reminder reaches a resident in the web chat: it waits on the server until the open page asks for it
(POST /chat/api/updates, when the page becomes visible and every minute while it is)."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from bot.settings import ReminderOffset, Settings
from bot.worker import run_due_work
from storage.database import make_engine, new_session
from storage.models import Contact, Event, Rsvp
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.web.test_chat_browser import PHONE, bot_messages, open_chat, tap


def test_a_reminder_appears_in_the_open_chat_in_the_residents_language(new_context, live_server, live_database_url):
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:bn")
    engine = make_engine(live_database_url)
    try:
        now = utcnow()
        with new_session(engine) as session:
            contact_id = session.execute(select(Contact.id).where(Contact.channel == "webchat")).scalar_one()
            event = Event(title="Spitalfields ward panel", starts_at=now + timedelta(hours=2, seconds=-30),
                          place="Toynbee Hall", created_at=now)
            session.add(event)
            session.flush()
            session.add(Rsvp(event_id=event.id, contact_id=contact_id, status="attending", needs=["interpreter"],
                             interpreter_language="bn", created_at=now, updated_at=now,
                             confirmed_at=now - timedelta(minutes=5)))
            session.commit()
            event_id = event.id
        settings = Settings(secret_key=TEST_SECRET_KEY, reminder_offsets=(ReminderOffset(2, "h"),))
        assert run_due_work(engine, settings, now=utcnow())["reminders_queued"] == 1
    finally:
        engine.dispose()

    seen = bot_messages(page).count()
    # The resident comes back to the tab: the page asks for what waits at once.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(bot_messages(page)).to_have_count(seen + 1)
    reminder = bot_messages(page).last
    expect(reminder).to_contain_text("Spitalfields ward panel")
    expect(reminder).to_contain_text(f"RSVP {event_id}")
    expect(reminder).to_have_attribute("lang", "bn")
    # Handed over once: asking again shows nothing new.
    with page.expect_response("**/chat/api/updates") as answered:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert answered.value.json() == {"replies": []}
    expect(bot_messages(page)).to_have_count(seen + 1)
