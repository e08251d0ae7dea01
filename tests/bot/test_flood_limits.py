"""Flood limits (bot/flood.py): past FLOOD_LIMIT_PER_CONTACT a contact on any channel gets one polite reply
in their language and then silence until the window passes, and nothing they sent meanwhile is kept; the
web chat also limits each client address (FLOOD_LIMIT_PER_ADDRESS) with a 429 the page shows. Counted in
memory or in Redis, by keyed hash only. On SQLite and PostgreSQL.

The windows here are a few seconds long so a test can wait one out; the counters use the real clock."""
from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.conversations import FLOOD_NOTICE, forget_reference_data
from bot.flood import FloodGuard, parse_flood_limits
from bot.settings import Settings
from flows import i18n
from flows.flood import CONTACT, NETWORK, flood_reply
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, OutboxMessage
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser
from tests.fakes.twilio_api import FakeTwilio, new_sid
from tests.helpers import WebChat, dump_every_table, new_session_id
from twilio.request_validator import RequestValidator
from webhook import create_app

WINDOW_SECONDS = 5
FAST = parse_flood_limits("FLOOD_LIMIT_PER_CONTACT", f"4 per {WINDOW_SECONDS} seconds")
REDIS_URL = "redis://127.0.0.1:6379/13"
TOKEN = "123:ABC"
SECRET = "s3cret"
ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
SMS_NUMBER = "+447700900001"
PUBLIC_BASE_URL = "https://saferhomes.example.org"


class NoWait:
    """Sends without pacing: pacing has its own tests, and here it would only slow the flood down."""

    def wait_turn(self, paces) -> float:
        return 0.0


def _app(database_url: str, tmp_path: Path, **overrides):
    forget_reference_data()
    app = create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "media_dir": str(tmp_path / "media"),
                      "flood_limit_per_contact": FAST, "TESTING": True, **overrides})
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    return app


def _dispose(app) -> None:
    for channel in app.extensions["safer_homes.deliverer"].channels.values():
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def chat_app(database_url, tmp_path):
    app = _app(database_url, tmp_path)
    yield app
    _dispose(app)


def _post_chat(client, session_id: str, address: str = "127.0.0.1", **body):
    return client.post("/chat/api/messages", json={"session": session_id, **body},
                       environ_base={"REMOTE_ADDR": address})


def _wait_out(retry_after: str | int) -> None:
    time.sleep(int(retry_after) + 0.3)


def _outbox(engine) -> list[OutboxMessage]:
    with new_session(engine) as session:
        rows = list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        session.expunge_all()
    return rows


# --- per contact: the web chat ----------------------------------------------------------------------

def test_a_web_chat_session_past_its_limit_is_refused_politely_and_nothing_changes(chat_app, database_url):
    client = chat_app.test_client()
    chat = WebChat(client)
    chat.send("hello")
    chat.send(choice="lang:bn")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")  # the fourth message: the limit
    categories = chat.keys
    before = dump_every_table(database_url)

    refused = [_post_chat(client, chat.session_id, choice="cat:asb"),
               _post_chat(client, chat.session_id, text="Someone is shouting in the stairwell")]

    for response in refused:
        assert response.status_code == 429
        assert 1 <= int(response.headers["Retry-After"]) <= WINDOW_SECONDS
        body = response.get_json()
        assert body["error"]
        # In the language the session chose, said in full each time (it is the response, sent to no phone).
        expected = flood_reply("bn", limit=CONTACT, retry_after_seconds=int(response.headers["Retry-After"]))
        assert body["replies"] == [{"text": expected.text, "lang": "bn", "choices": []}]
        assert "999" in expected.text
    assert dump_every_table(database_url) == before  # not the category, not the words, not a clock reading

    _wait_out(refused[-1].headers["Retry-After"])
    # The conversation carries on from the last message taken in: the category question is still open.
    assert "cat:asb" in categories
    after = _post_chat(client, chat.session_id, choice="cat:asb")
    assert after.status_code == 200
    assert "skip" in [choice["key"] for choice in after.get_json()["replies"][-1]["choices"]]  # "where?"


def test_one_session_flooding_does_not_hold_up_another(chat_app):
    client = chat_app.test_client()
    flooding = new_session_id()
    for _ in range(4):
        assert _post_chat(client, flooding, text="hello").status_code == 200
    assert _post_chat(client, flooding, text="hello").status_code == 429

    other = WebChat(client)
    assert other.send("hello")  # 200, the language question
    assert "lang:en" in other.keys


def test_the_first_message_of_a_new_session_past_the_limit_answers_in_the_pages_language(chat_app, database_url):
    """Four too-long messages keep no contact at all; the fifth is refused in the language the page hinted."""
    client = chat_app.test_client()
    session_id = new_session_id()
    for _ in range(4):
        assert _post_chat(client, session_id, text="x" * 2001, lang="so").status_code == 200
    before = dump_every_table(database_url)
    response = _post_chat(client, session_id, text="hello", lang="so")
    assert response.status_code == 429
    assert response.get_json()["replies"][0]["lang"] == "so"
    assert dump_every_table(database_url) == before


# --- per contact: Telegram ------------------------------------------------------------------------

@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram_app(database_url, api, tmp_path):
    app = _app(database_url, tmp_path, telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET,
               telegram_api_base_url=api.url)
    yield app
    _dispose(app)


def _telegram(client, update: dict):
    response = client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    return response


def test_a_telegram_flood_gets_one_polite_reply_then_silence_and_keeps_nothing(telegram_app, api, database_url):
    client = telegram_app.test_client()
    engine = telegram_app.extensions["safer_homes.engine"]
    resident = TelegramUser(5550001, language_code="en")
    update_id = 1000

    def says(text: str) -> None:
        nonlocal update_id
        update_id += 1
        _telegram(client, {**resident.message(text), "update_id": update_id})

    says("hello")
    says("1")  # English, asked first for its language_code, confirmed
    says("menu")
    says("help")  # the fourth: still answered
    answered = len(api.messages_to(resident.chat_id))
    before = dump_every_table(database_url)
    started = time.monotonic()

    for text in ("hello", "status TH-0000-0000", "help", "<b>flood</b>", "menu"):
        says(text)

    refused = api.messages_to(resident.chat_id)[answered:]
    assert len(refused) == 1  # exactly one polite reply, however many came
    assert refused[0].plain == flood_reply("en", limit=CONTACT, retry_after_seconds=WINDOW_SECONDS).text
    after = dump_every_table(database_url)
    [notice] = [row for row in _outbox(engine) if row.kind == FLOOD_NOTICE]
    assert notice.status == "sent"
    # Nothing else changed: no state, no receipt of the ignored ones; only the one reply and its receipt.
    for table in set(before) | set(after):
        if table not in ("outboxmessage", "inboundreceipt"):
            assert after[table] == before[table], table
    assert len(after["outboxmessage"]) == len(before["outboxmessage"]) + 1
    assert len(after["inboundreceipt"]) == len(before["inboundreceipt"]) + 1

    # A retry of a message already taken in is still a duplicate, not a flood: nothing more is sent.
    _telegram(client, {**resident.message("help"), "update_id": 1004})
    assert len(api.messages_to(resident.chat_id)) == answered + 1

    time.sleep(max(0.0, WINDOW_SECONDS + 0.3 - (time.monotonic() - started)))
    says("menu")
    assert "menu:report" in api.messages_to(resident.chat_id)[-1].callback_data


def test_two_telegram_contacts_do_not_share_a_limit(telegram_app, api):
    client = telegram_app.test_client()
    flooding, other = TelegramUser(5550002, language_code="en"), TelegramUser(5550003, language_code="en")
    for n in range(6):
        _telegram(client, {**flooding.message("help"), "update_id": 2000 + n})
    for n in range(4):
        _telegram(client, {**other.message("help"), "update_id": 3000 + n})
    assert len(api.messages_to(other.chat_id)) == 4  # every one answered
    assert len(api.messages_to(flooding.chat_id)) == 5  # four answers and the one polite reply


# --- per contact: SMS, and STOP during a flood ----------------------------------------------------

@pytest.fixture
def twilio():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


def _sms(client, number: str, body: str):
    sid = new_sid("SM")
    fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID, "From": number, "To": SMS_NUMBER,
              "Body": body, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/webhooks/twilio", fields)
    response = client.post("/webhooks/twilio", data=fields, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return response


def test_an_sms_flood_is_answered_once_in_the_residents_language_and_stop_still_opts_out(
        database_url, tmp_path, twilio):
    app = _app(database_url, tmp_path, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
               twilio_sms_number=SMS_NUMBER, twilio_api_base_url=twilio.url, public_base_url=PUBLIC_BASE_URL,
               twilio_messages_per_second=200.0)
    try:
        client, number = app.test_client(), "+447700900321"
        for body in ("hello", "2", "help", "help"):  # "2": বাংলা from the language list
            _sms(client, number, body)
        answered = len(twilio.messages_to(number))
        for body in ("help", "menu", "1"):
            _sms(client, number, body)
        refused = twilio.messages_to(number)[answered:]
        assert [message.body for message in refused] == [
            flood_reply("bn", limit=CONTACT, retry_after_seconds=WINDOW_SECONDS).text]

        # STOP opts out however fast it comes; it is not confirmed (the flood was answered already).
        _sms(client, number, "STOP")
        assert len(twilio.messages_to(number)) == answered + 1
        with new_session(app.extensions["safer_homes.engine"]) as session:
            contact = session.execute(select(Contact).where(
                Contact.address_hash == keyed_hash(TEST_SECRET_KEY, "sms", number))).scalar_one()
            assert contact.unreachable and contact.language == "bn"
    finally:
        _dispose(app)


# --- per address: the web chat ------------------------------------------------------------------

def test_many_sessions_from_one_address_get_429_with_a_polite_reply_and_other_addresses_do_not(
        database_url, tmp_path):
    app = _app(database_url, tmp_path,
               flood_limit_per_address=parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "3 per 30 seconds"))
    try:
        client = app.test_client()
        for _ in range(3):
            assert _post_chat(client, new_session_id(), "198.51.100.7", choice="start").status_code == 200
        before = dump_every_table(database_url)

        response = _post_chat(client, new_session_id(), "198.51.100.7", choice="start", lang="so")
        assert response.status_code == 429
        retry_after = int(response.headers["Retry-After"])
        assert 1 <= retry_after <= 30
        expected = flood_reply("so", limit=NETWORK, retry_after_seconds=retry_after)
        assert response.get_json()["replies"] == [{"text": expected.text, "lang": "so", "choices": []}]
        assert response.get_json()["error"]
        assert dump_every_table(database_url) == before

        assert _post_chat(client, new_session_id(), "198.51.100.8", choice="start").status_code == 200
        # The page's minutely look for updates is counted on its own.
        updates = client.post("/chat/api/updates", json={"session": new_session_id(), "ack": []},
                              environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert updates.status_code == 200
    finally:
        _dispose(app)


def test_a_session_that_chose_a_language_is_refused_in_it(database_url, tmp_path):
    app = _app(database_url, tmp_path,
               flood_limit_per_address=parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "3 per 30 seconds"))
    try:
        client = app.test_client()
        chat = WebChat(client)
        chat.send("hello")
        chat.send(choice="lang:bn")
        _post_chat(client, new_session_id(), choice="start")  # someone else on the same network
        response = _post_chat(client, chat.session_id, choice="menu:report")
        assert response.status_code == 429
        assert response.get_json()["replies"][0]["lang"] == "bn"
    finally:
        _dispose(app)


def test_the_updates_look_is_limited_per_address_too(database_url, tmp_path):
    app = _app(database_url, tmp_path,
               flood_limit_per_address=parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "2 per 30 seconds"))
    try:
        client = app.test_client()
        codes = [client.post("/chat/api/updates", json={"session": new_session_id(), "ack": []},
                             environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        _dispose(app)


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_forwarded_address(database_url, tmp_path):
    app = _app(database_url, tmp_path, trusted_proxy_count=1,
               flood_limit_per_address=parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "2 per 30 seconds"))
    try:
        client = app.test_client()

        def post(client_address: str) -> int:
            return client.post("/chat/api/messages", json={"session": new_session_id(), "choice": "start"},
                               headers={"X-Forwarded-For": client_address},
                               environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code

        assert [post("192.0.2.1"), post("192.0.2.1"), post("192.0.2.1")] == [200, 200, 429]
        assert post("192.0.2.2") == 200  # another resident behind the same proxy
    finally:
        _dispose(app)


# --- the counters: shared through Redis, keyed by hash only ----------------------------------------

def test_two_processes_sharing_redis_share_the_counts_and_redis_holds_no_address(database_url, tmp_path):
    store = redis.Redis.from_url(REDIS_URL)
    store.ping()  # this machine and CI run Redis: no Redis is a failure, not a skip
    overrides = {"rate_limit_storage_url": REDIS_URL,
                 "flood_limit_per_address": parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "6 per 30 seconds")}
    first, second = _app(database_url, tmp_path, **overrides), _app(database_url, tmp_path, **overrides)
    session_id = new_session_id()
    address = f"192.0.2.{secrets.randbelow(250) + 1}"
    address_marker = f"{address}-{secrets.token_hex(4)}"
    try:
        codes = []
        for app in (first, second, first, second, first):
            codes.append(_post_chat(app.test_client(), session_id, address_marker, text="hello").status_code)
        assert codes == [200, 200, 200, 200, 429]  # four allowed between the two processes

        keys = [key.decode() for key in store.scan_iter(count=1000)]
        flood_keys = [key for key in keys if "safer-homes-flood" in key]
        assert any(keyed_hash(TEST_SECRET_KEY, "webchat", session_id) in key for key in flood_keys)
        assert not any(session_id in key or address_marker in key for key in keys)
        assert not any(session_id.encode() in (store.get(key) or b"") for key in flood_keys
                       if store.type(key) == b"string")
    finally:
        _dispose(first)
        _dispose(second)


def test_a_store_that_cannot_be_reached_lets_messages_through_and_says_so_once(caplog):
    guard = FloodGuard("redis://127.0.0.1:1/0", secret_key=TEST_SECRET_KEY, per_contact=FAST,
                       per_address=FAST)
    with caplog.at_level(logging.WARNING, logger="bot.flood"):
        verdicts = [guard.contact(channel="sms", address_hash="a" * 64) for _ in range(6)]
    assert all(verdict.allowed for verdict in verdicts)
    warnings = [record for record in caplog.records if record.name == "bot.flood"]
    assert len(warnings) == 1 and "127.0.0.1" not in warnings[0].getMessage()


def test_the_memory_store_keeps_hashes_not_addresses():
    guard = FloodGuard("memory://", secret_key=TEST_SECRET_KEY, per_contact=FAST, per_address=FAST)
    chat_hash = keyed_hash(TEST_SECRET_KEY, "telegram", "5550009")
    for _ in range(6):
        guard.contact(channel="telegram", address_hash=chat_hash)
        guard.address(remote_address="192.0.2.44", scope="messages")
    keys = list(guard._storage.storage)  # the library's own counter table: what a memory dump would show
    assert keys and all("5550009" not in key and "192.0.2.44" not in key for key in keys)
    assert any(chat_hash in key for key in keys)


# --- configuration ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["FLOOD_LIMIT_PER_CONTACT", "FLOOD_LIMIT_PER_ADDRESS"])
@pytest.mark.parametrize("value", ["lots", "0 per minute", "20 per fortnight", "20"])
def test_a_flood_limit_that_does_not_parse_stops_start_up_naming_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({"SECRET_KEY": TEST_SECRET_KEY, name: value})


def test_flood_limits_are_read_from_the_environment():
    settings = Settings.from_env({"SECRET_KEY": TEST_SECRET_KEY, "FLOOD_LIMIT_PER_CONTACT": "10 per minute; 50/hour",
                                  "FLOOD_LIMIT_PER_ADDRESS": "100 per minute"})
    assert [(item.amount, item.GRANULARITY.name) for item in settings.flood_limit_per_contact] == [
        (10, "minute"), (50, "hour")]
    assert [(item.amount, item.GRANULARITY.name) for item in settings.flood_limit_per_address] == [(100, "minute")]
    defaults = Settings.from_env({"SECRET_KEY": TEST_SECRET_KEY})
    assert [item.amount for item in defaults.flood_limit_per_contact] == [20, 200]


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
@pytest.mark.parametrize("seconds, minutes", [(1, 1), (60, 1), (61, 2), (3599, 60)])
def test_the_polite_reply_names_the_wait_in_whole_minutes_in_the_residents_digits(lang, seconds, minutes):
    for limit in (CONTACT, NETWORK):
        reply = flood_reply(lang, limit=limit, retry_after_seconds=seconds)
        assert reply.lang == lang
        # A plural form may say the count in words (Arabic "دقيقة واحدة", "دقيقتين"), as the catalogue test
        # allows; every form that has the number must show it in the resident's digits.
        if _wait_forms_show_the_number(lang, minutes):
            assert i18n.localise_digits(str(minutes), lang) in reply.text
        assert i18n.localise_digits("999", lang) in reply.text or "999" in reply.text


def _wait_forms_show_the_number(lang: str, minutes: int) -> bool:
    """Whether `lang`'s forms of the flood replies for `minutes` write the number (%(n)s)."""
    from babel.messages.pofile import read_po

    with (Path(__file__).resolve().parents[2] / "translations" / "messages.pot").open("rb") as pot:
        waits = [message.id for message in read_po(pot)
                 if isinstance(message.id, tuple) and "Please wait %(n)s minute " in message.id[0]]
    assert waits, "the flood replies' msgids were not found in messages.pot"
    return all("%(n)s" in i18n.translations(lang).ngettext(*wait, minutes) for wait in waits)
