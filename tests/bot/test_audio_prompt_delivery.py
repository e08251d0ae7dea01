"""Community recordings of prompts reaching residents (README, "Recorded prompts"), through the real webhooks,
outbox and channels to the fake provider APIs: Telegram sends the voice (sendVoice, uploaded once, then by
its file_id) before the text; WhatsApp gets a media message whose MediaUrl the app serves; SMS and anyone
without a recording in their language get the text only; a crash between the voice and the text never
sends the voice twice. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot import audio_prompts
from bot.delivery import Deliverer
from flows import i18n
from flows.audio_prompts import MAIN_MENU
from sqlalchemy import select

from bot.delivery import DeliveryCounts
from storage.database import new_session
from storage.models import OutboxMessage
from storage.types import utcnow
from tests import media_samples
from tests.bot.test_telegram_webhook import NoWait, Resident as TelegramResident, _close, _telegram_app
from tests.bot.test_twilio_webhooks import (
    HODAN, PUBLIC_BASE_URL, ROKEYA, Resident as PhoneResident, _build, _dispose, choice_number,
)
from tests.fakes.telegram_api import FakeTelegramAPI, Upload
from tests.fakes.twilio_api import FakeTwilio
from tests.web.test_staff_audio_prompts import sign_in_admin, upload

TOKEN = "123:ABC"
BENGALI_MENU = media_samples.ogg_opus(comments=("TITLE=MARKER-TITLE menu", "ARTIST=MARKER-ARTIST"), frames=40)
SOMALI_MENU = media_samples.mp3(frames=20)


def _menu_text(lang: str) -> str:
    return i18n.translations(lang).gettext("What would you like to do?")


# --- Telegram -----------------------------------------------------------------------------------------

@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram_app(database_url, api, tmp_path):
    app = _telegram_app(database_url, api, tmp_path / "media")
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    yield app
    _close(app)


def _choose(resident: TelegramResident, lang: str) -> None:
    resident.says("/start")
    resident.taps_button(f"lang:{lang}")


def test_an_admin_uploads_the_bengali_menu_and_a_bengali_resident_on_telegram_hears_it_before_the_text(
        telegram_app, api):
    admin = telegram_app.test_client()
    sign_in_admin(telegram_app, admin)
    response = upload(admin, MAIN_MENU, "bn", BENGALI_MENU, "menu.ogg")
    assert response.status_code == 303
    kept = audio_prompts.find(telegram_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn")

    shamima = TelegramResident(telegram_app.test_client(), api, 5550001)
    _choose(shamima, "bn")
    sent = api.sent_to(5550001)
    # The language menu, then the voice, then the welcome and the menu as one text, its buttons on it.
    assert sent[-2] == "voice" and _menu_text("bn") in sent[-1]
    assert sent.count("voice") == 1
    [voice] = api.voices_to(5550001)
    assert voice.uploaded and voice.content == kept.path.read_bytes()
    assert b"MARKER" not in voice.content  # the recorder's tags never leave the server
    [call] = api.calls_to("sendVoice", 5550001)
    assert isinstance(call["voice"], Upload) and call["voice"].filename == kept.file_name  # multipart, as uploaded
    assert "menu:report" in shamima.last.callback_data  # the text still carries every choice

    # The next resident's voice goes by the file_id Telegram gave the first upload: the bytes are not sent again.
    rokeya = TelegramResident(telegram_app.test_client(), api, 5550002)
    _choose(rokeya, "bn")
    [again] = api.voices_to(5550002)
    assert not again.uploaded and again.file_id == voice.file_id and again.content == voice.content
    assert api.sent_to(5550002)[-2:][0] == "voice"


def test_without_a_recording_in_their_language_a_resident_gets_the_text_only(telegram_app, api):
    media_dir = telegram_app.extensions["safer_homes.settings"].media_dir
    audio_prompts.save(media_dir, MAIN_MENU, "so", SOMALI_MENU)  # Somali only
    for chat_id, lang in ((5550011, "bn"), (5550012, "en")):
        resident = TelegramResident(telegram_app.test_client(), api, chat_id)
        _choose(resident, lang)
        assert "voice" not in api.sent_to(chat_id)
        assert _menu_text(lang) in resident.last.plain
    assert api.calls_to("sendVoice") == []
    hodan = TelegramResident(telegram_app.test_client(), api, 5550013)
    _choose(hodan, "so")
    assert api.sent_to(5550013)[-2] == "voice"


def test_the_menu_asked_again_later_plays_again_and_other_questions_never_do(telegram_app, api):
    audio_prompts.save(telegram_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    resident = TelegramResident(telegram_app.test_client(), api, 5550021)
    _choose(resident, "bn")
    resident.taps_button("menu:report")
    assert len(api.voices_to(5550021)) == 1  # "is anyone in danger?" has no recording
    resident.says(i18n.translations("bn").gettext("menu"))
    assert len(api.voices_to(5550021)) == 2 and api.sent_to(5550021)[-2] == "voice"


def test_a_resident_who_refuses_voice_messages_still_gets_the_menu(telegram_app, api):
    audio_prompts.save(telegram_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    api.forbid_voice_messages(5550031)
    resident = TelegramResident(telegram_app.test_client(), api, 5550031)
    _choose(resident, "bn")
    assert api.voices_to(5550031) == [] and _menu_text("bn") in resident.last.plain
    assert _failed(telegram_app) == ["Telegram 400: Voice_messages_forbidden"]  # as python-telegram-bot words it


def test_a_replaced_recording_is_not_sent_in_place_of_the_one_queued_but_the_text_goes(telegram_app, api):
    media_dir = telegram_app.extensions["safer_homes.settings"].media_dir
    audio_prompts.save(media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    deliverer = telegram_app.extensions["safer_homes.deliverer"]
    deliverer.deliver_now = lambda ids: DeliveryCounts()  # the web process sends nothing: all waits in the outbox
    resident = TelegramResident(telegram_app.test_client(), api, 5550041)
    resident.post(resident.user.message("/start"))
    resident.post(resident.user.tap("lang:bn", message_id=1))
    audio_prompts.save(media_dir, MAIN_MENU, "bn", media_samples.ogg_opus(comments=(), frames=12))
    Deliverer(deliverer.engine, deliverer.settings, deliverer.channels, pacer=NoWait()).deliver_due()
    assert api.voices_to(5550041) == []
    assert _menu_text("bn") in api.messages_to(5550041)[-1].plain
    assert _failed(telegram_app) == ["the recorded prompt was replaced or removed after it was queued"]


class ProcessDied(BaseException):
    """The web process killed between two sends: not an Exception, so nothing in the Deliverer catches it."""


def test_a_crash_between_the_voice_and_the_text_never_sends_the_voice_twice(telegram_app, api):
    audio_prompts.save(telegram_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    deliverer = telegram_app.extensions["safer_homes.deliverer"]
    channel = deliverer.channels["telegram"]
    resident = TelegramResident(telegram_app.test_client(), api, 5550051)
    resident.says("/start")
    real_send = channel.send

    def dies_at_the_text(address, payload, **kwargs):
        if "voice" not in payload:
            raise ProcessDied()
        return real_send(address, payload, **kwargs)

    channel.send = dies_at_the_text
    with pytest.raises(ProcessDied):
        resident.post(resident.user.tap("lang:bn", message_id=resident.last.message_id))
    channel.send = real_send
    assert len(api.voices_to(5550051)) == 1 and _menu_text("bn") not in api.sent_to(5550051)[-1]

    # The worker, once the dead process's lease has run out, sends what is left: the text, not the voice.
    later = Deliverer(deliverer.engine, deliverer.settings, deliverer.channels, pacer=NoWait(),
                      clock=lambda: utcnow() + timedelta(seconds=deliverer.settings.delivery_lease_seconds + 1))
    later.deliver_due()
    later.deliver_due()
    assert len(api.voices_to(5550051)) == 1
    assert api.sent_to(5550051)[-2] == "voice" and _menu_text("bn") in api.sent_to(5550051)[-1]
    assert [text for text in api.sent_to(5550051) if _menu_text("bn") in text] == [api.sent_to(5550051)[-1]]


# --- WhatsApp and SMS ---------------------------------------------------------------------------------

@pytest.fixture
def twilio():
    from tests.bot.test_twilio_webhooks import ACCOUNT_SID, AUTH_TOKEN

    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def phone_app(database_url, twilio, tmp_path):
    app = _build(database_url, twilio, tmp_path)
    yield app
    _dispose(app)


def _choose_by_number(resident: PhoneResident, lang: str) -> None:
    resident.send("Hello")
    # Posted, not `send`: what comes back may include a media message, which has no body to read.
    response = resident.post(resident.fields(choice_number(resident.last, i18n.BY_CODE[lang].endonym)))
    assert response.status_code == 200
    resident.received.append(resident.fake.messages_to(resident.number)[-1].body)


def test_on_whatsapp_the_recording_is_a_media_message_the_app_serves_before_the_text(phone_app, twilio):
    media_dir = phone_app.extensions["safer_homes.settings"].media_dir
    kept = audio_prompts.save(media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    rokeya = PhoneResident(phone_app.test_client(), twilio, ROKEYA)
    _choose_by_number(rokeya, "bn")
    *_, voice, text = twilio.messages_to(ROKEYA)
    assert voice.media_urls == (f"{PUBLIC_BASE_URL}/audio/{kept.file_name}",) and not voice.body
    assert not text.media_urls and _menu_text("bn") in text.body
    # What Twilio fetches: the recording as kept, public, typed, cacheable.
    with phone_app.test_client().get(voice.media_urls[0].removeprefix(PUBLIC_BASE_URL)) as served:
        assert served.status_code == 200 and served.mimetype == "audio/ogg"
        assert served.get_data() == kept.path.read_bytes()
        assert "immutable" in served.headers["Cache-Control"] and "public" in served.headers["Cache-Control"]


def test_on_sms_and_on_whatsapp_without_a_recording_only_text_goes(phone_app, twilio):
    audio_prompts.save(phone_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    texter = PhoneResident(phone_app.test_client(), twilio, HODAN, channel="sms")
    _choose_by_number(texter, "bn")
    assert _menu_text("bn") in texter.last
    somali = PhoneResident(phone_app.test_client(), twilio, "+447700900999")
    _choose_by_number(somali, "so")
    assert _menu_text("so") in somali.last
    assert all(not message.media_urls for message in twilio.messages)


def test_outside_whatsapps_window_a_queued_recording_is_dropped_and_its_text_waits_as_any_reply(phone_app, twilio):
    audio_prompts.save(phone_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", BENGALI_MENU)
    rokeya = PhoneResident(phone_app.test_client(), twilio, ROKEYA)
    rokeya.send("Hello")
    deliverer = phone_app.extensions["safer_homes.deliverer"]
    deliverer.deliver_now = lambda ids: DeliveryCounts()  # this time nothing goes until the worker, a day later
    rokeya.post(rokeya.fields(choice_number(rokeya.last, i18n.BY_CODE["bn"].endonym)))
    Deliverer(deliverer.engine, deliverer.settings, deliverer.channels,
              clock=lambda: utcnow() + timedelta(hours=25)).deliver_due()
    assert all(not message.media_urls for message in twilio.messages_to(ROKEYA))
    assert _failed(phone_app) == ["a recorded prompt is not sent outside WhatsApp's 24-hour window; its text goes "
                                  "on its own"]
    with new_session(deliverer.engine) as session:
        statuses = list(session.execute(select(OutboxMessage.status).order_by(OutboxMessage.id)).scalars())
    assert statuses[-2:] == ["failed", "held"]  # the text, as every reply outside the window with no template


def _failed(app) -> list[str]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return list(session.execute(select(OutboxMessage.last_error).where(OutboxMessage.status == "failed")
                                    .order_by(OutboxMessage.id)).scalars())


# --- the web chat -------------------------------------------------------------------------------------

@pytest.fixture
def chat_app(database_url, tmp_path):
    from tests.web.pentest_world import app_with_media

    yield from app_with_media(database_url, tmp_path)


def _chat(client, session: str, **message) -> list[dict]:
    response = client.post("/chat/api/messages", json={"session": session, **message})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["replies"]


def test_the_web_chat_names_the_recording_to_play_above_the_menu_and_nothing_else(chat_app):
    kept = audio_prompts.save(chat_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "so", SOMALI_MENU)
    client = chat_app.test_client()
    _chat(client, "somali-session-0001", choice="start")
    welcome, menu = _chat(client, "somali-session-0001", choice="lang:so")
    assert menu["audio"] == f"/audio/{kept.file_name}" and _menu_text("so") in menu["text"] and menu["choices"]
    assert "audio" not in welcome  # no Somali welcome recorded yet
    with client.get(menu["audio"]) as served:
        assert served.status_code == 200 and served.get_data() == kept.path.read_bytes()
    _chat(client, "bengali-session-001", choice="start")
    assert all("audio" not in reply for reply in _chat(client, "bengali-session-001", choice="lang:bn"))
    assert all("audio" not in reply for reply in _chat(client, "somali-session-0001", choice="menu:report"))
