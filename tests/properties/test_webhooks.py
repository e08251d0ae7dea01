"""Every way in for a resident, given anything at all, on SQLite and PostgreSQL: the web chat API with any
body, the Telegram webhook with any JSON behind the right secret, the Twilio webhooks with any fields behind
a valid signature. Each answers with its contract's codes and never 500; what it refuses changes nothing in
the database; what it takes is answered; and nothing a resident wrote reaches a log line.

The app (with fake Telegram and Twilio servers behind it) is built once per test and shared by its
examples, so the database fills as they run: the properties hold for a busy service as for an empty one.
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import secrets

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.conversations import forget_reference_data
from bot.flood import parse_flood_limits
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI, next_update_id
from tests.fakes.twilio_api import FakeTwilio, new_sid
from tests.properties import strategies as S
from tests.properties.counting import table_counts

TOKEN = "123:ABC"
TELEGRAM_SECRET = "s3cret-webhook"
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "fake-twilio-auth-token-properties"
PUBLIC_BASE_URL = "https://saferhomes.example.org"
WHATSAPP_NUMBER, SMS_NUMBER = "+14155238886", "+447700900001"
MAX_BODY_BYTES = 64 * 1024

SHARED_APP = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                             HealthCheck.data_too_large, HealthCheck.large_base_example])
_markers = itertools.count(1)


def new_marker() -> str:
    """A word no code, library or log line would make up: if it is ever logged, a resident's words were."""
    return f"Quokkamarker{next(_markers)}x"


class NoWait:
    """A pacer that never waits (pacing has its own tests; here it would only make the examples slow)."""

    def wait_turn(self, paces) -> float:
        return 0.0


class LogLines(logging.Handler):
    """Every record any logger makes while the test runs, formatted as a log file would hold it."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Service:
    """The app with its fakes, and what the examples share. Not a dataclass: hypothesis prints a failing
    example's arguments field by field, and these hold every message the fakes ever took."""

    def __init__(self, app, client, telegram: FakeTelegramAPI, twilio: FakeTwilio, database_url: str, logs: LogLines):
        self.app, self.client, self.telegram, self.twilio = app, client, telegram, twilio
        self.database_url, self.logs = database_url, logs
        # The web chat's last choices per session, so examples carry conversations on from where they were.
        self.offered: dict = {}

    def __repr__(self) -> str:
        return f"Service({self.database_url.split('?')[0]})"

    def rows(self) -> dict[str, int]:
        return table_counts(self.app.extensions["safer_homes.engine"])

    def assert_not_logged(self, *words: str) -> None:
        for line in self.logs.lines:
            for word in words:
                assert word not in line, f"a resident's words reached the log: {line}"


@pytest.fixture
def service(database_url, tmp_path):
    from webhook import create_app

    forget_reference_data()
    unlimited = parse_flood_limits("FLOOD_LIMIT", "1000000 per minute")
    handler = LogLines()
    root = logging.getLogger()
    root.addHandler(handler)
    # No rate limits at the fake: pacing is not under test, and NoWait below sends as fast as it can.
    with FakeTelegramAPI(TOKEN, messages_per_second=None, per_chat_per_second=None) as telegram, \
            FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        app = create_app({
            "database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
            "telegram_bot_token": TOKEN, "telegram_webhook_secret": TELEGRAM_SECRET, "telegram_api_base_url": telegram.url,
            "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN, "twilio_whatsapp_number": WHATSAPP_NUMBER,
            "twilio_sms_number": SMS_NUMBER, "twilio_api_base_url": twilio.url, "public_base_url": PUBLIC_BASE_URL,
            "twilio_messages_per_second": 1000.0, "whatsapp_templates_file": str(tmp_path / "templates.json"),
            "media_dir": str(tmp_path / "media"),
            # Flood limits have their own tests; here every example must reach the code under test.
            "flood_limit_per_contact": unlimited, "flood_limit_per_address": unlimited,
        })
        app.extensions["safer_homes.deliverer"].pacer = NoWait()
        try:
            yield Service(app, app.test_client(), telegram, twilio, database_url, handler)
        finally:
            root.removeHandler(handler)
            for channel in app.extensions["safer_homes.deliverer"].channels.values():
                channel.close()
            app.extensions["safer_homes.engine"].dispose()


# --- JSON of every shape --------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70) | \
    st.floats() | S.hostile_text | st.text()
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8) | st.sampled_from(("text", "choice", "session", "lang", "ack", "update_id", "message")),
    inner, max_size=4), max_leaves=12)
sessions = st.one_of(
    st.builds(lambda: secrets.token_urlsafe(18)),
    st.sampled_from(("", "short", "a" * 15, "a" * 129, "a" * 16 + "\n", "../../etc/passwd-xxxxxxxxx", "𝕏" * 20)),
    json_scalars,
)


def _raw(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from((b"", b"{", b"[" * 70000, b"{\"session\": " * 5000, b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00",
                     b"null", b"{\"session\": \"x\\ud800xxxxxxxxxxxxxxx\"}", b"{\"a\": NaN}", b"1e999999")),
    st.integers(MAX_BODY_BYTES - 40, MAX_BODY_BYTES + 40).map(
        lambda size: _raw({"session": "s" * 20, "text": "x" * size})[:size]),
)
web_chat_bodies = st.one_of(
    st.builds(lambda session, text, choice, lang, extra: {
        "session": session, **({} if text is None else {"text": text}), **({} if choice is None else {"choice": choice}),
        **({} if lang is None else {"lang": lang}), **extra},
        sessions, st.none() | S.hostile_text | S.too_long_text | json_values, st.none() | st.text(max_size=70) | json_values,
        st.none() | S.language_hints | json_values, st.dictionaries(st.text(max_size=5), json_scalars, max_size=2)),
    json_values,
).map(_raw) | raw_bodies


# A few residents, so examples carry their conversations on (a session, a chat, a phone number each).
WEB_CHAT_SESSIONS = tuple(f"property-session-{n}-{secrets.token_hex(8)}" for n in range(3))
TELEGRAM_CHATS = (5550001111, 5550002222, 5550003333)
PHONES = ("+447700900301", "+447700900302", "+447700900303")
what_residents_send = st.one_of(
    st.tuples(st.just("offered"), st.integers(0, 30)),  # a choice on screen, tapped (or typed as its number)
    st.tuples(st.just("number"), st.integers(0, 30).flatmap(S.typed_number)),
    st.tuples(st.just("text"), S.hostile_text | S.too_long_text | S.typed_command | S.status_command | S.event_command),
    st.tuples(st.just("choice"), st.text(max_size=64).filter(bool)),
)


def _unstorable(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(char) <= 0xDFFF for char in text)


@SHARED_APP
@given(session=st.sampled_from(WEB_CHAT_SESSIONS), sent=what_residents_send, hint=S.language_hints)
@example(session=WEB_CHAT_SESSIONS[0], sent=("text", "<script>alert(1)</script> & <b>"), hint=None)
def test_the_web_chat_answers_whatever_a_resident_sends(service, session, sent, hint):
    """200 with replies for anything a resident may send; 400 (and nothing changed) only for what cannot be
    stored: NUL characters or broken Unicode."""
    kind, value = sent
    offered = service.offered.get(session, [])
    if kind == "offered" and offered:
        body = {"session": session, "choice": offered[value % len(offered)]}
    elif kind == "choice":
        body = {"session": session, "choice": value}
    else:
        marker = new_marker()
        body = {"session": session, "text": f"{marker} {value}" if kind == "text" else str(value)}
    if hint is not None:
        body["lang"] = hint
    before = service.rows()
    response = service.client.post("/chat/api/messages", data=_raw(body), content_type="application/json")
    refused = any(_unstorable(value) for value in (body.get("text", ""), body.get("choice", ""), hint or ""))
    assert response.status_code == (400 if refused else 200), (response.status_code, response.get_data(as_text=True))
    if refused:
        assert service.rows() == before
        return
    replies = response.get_json()["replies"]
    assert replies and all(reply["text"].strip() for reply in replies)
    assert all(not reply["choices"] for reply in replies[:-1])
    service.offered[session] = [choice["key"] for choice in replies[-1]["choices"]] or offered
    service.assert_not_logged(*(word for word in body.get("text", "").split() if word.startswith("Quokkamarker")))


@SHARED_APP
@given(body=web_chat_bodies, content_type=st.sampled_from(("application/json", "text/plain", None)))
@example(body=b"[" * 70000, content_type="application/json")
@example(body=_raw({"session": "a" * 20, "text": "\ud800"}), content_type="application/json")
@example(body=_raw({"session": "a" * 20, "text": "x\x00y"}), content_type="application/json")
@example(body=_raw({"session": "a" * 20, "choice": 5}), content_type="application/json")
def test_the_web_chat_answers_any_body_at_all_with_its_contract(service, body, content_type):
    before = service.rows()
    marker = new_marker()
    body = body.replace(b"x", marker.encode(), 1) if len(body) < MAX_BODY_BYTES - 40 else body
    response = service.client.post("/chat/api/messages", data=body,
                                   headers={"Content-Type": content_type} if content_type else {})
    assert response.status_code in (200, 400, 413), (response.status_code, response.get_data(as_text=True)[:300])
    event(f"status {response.status_code}")
    answer = response.get_json()
    if response.status_code == 200:
        assert answer["replies"] and all(reply["text"].strip() for reply in answer["replies"])
        assert all(not reply["choices"] for reply in answer["replies"][:-1])
    else:
        assert isinstance(answer["error"], str) and answer["error"]
        assert service.rows() == before, "a refused message changed the database"
    service.assert_not_logged(marker)


# --- Telegram: any update behind the right secret --------------------------------------------------------------

chat_ids = st.integers(-2**40, 2**40) | st.sampled_from((0, 2**63, -2**63 - 1, 10**30)) | json_scalars
texts = S.hostile_text | S.too_long_text | st.sampled_from(("/start", "/start event_3", "/start event_99999999999",
                                                             "status TH-7K3M-9QXR", "forget me", "মেনু")) | json_values


def _message(chat_id, chat_type, fields: dict) -> dict:
    return {"message_id": 1, "date": 1767225600, "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Shamima", "language_code": "bn"}, **fields}


telegram_messages = st.builds(
    _message, chat_ids, st.sampled_from(("private", "private", "group", "channel", "")) | json_scalars,
    st.one_of(
        st.builds(lambda text: {"text": text}, texts),
        st.builds(lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}}, S.coordinates, S.coordinates),
        st.builds(lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}}, json_scalars, json_scalars),
        st.builds(lambda caption: {"photo": [{"file_id": "missing-file", "file_unique_id": "u", "width": 1,
                                              "height": 1, "file_size": 10}], "caption": caption}, texts),
        st.builds(lambda value: {"sticker": value}, json_values),
        st.dictionaries(st.sampled_from(("text", "caption", "entities", "reply_markup", "contact")), json_values,
                        max_size=3),
    ),
)
telegram_taps = st.builds(
    lambda data, chat_id, with_message: {"id": "cb1", "chat_instance": "1", "data": data,
                                         "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                         **({"message": _message(chat_id, "private", {"text": "…"})} if with_message else {})},
    st.text(max_size=80) | json_scalars, chat_ids, st.booleans())
update_ids = st.builds(next_update_id) | json_scalars | st.sampled_from((2**63, -1, 0, True, 1.5, "12"))
telegram_updates = st.one_of(
    st.builds(lambda update_id, message: {"update_id": update_id, "message": message}, update_ids, telegram_messages),
    st.builds(lambda update_id, tap: {"update_id": update_id, "callback_query": tap}, update_ids, telegram_taps),
    st.builds(lambda update_id, key, value: {"update_id": update_id, key: value}, update_ids,
              st.sampled_from(("edited_message", "channel_post", "poll", "my_chat_member", "message")), json_values),
    json_values,
)


@SHARED_APP
@given(chat_id=st.sampled_from(TELEGRAM_CHATS), sent=what_residents_send,
       language_code=st.none() | st.sampled_from(("bn", "so", "en", "ar", "zh-hans", "")))
@example(chat_id=TELEGRAM_CHATS[0], sent=("text", "<b>bold</b> <a href='x'>&amp; </i>"), language_code=None)
def test_telegram_answers_whatever_a_resident_sends_at_the_bot_api(service, chat_id, sent, language_code):
    """A message or a tap from a private chat is answered at the Bot API, whatever it holds: the reply
    parses as Telegram HTML (what the resident wrote is escaped) and its buttons fit callback_data."""
    kind, value = sent
    earlier = service.telegram.messages_to(chat_id)
    offered = earlier[-1].callback_data if earlier else []
    user = {"id": chat_id, "is_bot": False, "first_name": "Shamima",
            **({"language_code": language_code} if language_code is not None else {})}
    chat = {"id": chat_id, "type": "private", "first_name": "Shamima"}
    marker = new_marker()
    if kind in ("offered", "choice"):
        data = offered[value % len(offered)] if kind == "offered" and offered else str(value)
        update = {"update_id": next_update_id(), "callback_query": {
            "id": secrets.token_hex(8), "chat_instance": "1", "data": data, "from": user,
            "message": {"message_id": 1, "date": 1767225600, "chat": chat, "text": "…"}}}
    else:
        update = {"update_id": next_update_id(), "message": {
            "message_id": 1, "date": 1767225600, "chat": chat, "from": user,
            "text": f"{marker} {value}" if kind == "text" else str(value)}}
    response = service.client.post(WEBHOOK_PATH, data=_raw(update), headers={
        SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    answers = service.telegram.messages_to(chat_id)[len(earlier):]
    if kind in ("offered", "choice") and not update["callback_query"]["data"].strip():
        return  # an empty button is no message (incoming_from_update): nothing to answer
    assert answers, "the resident got no answer (the Bot API refused it, or nothing was sent)"
    for answer in answers:
        assert answer.parse_mode == "HTML" and answer.plain.strip()
        assert all(len(data.encode()) <= 64 for data in answer.callback_data)
    service.assert_not_logged(marker, str(chat_id))


@SHARED_APP
@given(update=telegram_updates.map(_raw) | raw_bodies)
@example(update=_raw({"update_id": 10**6, "message": _message(7, "private", {"text": "a\x00b"})}))
@example(update=_raw({"update_id": 10**6 + 1, "message": _message(7, "private", {"text": "\ud83d"})}))
@example(update=_raw({"update_id": 10**6 + 2, "message": _message(7, "private", {"text": {"b": 1}})}))
@example(update=_raw({"update_id": 10**6 + 3, "message": _message(2**70, "private", {"text": "hi"})}))
@example(update=_raw({"update_id": 10**6 + 4, "callback_query": {"id": "c", "chat_instance": "1", "data": "\x00",
                                                               "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                                               "message": _message(8, "private", {"text": "…"})}}))
def test_the_telegram_webhook_answers_any_json_at_all_with_its_contract(service, update):
    before = service.rows()
    marker = new_marker()
    update = update.replace(b"\xe2\x80\xa6", marker.encode(), 1)
    if b'"text": "' in update:
        update = update.replace(b'"text": "', b'"text": "' + marker.encode() + b" ", 1)
    response = service.client.post(WEBHOOK_PATH, data=update, headers={SECRET_HEADER: TELEGRAM_SECRET,
                                                                     "Content-Type": "application/json"})
    assert response.status_code in (200, 400, 413), (response.status_code, update[:300])
    event(f"status {response.status_code}")
    if response.status_code != 200:
        assert service.rows() == before, "a refused update changed the database"
    service.assert_not_logged(marker)


# --- Twilio: any fields with a valid signature -------------------------------------------------------------------

def _sign(path: str, fields: dict) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, fields)


form_values = st.text(max_size=30) | S.hostile_text | st.sampled_from(("", " ", "0", "-1", "1e9", "nan", "inf", "²"))
senders = st.one_of(
    st.from_regex(r"\+447700900[0-9]{3}", fullmatch=True),
    st.from_regex(r"whatsapp:\+447700900[0-9]{3}", fullmatch=True),
    st.sampled_from(("whatsapp:", "+0", "0044 7700 900123", "(+44) 7700-900-123", "whatsapp:whatsapp:+447700900123",
                     "+4477009001239999999")),
    form_values,
)
message_sids = st.builds(lambda: new_sid("SM")) | st.sampled_from(("", "SM", "SM" + "x" * 80, "SM-1", "SM\x00"))
twilio_messages = st.fixed_dictionaries({
    "MessageSid": message_sids,
    "From": senders,
    "To": st.sampled_from((WHATSAPP_NUMBER, f"whatsapp:{WHATSAPP_NUMBER}", SMS_NUMBER)),
    "Body": S.hostile_text | S.too_long_text | st.sampled_from(("STOP", "stop", "বন্ধ করুন", "unstop", "info",
                                                                  "RSVP 3", "status TH-7K3M-9QXR", "forget me")),
}, optional={
    "NumMedia": form_values | st.sampled_from(("1", "3", "10", "999999999999")),
    "MediaUrl0": st.sampled_from(("", "not a url", "ftp://example.invalid/x", "http://127.0.0.1:9/none")),
    "MediaContentType0": st.sampled_from(("image/jpeg", "text/html", "", "image/svg+xml")) | form_values,
    "Latitude": form_values | st.floats().map(str),
    "Longitude": form_values | st.floats().map(str),
    "OptOutType": st.sampled_from(("STOP", "START", "HELP", "")) | form_values,
    "ProfileName": form_values,
    "ButtonPayload": form_values,
})
status_callbacks = st.fixed_dictionaries({
    "MessageSid": message_sids,
    "MessageStatus": st.sampled_from(("queued", "sent", "delivered", "undelivered", "failed", "read", "")) | form_values,
}, optional={"ErrorCode": form_values | st.sampled_from(("63016", "21610", "30004", "99999999999999999999")),
             "To": senders})


@SHARED_APP
@given(phone=st.sampled_from(PHONES), whatsapp=st.booleans(), sent=what_residents_send)
@example(phone=PHONES[0], whatsapp=True, sent=("text", "STOP"))
@example(phone=PHONES[0], whatsapp=True, sent=("text", "start"))
def test_whatsapp_and_sms_answer_whatever_a_resident_sends(service, phone, whatsapp, sent):
    """A signed message from a phone is taken (200, empty TwiML) whatever its body, and answered through the
    API unless it opted out; no number or words reach a log line."""
    kind, value = sent
    sender = f"whatsapp:{phone}" if whatsapp else phone
    marker = new_marker()
    body = f"{marker} {value}" if kind == "text" else str(value)
    fields = {"MessageSid": new_sid("SM"), "AccountSid": ACCOUNT_SID, "From": sender,
              "To": f"whatsapp:{WHATSAPP_NUMBER}" if whatsapp else SMS_NUMBER, "Body": body, "NumMedia": "0"}
    earlier = len(service.twilio.messages_to(phone))
    response = service.client.post("/webhooks/twilio", data=fields,
                                    headers={"X-Twilio-Signature": _sign("/webhooks/twilio", fields)})
    assert response.status_code == 200 and response.mimetype == "text/xml", response.get_data(as_text=True)
    event(f"answered: {len(service.twilio.messages_to(phone)) > earlier}")
    service.assert_not_logged(marker, phone, phone.lstrip("+"))


@SHARED_APP
@given(fields=twilio_messages)
@example(fields={"MessageSid": "SM" + "1" * 32, "From": "+447700900123", "To": SMS_NUMBER, "Body": "a\x00b"})
@example(fields={"MessageSid": "SM" + "2" * 32, "From": "whatsapp:+447700900124", "To": WHATSAPP_NUMBER,
                 "Body": "", "Latitude": "nan", "Longitude": "1"})
@example(fields={"MessageSid": "SM" + "3" * 32, "From": "+447700900125", "To": SMS_NUMBER, "Body": "hi",
                 "NumMedia": "²"})
def test_the_twilio_webhook_answers_any_signed_fields_at_all_with_its_contract(service, fields):
    before = service.rows()
    marker = new_marker()
    fields = {**fields, "Body": f"{marker} {fields['Body']}"}
    response = service.client.post("/webhooks/twilio", data=fields,
                                   headers={"X-Twilio-Signature": _sign("/webhooks/twilio", fields)})
    assert response.status_code in (200, 400, 413), (response.status_code, response.get_data(as_text=True)[:300])
    event(f"status {response.status_code}")
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
    else:
        assert service.rows() == before, "a refused message changed the database"
    service.assert_not_logged(marker)


@SHARED_APP
@given(fields=status_callbacks)
def test_the_twilio_status_callback_answers_any_signed_report_with_its_contract(service, fields):
    response = service.client.post("/webhooks/twilio/status", data=fields,
                                   headers={"X-Twilio-Signature": _sign("/webhooks/twilio/status", fields)})
    assert response.status_code in (200, 400), (response.status_code, response.get_data(as_text=True)[:300])


@SHARED_APP
@given(fields=twilio_messages, tamper=st.sampled_from(("field", "signature", "none", "url")))
def test_a_twilio_message_signed_for_anything_else_is_refused_and_changes_nothing(service, fields, tamper):
    signature = _sign("/webhooks/twilio", fields)
    if tamper == "field":
        fields = {**fields, "Body": fields["Body"] + "!"}
    elif tamper == "signature":
        signature = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    elif tamper == "url":
        signature = _sign("/webhooks/twilio/status", fields)
    else:
        signature = ""
    before = service.rows()
    response = service.client.post("/webhooks/twilio", data=fields, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert service.rows() == before


def test_every_float_a_client_can_send_is_json_the_service_can_store():
    # NaN and the infinities are read by json.loads but may never reach a saved state (PostgreSQL's JSON
    # refuses them): tests/properties/test_conversation_machine.py checks every state with allow_nan=False.
    assert json.loads('{"a": NaN}')["a"] != json.loads('{"a": NaN}')["a"] and math.isinf(json.loads("1e999999"))
