"""WhatsApp and SMS end to end: signed webhooks into the real app, replies out to the fake Twilio API."""
from __future__ import annotations

import logging
import math
import re
from datetime import timedelta
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot import sms
from bot.conversations import forget_reference_data
from bot.delivery import Deliverer
from bot.media import PHOTO_MAX_BYTES
from flows import i18n
from flows.types import Reply
from storage import outbox
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, OutboxMessage, Report
from storage.types import utcnow
from tests import media_samples
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.twilio_api import FakeTwilio, new_sid
from tests.helpers import dump_every_table
from webhook import create_app

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
WHATSAPP_NUMBER = "+14155238886"
SMS_NUMBER = "+447700900001"
PUBLIC_BASE_URL = "https://saferhomes.example.org"
HODAN = "+447700900456"
ROKEYA = "+447700900789"
TEMPLATE_SID = "HX" + "c" * 32
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
OGG = media_samples.ogg_opus(comments=())  # without tags, so kept byte for byte


@pytest.fixture
def fake():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


def _build(database_url: str, fake: FakeTwilio, tmp_path: Path, **overrides):
    forget_reference_data()
    config = {
        "database_url": database_url, "secret_key": TEST_SECRET_KEY, "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN, "twilio_whatsapp_number": WHATSAPP_NUMBER, "twilio_sms_number": SMS_NUMBER,
        "twilio_api_base_url": fake.url, "public_base_url": PUBLIC_BASE_URL,
        "whatsapp_templates_file": str(tmp_path / "templates.json"), "media_dir": str(tmp_path / "media"),
        # Pacing is tested with the delivery core; here it would only make the conversations slow.
        "twilio_messages_per_second": 200.0, "TESTING": True,
    }
    config.update(overrides)
    return create_app(config)


def _dispose(app) -> None:
    for channel in app.extensions["safer_homes.deliverer"].channels.values():
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def app(database_url, fake, tmp_path):
    app = _build(database_url, fake, tmp_path)
    yield app
    _dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


def sign(url: str, fields: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, fields)


class Resident:
    """Someone writing to the service from a phone, through Twilio's signed webhooks."""

    def __init__(self, client, fake: FakeTwilio, number: str, channel: str = "whatsapp"):
        self.client, self.fake, self.number, self.channel = client, fake, number, channel
        self.received: list[str] = []

    @property
    def address(self) -> str:
        return f"whatsapp:{self.number}" if self.channel == "whatsapp" else self.number

    def fields(self, body: str = "", **extra) -> dict:
        sid = new_sid("SM")
        to = f"whatsapp:{WHATSAPP_NUMBER}" if self.channel == "whatsapp" else SMS_NUMBER
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": self.address, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1",
                  "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        if self.channel == "whatsapp":
            # What WhatsApp adds: the display name and the bare number. Neither may be kept.
            fields.update(ProfileName="Hodan Faarax", WaId=self.number.lstrip("+"), MessageType="text")
        fields.update(extra)
        return fields

    def post(self, fields: dict, path: str = "/webhooks/twilio", signed_url: Optional[str] = None,
             signature: Optional[str] = None):
        signature = signature if signature is not None else sign(signed_url or PUBLIC_BASE_URL + path, fields)
        return self.client.post(path, data=fields, headers={"X-Twilio-Signature": signature})

    def send(self, body: str = "", **extra) -> str:
        """Send a message; returns everything the service sent back, as one text."""
        before = len(self.fake.messages_to(self.number))
        response = self.post(self.fields(body, **extra))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml" and "<Response" in response.get_data(as_text=True)
        new = [message.body for message in self.fake.messages_to(self.number)[before:]]
        self.received.extend(new)
        return "\n\n".join(new)

    @property
    def last(self) -> str:
        return self.received[-1]


def choice_number(body: str, label: str) -> str:
    """The number (as printed, in any digits) in front of a choice's label in a text message."""
    for line in body.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and i18n.parse_number(number) is not None and rest.strip() == label:
            return number
    raise AssertionError(f"no numbered choice {label!r} in:\n{body}")


def contact(database_url: str, channel: str, number: str) -> Optional[Contact]:
    from storage.database import make_engine

    engine = make_engine(database_url)
    with new_session(engine) as session:
        found = session.execute(
            select(Contact).where(Contact.channel == channel,
                                  Contact.address_hash == keyed_hash(TEST_SECRET_KEY, channel, number))
        ).scalar_one_or_none()
    engine.dispose()
    return found


def outbox_rows(app, contact_id: Optional[int] = None) -> list[OutboxMessage]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if contact_id is not None:
            query = query.where(OutboxMessage.contact_id == contact_id)
        rows = list(session.execute(query).scalars())
        session.expunge_all()
    return rows


def queue_update(app, contact_id: int, channel: str, text: str, language: str) -> int:
    """A status update for a resident, queued as the staff pages will queue it."""
    sender = app.extensions["safer_homes.deliverer"].channels[channel]
    with new_session(app.extensions["safer_homes.engine"]) as session:
        [message_id] = outbox.enqueue(session, contact_id=contact_id, channel=channel,
                                      payloads=sender.render([Reply(text, language)]), kind="status_update",
                                      language=language, now=utcnow())
        session.commit()
    return message_id


def deliverer_at(app, ahead: timedelta) -> Deliverer:
    """The app's deliverer as it will be `ahead` from now (retries due, windows closed)."""
    current = app.extensions["safer_homes.deliverer"]
    return Deliverer(current.engine, current.settings, current.channels, clock=lambda: utcnow() + ahead)


def choose_language(resident: Resident, lang: str) -> None:
    resident.send("Hello")
    endonym = i18n.BY_CODE[lang].endonym
    resident.send(choice_number(resident.last, endonym))


def walk_to_description(resident: Resident, lang: str) -> None:
    """From the main menu to "what happened", by typed numbers."""
    _ = i18n.translations(lang).gettext
    resident.send(choice_number(resident.last, _("Report a safety concern")))
    resident.send(choice_number(resident.last, _("No")))
    resident.send(choice_number(resident.last, _("A place that feels unsafe (poor lighting, broken doors, hidden corners)")))
    resident.send(Latitude="51.5155", Longitude="-0.0722", Address="Whitechapel Road", Label="Whitechapel Market",
                  MessageType="location")
    resident.send(choice_number(resident.last, _("It is happening now")))
    resident.send(choice_number(resident.last, _("Night")))  # unsafe places only: the night-safety questions
    resident.send(choice_number(resident.last, _("Skip")))
    question = [_("Please tell us what happened, in your own words and your own language.")]
    if resident.channel == "whatsapp":  # WhatsApp takes voice notes and photos, so it says so; SMS does not
        question = [_("You can send a voice message."), *question, _("You can also send a photo.")]
    assert "\n".join(question) in resident.last


# --- the journeys --------------------------------------------------------------------------------

def test_a_somali_report_over_whatsapp_ends_with_the_acknowledgement_in_somali(client, fake, database_url):
    _ = i18n.translations("so").gettext
    hodan = Resident(client, fake, HODAN)
    first = hodan.send("Waxaan rabaa inaan soo sheego dhibaato")
    # Every language offered, numbered; Somali first, as her words are Somali.
    assert first.startswith(_("Choose your language.")) and "1. Soomaali\n2. English\n3. বাংলা" in first
    hodan.send("1")
    assert _("What would you like to do?") in hodan.last
    assert f"1. {_('Report a safety concern')}" in hodan.last
    walk_to_description(hodan, "so")
    hodan.send("Nalalka jaranjarada ayaa dansan toddobaadyo, dadkuna way baqaan")
    hodan.send(choice_number(hodan.last, _("Anonymous")))
    hodan.send(choice_number(hodan.last, _("Done")))
    assert _("Shall I send it?") in hodan.last
    acknowledgement = hodan.send(choice_number(hodan.last, _("Yes, send it")))

    [reference] = set(REFERENCE.findall(acknowledgement))
    thanks = _("Thank you. Your report has been sent. Your reference is %(reference)s. Keep it: send "
               "\"status %(reference)s\" at any time, from any phone or computer, to see what is happening.")
    assert thanks % {"reference": reference} in acknowledgement
    assert all(len(body) <= 1600 for body in hodan.received)
    with new_session(client.application.extensions["safer_homes.engine"]) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
    assert (report.language, report.channel, report.privacy, report.category) == ("so", "whatsapp", "anonymous", "unsafe_place")
    assert (report.latitude, report.longitude) == (51.5155, -0.0722)
    every_row = repr(dump_every_table(database_url))
    assert "Hodan Faarax" not in every_row  # WhatsApp's ProfileName is never kept
    assert "447700900456" not in every_row


def test_a_bengali_sms_exchange_records_ucs2_segments(client, fake, app):
    _ = i18n.translations("bn").gettext
    rokeya = Resident(client, fake, ROKEYA, channel="sms")
    asked = rokeya.send("আমি একটি সমস্যার কথা জানাতে চাই")  # Bengali script: Bengali asked first
    assert asked.startswith(_("Choose your language.")) and "1. বাংলা" in asked
    welcome = rokeya.send("১")  # confirmed, in Bengali digits
    assert _("What would you like to do?") in welcome
    assert f"১. {_('Report a safety concern')}" in welcome  # numbered in Bengali digits
    rokeya.send("১")
    assert _("First: is anyone in danger right now?") in rokeya.last

    rows = [row for row in outbox_rows(app) if row.channel == "sms"]
    messages = fake.messages_to(ROKEYA)
    assert len(rows) == len(messages) == 3
    for row, message in zip(rows, messages):
        assert message.from_ == SMS_NUMBER
        assert sms.encoding(message.body) == "UCS-2"
        assert row.status == "sent" and row.provider_message_id == message.sid
        expected = 1 if len(message.body) <= 70 else math.ceil(len(message.body) / 67)
        assert row.segments == expected == sms.segments(message.body)
    assert rows[1].segments > 1  # the welcome and the menu in Bengali take several segments


# --- refusing what Twilio did not send ------------------------------------------------------------

def test_a_forged_signature_is_refused_and_changes_nothing(client, fake, database_url):
    hodan = Resident(client, fake, HODAN)
    before = dump_every_table(database_url)
    forged = hodan.fields("Hello")
    for signature in ("", "bm90IGEgc2lnbmF0dXJl", sign(PUBLIC_BASE_URL + "/webhooks/twilio", forged, "another-token")):
        assert hodan.post(forged, signature=signature).status_code == 403
    tampered = dict(forged)
    signature = sign(PUBLIC_BASE_URL + "/webhooks/twilio", forged)
    tampered["Body"] = "Something else"
    assert hodan.post(tampered, signature=signature).status_code == 403
    status = {"MessageSid": new_sid("SM"), "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    assert hodan.post(status, path="/webhooks/twilio/status", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert dump_every_table(database_url) == before
    assert fake.attempts == []


def test_a_signature_over_another_url_is_refused(client, fake, database_url):
    hodan = Resident(client, fake, HODAN)
    before = dump_every_table(database_url)
    fields = hodan.fields("Hello")
    for url in ("https://attacker.example/webhooks/twilio", "http://saferhomes.example.org/webhooks/twilio",
                PUBLIC_BASE_URL + "/webhooks/twilio/status"):
        assert hodan.post(fields, signed_url=url).status_code == 403
    assert dump_every_table(database_url) == before
    assert fake.attempts == []


def test_the_query_string_is_part_of_what_is_signed(client, fake):
    hodan = Resident(client, fake, HODAN)
    fields = hodan.fields("Hello")
    path = "/webhooks/twilio?source=whatsapp"
    assert hodan.post(fields, path=path, signed_url=PUBLIC_BASE_URL + "/webhooks/twilio").status_code == 403
    assert hodan.post(fields, path=path).status_code == 200


def test_without_twilio_configured_every_webhook_is_refused(database_url, fake, tmp_path):
    app = _build(database_url, fake, tmp_path, twilio_account_sid="", twilio_auth_token="")
    hodan = Resident(app.test_client(), fake, HODAN)
    before = dump_every_table(database_url)
    assert hodan.post(hodan.fields("Hello")).status_code == 403
    assert dump_every_table(database_url) == before
    _dispose(app)


def test_a_channel_without_its_number_is_refused(database_url, fake, tmp_path):
    app = _build(database_url, fake, tmp_path, twilio_sms_number="")
    texter = Resident(app.test_client(), fake, ROKEYA, channel="sms")
    assert texter.post(texter.fields("Hello")).status_code == 403
    _dispose(app)


@pytest.mark.parametrize("drop, change", [
    ("MessageSid", {}), ("From", {}), (None, {"From": "whatsapp:not-a-number"}), (None, {"MessageSid": "SM/../x"}),
    (None, {"Latitude": "north", "Longitude": "-0.07"}), (None, {"NumMedia": "lots"}),
])
def test_a_malformed_message_is_400_and_changes_nothing(client, fake, database_url, drop, change):
    hodan = Resident(client, fake, HODAN)
    fields = hodan.fields("Hello")
    fields.pop(drop, None)
    fields.update(change)
    before = dump_every_table(database_url)
    assert hodan.post(fields).status_code == 400
    assert dump_every_table(database_url) == before
    assert fake.attempts == []


def test_the_same_message_delivered_twice_is_answered_once(client, fake):
    hodan = Resident(client, fake, HODAN)
    fields = hodan.fields("Hello")
    assert hodan.post(fields).status_code == 200
    assert hodan.post(fields).status_code == 200
    assert len(fake.messages_to(HODAN)) == 1


# --- delivery reports ----------------------------------------------------------------------------

def _report_status(resident: Resident, message_sid: str, status: str, error_code: Optional[str] = None):
    fields = {"MessageSid": message_sid, "SmsSid": message_sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{WHATSAPP_NUMBER}", "To": resident.address,
              "ApiVersion": "2010-04-01"}
    if error_code:
        fields["ErrorCode"] = error_code
    response = resident.post(fields, path="/webhooks/twilio/status")
    assert response.status_code == 200
    return response


def test_delivery_reports_only_move_forward(client, fake, app):
    hodan = Resident(client, fake, HODAN)
    hodan.send("Hello")
    [row] = outbox_rows(app)
    for status in ("sent", "delivered", "sent", "queued"):  # a late "sent" arrives after "delivered"
        _report_status(hodan, row.provider_message_id, status)
    assert outbox_rows(app)[0].delivery_status == "delivered"
    _report_status(hodan, row.provider_message_id, "read")
    assert outbox_rows(app)[0].delivery_status == "read"
    _report_status(hodan, new_sid("SM"), "delivered")  # not ours: accepted, ignored


@pytest.mark.parametrize("code", ["21610", "63014"])
def test_a_report_that_the_resident_unsubscribed_or_blocked_marks_them_unreachable(client, fake, app, database_url, code):
    hodan = Resident(client, fake, HODAN)
    hodan.send("Hello")
    [row] = outbox_rows(app)
    _report_status(hodan, row.provider_message_id, "failed", code)
    assert contact(database_url, "whatsapp", HODAN).unreachable
    assert outbox_rows(app)[0].delivery_status == "failed"


def test_a_report_of_a_closed_window_holds_the_message(client, fake, app):
    hodan = Resident(client, fake, HODAN)
    hodan.send("Hello")
    [row] = outbox_rows(app)
    _report_status(hodan, row.provider_message_id, "undelivered", "63016")
    assert outbox_rows(app)[0].status == "held"


# --- media ---------------------------------------------------------------------------------------

def test_a_voice_note_is_fetched_with_the_accounts_credentials_and_kept(client, fake, app, tmp_path):
    _ = i18n.translations("bn").gettext
    rokeya = Resident(client, fake, ROKEYA)
    choose_language(rokeya, "bn")
    walk_to_description(rokeya, "bn")
    url = fake.add_media(OGG, "audio/ogg")
    rokeya.send(NumMedia="1", MediaUrl0=url, MediaContentType0="audio/ogg", MessageType="audio")

    assert _("How private should your report be?") in rokeya.last  # the voice note answered the question
    assert fake.media_requests == [{"path": url.removeprefix(fake.url), "username": ACCOUNT_SID}]
    [kept] = list((tmp_path / "media").iterdir())
    assert kept.read_bytes() == OGG
    assert re.fullmatch(r"[0-9a-f]{32}\.ogg", kept.name)
    assert kept.stat().st_mode & 0o077 == 0


def test_media_we_do_not_accept_is_not_kept(client, fake, tmp_path):
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "en")
    url = fake.add_media(b"%PDF-1.7 not a voice note", "application/pdf")
    hodan.send(NumMedia="1", MediaUrl0=url, MediaContentType0="application/pdf")
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").iterdir())


def test_a_photo_too_large_to_keep_is_explained_in_the_residents_language_and_the_question_asked_again(
        client, fake, tmp_path):
    _ = i18n.translations("so").gettext
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "so")
    walk_to_description(hodan, "so")
    url = fake.add_media(b"\xff\xd8\xff\xe0" + bytes(PHOTO_MAX_BYTES), "image/jpeg")
    said = hodan.send(NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg", MessageType="image")

    refusal = _("That file is too big, or of a kind we can't keep. Please send a photo or a short voice message, "
                "or type instead.")
    question = "\n".join((_("You can send a voice message."),
                           _("Please tell us what happened, in your own words and your own language."),
                           _("You can also send a photo.")))
    assert refusal in said and question in said.split(refusal, 1)[1]
    assert _("How private should your report be?") not in said
    assert len(fake.media_requests) == 1  # fetched, then refused by its size
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").iterdir())


def test_a_redelivered_voice_note_keeps_one_file(client, fake, tmp_path):
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "en")
    walk_to_description(hodan, "en")
    fields = hodan.fields(NumMedia="1", MediaUrl0=fake.add_media(OGG, "audio/ogg"), MediaContentType0="audio/ogg")
    assert hodan.post(fields).status_code == 200
    assert hodan.post(fields).status_code == 200
    assert len(list((tmp_path / "media").iterdir())) == 1


# --- WhatsApp's 24-hour window -------------------------------------------------------------------

def test_outside_the_window_an_update_goes_as_the_configured_template(client, fake, app, database_url, tmp_path):
    (tmp_path / "templates.json").write_text('{"status_update": {"so": "%s"}}' % TEMPLATE_SID)
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "so")
    contact_id = contact(database_url, "whatsapp", HODAN).id
    queue_update(app, contact_id, "whatsapp", "Warbixintaada waa la eegayaa.", "so")
    counts = deliverer_at(app, timedelta(hours=25)).deliver_due()
    assert counts.sent == 1
    message = fake.messages_to(HODAN)[-1]
    assert message.content_sid == TEMPLATE_SID and not message.body
    assert "Warbixintaada waa la eegayaa." in message.content_variables


def test_outside_the_window_without_a_template_an_update_is_held_until_they_write(client, fake, app, database_url):
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "so")
    contact_id = contact(database_url, "whatsapp", HODAN).id
    message_id = queue_update(app, contact_id, "whatsapp", "Warbixintaada waa la eegayaa.", "so")
    sent_before = len(fake.messages_to(HODAN))

    counts = deliverer_at(app, timedelta(hours=25)).deliver_due()
    assert counts.held == 1
    assert [row.status for row in outbox_rows(app) if row.id == message_id] == ["held"]
    assert len(fake.messages_to(HODAN)) == sent_before

    hodan.send("liiska")  # they write again: the window opens and the held update is due
    app.extensions["safer_homes.deliverer"].deliver_due()
    bodies = [message.body for message in fake.messages_to(HODAN)[sent_before:]]
    assert "Warbixintaada waa la eegayaa." in bodies
    assert [row.status for row in outbox_rows(app, contact_id)] == ["sent"] * len(outbox_rows(app, contact_id))


def test_a_closed_window_reported_by_twilio_holds_the_message(client, fake, app, database_url):
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "en")
    fake.close_window(HODAN)  # our clock says open, Twilio says closed (63016)
    contact_id = contact(database_url, "whatsapp", HODAN).id
    message_id = queue_update(app, contact_id, "whatsapp", "Your report is being looked at.", "en")
    assert app.extensions["safer_homes.deliverer"].deliver_due().held == 1
    assert [row.status for row in outbox_rows(app) if row.id == message_id] == ["held"]


# --- errors on sending ---------------------------------------------------------------------------

def test_an_unsubscribed_number_is_marked_unreachable_and_not_retried(client, fake, app, database_url):
    rokeya = Resident(client, fake, ROKEYA, channel="sms")
    choose_language(rokeya, "bn")
    contact_id = contact(database_url, "sms", ROKEYA).id
    fake.unsubscribe(ROKEYA)
    message_id = queue_update(app, contact_id, "sms", "আপনার রিপোর্ট দেখা হচ্ছে।", "bn")
    attempts = len(fake.attempts)

    assert app.extensions["safer_homes.deliverer"].deliver_due().unreachable == 1
    assert [(attempt.status, attempt.code) for attempt in fake.attempts[attempts:]] == [(400, 21610)]
    assert contact(database_url, "sms", ROKEYA).unreachable
    [row] = [row for row in outbox_rows(app) if row.id == message_id]
    assert row.status == "failed" and "21610" in row.last_error
    deliverer_at(app, timedelta(hours=2)).deliver_due()
    assert len(fake.attempts) == attempts + 1  # never tried again


def test_a_429_is_retried_after_the_wait_twilio_gave(client, fake, app):
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "en")
    fake.fail_next(1, status=429, retry_after=7)
    asked_at = utcnow()
    assert hodan.send("menu") == ""  # the reply did not go at once
    [row] = [row for row in outbox_rows(app) if row.status == "pending"]
    assert "429" in row.last_error
    assert timedelta(seconds=6) <= row.next_attempt_at - asked_at <= timedelta(seconds=9)
    assert deliverer_at(app, timedelta(seconds=10)).deliver_due().sent == 1
    assert [attempt.status for attempt in fake.attempts[-2:]] == [429, 201]
    assert "What would you like to do?" in fake.messages_to(HODAN)[-1].body


def test_5xx_then_recovery_delivers_once(client, fake, app):
    rokeya = Resident(client, fake, ROKEYA, channel="sms")
    choose_language(rokeya, "en")
    fake.fail_next(2, status=503)
    before = len(fake.messages_to(ROKEYA))
    rokeya.send("help")
    assert len(fake.messages_to(ROKEYA)) == before
    assert deliverer_at(app, timedelta(minutes=1)).deliver_due().retried == 1
    assert deliverer_at(app, timedelta(hours=1)).deliver_due().sent == 1
    assert deliverer_at(app, timedelta(hours=2)).deliver_due().sent == 0
    help_replies = fake.messages_to(ROKEYA)[before:]
    assert len(help_replies) == 1 and "999" in help_replies[0].body
    assert [attempt.status for attempt in fake.attempts[-3:]] == [503, 503, 201]


# --- STOP, START, HELP ---------------------------------------------------------------------------

@pytest.mark.parametrize("channel, lang, stop, start, extra", [
    ("sms", "en", "STOP", "START", {"OptOutType": "STOP"}),
    ("sms", "bn", "বন্ধ", "শুরু", {}),
    ("sms", "so", "jooji", "bilow", {}),
    ("whatsapp", "en", "Unsubscribe", "start", {}),
    ("whatsapp", "bn", "বন্ধ", "শুরু", {}),
    ("whatsapp", "so", "JOOJI", "Bilow", {}),
])
def test_stop_opts_out_until_start(client, fake, app, database_url, channel, lang, stop, start, extra):
    _ = i18n.translations(lang).gettext
    resident = Resident(client, fake, ROKEYA, channel=channel)
    choose_language(resident, lang)
    resident.send(choice_number(resident.last, _("Report a safety concern")))
    resident.send(choice_number(resident.last, _("No")))  # part way through a report

    confirmation = resident.send(stop, **extra)
    if extra.get("OptOutType") == "STOP":  # Twilio confirmed its own SMS keyword and blocks what we send
        assert confirmation == ""
    else:  # WhatsApp has no automatic opt-out, and Twilio does not know Bengali or Somali stop words
        assert _("Stopped. Your unfinished report was deleted and nothing was sent.") in confirmation
        assert _("Send any message when you want to start again.") in confirmation
    found = contact(database_url, channel, ROKEYA)
    assert found.unreachable

    sent_before = len(fake.attempts)
    update_id = queue_update(app, found.id, channel, "An update", lang)
    app.extensions["safer_homes.deliverer"].deliver_due()
    assert len(fake.attempts) == sent_before  # nothing goes to someone who said stop
    assert [row.status for row in outbox_rows(app) if row.id == update_id] == ["failed"]

    welcome = resident.send(start, **({"OptOutType": "START"} if extra else {}))
    assert not contact(database_url, channel, ROKEYA).unreachable
    assert _("What would you like to do?") in welcome


@pytest.mark.parametrize("channel, lang, word", [("sms", "en", "HELP"), ("sms", "en", "info"), ("sms", "bn", "সাহায্য"),
                                                 ("whatsapp", "so", "caawimaad")])
def test_help_in_any_language_gives_the_flows_help(client, fake, channel, lang, word):
    _ = i18n.translations(lang).gettext
    resident = Resident(client, fake, HODAN, channel=channel)
    choose_language(resident, lang)
    answer = resident.send(word)
    assert "999" in answer and "0800 555 111" in answer
    assert _("What would you like to do?") in answer


# --- what never leaks ----------------------------------------------------------------------------

def test_phone_numbers_never_reach_a_log_line_or_a_readable_column(client, fake, app, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    hodan = Resident(client, fake, HODAN)
    choose_language(hodan, "en")
    walk_to_description(hodan, "en")
    hodan.send("Someone keeps shouting at my door")
    hodan.send("2")  # private
    hodan.send(choice_number(hodan.last, "Done"))
    hodan.send("1")
    fake.fail_next(1, status=503)
    hodan.send("menu")
    fake.unsubscribe(HODAN)
    deliverer_at(app, timedelta(hours=1)).deliver_due()
    rokeya = Resident(client, fake, ROKEYA, channel="sms")
    rokeya.send("STOP", OptOutType="STOP")
    hodan.post(hodan.fields("Hello"), signature="forged")

    assert caplog.records
    for number in ("447700900456", "7700 900456", "447700900789"):
        for record in caplog.records:
            assert number not in record.getMessage(), record.name
            assert number not in (caplog.text or "")
        assert number not in repr(dump_every_table(database_url))
