"""Neutral previews, on SQLite and PostgreSQL, through the real webhooks, staff pages and worker: a status
update, an officer's reply or a merge queued for Telegram, WhatsApp or SMS says only "Safer Homes: there is
an update for you. Reply 1 to see it." — no reference, status, officer's words or category — and the
resident's "1" shows them; anything else is answered as usual and the update stays one status check away.
The web chat keeps the full text (the page is on screen: no lock screen)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.worker import run_due_work
from flows.report import CATEGORIES
from flows.report_notices import neutral_notice
from flows.status import STATUS_LABELS
from storage import staff
from storage.database import new_session
from storage.models import Conversation, OutboxMessage
from storage.reports import create_report
from storage.types import utcnow
from tests.bot.phone_residents import CHANNELS, Resident, english, resident_on
from tests.bot.test_twilio_webhooks import PUBLIC_BASE_URL

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
PASSWORD = "a long enough passphrase"
OFFICER_WORDS = "marker-officer-7q: we have spoken to the neighbour about the music"
NEUTRAL = neutral_notice("en").text
OTHER = "TH-2222-3333"


class Officer:
    """A council officer on the staff pages of the same app."""

    def __init__(self, app):
        self.client = app.test_client()
        https = app.extensions["safer_homes.settings"].public_base_url.startswith("https")
        base = PUBLIC_BASE_URL if https else "http://localhost"
        self.options = {"base_url": base, "headers": {"Referer": base + "/staff/"}}
        with new_session(app.extensions["safer_homes.engine"]) as session:
            staff.add_staff(session, email="officer@council.example", role="officer", agency_slug="council",
                            password=PASSWORD, now=utcnow())
            session.commit()
        self.post("/staff/login", {"email": "officer@council.example", "password": PASSWORD}, token_from="/staff/login",
                  expect=302)

    def post(self, path: str, data: dict, *, token_from: str, expect: int = 303):
        page = self.client.get(token_from, **self.options)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        response = self.client.post(path, data={"csrf_token": token, **data}, **self.options)
        assert response.status_code == expect, response.get_data(as_text=True)[:500]

    def replies(self, reference: str, status: str, message: str) -> None:
        self.post(f"/staff/reports/{reference}", {"status": status, "reason": "Visited", "message": message},
                  token_from=f"/staff/reports/{reference}")

    def merges(self, reference: str, into: str) -> None:
        self.post(f"/staff/reports/{reference}/merge", {"into_reference": into},
                  token_from=f"/staff/reports/{reference}")


def _private_report(resident: Resident) -> str:
    resident.start_in_english()
    resident.say("menu")
    resident.choose("menu:report", english("Report a safety concern"))
    resident.choose("danger:no", english("No"))
    resident.choose("cat:noise", english("Noise"))
    resident.choose("skip", english("Skip"))
    resident.choose("when:now", english("It is happening now"))
    resident.say("Loud music until 3am")
    resident.choose("privacy:private", english("Private"))
    resident.choose("done", english("Done"))
    return REFERENCE.search(resident.choose("confirm:yes", english("Yes, send it"))).group(0)


def _queued(app) -> list[OutboxMessage]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        rows = list(session.execute(select(OutboxMessage).where(OutboxMessage.kind == "status_update")
                                    .order_by(OutboxMessage.id)).scalars())
        session.expunge_all()
        return rows


def _worker(app) -> dict:
    deliverer = app.extensions["safer_homes.deliverer"]
    return run_due_work(app.extensions["safer_homes.engine"], app.extensions["safer_homes.settings"],
                        deliverer.channels, now=utcnow(), deliverer=deliverer)


def _revealing(reference: str) -> list[str]:
    """What a lock screen must never show: the reference, the status, the officer's words, the category."""
    return [reference, english(STATUS_LABELS["action_taken"]), OFFICER_WORDS, "marker-officer", "neighbour",
            english(CATEGORIES["cat:noise"]), "Loud music"]


def _show(resident: Resident) -> str:
    """Answer the neutral notice: the button on Telegram, "1" typed on a text channel."""
    if resident.channel == "telegram":
        return resident.choose("notice:show", "")
    return resident.say("1")


@pytest.mark.parametrize("channel", [c for c in CHANNELS if c != "webchat"])
def test_a_phone_gets_the_neutral_notice_and_its_1_shows_the_update(database_url, tmp_path, channel):
    with resident_on(channel, database_url, tmp_path) as (app, resident):
        reference = _private_report(resident)
        Officer(app).replies(reference, "action_taken", OFFICER_WORDS)

        # Queued, not yet sent: the payload itself holds nothing of the report.
        [queued] = _queued(app)
        assert queued.status == "pending" and queued.channel == channel
        payload = repr(queued.payload)
        assert NEUTRAL in payload
        for revealing in _revealing(reference):
            assert revealing not in payload, revealing

        before = len(resident.received())
        assert _worker(app)["sent"] == 1
        [arrived] = resident.received()[before:]
        assert arrived.startswith(NEUTRAL)  # the first line, which a lock screen shows
        for revealing in _revealing(reference):
            assert revealing not in arrived, revealing

        shown = _show(resident)
        assert reference in shown and english(STATUS_LABELS["action_taken"]) in shown and OFFICER_WORDS in shown
        # Shown once: a second "1" is an ordinary message again (the menu's first choice, here).
        assert OFFICER_WORDS not in resident.say("menu")


@pytest.mark.parametrize("channel", ["telegram", "sms"])
def test_a_merge_notice_is_neutral_too_and_anything_else_passes_it_over(database_url, tmp_path, channel):
    with resident_on(channel, database_url, tmp_path) as (app, resident):
        reference = _private_report(resident)
        with new_session(app.extensions["safer_homes.engine"]) as session:
            create_report(session, reference=OTHER, category="noise", language="en", channel="webchat",
                          privacy="anonymous", agency_slugs=["council"], description="Music", received_at=utcnow())
            session.commit()
        Officer(app).merges(reference, OTHER)
        [queued] = _queued(app)
        assert NEUTRAL in repr(queued.payload) and reference not in repr(queued.payload)
        _worker(app)

        # Not "1": the notice is passed over and the message answered as usual (here, the menu).
        answered = resident.say("menu")
        assert "What would you like to do?" in answered and "joined them" not in answered
        with new_session(app.extensions["safer_homes.engine"]) as session:
            [state] = session.execute(select(Conversation.state)).scalars()
            assert "notices" not in state and state.get("pending") != "notice"
        # The update stays one status check away.
        assert reference in resident.say(f"status {reference}")


def test_the_web_chat_keeps_the_full_text(database_url, tmp_path):
    with resident_on("webchat", database_url, tmp_path) as (app, resident):
        reference = _private_report(resident)
        Officer(app).replies(reference, "action_taken", OFFICER_WORDS)
        [queued] = _queued(app)
        text = "\n".join(reply["text"] for reply in queued.payload["replies"])
        assert reference in text and OFFICER_WORDS in text and NEUTRAL not in text


# --- the notifier and a resident's turn take turns on the contact -----------------------------------------

def test_a_notice_written_while_the_residents_turn_runs_is_not_overwritten_by_it(database_url, engine):
    """The resident's turn has locked their contact and read their conversation when staff send a reply: the
    notifier waits for the turn's commit (the contact's lock), then adds its notice to the state the turn
    saved. Without the lock, the turn's save (from the state it read before) would drop the notice, and the
    resident's "1" would show nothing. On SQLite writers take turns anyway (BEGIN IMMEDIATE)."""
    import secrets
    import threading

    from bot.channels.telegram import TelegramChannel
    from bot.report_notify import notify_resident
    from bot.settings import Settings
    from storage import contacts, reports
    from storage.crypto import keyed_hash
    from storage.models import Report, ReportUpdate
    from tests.concurrency import hold_until_blocked_or_done, named_engine, run_together
    from tests.conftest import TEST_SECRET_KEY

    now = utcnow()
    address_hash = keyed_hash(TEST_SECRET_KEY, "telegram", "5550001")
    with new_session(engine) as session:
        contact = contacts.find_or_create_contact(session, channel="telegram", address_hash=address_hash,
                                                  address_sealed="sealed", now=now)
        conversation = contacts.open_conversation(session, contact_id=contact.id, now=now)
        contacts.save_conversation_state(session, conversation=conversation,
                                         state={"lang": "en", "flow": "home", "step": "menu"}, now=now)
        create_report(session, reference="TH-4444-5555", category="noise", language="en", channel="telegram",
                      privacy="private", agency_slugs=["council"], description="Music", received_at=now,
                      sender_contact_id=contact.id)
        reports.add_report_update(session, reference="TH-4444-5555", status="in_progress", at=now,
                                  public_message="We are on it")
        session.commit()

    channel = TelegramChannel(Settings(secret_key=TEST_SECRET_KEY, telegram_bot_token="123:ABC"))
    turn_name, notifier_name = f"turn-{secrets.token_hex(4)}", f"notifier-{secrets.token_hex(4)}"
    turn_holds, notifier_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def turn():
        own = named_engine(database_url, turn_name)
        try:
            with new_session(own) as session:
                found = contacts.find_or_create_contact(session, channel="telegram", address_hash=address_hash,
                                                        address_sealed=None, now=now)
                conversation = contacts.open_conversation(session, contact_id=found.id, now=now)
                state = dict(conversation.state)
                turn_holds.set()
                hold_until_blocked_or_done(database_url, notifier_done, notifier_name)
                state["step"] = "menu"
                state["seen_by_turn"] = True
                contacts.save_conversation_state(session, conversation=conversation, state=state, now=now)
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            turn_holds.set()
            own.dispose()

    def notifier():
        own = named_engine(database_url, notifier_name)
        try:
            assert turn_holds.wait(20)
            with new_session(own) as session:
                report = session.execute(select(Report)).scalar_one()
                update = session.execute(select(ReportUpdate).where(ReportUpdate.action == "status")).scalar_one()
                assert notify_resident(session, channels={"telegram": channel}, report=report, update=update, now=now)
                session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            notifier_done.set()
            own.dispose()

    try:
        threads = run_together(turn, notifier)
    finally:
        channel.close()
    assert not any(thread.is_alive() for thread in threads) and errors == []
    with new_session(engine) as session:
        state = session.execute(select(Conversation.state)).scalar_one()
    assert state["seen_by_turn"] is True
    assert state["pending"] == "notice" and [notice["reference"] for notice in state["notices"]] == ["TH-4444-5555"]


def test_a_notice_held_for_whatsapps_window_still_answers_1_once_it_goes(database_url, tmp_path):
    """No template: outside the 24-hour window the neutral notice is held until the resident writes. Their
    message releases it ahead of the reply; they had not seen it, so its "Reply 1" still shows the update."""
    from datetime import timedelta

    from storage.models import Contact

    with resident_on("whatsapp", database_url, tmp_path) as (app, resident):
        reference = _private_report(resident)
        with new_session(app.extensions["safer_homes.engine"]) as session:
            contact = session.execute(select(Contact)).scalar_one()
            contact.last_inbound_at = utcnow() - timedelta(days=2)
            session.commit()
        Officer(app).replies(reference, "action_taken", OFFICER_WORDS)
        _worker(app)
        [held] = _queued(app)
        assert held.status == "held"

        before = len(resident.received())
        resident.say("hello")
        arrived = resident.received()[before:]
        assert arrived[0].startswith(NEUTRAL) and OFFICER_WORDS not in "\n".join(arrived)
        shown = resident.say("1")
        assert OFFICER_WORDS in shown and reference in shown
