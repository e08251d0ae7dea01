"""Reminders and event notices from queue to resident: the worker plans then delivers them, nothing goes
past its expiry, WhatsApp outside its window uses the reminder template or holds it, the web chat
collects what waits for it, and the `events move | cancel` and `worker --once` commands."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.channels.twilio import TwilioChannel
from bot.cli import main
from bot.delivery import Deliverer, Pacer
from bot.reminders import SEND_WINDOW, reminder_moment
from bot.settings import ReminderOffset, Settings
from bot.worker import run_due_work
from storage import outbox
from storage.crypto import Sealer, keyed_hash
from storage.database import new_session
from storage.models import Contact, Event, OutboxMessage, Rsvp
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import WebChat, new_session_id

UTC = timezone.utc
STARTS = datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TWO_HOURS = ReminderOffset(2, "h")
MOMENT = reminder_moment(STARTS, TWO_HOURS)
ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
WHATSAPP_NUMBER = "+14155238886"
RESIDENT = "+447700900456"
TEMPLATE_SID = "HX" + "c" * 32


def _event(engine, starts_at=STARTS) -> int:
    with new_session(engine) as session:
        event = Event(title="Bow East ward panel", starts_at=starts_at, place="Roman Road library", created_at=CREATED)
        session.add(event)
        session.commit()
        return event.id


def _coming(engine, event_id, *, channel, address, language="en", last_inbound_at=None, sealed=True) -> int:
    with new_session(engine) as session:
        contact = Contact(channel=channel, address_hash=keyed_hash(TEST_SECRET_KEY, channel, address),
                          address_sealed=Sealer(TEST_SECRET_KEY).seal(address) if sealed else None,
                          language=language, last_inbound_at=last_inbound_at, created_at=CREATED)
        session.add(contact)
        session.flush()
        session.add(Rsvp(event_id=event_id, contact_id=contact.id, status="attending", needs=[], created_at=CREATED,
                         updated_at=CREATED, confirmed_at=CREATED))
        session.commit()
        return contact.id


def _messages(engine) -> list[OutboxMessage]:
    with new_session(engine) as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def fake():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def whatsapp(engine, fake, tmp_path):
    """A factory of (settings, deliverer) sending WhatsApp to the fake Twilio, with these templates."""
    made = []

    def make(clock, templates=None):
        if templates is not None:
            (tmp_path / "templates.json").write_text(json.dumps(templates))
        settings = Settings(secret_key=TEST_SECRET_KEY, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                            twilio_whatsapp_number=WHATSAPP_NUMBER, twilio_api_base_url=fake.url,
                            whatsapp_templates_file=str(tmp_path / "templates.json"),
                            twilio_messages_per_second=50.0, reminder_offsets=(TWO_HOURS,))
        channel = TwilioChannel(settings, "whatsapp")
        made.append(channel)
        return settings, Deliverer(engine, settings, {"whatsapp": channel}, pacer=Pacer(), clock=clock, threads=2)

    yield make
    for channel in made:
        channel.close()


# --- WhatsApp: the template path -------------------------------------------------------------------

def test_a_whatsapp_reminder_outside_the_window_goes_as_the_reminder_template(engine, fake, whatsapp):
    event_id = _event(engine)
    _coming(engine, event_id, channel="whatsapp", address=RESIDENT, language="bn",
            last_inbound_at=MOMENT - timedelta(days=3))
    clock = Clock(MOMENT)
    settings, deliverer = whatsapp(clock, {"reminder": {"bn": TEMPLATE_SID}})
    counts = run_due_work(engine, settings, deliverer.channels, now=MOMENT, deliverer=deliverer)
    assert (counts["reminders_queued"], counts["sent"]) == (1, 1)
    [sent] = fake.messages
    assert sent.to.endswith(RESIDENT) and sent.content_sid == TEMPLATE_SID
    assert "Bow East ward panel" in json.loads(sent.content_variables)["1"]


def test_without_a_template_it_is_held_and_never_sent_once_expired(engine, fake, whatsapp):
    event_id = _event(engine)
    contact_id = _coming(engine, event_id, channel="whatsapp", address=RESIDENT,
                         last_inbound_at=MOMENT - timedelta(days=3))
    clock = Clock(MOMENT)
    settings, deliverer = whatsapp(clock)
    counts = run_due_work(engine, settings, deliverer.channels, now=MOMENT, deliverer=deliverer)
    assert (counts["reminders_queued"], counts["held"]) == (1, 1)
    assert [message.status for message in _messages(engine)] == ["held"]

    clock.now = MOMENT + SEND_WINDOW + timedelta(seconds=1)
    counts = run_due_work(engine, settings, deliverer.channels, now=clock.now, deliverer=deliverer)
    assert counts["expired"] == 1
    [message] = _messages(engine)
    assert (message.status, message.payload) == ("expired", {})
    # The resident writes later: the window opens, but an expired reminder is not released or sent.
    with new_session(engine) as session:
        assert outbox.release_held(session, contact_id=contact_id, now=clock.now) == []
        session.commit()
    deliverer.deliver_due()
    assert fake.attempts == []


# --- one boundary for the 15-minute rule -------------------------------------------------------------

@pytest.mark.parametrize("late_by, goes", [
    (timedelta(minutes=14, seconds=59), True),
    (SEND_WINDOW, False),  # exactly 15:00: late (it used to be queued, then expired unsent)
    (timedelta(minutes=15, seconds=1), False),
])
def test_a_reminder_leaves_before_fifteen_minutes_and_is_skipped_from_then(engine, fake, whatsapp, late_by, goes):
    event_id = _event(engine)
    _coming(engine, event_id, channel="whatsapp", address=RESIDENT, last_inbound_at=MOMENT)
    clock = Clock(MOMENT + late_by)
    settings, deliverer = whatsapp(clock)
    counts = run_due_work(engine, settings, deliverer.channels, now=clock.now, deliverer=deliverer)
    planned_and_sent = (counts["reminders_queued"], counts["reminders_skipped"], counts["sent"], counts["expired"])
    if goes:
        assert planned_and_sent == (1, 0, 1, 0)
        [sent] = fake.messages
        assert sent.to.endswith(RESIDENT) and "Bow East ward panel" in sent.body
        assert [message.status for message in _messages(engine)] == ["sent"]
    else:
        assert planned_and_sent == (0, 1, 0, 0)
        assert fake.attempts == [] and _messages(engine) == []


def test_planning_needs_only_the_channels_not_a_deliverer(engine, fake, whatsapp):
    """Queued in one pass without a deliverer (a channel with credentials is not skipped for want of
    one), sent by the next pass that has it."""
    event_id = _event(engine)
    _coming(engine, event_id, channel="whatsapp", address=RESIDENT, last_inbound_at=MOMENT)
    clock = Clock(MOMENT)
    settings, deliverer = whatsapp(clock)
    counts = run_due_work(engine, settings, deliverer.channels, now=MOMENT)
    assert (counts["reminders_queued"], counts["reminders_skipped"]) == (1, 0) and "sent" not in counts
    assert fake.attempts == [] and [message.status for message in _messages(engine)] == ["pending"]
    clock.now = MOMENT + timedelta(minutes=1)
    assert run_due_work(engine, settings, deliverer.channels, now=clock.now, deliverer=deliverer)["sent"] == 1
    assert len(fake.messages) == 1


def test_a_channel_without_credentials_here_is_skipped_and_counted(engine, fake, whatsapp):
    event_id = _event(engine)
    _coming(engine, event_id, channel="whatsapp", address=RESIDENT, last_inbound_at=MOMENT)
    _coming(engine, event_id, channel="sms", address="+447700900789")  # no SMS number configured
    clock = Clock(MOMENT)
    settings, deliverer = whatsapp(clock)
    counts = run_due_work(engine, settings, deliverer.channels, now=MOMENT, deliverer=deliverer)
    assert (counts["reminders_queued"], counts["reminders_skipped"], counts["sent"]) == (1, 1, 1)
    assert [message.channel for message in _messages(engine)] == ["whatsapp"]


# --- expiry in the deliverer -----------------------------------------------------------------------

def test_a_message_past_its_expiry_is_never_sent(engine, fake, whatsapp):
    event_id = _event(engine)
    contact_id = _coming(engine, event_id, channel="whatsapp", address=RESIDENT, last_inbound_at=MOMENT)
    with new_session(engine) as session:
        outbox.enqueue(session, contact_id=contact_id, channel="whatsapp", payloads=[{"body": "late"}],
                       kind="reminder", language="en", now=MOMENT, event_id=event_id, expires_at=MOMENT + SEND_WINDOW)
        outbox.enqueue(session, contact_id=contact_id, channel="whatsapp", payloads=[{"body": "no expiry"}],
                       kind="reply", language="en", now=MOMENT)
        session.commit()
    clock = Clock(MOMENT + SEND_WINDOW)
    _settings, deliverer = whatsapp(clock)
    counts = deliverer.deliver_due()
    assert (counts.expired, counts.sent) == (1, 1)
    assert [message.body for message in fake.messages] == ["no expiry"]
    assert [message.status for message in _messages(engine)] == ["expired", "sent"]


def test_a_claim_that_waited_past_the_expiry_is_not_sent(engine):
    event_id = _event(engine)
    contact_id = _coming(engine, event_id, channel="whatsapp", address=RESIDENT)
    with new_session(engine) as session:
        [message_id] = outbox.enqueue(session, contact_id=contact_id, channel="whatsapp", payloads=[{"text": "x"}],
                                      kind="reminder", language="en", now=MOMENT, expires_at=MOMENT + SEND_WINDOW)
        [claimed] = outbox.claim(session, now=MOMENT, limit=1, claimer="w1", channels=["whatsapp"])
        # Pacing kept it waiting past its expiry: the renewal just before sending refuses and expires it.
        assert not outbox.renew_claim(session, message_id=message_id, claimer="w1", now=MOMENT + SEND_WINDOW)
        session.commit()
    [message] = _messages(engine)
    assert (message.status, message.payload) == ("expired", {})


# --- the web chat collects what waits for it --------------------------------------------------------

def test_the_web_chat_collects_its_reminder_and_it_is_sent_once_shown(app, client, engine):
    session_id = new_session_id()
    WebChat(client, session_id).send(choice="start")  # the contact exists as the page makes it
    with new_session(engine) as session:
        contact = session.execute(select(Contact).where(Contact.channel == "webchat")).scalar_one()
        contact_id = contact.id
    now = utcnow()
    event_id = _event(engine, now + timedelta(hours=2))
    with new_session(engine) as session:
        session.add(Rsvp(event_id=event_id, contact_id=contact_id, status="attending", needs=[], created_at=now,
                         updated_at=now, confirmed_at=now - timedelta(minutes=1)))
        session.commit()
    settings = Settings(secret_key=TEST_SECRET_KEY, reminder_offsets=(TWO_HOURS,))
    assert run_due_work(engine, settings, {}, now=now + timedelta(seconds=1))["reminders_queued"] == 1

    other = client.post("/chat/api/updates", json={"session": new_session_id()})
    assert other.status_code == 200 and other.get_json() == {"messages": []}
    first = client.post("/chat/api/updates", json={"session": session_id})
    [shown] = first.get_json()["messages"]
    [reply] = shown["replies"]
    assert "Bow East ward panel" in reply["text"] and f"RSVP {event_id}" in reply["text"]
    assert reply["lang"] == "en" and reply["choices"] == []
    # The page says it showed it: then it is sent, its text dropped, and never handed over again.
    acknowledged = client.post("/chat/api/updates", json={"session": session_id, "ack": [shown["id"]]})
    assert acknowledged.get_json() == {"messages": []}
    [message] = [m for m in _messages(engine) if m.kind == "reminder"]
    assert (message.id, message.status, message.payload) == (shown["id"], "sent", {})


def test_the_web_chat_does_not_collect_an_expired_reminder(app, client, engine):
    session_id = new_session_id()
    WebChat(client, session_id).send(choice="start")
    with new_session(engine) as session:
        contact_id = session.execute(select(Contact.id).where(Contact.channel == "webchat")).scalar_one()
        outbox.enqueue(session, contact_id=contact_id, channel="webchat", payloads=[{"replies": [{"text": "old"}]}],
                       kind="reminder", language="en", now=utcnow() - timedelta(hours=1),
                       expires_at=utcnow() - timedelta(minutes=1))
        session.commit()
    assert client.post("/chat/api/updates", json={"session": session_id}).get_json() == {"messages": []}


@pytest.mark.parametrize("body, status", [
    (b"not json", 400), (b"[]", 400), (b'{"session": "short"}', 400), (b'{"session": 12345678901234567890}', 400),
    (b'{"session": "' + b"a" * 70000 + b'"}', 413),
])
def test_bad_update_requests_are_refused_and_change_nothing(client, engine, body, status):
    session_id = new_session_id()
    WebChat(client, session_id).send(choice="start")
    with new_session(engine) as session:
        contact_id = session.execute(select(Contact.id).where(Contact.channel == "webchat")).scalar_one()
        outbox.enqueue(session, contact_id=contact_id, channel="webchat", payloads=[{"replies": [{"text": "hi"}]}],
                       kind="reminder", language="en", now=utcnow())
        session.commit()
    response = client.post("/chat/api/updates", data=body, content_type="application/json")
    assert response.status_code == status and "error" in response.get_json()
    assert [message.status for message in _messages(engine)] == ["pending"]


# --- commands -------------------------------------------------------------------------------------

def _run(database_url, *args, **env):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY, **env})


def test_events_move_tells_residents_and_bad_input_changes_nothing(database_url, engine):
    starts = utcnow() + timedelta(days=10)
    event_id = _event(engine, starts)
    _coming(engine, event_id, channel="webchat", address=new_session_id(), sealed=False)
    for args, message in [
        (["999", "--starts", "2099-01-14T18:30"], "no event 999"),
        ([str(event_id), "--starts", "next week"], "ISO 8601"),
        ([str(event_id), "--starts", "2001-01-14T18:30"], "future"),
    ]:
        result = _run(database_url, "events", "move", *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert _messages(engine) == []
    result = _run(database_url, "events", "move", str(event_id), "--starts", "2099-07-14T18:30", "--place", "Oxford House")
    assert result.exit_code == 0 and "1 residents will be told" in result.output, result.output
    with new_session(engine) as session:
        event = session.get(Event, event_id)
        # London time without an offset: 18:30 BST is 17:30 UTC.
        assert (event.starts_at, event.place) == (datetime(2099, 7, 14, 17, 30, tzinfo=UTC), "Oxford House")
    [notice] = _messages(engine)
    assert notice.kind == "event_notice" and "Oxford House" in notice.payload["replies"][0]["text"]


def test_events_cancel_tells_residents_once(database_url, engine):
    event_id = _event(engine, utcnow() + timedelta(days=10))
    _coming(engine, event_id, channel="webchat", address=new_session_id(), sealed=False)
    assert "1 residents will be told" in _run(database_url, "events", "cancel", str(event_id)).output
    assert "0 residents will be told" in _run(database_url, "events", "cancel", str(event_id)).output
    [notice] = _messages(engine)
    assert "cancelled" in notice.payload["replies"][0]["text"]


def test_worker_once_prints_what_it_queued_and_skipped(database_url, engine):
    event_id = _event(engine, utcnow() + timedelta(minutes=119, seconds=30))
    _coming(engine, event_id, channel="webchat", address=new_session_id(), sealed=False)
    result = _run(database_url, "worker", "--once", REMINDER_OFFSETS="2h")
    assert result.exit_code == 0, result.output
    assert "reminders_queued=1" in result.output and "reminders_skipped=0" in result.output


def test_a_bad_reminder_setting_stops_the_worker_with_a_clear_message(database_url):
    result = _run(database_url, "worker", "--once", REMINDER_OFFSETS="two days")
    assert result.exit_code != 0 and "REMINDER_OFFSETS='two days' is not valid" in result.output
    result = _run(database_url, "worker", "--once", RSVP_RETENTION_DAYS="a month")
    assert result.exit_code != 0 and "RSVP_RETENTION_DAYS" in result.output
