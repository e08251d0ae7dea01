"""POST /chat/api/voice: a voice message recorded in the web chat, through the real app on SQLite and PostgreSQL.
Kept without its tags at the "what happened" step and sent with the report; refused (too large, not a
recording, no session, a flood) with a clear answer and nothing changed; sent at any other step, answered as
a miss and not kept. The page's `"voice": true` is what makes the question say a voice message can be sent."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import audio_prompts
from bot.conversations import forget_reference_data
from bot.flood import parse_flood_limits
from flows import i18n
from flows.audio_prompts import MAIN_MENU
from storage.database import make_engine, new_session
from storage.models import Report, ReportMedia
from tests import media_samples as samples
from tests.conftest import TEST_SECRET_KEY
from tests.helpers import WebChat, dump_every_table, row_counts
from webhook import create_app

_ = i18n.translations("en").gettext
VOICE = _("You can send a voice message.")
QUESTION = _("Please tell us what happened, in your own words and your own language.")
PRIVACY = _("How private should your report be?")
REFUSED = _("We could not keep that voice message. Please record a shorter one, or type instead.")
WEBM = samples.webm_opus()  # tagged: a title, the date it was made and a track name, each with a MARKER


def _app(database_url, tmp_path, **overrides):
    forget_reference_data()
    config = {"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
              "media_dir": str(tmp_path / "media")}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url, tmp_path):
    app = _app(database_url, tmp_path)
    yield app
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class RecordingChat(WebChat):
    """A resident in a browser that can record: every message says so, as the page does."""

    def send(self, text=None, *, choice=None):
        body = {"session": self.session_id, "voice": True}
        body.update({"text": text} if text is not None else {"choice": choice})
        response = self.client.post("/chat/api/messages", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.replies = response.get_json()["replies"]
        return self.replies

    def record(self, content: bytes = WEBM, content_type: str = "audio/webm;codecs=opus", **headers):
        headers.setdefault("X-Chat-Session", self.session_id)
        return self.client.post("/chat/api/voice", data=content, headers={"Content-Type": content_type, **headers})


def at_what_happened(chat: WebChat, lang: str = "en") -> None:
    chat.send(choice="start")
    chat.send(choice=f"lang:{lang}")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send(choice="cat:noise")
    chat.send(choice="ward:weavers")
    chat.send(choice="when:now")


def kept_files(tmp_path) -> list:
    media = tmp_path / "media"
    return sorted(media.iterdir()) if media.exists() else []


def test_the_question_offers_a_voice_message_only_to_a_page_that_can_record(client):
    recording, typing_only = RecordingChat(client), WebChat(client)
    at_what_happened(recording)
    at_what_happened(typing_only)
    assert recording.replies[-1]["text"] == VOICE + "\n" + QUESTION
    assert typing_only.replies[-1]["text"] == QUESTION


def test_a_recording_at_what_happened_is_kept_without_its_tags_and_goes_with_the_report(client, database_url,
                                                                                       tmp_path):
    chat = RecordingChat(client)
    at_what_happened(chat)
    response = chat.record()
    assert response.status_code == 200, response.get_data(as_text=True)
    chat.replies = response.get_json()["replies"]
    assert PRIVACY in chat.text
    [kept] = kept_files(tmp_path)
    assert kept.suffix == ".webm" and kept.stat().st_mode & 0o077 == 0
    content = kept.read_bytes()
    assert samples.MARKER not in content and samples.WEBM_DATE not in content
    assert content.count(samples.OPUS_SILENCE) == 10
    chat.send(choice="privacy:private")
    chat.send(choice="done")
    assert "(1 attachment)" in chat.text
    chat.send(choice="confirm:yes")
    engine = make_engine(database_url)
    with new_session(engine) as session:
        [media] = session.execute(select(ReportMedia)).scalars().all()
        report = session.get(Report, media.report_id)
        assert (media.media_id, media.kind) == (kept.name, "voice") and report.description == ""
    engine.dispose()
    assert samples.MARKER not in repr(dump_every_table(database_url)).encode()


def test_a_bengali_resident_is_told_in_bengali_and_their_recording_kept(client, tmp_path):
    chat = RecordingChat(client)
    at_what_happened(chat, "bn")
    bengali = i18n.translations("bn").gettext
    assert chat.replies[-1]["text"].startswith(bengali(VOICE))
    response = chat.record(samples.ogg_opus(), "audio/ogg")  # Firefox records Ogg Opus
    assert response.status_code == 200 and response.get_json()["replies"][-1]["lang"] == "bn"
    [kept] = kept_files(tmp_path)
    assert kept.suffix == ".ogg" and samples.MARKER not in kept.read_bytes()


@pytest.mark.parametrize("content, content_type, status", [
    (b"x" * (10 * 1024 * 1024 + 1), "audio/webm", 413),  # over MEDIA_VOICE_MAX_BYTES
    (samples.jpeg_with_metadata(), "image/jpeg", 415),  # a photo: the web chat takes voice only
    (samples.jpeg_with_metadata(), "audio/webm", 415),  # a photo that says it is a recording
    (WEBM, "text/plain", 415),  # a recording that does not say it is one
    (samples.webm_opus(video=True), "audio/webm", 415),  # a video with sound
    (WEBM[:-30], "audio/webm", 415),  # cut short
    (b"%PDF-1.7 not a voice note", "audio/webm", 415),
    (b"", "audio/webm", 415),
])
def test_what_is_not_a_recording_we_keep_is_refused_kindly_and_changes_nothing(client, database_url, tmp_path,
                                                                              content, content_type, status):
    chat = RecordingChat(client)
    at_what_happened(chat)
    before = dump_every_table(database_url)
    response = chat.record(content, content_type)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] and body["replies"] == [{"text": REFUSED, "lang": "en", "choices": []}]
    assert kept_files(tmp_path) == []
    assert dump_every_table(database_url) == before
    chat.send("Loud music every night")  # the question was still waiting
    assert PRIVACY in chat.text


def test_a_refusal_is_in_the_residents_language(client):
    chat = RecordingChat(client)
    at_what_happened(chat, "so")
    response = chat.record(b"not sound", "audio/webm")
    assert response.status_code == 415
    assert response.get_json()["replies"][0] == {"text": i18n.translations("so").gettext(REFUSED), "lang": "so",
                                                 "choices": []}


@pytest.mark.parametrize("headers", [{"X-Chat-Session": ""}, {"X-Chat-Session": "short"},
                                     {"X-Chat-Session": "a" * 20 + "/../x"}])
def test_without_a_session_nothing_is_taken(client, database_url, tmp_path, headers):
    before = row_counts(database_url)
    response = RecordingChat(client).record(**headers)
    assert response.status_code == 400 and "X-Chat-Session" in response.get_json()["error"]
    assert kept_files(tmp_path) == [] and row_counts(database_url) == before


def test_a_recording_at_another_question_is_answered_as_a_miss_and_not_kept(client, tmp_path):
    chat = RecordingChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send(choice="menu:report")  # "are you in danger now?"
    response = chat.record()
    assert response.status_code == 200
    assert [choice["key"] for choice in response.get_json()["replies"][-1]["choices"]] == ["danger:yes", "danger:no"]
    assert kept_files(tmp_path) == []


def test_the_menu_asked_again_after_a_recording_is_played_as_after_a_typed_message(client, app, tmp_path):
    """A voice message at the main menu is a miss, and the menu comes again: with its community recording, as
    /chat/api/messages gives it, for the resident who reads least and is the likeliest to have pressed the
    microphone."""
    kept = audio_prompts.save(app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn",
                              samples.ogg_opus(frames=12))
    chat = RecordingChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:bn")
    assert chat.replies[-1]["audio"] == f"/audio/{kept.file_name}"
    response = chat.record()
    assert response.status_code == 200, response.get_data(as_text=True)
    menu = response.get_json()["replies"][-1]
    assert [choice["key"] for choice in menu["choices"]][:2] == ["menu:report", "menu:status"]
    assert menu["audio"] == f"/audio/{kept.file_name}"


def test_past_the_flood_limit_a_recording_is_not_kept(database_url, tmp_path):
    app = _app(database_url, tmp_path,
               flood_limit_per_contact=parse_flood_limits("FLOOD_LIMIT_PER_CONTACT", "8 per minute"))
    try:
        chat = RecordingChat(app.test_client())
        at_what_happened(chat)  # seven messages
        assert chat.record().status_code == 200  # the eighth: kept
        assert len(kept_files(tmp_path)) == 1
        response = chat.record()
        assert response.status_code == 429 and response.headers["Retry-After"]
        assert response.get_json()["replies"][0]["text"]
        assert len(kept_files(tmp_path)) == 1  # the refused one is not
    finally:
        app.extensions["safer_homes.engine"].dispose()


def test_past_the_address_limit_nothing_is_read(database_url, tmp_path):
    app = _app(database_url, tmp_path,
               flood_limit_per_address=parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "7 per minute"))
    try:
        chat = RecordingChat(app.test_client())
        at_what_happened(chat)
        response = chat.record()
        assert response.status_code == 429 and kept_files(tmp_path) == []
    finally:
        app.extensions["safer_homes.engine"].dispose()


@pytest.mark.parametrize("lang", ["en", "bn", "so"])
def test_the_microphone_buttons_script_is_in_the_pages_language_and_may_be_cached(client, lang):
    response = client.get(f"/chat/voice.js?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    script = response.get_data(as_text=True)
    translate = i18n.translations(lang).gettext
    for words in ("Record a voice message", "Stop and send the voice message", "Voice message"):
        assert json.dumps(translate(words)) in script
    assert "{{" not in script and "{#" not in script  # every label filled in, no comment of the template left
