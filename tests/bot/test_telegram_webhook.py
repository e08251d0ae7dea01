"""Telegram end to end: updates posted to POST /webhooks/telegram as Telegram posts them, replies sent by
python-telegram-bot to a fake Bot API over HTTP, retries by the Deliverer. On SQLite and PostgreSQL."""
from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.conversations import forget_reference_data
from bot.delivery import Deliverer, Pacer
from bot.media import PHOTO_MAX_BYTES
from flows.i18n import translations
from flows.types import Reply
from storage import outbox
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, InboundReceipt, OutboxMessage, Report
from storage.types import utcnow
from tests import media_samples
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedMessage, TelegramUser
from tests.helpers import dump_every_table, row_counts

TOKEN = "123:ABC"
SECRET = "s3cret"
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


class NoWait:
    """A pacer that never waits. Pacing has its own tests; without this each turn of one chat would wait
    a second for the per-chat pace."""

    def wait_turn(self, paces) -> float:
        return 0.0


@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


def _telegram_app(database_url: str, api: FakeTelegramAPI, media_dir: Path, **overrides):
    from webhook import create_app

    forget_reference_data()
    return create_app({
        "database_url": database_url, "secret_key": TEST_SECRET_KEY, "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": SECRET, "telegram_api_base_url": api.url, "media_dir": str(media_dir),
        "TESTING": True, **overrides,
    })


def _close(app) -> None:
    channel = app.extensions["safer_homes.deliverer"].channels.get("telegram")
    if channel is not None:
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def app(database_url, api, tmp_path):
    app = _telegram_app(database_url, api, tmp_path / "media")
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    yield app
    _close(app)


@pytest.fixture
def client(app):
    return app.test_client()


class Resident:
    """Someone on Telegram: their updates go to the webhook, the bot's answers are read at the fake API."""

    def __init__(self, client, api: FakeTelegramAPI, chat_id: int, language_code: str | None = None, **user):
        self.client = client
        self.api = api
        self.user = TelegramUser(chat_id, language_code=language_code, **user)
        self.chat_id = chat_id
        self.taps = 0

    def post(self, update: dict, *, secret: str | None = SECRET):
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return self.client.post(WEBHOOK_PATH, json=update, headers=headers)

    def _exchange(self, update: dict) -> list[RecordedMessage]:
        before = len(self.api.messages_to(self.chat_id))
        response = self.post(update)
        assert response.status_code == 200, response.get_data(as_text=True)
        return self.api.messages_to(self.chat_id)[before:]  # replies are sent before the webhook answers

    def says(self, text: str) -> list[RecordedMessage]:
        return self._exchange(self.user.message(text))

    def sends(self, update: dict) -> list[RecordedMessage]:
        return self._exchange(update)

    def taps_button(self, key: str) -> list[RecordedMessage]:
        last = self.last
        assert key in last.callback_data, f"{key} is not a button on {last.callback_data}"
        self.taps += 1
        return self._exchange(self.user.tap(key, message_id=last.message_id))

    @property
    def last(self) -> RecordedMessage:
        return self.api.messages_to(self.chat_id)[-1]


def _count(database_url: str, model) -> int:
    return row_counts(database_url)[model.__tablename__]


def _contact(engine, chat_id: int) -> Contact:
    with new_session(engine) as session:
        contact = session.execute(select(Contact).where(
            Contact.channel == "telegram", Contact.address_hash == keyed_hash(TEST_SECRET_KEY, "telegram", str(chat_id))
        )).scalar_one()
        session.expunge(contact)
        return contact


def _outbox(engine) -> list[OutboxMessage]:
    with new_session(engine) as session:
        messages = list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())
        for message in messages:
            session.expunge(message)
        return messages


def _to_the_what_step(resident: Resident) -> None:
    resident.says("hello")  # language_code "en": English is asked first
    resident.taps_button("lang:en")
    for key in ("menu:report", "danger:no", "cat:noise", "skip", "when:now"):
        resident.taps_button(key)


# --- the whole journey ---------------------------------------------------------------------------

def test_a_bengali_report_over_webhooks_ends_with_the_acknowledgement_at_the_api(app, client, api, database_url):
    """A Bengali speaker taps and types a whole report; every answer comes back in Bengali with the choice
    keys as callback data, and the acknowledgement carries the reference."""
    resident = Resident(client, api, 6234567890, language_code="bn")
    asked = resident.says("হ্যালো")
    assert asked[-1].callback_data[0] == "lang:bn"  # Bengali script and language_code: Bengali first, one tap
    welcome = resident.taps_button("lang:bn")
    assert translations("bn").gettext("What would you like to do?") in welcome[-1].plain
    assert welcome[-1].callback_data[0] == "menu:report" and "menu:language" in welcome[-1].callback_data

    resident.taps_button("menu:report")
    resident.taps_button("danger:no")
    resident.taps_button("cat:noise")
    resident.says("ব্রিক লেন, ব্লক সি")  # where, in their own words
    resident.taps_button("when:today")
    resident.says("রাত দুইটা পর্যন্ত খুব জোরে গান বাজছিল")
    resident.taps_button("privacy:private")
    assert "agency:council" in resident.last.callback_data
    resident.taps_button("done")
    summary = resident.last.plain
    assert "ব্রিক লেন, ব্লক সি" in summary and "রাত দুইটা" in summary
    acknowledgement = resident.taps_button("confirm:yes")

    assert len(acknowledgement) >= 1
    text = "\n".join(message.plain for message in acknowledgement)
    reference = REFERENCE.search(text).group(0)
    assert re.search(r"[\u0980-\u09FF]{3}", text), "the acknowledgement is in Bengali"
    assert acknowledgement[-1].callback_data[0] == "menu:report"  # back at the menu, as buttons
    for message in api.messages_to(resident.chat_id):
        assert message.parse_mode == "HTML"
        for label, data in message.buttons:
            # ASCII keys; a language's is its BCP 47 code, capitals and all ("lang:zh-Hans").
            assert re.fullmatch(r"[a-z_]+(:[A-Za-z0-9_-]+)?", data) and len(data.encode()) <= 64
    api.wait_for(lambda: len(api.callback_answers) == resident.taps)  # every tap's spinner stopped

    engine = app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        assert (report.language, report.channel, report.category, report.privacy) == ("bn", "telegram", "noise", "private")
    assert all(message.status == "sent" for message in _outbox(engine))
    # Telegram's display name and username reach the webhook; they are stored nowhere.
    everything = repr(dump_every_table(database_url))
    assert "Shamima" not in everything and "shamima_e1" not in everything and "6234567890" not in everything


# --- refusals ------------------------------------------------------------------------------------

def test_a_forged_or_missing_secret_is_refused_and_nothing_is_stored_or_sent(client, api, database_url):
    before = row_counts(database_url)
    resident = Resident(client, api, 5123456789, language_code="so")
    for secret in (None, "", "wrong", "s3cret ", "S3CRET", "s3cre", "s3cret\u00e9"):
        response = resident.post(resident.user.message("Salaan"), secret=secret)
        assert response.status_code == 403, secret
    assert row_counts(database_url) == before
    assert api.messages == [] and api.calls == []


def test_without_a_configured_secret_every_update_is_refused(database_url, api, tmp_path):
    app = _telegram_app(database_url, api, tmp_path, telegram_webhook_secret="")
    try:
        response = Resident(app.test_client(), api, 42).post(TelegramUser(42).message("hi"), secret="")
        assert response.status_code == 403
        assert api.messages == []
    finally:
        _close(app)


def test_without_telegram_configured_the_webhook_refuses(database_url, api, tmp_path):
    app = _telegram_app(database_url, api, tmp_path, telegram_bot_token="")
    try:
        assert Resident(app.test_client(), api, 42).post(TelegramUser(42).message("hi")).status_code == 403
    finally:
        _close(app)


MALFORMED = [
    b"not json", b"[]", b'"text"', b"{}", b'{"message": {"text": "hi"}}', b'{"update_id": "12"}',
    b'{"update_id": true}', b'{"update_id": 12, "message": {"text": "no chat, no date"}}',
    b'{"update_id": 13, "callback_query": {"id": "1"}}', b"\xff\xfe",
]


def test_a_malformed_body_gets_400_and_changes_nothing(client, api, database_url):
    before = row_counts(database_url)
    for body in MALFORMED:
        response = client.post(WEBHOOK_PATH, data=body, headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
        assert response.status_code == 400, body
    assert row_counts(database_url) == before
    assert api.messages == []


def test_the_same_update_delivered_twice_gets_one_reply(client, api, database_url):
    resident = Resident(client, api, 5123456789, language_code="so")
    update = resident.user.message("Salaan")
    assert resident.post(update).status_code == 200
    replies = api.messages_to(resident.chat_id)
    assert len(replies) == 1
    before = row_counts(database_url)
    assert resident.post(update).status_code == 200
    assert api.messages_to(resident.chat_id) == replies
    assert row_counts(database_url) == before
    assert _count(database_url, InboundReceipt) == 1


def test_the_same_tap_delivered_twice_is_answered_once(client, api):
    resident = Resident(client, api, 5123456789, language_code="so")
    resident.says("Salaan")
    tap = resident.user.tap("menu:report", message_id=resident.last.message_id)
    for _ in range(2):
        assert resident.post(tap).status_code == 200
    api.wait_for(lambda: api.callback_answers)
    assert len(api.messages_to(resident.chat_id)) == 2
    assert len(api.callback_answers) == 1


NOT_SERVED = [
    {"update_id": 900001, "edited_message": {"message_id": 3, "date": 1764172800, "text": "edited",
                                              "chat": {"id": 42, "type": "private"}, "edit_date": 1764172900}},
    {"update_id": 900002, "message": {"message_id": 4, "date": 1764172800, "chat": {"id": 42, "type": "private"},
                                      "sticker": {"file_id": "S", "file_unique_id": "US", "width": 512, "height": 512,
                                                  "is_animated": False, "is_video": False, "type": "regular"}}},
    {"update_id": 900003, "message": {"message_id": 5, "date": 1764172800, "text": "hi all",
                                      "chat": {"id": -100123, "type": "supergroup", "title": "Estate TRA"}}},
    {"update_id": 900004, "channel_post": {"message_id": 6, "date": 1764172800, "text": "news",
                                           "chat": {"id": -100999, "type": "channel", "title": "News"}}},
    {"update_id": 900005, "message": {"message_id": 7, "date": 1764172800, "chat": {"id": 42, "type": "private"},
                                      "contact": {"phone_number": "+447700900123", "first_name": "A"}}},
    {"update_id": 900006, "callback_query": {"id": "9", "chat_instance": "1", "data": "menu:report",
                                             "from": {"id": 42, "is_bot": False, "first_name": "A"},
                                             "message": {"message_id": 8, "date": 1764172800, "text": "x",
                                                         "chat": {"id": -100123, "type": "group", "title": "G"}}}},
]


def test_updates_we_do_not_serve_are_acknowledged_and_ignored(client, api, database_url):
    """Edited messages, stickers, shared contacts, groups and channels: 200, and nothing at all happens."""
    before = row_counts(database_url)
    for update in NOT_SERVED:
        response = client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200, update
    assert row_counts(database_url) == before
    assert api.messages == [] and api.calls == []


# --- what residents type and share --------------------------------------------------------------

def test_html_a_resident_types_arrives_escaped_and_the_api_accepts_it(client, api):
    resident = Resident(client, api, 42, language_code="en")
    resident.says("hello")
    for key in ("lang:en", "menu:report", "danger:no", "cat:asb"):
        resident.taps_button(key)
    resident.says("<b>Bow</b> & Co")
    resident.taps_button("when:now")
    resident.says("Someone wrote <script>alert(1)</script> & left")
    resident.taps_button("privacy:anonymous")
    summary = resident.taps_button("done")[-1]
    assert "<b>Bow</b> & Co" in summary.plain  # what the resident reads is what they typed
    assert "&lt;b&gt;Bow&lt;/b&gt; &amp; Co" in summary.text
    assert "<script>alert(1)</script> & left" in summary.plain
    assert "<b>" not in summary.text


def test_a_reply_over_4096_characters_is_split_at_line_breaks(client, api):
    resident = Resident(client, api, 42, language_code="en")
    resident.says("hello")
    for key in ("lang:en", "menu:report", "danger:no", "cat:asb"):
        resident.taps_button(key)
    words = [f"w{n:04d}" for n in range(1, 991)]
    where, when, what = " ".join(words[:330]), " ".join(words[330:660]), " ".join(words[660:])
    assert max(len(where), len(when), len(what)) < 2000
    resident.says(where)
    resident.says(when)
    resident.says(what)
    resident.taps_button("privacy:anonymous")
    summary = resident.taps_button("done")
    assert len(summary) == 2
    assert all(len(message.plain) <= 4096 for message in summary)
    assert summary[0].buttons == [] and "confirm:yes" in summary[1].callback_data
    sent_words = re.findall(r"w\d{4}", " ".join(message.plain for message in summary))
    assert sent_words == words  # every word once, in order, none cut in two
    assert summary[0].plain.splitlines()[-1].startswith(("When:", "What happened:")), "cut at a line break"


def test_language_code_so_asks_somali_first_and_one_tap_confirms_it(client, api):
    resident = Resident(client, api, 5123456789, language_code="so")
    asked = resident.says("Salaan")[-1]
    assert asked.callback_data[0] == "lang:so"
    assert asked.plain.startswith(translations("so").gettext("Choose your language."))
    reply = resident.taps_button("lang:so")[-1]
    menu_question = translations("so").gettext("What would you like to do?")
    assert menu_question != "What would you like to do?"
    assert menu_question in reply.plain
    assert "menu:language" in reply.callback_data


def test_a_deep_link_start_event_is_answered(client, api, database_url):
    resident = Resident(client, api, 6234567890, language_code="bn")
    replies = resident.says("/start event_12")
    assert replies and replies[-1].callback_data
    assert _count(database_url, InboundReceipt) == 1


def test_a_shared_location_answers_where(client, api):
    resident = Resident(client, api, 42, language_code="en")
    resident.says("hello")
    for key in ("lang:en", "menu:report", "danger:no", "cat:unsafe_place"):
        resident.taps_button(key)
    replies = resident.sends(resident.user.location(51.5203, -0.0498))
    assert "when:now" in replies[-1].callback_data


OGG = media_samples.ogg_opus(comments=())  # without tags, so kept byte for byte
JPEG = media_samples.jpeg_with_metadata()


def test_a_voice_note_is_downloaded_through_getfile_and_kept_under_a_random_name(app, client, api, tmp_path):
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    file_id = api.add_file(OGG, file_path="voice/file_7.oga")
    replies = resident.sends(resident.user.voice(file_id, file_size=len(OGG), caption="the noise, recorded"))
    assert "privacy:anonymous" in replies[-1].callback_data  # the description step is answered
    kept = list((tmp_path / "media").iterdir())
    assert len(kept) == 1 and kept[0].suffix == ".ogg" and kept[0].read_bytes() == OGG
    assert file_id not in kept[0].name and "file_7" not in kept[0].name
    assert kept[0].stat().st_mode & 0o077 == 0
    assert api.calls_to("getFile") == [{"file_id": file_id}]


def test_a_photo_is_kept_and_its_caption_is_the_description(client, api, tmp_path):
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    file_id = api.add_file(JPEG, file_path="photos/file_3.jpg")
    resident.sends(resident.user.photo(file_id, file_size=len(JPEG), caption="broken door entry"))
    resident.taps_button("privacy:anonymous")
    summary = resident.taps_button("done")[-1].plain
    assert "broken door entry" in summary and "1 attachment" in summary
    assert [path.suffix for path in (tmp_path / "media").iterdir()] == [".jpg"]


@pytest.mark.parametrize("content, declared_size, mime_type", [
    (OGG, 11 * 1024 * 1024, "audio/ogg"),  # Telegram says it is over the limit: not even fetched
    (b"MZ\x90\x00" + bytes(100), None, "audio/ogg"),  # says Ogg, is not
    (OGG, None, "video/mp4"),  # a type we do not take
])
def test_media_over_the_limit_or_of_another_type_is_not_kept(client, api, tmp_path, content, declared_size, mime_type):
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    file_id = api.add_file(content, declared_size=declared_size)
    replies = resident.sends(resident.user.voice(file_id, file_size=declared_size, mime_type=mime_type))
    assert replies, "the resident still gets an answer"
    assert "privacy:anonymous" not in replies[-1].callback_data  # nothing was taken as the description
    assert not (tmp_path / "media").exists() or list((tmp_path / "media").iterdir()) == []
    # Only content that claims to fit is fetched, and then judged by what it is.
    assert api.calls_to("getFile") == ([{"file_id": file_id}] if content.startswith(b"MZ") else [])


def test_a_photo_too_large_to_keep_is_explained_and_the_question_asked_again(client, api, tmp_path):
    _ = translations("en").gettext
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    file_id = api.add_file(JPEG, declared_size=PHOTO_MAX_BYTES + 1)
    replies = resident.sends(resident.user.photo(file_id, file_size=PHOTO_MAX_BYTES + 1))
    said = "\n\n".join(reply.plain for reply in replies)
    refusal = _("That file is too big, or of a kind we can't keep. Please send a photo or a short voice message, "
                "or type instead.")
    question = "\n".join((_("You can send a voice message."),
                           _("Please tell us what happened, in your own words and your own language."),
                           _("You can also send a photo.")))
    assert refusal in said and question in said.split(refusal, 1)[1]
    assert "privacy:anonymous" not in replies[-1].callback_data
    assert api.calls_to("getFile") == []  # Telegram said it was too large: never fetched
    assert not (tmp_path / "media").exists() or list((tmp_path / "media").iterdir()) == []


def test_a_redelivered_voice_note_leaves_one_file(client, api, tmp_path):
    resident = Resident(client, api, 42, language_code="en")
    _to_the_what_step(resident)
    update = resident.user.voice(api.add_file(OGG), file_size=len(OGG))
    for _ in range(2):
        assert resident.post(update).status_code == 200
    assert len(list((tmp_path / "media").iterdir())) == 1


# --- delivery: pacing, blocked, 429, 5xx ------------------------------------------------------------------

class RecordingPacer(Pacer):
    """The real pacer, noting which limits each send counted against."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple] = []

    def wait_turn(self, paces) -> float:
        self.seen.append(tuple(paces))
        return super().wait_turn(paces)


def test_every_send_counts_against_telegrams_overall_pace_and_its_chats_own(app, client, api):
    pacer = app.extensions["safer_homes.deliverer"].pacer = RecordingPacer()
    first, second = Resident(client, api, 42, language_code="en"), Resident(client, api, 43, language_code="en")
    first.says("hello")
    second.says("hello")
    first.taps_button("lang:en")
    assert len(pacer.seen) == 3
    assert all(paces[0].key == "telegram" and paces[0].per_second <= 30 for paces in pacer.seen)
    first_chat, second_chat, first_again = (paces[1] for paces in pacer.seen)
    assert first_chat == first_again and first_chat != second_chat and first_chat.per_second == 1
    assert "42" not in first_chat.key and "43" not in second_chat.key  # a keyed hash, not the chat id


def _deliverer(app, at):
    """The app's channels with a clock the test moves, so retries are due without sleeping."""
    deliverer = app.extensions["safer_homes.deliverer"]
    return Deliverer(deliverer.engine, deliverer.settings, deliverer.channels, pacer=NoWait(), clock=lambda: at)


def _queue_notice(app, chat_id: int, text: str) -> int:
    engine = app.extensions["safer_homes.engine"]
    channel = app.extensions["safer_homes.deliverer"].channels["telegram"]
    contact = _contact(engine, chat_id)
    with new_session(engine) as session:
        [message_id] = outbox.enqueue(session, contact_id=contact.id, channel="telegram", kind="notice",
                                      language="en", now=utcnow(), payloads=channel.render([Reply(text, "en")]))
        session.commit()
    return message_id


def test_a_resident_who_blocked_the_bot_is_marked_unreachable_and_never_retried(app, client, api):
    engine = app.extensions["safer_homes.engine"]
    resident = Resident(client, api, 42, language_code="en")
    resident.says("hello")
    api.block(42)
    _queue_notice(app, 42, "Your report TH-7K3M-9QXR is in progress.")
    counts = _deliverer(app, utcnow()).deliver_due()
    assert counts.unreachable == 1
    assert len(api.calls_to("sendMessage", 42)) == 2  # the welcome, then one refused try
    assert _contact(engine, 42).unreachable
    assert _outbox(engine)[-1].status == "failed"

    _queue_notice(app, 42, "A second update.")
    for minutes in (1, 30, 600):
        _deliverer(app, utcnow() + timedelta(minutes=minutes)).deliver_due()
    assert len(api.calls_to("sendMessage", 42)) == 2, "never tried again"

    api.unblock(42)  # they unblock us and write again: they can hear from us again
    assert resident.says("menu")
    assert not _contact(engine, 42).unreachable


def test_a_429_is_retried_after_the_retry_after_it_gives(app, client, api):
    engine = app.extensions["safer_homes.engine"]
    resident = Resident(client, api, 42, language_code="en")
    api.throttle_next(1, retry_after=5)
    assert resident.says("hello") == []
    [message] = _outbox(engine)
    assert message.status == "pending" and "429" in message.last_error
    start = utcnow()
    assert _deliverer(app, start + timedelta(seconds=2)).deliver_due().sent == 0
    assert len(api.calls_to("sendMessage")) == 1  # not due yet: not tried
    assert _deliverer(app, start + timedelta(seconds=6)).deliver_due().sent == 1
    assert len(api.messages_to(42)) == 1 and api.count_429 == 1
    assert _outbox(engine)[0].status == "sent"


@pytest.mark.parametrize("status", [500, 502])
def test_5xx_is_retried_with_backoff_until_it_goes_once(app, client, api, status):
    engine = app.extensions["safer_homes.engine"]
    resident = Resident(client, api, 42, language_code="en")
    api.fail_next(2, status=status)
    assert resident.says("hello") == []  # the first try, right after the commit, failed
    start = utcnow()
    assert _deliverer(app, start + timedelta(seconds=30)).deliver_due().retried == 1
    assert api.messages == []
    assert _deliverer(app, start + timedelta(minutes=5)).deliver_due().sent == 1
    assert len(api.messages_to(42)) == 1
    assert len(api.calls_to("sendMessage")) == 3
    [message] = _outbox(engine)
    assert (message.status, message.attempts) == ("sent", 3)
    assert _deliverer(app, start + timedelta(minutes=30)).deliver_due().sent == 0
    assert len(api.messages_to(42)) == 1


def test_no_chat_id_token_or_message_text_in_any_log_line(app, client, api, caplog):
    caplog.set_level(logging.INFO)
    resident = Resident(client, api, 5123456789, language_code="en")
    api.fail_next(1, status=502)
    resident.says("my neighbour Ahmed at 12 Bow Road")
    api.throttle_next(1, retry_after=1)
    _deliverer(app, utcnow() + timedelta(minutes=1)).deliver_due()
    api.block(5123456789)
    _queue_notice(app, 5123456789, "Private notice for 12 Bow Road")
    _deliverer(app, utcnow() + timedelta(minutes=10)).deliver_due()
    assert caplog.records, "the failures were logged"
    logged = caplog.text
    for secret in ("5123456789", TOKEN, "Ahmed", "Bow Road"):
        assert secret not in logged
