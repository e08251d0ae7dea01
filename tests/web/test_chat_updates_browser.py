"""A reminder reaches a resident in the web chat: it waits on the server until the open page asks for it
(POST /chat/api/updates, when the page becomes visible and every minute while it is) and says it showed it.
A question among them ("how was it?") brings its buttons; a lost answer loses nothing; nothing shows twice."""
from __future__ import annotations

import json
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from bot.followups import ask_how_it_went
from bot.settings import ReminderOffset, Settings
from bot.worker import run_due_work
from storage import outbox
from storage.database import make_engine, new_session
from storage.models import Contact, Event, OutboxMessage, Rsvp
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.web.test_chat_browser import PHONE, bot_messages, choice_keys, open_chat, tap


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
        # No sending channel is configured: the web chat needs none, its reminder is queued all the same.
        assert run_due_work(engine, settings, {}, now=utcnow())["reminders_queued"] == 1
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
    assert answered.value.json() == {"messages": []}
    expect(bot_messages(page)).to_have_count(seen + 1)


def _the_only_webchat_contact(session) -> int:
    return session.execute(select(Contact.id).where(Contact.channel == "webchat")).scalar_one()


def _queue_notice_for_the_page(live_database_url, text: str) -> int:
    """A notice waiting in the outbox for the one web chat contact; returns its id."""
    engine = make_engine(live_database_url)
    try:
        with new_session(engine) as session:
            [message_id] = outbox.enqueue(
                session, contact_id=_the_only_webchat_contact(session), channel="webchat", kind="event_notice",
                language="en", payloads=[{"replies": [{"text": text, "lang": "en", "choices": []}]}], now=utcnow())
            session.commit()
        return message_id
    finally:
        engine.dispose()


def _status(live_database_url, message_id: int) -> str:
    engine = make_engine(live_database_url)
    try:
        with new_session(engine) as session:
            return session.get(OutboxMessage, message_id).status
    finally:
        engine.dispose()


def _ask_for_updates(page) -> None:
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def test_how_was_it_brings_its_buttons_and_a_tap_answers_it(new_context, live_server, live_database_url):
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:en")
    engine = make_engine(live_database_url)
    try:
        now = utcnow()
        with new_session(engine) as session:
            event = Event(title="Weavers ward panel", starts_at=now - timedelta(hours=3),
                          ends_at=now - timedelta(hours=1), place="Weavers Community Centre",
                          created_at=now - timedelta(days=10))
            session.add(event)
            session.flush()
            session.add(Rsvp(event_id=event.id, contact_id=_the_only_webchat_contact(session), status="attending",
                             needs=[], created_at=now - timedelta(days=2), updated_at=now - timedelta(days=2),
                             confirmed_at=now - timedelta(days=2)))
            session.commit()
        settings = Settings(secret_key=TEST_SECRET_KEY)
        assert ask_how_it_went(engine, settings, {}, now=utcnow()) == 1
    finally:
        engine.dispose()

    seen = bot_messages(page).count()
    _ask_for_updates(page)
    expect(bot_messages(page)).to_have_count(seen + 1)
    expect(bot_messages(page).last).to_contain_text("Weavers ward panel")
    # The question's own buttons replace the menu's: the five ratings and "I could not go".
    expect(page.locator("#choices button")).to_have_count(6)
    assert choice_keys(page) == ["rate:1", "rate:2", "rate:3", "rate:4", "rate:5", "absent"]
    with page.expect_request("**/chat/api/messages") as tapped:
        tap(page, "rate:4")
    assert tapped.value.post_data_json["choice"] == "rate:4"
    # Answered, not missed: the flow goes on to the optional comment, which can be skipped.
    assert choice_keys(page) == ["skip"]


def test_a_lost_answer_loses_no_message_and_a_repeated_one_shows_nothing_twice(
        new_context, live_server, live_database_url):
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:en")
    message_id = _queue_notice_for_the_page(live_database_url, "The Weavers ward panel has moved to Thursday.")
    invented = {"id": 2**40, "replies": [{"text": "A second notice.", "lang": "en", "choices": []}]}
    asked: list[dict] = []
    answers: list[dict] = []

    def lose_then_repeat(route) -> None:
        asked.append(route.request.post_data_json)
        if len(asked) == 1:
            # The server answers, but the connection drops part way: the page gets a broken answer.
            # (Not route.abort(): chromium logs that as a console error, which fails any browser test.)
            answer = route.fetch()
            assert answer.json()["messages"]
            route.fulfill(status=200, content_type="application/json", body=answer.text()[:12])
        elif len(asked) == 2:
            answer = route.fetch()
            answers.append(answer.json())
            route.fulfill(response=answer)
        elif len(asked) == 3:
            # A faulty proxy answers the page's acknowledgement with the last answer again, plus one more
            # message: the page shows only the new one.
            route.fulfill(status=200, content_type="application/json",
                          body=json.dumps({"messages": answers[-1]["messages"] + [invented]}))
        else:
            route.continue_()

    page.route("**/chat/api/updates", lose_then_repeat)
    seen = bot_messages(page).count()
    with page.expect_response("**/chat/api/updates"):
        _ask_for_updates(page)
    assert _status(live_database_url, message_id) == "pending"

    # Asked again (the next minute, or the tab shown again): it comes, then the page says it showed it.
    # The page asks only once it has dealt with the broken answer, so the tab is "shown" until it does.
    with page.expect_response(lambda response: "/chat/api/updates" in response.url
                              and response.request.post_data_json["ack"] == [message_id, invented["id"]]) as last:
        page.wait_for_function(
            "seen => document.querySelectorAll('#log li.bot').length > seen"
            " || document.dispatchEvent(new Event('visibilitychange')) && false",
            arg=seen, polling=50,
        )
    assert [message["id"] for message in answers[0]["messages"]] == [message_id]
    assert [body["ack"] for body in asked] == [[], [], [message_id], [message_id, invented["id"]]]
    assert last.value.json() == {"messages": []}
    assert bot_messages(page).all_inner_texts()[seen:] == [
        "The Weavers ward panel has moved to Thursday.", "A second notice."]
    assert _status(live_database_url, message_id) == "sent"
    # A reload keeps what was shown, once.
    page.reload()
    expect(bot_messages(page)).to_have_count(seen + 2)
