"""Forged, replayed, oversized and malformed requests to the webhooks and the web chat API: each is refused
with a clear status (design.md, "Status codes for webhooks": 403 forged, 400 malformed, 413 too large, 200
and nothing more for a replay) and leaves every table as it was; the odd characters a real message can
carry (NUL, a lone surrogate, invalid UTF-8) never make one impossible to answer or store. The ordinary
refusals have their tests beside each channel's (test_telegram_webhook.py, test_twilio_webhooks.py,
test_webchat_api.py); these are the ones an attacker would try next. On SQLite and PostgreSQL."""
from __future__ import annotations

import hmac
import io
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.channels import telegram as telegram_channel
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.conversations import forget_reference_data
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser
from tests.fakes.twilio_api import FakeTwilio, new_sid
from tests.helpers import dump_every_table, new_session_id
from webhook import create_app

TOKEN = "123:ABC"
SECRET = "s3cret-for-hostile-tests"
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
SMS_NUMBER = "+447700900001"
WHATSAPP_NUMBER = "+14155238886"
PUBLIC_BASE_URL = "https://saferhomes.example.org"
TWILIO_URL = PUBLIC_BASE_URL + "/webhooks/twilio"
STATUS_URL = PUBLIC_BASE_URL + "/webhooks/twilio/status"
NUMBER = "+447700900654"


class NoWait:
    def wait_turn(self, paces) -> float:
        return 0.0


def _chunked(body: bytes) -> dict:
    """Keyword arguments for a test-client post with no Content-Length: the server learns the size only by
    reading, as with a chunked upload."""
    return {"input_stream": io.BytesIO(body),
            "environ_overrides": {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}}


@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
def twilio():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def app(database_url, api, twilio, tmp_path: Path):
    forget_reference_data()
    app = create_app({
        "database_url": database_url, "secret_key": TEST_SECRET_KEY, "media_dir": str(tmp_path / "media"),
        "telegram_bot_token": TOKEN, "telegram_webhook_secret": SECRET, "telegram_api_base_url": api.url,
        "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN, "twilio_sms_number": SMS_NUMBER,
        "twilio_whatsapp_number": WHATSAPP_NUMBER, "twilio_api_base_url": twilio.url,
        "public_base_url": PUBLIC_BASE_URL, "twilio_messages_per_second": 200.0, "TESTING": True,
    })
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    yield app
    for channel in app.extensions["safer_homes.deliverer"].channels.values():
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def unchanged(database_url):
    """Every table as it was before the test's refusals; call it at the end to check nothing changed."""
    before = dump_every_table(database_url)

    def check() -> None:
        assert dump_every_table(database_url) == before

    return check


# --- Telegram -------------------------------------------------------------------------------------

def _telegram(client, body, *, secret: str | None = SECRET, **options):
    headers = {"Content-Type": "application/json", **({SECRET_HEADER: secret} if secret is not None else {})}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if options.pop("chunked", False):
        return client.post(WEBHOOK_PATH, headers=headers, **_chunked(data))
    return client.post(WEBHOOK_PATH, data=data, headers=headers)


def test_the_telegram_secret_is_compared_in_constant_time(client, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def recording(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(telegram_channel.hmac, "compare_digest", recording)
    assert _telegram(client, TelegramUser(71).message("hi"), secret="s3cret-for-hostile-testz").status_code == 403
    assert compared == [(b"s3cret-for-hostile-testz", SECRET.encode())]


def test_a_forged_secret_is_refused_before_the_body_is_even_read(client, api, unchanged):
    """403 for the wrong secret however large or broken the body: nothing of it is parsed or kept."""
    for body in (b"{" * 10, b"x" * (2 * 1024 * 1024), json.dumps(TelegramUser(72).message("hi")).encode()):
        assert _telegram(client, body, secret="forged").status_code == 403
    unchanged()
    assert api.messages == []


@pytest.mark.parametrize("chunked", [False, True])
def test_a_telegram_body_over_the_limit_is_413(client, api, unchanged, chunked):
    update = TelegramUser(73).message("x" * (2 * 1024 * 1024))
    assert _telegram(client, update, chunked=chunked).status_code == 413
    unchanged()
    assert api.messages == []


@pytest.mark.parametrize("body", [
    b"[" * 50_000,  # nested past Python's recursion limit
    b'{"update_id": 1e400}',
    b'{"update_id": 100000000000000000000000000000000000000000000000000000000000000000000000, "message": {}}',
    b'{"update_id": -5, "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "hi"}}',
    b'{"update_id": NaN}',
    b"\x00\x01\x02",
    b"\xc3\x28",  # invalid UTF-8
])
def test_a_malformed_telegram_body_is_400_and_changes_nothing(client, api, unchanged, body):
    assert _telegram(client, body).status_code == 400
    unchanged()
    assert api.messages == []


def test_an_absurdly_long_update_id_is_refused_not_a_server_error(client, api, unchanged):
    update = TelegramUser(74).message("hello")
    update["update_id"] = 10**40
    assert _telegram(client, update).status_code == 400
    unchanged()


def test_a_replayed_update_id_with_other_content_is_ignored(client, api, database_url):
    resident = TelegramUser(75, language_code="en")
    update = resident.message("hello")
    assert _telegram(client, update).status_code == 200
    answered = len(api.messages_to(75))
    before = dump_every_table(database_url)
    replay = resident.message("menu")
    replay["update_id"] = update["update_id"]
    assert _telegram(client, replay).status_code == 200
    assert dump_every_table(database_url) == before
    assert len(api.messages_to(75)) == answered


@pytest.mark.parametrize("text", ["hello\x00there", "\ud800 broken surrogate", "\x00" * 50, "menu\ufeff"])
def test_odd_characters_in_a_telegram_message_are_answered_and_stored_safely(client, api, text):
    """A NUL or a lone surrogate cannot be stored in PostgreSQL text; the message is still answered."""
    resident = TelegramUser(76, language_code="en")
    body = json.dumps(resident.message(text)).encode()  # json.dumps escapes them as \u0000 and \ud800
    assert _telegram(client, body).status_code == 200
    assert api.messages_to(76)


def test_a_button_tap_carrying_a_nul_or_a_huge_key_is_answered(client, api):
    resident = TelegramUser(77, language_code="en")
    assert _telegram(client, resident.message("hello")).status_code == 200
    menu = api.messages_to(77)[-1]
    for data in ("menu:report\x00", "x" * 5000, "\ud800"):
        tap = resident.tap("menu:report", message_id=menu.message_id)
        tap["callback_query"]["data"] = data
        assert _telegram(client, json.dumps(tap).encode()).status_code == 200
    assert len(api.messages_to(77)) >= 4  # each answered (asked again), none a server error


# --- Twilio ---------------------------------------------------------------------------------------

def _fields(body: str = "hello", **extra) -> dict:
    sid = new_sid("SM")
    fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID, "From": NUMBER, "To": SMS_NUMBER,
              "Body": body, "NumMedia": "0"}
    fields.update(extra)
    return fields


def _sign(fields: dict, url: str = TWILIO_URL) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, fields)


def _twilio(client, fields, *, signature=None, path="/webhooks/twilio", **options):
    headers = {"X-Twilio-Signature": signature if signature is not None else _sign(fields, PUBLIC_BASE_URL + path)}
    if options.pop("chunked", False):
        return client.post(path, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                           **_chunked(urlencode(fields).encode()))
    return client.post(path, data=fields, headers=headers)


def test_a_signature_over_another_body_is_refused(client, twilio, unchanged):
    signed = _fields("hello")
    signature = _sign(signed)
    for changed in ({**signed, "Body": "help"}, {**signed, "From": "+447700900999"}, {**signed, "Extra": "1"},
                    {key: value for key, value in signed.items() if key != "NumMedia"}):
        assert _twilio(client, changed, signature=signature).status_code == 403
    unchanged()
    assert twilio.attempts == []


def test_a_replay_under_a_new_message_sid_is_refused(client, twilio, database_url):
    """The signature covers MessageSid: a captured request sent again as a new message is forged."""
    fields = _fields("hello")
    signature = _sign(fields)
    assert _twilio(client, fields, signature=signature).status_code == 200
    before = dump_every_table(database_url)
    assert _twilio(client, {**fields, "MessageSid": new_sid("SM")}, signature=signature).status_code == 403
    assert _twilio(client, fields, signature=signature).status_code == 200  # the same one again: a duplicate
    assert dump_every_table(database_url) == before
    assert len(twilio.messages_to(NUMBER)) == 1


def test_a_signature_for_the_status_callback_does_not_open_the_message_webhook(client, twilio, unchanged):
    fields = _fields("hello")
    assert _twilio(client, fields, signature=_sign(fields, STATUS_URL)).status_code == 403
    unchanged()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_twilio_body_over_the_limit_is_413(client, twilio, unchanged, chunked):
    fields = _fields("x" * (2 * 1024 * 1024))
    assert _twilio(client, fields, chunked=chunked).status_code == 413
    unchanged()
    assert twilio.attempts == []


def test_thousands_of_form_fields_unsigned_are_refused_quickly(client, twilio, unchanged):
    fields = {**_fields(), **{f"F{n}": "1" for n in range(6_000)}}
    assert len(urlencode(fields)) < 64 * 1024
    assert _twilio(client, fields, signature="forged").status_code == 403
    unchanged()


def test_a_multipart_body_with_too_many_parts_is_413(client, twilio, unchanged):
    fields = {**_fields(), **{f"F{n}": "1" for n in range(1500)}}
    response = client.post("/webhooks/twilio", data=fields, content_type="multipart/form-data",
                           headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 413  # past 64 KB long before Werkzeug's 1,000-part limit
    unchanged()


@pytest.mark.parametrize("change", [
    {"MessageSid": "SM" + "a" * 5000}, {"MessageSid": "SM\x00abc"}, {"From": "+44" + "7" * 500},
    {"From": "whatsapp:+447700900654\x00"}, {"NumMedia": "many"}, {"Latitude": "1e400", "Longitude": "0"},
])
def test_absurd_values_signed_as_if_by_twilio_are_400_and_change_nothing(client, twilio, unchanged, change):
    assert _twilio(client, _fields("hello", **change)).status_code == 400
    unchanged()
    assert twilio.attempts == []


@pytest.mark.parametrize("body", ["hello\x00", "\x00" * 30, "\ufffd\ufffd", "x" * 1600])
def test_odd_characters_in_an_sms_are_answered_and_stored_safely(client, twilio, body):
    assert _twilio(client, _fields(body)).status_code == 200
    assert twilio.messages_to(NUMBER)


@pytest.mark.parametrize("change, status", [
    ({}, 403), ({"MessageSid": "SM\x00" + "a" * 10}, 400), ({"MessageSid": "SM" + "a" * 100}, 400),
    ({"MessageStatus": "delivered\x00"}, 400), ({"MessageStatus": "x" * 100}, 400),
    ({"ErrorCode": "9" * 40}, 200),  # a code too large to mean anything is left out, not a server error
])
def test_the_status_callback_refuses_forged_and_absurd_reports(client, twilio, database_url, change, status):
    sid = new_sid("SM")
    fields = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID, **change}
    signature = "forged" if status == 403 else _sign(fields, STATUS_URL)
    before = dump_every_table(database_url)
    assert _twilio(client, fields, signature=signature, path="/webhooks/twilio/status").status_code == status
    if status != 200:
        assert dump_every_table(database_url) == before


# --- the web chat API -----------------------------------------------------------------------------

_SESSION = new_session_id().encode()
MALFORMED_CHAT = [
    b"[" * 30_000,  # nested past Python's recursion limit
    b'{"session": ' + b"[" * 30_000 + b"}",
    b'{"session": "' + b"s" * 5000 + b'", "text": "hi"}',
    b'{"session": "' + _SESSION + b'\\u0000", "text": "hi"}',
    b'{"session": 1e400}',
    b"\xc3\x28",
]
MALFORMED_MESSAGES = MALFORMED_CHAT + [
    b'{"session": "' + _SESSION + b'", "text": "\xc3\x28"}',  # invalid UTF-8
    b'{"session": "' + _SESSION + b'", "text": "\\u0000"}',
    b'{"session": "' + _SESSION + b'", "text": "\\ud800"}',
    b'{"session": "' + _SESSION + b'", "choice": "' + b"k" * 5000 + b'"}',
    b'{"session": "' + _SESSION + b'", "text": 1e400}',
]
MALFORMED_UPDATES = MALFORMED_CHAT + [
    b'{"session": "' + _SESSION + b'", "ack": [' + b"9" * 400 + b"]}",
    b'{"session": "' + _SESSION + b'", "ack": ' + b"[" * 30_000 + b"}",
]


@pytest.mark.parametrize("path, body", [("/chat/api/messages", body) for body in MALFORMED_MESSAGES]
                         + [("/chat/api/updates", body) for body in MALFORMED_UPDATES])
def test_a_malformed_web_chat_body_is_400_with_a_clear_error_and_changes_nothing(client, unchanged, path, body):
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, body[:60]
    assert response.get_json()["error"]
    unchanged()
