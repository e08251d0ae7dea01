"""The Twilio channel on its own: rendering, SMS segments, and every send outcome against the fake API."""
from __future__ import annotations

import json
import math

import pytest

from bot import sms
from bot.channels import twilio
from bot.channels.base import OutsideWindow, Pace, Rejected, RetryAfter, Sent, Transient, Unreachable
from bot.channels.twilio import MediaRefused, TwilioChannel, e164
from bot.settings import Settings
from flows.types import Choice, Reply
from tests import media_samples
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
WHATSAPP_NUMBER = "+14155238886"
SMS_NUMBER = "+447700900001"
RESIDENT = "+447700900456"
TEMPLATE_SID = "HX" + "b" * 32


@pytest.fixture
def fake():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


def _settings(tmp_path, base_url: str = "http://127.0.0.1:9", **overrides) -> Settings:
    values = dict(
        secret_key="unit-test-secret", twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_number=WHATSAPP_NUMBER, twilio_sms_number=SMS_NUMBER, twilio_api_base_url=base_url,
        public_base_url="https://saferhomes.example.org", whatsapp_templates_file=str(tmp_path / "templates.json"),
        twilio_messages_per_second=5.0,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def channels(tmp_path, fake):
    settings = _settings(tmp_path, fake.url)
    made = {name: TwilioChannel(settings, name) for name in ("whatsapp", "sms")}
    yield made
    for channel in made.values():
        channel.close()


def _send(channel: TwilioChannel, body: str = "Hello", *, window_open: bool = True, kind: str = "reply",
          language: str = "en", to: str = RESIDENT) -> Sent:
    payload = channel.render([Reply(body, language)])[0]
    return channel.send(to, payload, kind=kind, language=language, window_open=window_open)


# --- SMS segments --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1),  # extension characters cost two septets each
    ("€" * 81, 2),
    ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but the escape pair may not straddle two segments
    ("া" * 70, 1), ("া" * 71, 2), ("া" * 134, 2), ("া" * 135, 3),  # Bengali: UCS-2, 70 then 67 a segment
    ("a" * 159 + "’", 3),  # one curly apostrophe makes 160 characters UCS-2
    ("", 0),
])
def test_segments_follow_gsm7_and_ucs2(text, expected):
    assert sms.segments(text) == expected


def test_an_emoji_counts_two_ucs2_units_and_is_never_split():
    assert sms.segments("😀" * 35) == 1
    assert sms.segments("😀" * 36) == 2
    assert sms.segments("a" * 66 + "😀" + "a" * 66) == 3  # 134 units, but the pair may not straddle 67


def test_gsm_friendly_swaps_look_alikes_only_when_that_makes_the_text_gsm7():
    somali = "Waad ku mahadsan tahay – warbixintaada waa la diray. “Xaalad” ayaad qori kartaa…"
    swapped = sms.gsm_friendly(somali)
    assert sms.encoding(somali) == "UCS-2"
    assert sms.encoding(swapped) == "GSM-7"
    assert swapped == 'Waad ku mahadsan tahay - warbixintaada waa la diray. "Xaalad" ayaad qori kartaa...'
    bengali = "আপনার রিপোর্ট পাঠানো হয়েছে – ☑ কাউন্সিল"
    assert sms.gsm_friendly(bengali) == bengali  # UCS-2 anyway: the characters stay


def test_arabic_keeps_its_isolates_and_pays_a_unit_for_each_while_an_english_line_drops_them():
    # What flows/bidi.py makes of "Your reference is %(reference)s." in Arabic: 16 letters and spaces, the
    # reference's 12 characters, its two isolates and a full stop: 31 UTF-16 units.
    arabic = "رقمك المرجعي هو \u2068TH-7SQZ-YY3D\u2069."
    assert sms.gsm_friendly(arabic) == arabic
    assert sms.encoding(arabic) == "UCS-2"
    assert sms.segments(arabic * 2) == 1 and sms.segments(arabic * 3) == 2  # 62 units fit in 70, 93 do not
    # An untranslated line shown in English to an Arabic reader: GSM-7 once the isolates go.
    english = "Your reference is \u2068TH-7SQZ-YY3D\u2069."
    assert sms.gsm_friendly(english) == "Your reference is TH-7SQZ-YY3D."
    assert sms.encoding(sms.gsm_friendly(english)) == "GSM-7"
    # Every direction control flows/bidi.py takes out of typed text, embeddings and overrides included.
    for control in "\u202a\u202b\u202c\u202d\u202e\u200e\u200f\u061c":
        assert sms.encoding(sms.gsm_friendly(f"Near {control}Ben Jonson Road")) == "GSM-7", hex(ord(control))


# --- rendering -----------------------------------------------------------------------------------

MENU = (Choice("menu:report", "Report a safety concern"), Choice("menu:status", "Check a report"),
        Choice("menu:help", "Help"))


def test_a_turn_is_one_message_with_numbered_choices_last(tmp_path):
    channel = TwilioChannel(_settings(tmp_path), "whatsapp")
    payloads = channel.render([Reply("Welcome to Safer Homes.", "en"), Reply("What would you like to do?", "en", MENU)])
    assert payloads == [{"body": "Welcome to Safer Homes.\n\nWhat would you like to do?\n\n"
                                 "1. Report a safety concern\n2. Check a report\n3. Help"}]
    channel.close()


def test_bengali_choices_are_numbered_in_bengali_digits_and_others_in_latin(tmp_path):
    channel = TwilioChannel(_settings(tmp_path), "sms")
    bengali = channel.render([Reply("আপনি কী করতে চান?", "bn", (Choice("a", "রিপোর্ট"), Choice("b", "সাহায্য")))])
    somali = channel.render([Reply("Maxaad rabtaa?", "so", (Choice("a", "Warbixin"), Choice("b", "Caawimaad")))])
    assert bengali[0]["body"].endswith("১. রিপোর্ট\n২. সাহায্য")
    assert somali[0]["body"].endswith("1. Warbixin\n2. Caawimaad")
    channel.close()


def test_a_long_whatsapp_reply_is_split_at_paragraphs_and_keeps_every_word(tmp_path):
    channel = TwilioChannel(_settings(tmp_path), "whatsapp")
    paragraphs = [f"Paragraph {n}: " + "word " * 60 for n in range(12)]
    text = "\n\n".join(paragraph.strip() for paragraph in paragraphs)
    payloads = channel.render([Reply(text, "en", MENU)])
    assert len(payloads) > 1
    assert all(len(payload["body"]) <= twilio.WHATSAPP_MAX_CHARS for payload in payloads)
    assert all(payload["body"].startswith("Paragraph") for payload in payloads)  # cut between paragraphs
    assert "1. Report a safety concern" in payloads[-1]["body"]
    assert not any("1. Report" in payload["body"] for payload in payloads[:-1])  # numbers only on the last
    assert " ".join(" ".join(p["body"] for p in payloads).split()) == " ".join((text + " 1. Report a safety concern 2. Check a report 3. Help").split())
    channel.close()


def test_one_unbroken_word_longer_than_a_message_is_cut_anywhere(tmp_path):
    channel = TwilioChannel(_settings(tmp_path), "whatsapp")
    payloads = channel.render([Reply("x" * 4000, "en")])
    assert [len(payload["body"]) for payload in payloads] == [1600, 1600, 800]
    channel.close()


def test_sms_keeps_each_text_within_ten_segments_and_records_the_count(tmp_path):
    channel = TwilioChannel(_settings(tmp_path), "sms")
    bengali = "\n".join(f"{n}. এটি একটি দীর্ঘ বাংলা লাইন যা অনেক অক্ষর নেয়" for n in range(40))
    payloads = channel.render([Reply(bengali, "bn")])
    assert len(payloads) > 1
    for payload in payloads:
        assert payload["segments"] == sms.segments(payload["body"]) <= twilio.SMS_MAX_SEGMENTS
        assert sms.encoding(payload["body"]) == "UCS-2"
    english = channel.render([Reply("Who may see it?", "en", (Choice("agency:council", "☑ Council"), Choice("done", "Done")))])
    assert english == [{"body": "Who may see it?\n\n1. [x] Council\n2. Done", "segments": 1}]
    channel.close()


# --- sending -------------------------------------------------------------------------------------

def test_whatsapp_sends_between_whatsapp_addresses_with_a_status_callback(channels, fake):
    sent = _send(channels["whatsapp"], "Salaan")
    [message] = fake.messages
    assert sent == Sent(provider_message_id=message.sid, segments=None)
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.to, message.from_, message.body) == (f"whatsapp:{RESIDENT}", f"whatsapp:{WHATSAPP_NUMBER}", "Salaan")
    assert message.status_callback == "https://saferhomes.example.org/webhooks/twilio/status"


def test_sms_sends_from_the_sms_number_and_reports_segments(channels, fake):
    sent = _send(channels["sms"], "আপনার রিপোর্ট পাঠানো হয়েছে। " * 5, language="bn")
    [message] = fake.messages
    assert (message.to, message.from_) == (RESIDENT, SMS_NUMBER)
    assert sent.segments == math.ceil(len(message.body) / 67) == message.num_segments


def test_outside_the_window_a_configured_template_is_used(channels, fake, tmp_path):
    (tmp_path / "templates.json").write_text(json.dumps({"status_update": {"so": TEMPLATE_SID}}))
    _send(channels["whatsapp"], "Warbixintaada waa\nla eegayaa", window_open=False, kind="status_update", language="so")
    [message] = fake.messages
    assert message.body in (None, "")
    assert message.content_sid == TEMPLATE_SID
    assert json.loads(message.content_variables) == {"1": "Warbixintaada waa la eegayaa"}


@pytest.mark.parametrize("templates", [None, {"status_update": {"bn": TEMPLATE_SID}}, {"reminder": {"so": TEMPLATE_SID}},
                                       {"status_update": {"so": "not-a-sid"}}, "not json"])
def test_outside_the_window_without_a_fitting_template_nothing_is_sent(channels, fake, tmp_path, templates):
    if templates is not None:
        (tmp_path / "templates.json").write_text(templates if isinstance(templates, str) else json.dumps(templates))
    with pytest.raises(OutsideWindow):
        _send(channels["whatsapp"], window_open=False, kind="status_update", language="so")
    assert fake.attempts == []


def test_sms_ignores_the_whatsapp_window(channels, fake):
    _send(channels["sms"], window_open=False, kind="status_update")
    assert len(fake.messages) == 1


@pytest.mark.parametrize("switch, error", [
    (lambda fake: fake.unsubscribe(RESIDENT), Unreachable),
    (lambda fake: fake.block(RESIDENT), Unreachable),
    (lambda fake: fake.close_window(RESIDENT), OutsideWindow),
    (lambda fake: fake.fail_next(1, status=500), Transient),
    (lambda fake: fake.fail_next(1, status=503), Transient),
    (lambda fake: fake.fail_next(1, status=429), RetryAfter),
])
def test_twilio_errors_map_to_what_the_outbox_does(channels, fake, switch, error):
    switch(fake)
    with pytest.raises(error) as raised:
        _send(channels["whatsapp"], "A body that must not leak")
    assert "447700900456" not in str(raised.value) and "must not leak" not in str(raised.value)
    assert fake.messages == []


def test_429_waits_the_default_or_what_retry_after_says(channels, fake):
    fake.fail_next(1, status=429)
    with pytest.raises(RetryAfter) as default:
        _send(channels["sms"])
    fake.fail_next(1, status=429, retry_after=7)
    with pytest.raises(RetryAfter) as told:
        _send(channels["sms"])
    assert default.value.seconds == twilio.DEFAULT_RETRY_AFTER_SECONDS
    assert told.value.seconds == 7


def test_the_fakes_per_sender_rate_limit_answers_429(channels, fake):
    fake.rate_limit_per_sender = 1
    _send(channels["sms"])
    with pytest.raises(RetryAfter):
        _send(channels["sms"])
    _send(channels["whatsapp"])  # another sender has its own budget


def test_bad_credentials_are_rejected_not_retried(tmp_path, fake):
    channel = TwilioChannel(_settings(tmp_path, fake.url, twilio_auth_token="wrong"), "sms")
    with pytest.raises(Rejected, match="401"):
        _send(channel)
    channel.close()


def test_a_body_over_1600_characters_is_refused_by_the_api(channels, fake):
    with pytest.raises(Rejected, match="21617"):
        channels["whatsapp"].send(RESIDENT, {"body": "x" * 1601}, kind="reply", language="en", window_open=True)


def test_an_unreachable_api_is_transient(tmp_path):
    channel = TwilioChannel(_settings(tmp_path, "http://127.0.0.1:9"), "sms")
    with pytest.raises(Transient):
        _send(channel)
    channel.close()


def test_a_message_whose_text_was_dropped_is_not_sent_empty(channels, fake):
    with pytest.raises(Rejected):
        channels["whatsapp"].send(RESIDENT, {}, kind="reply", language="en", window_open=True)
    assert fake.attempts == []


def test_paces_are_per_sender_number(channels):
    assert channels["whatsapp"].paces(RESIDENT) == [Pace(f"twilio:{WHATSAPP_NUMBER}", 5.0)]
    assert channels["sms"].paces("+447700900999") == [Pace(f"twilio:{SMS_NUMBER}", 5.0)]


def test_the_default_api_address_is_left_alone_and_a_custom_one_replaces_twilios(tmp_path):
    default = TwilioChannel(_settings(tmp_path, "https://api.twilio.com"), "sms")
    custom = TwilioChannel(_settings(tmp_path, "http://127.0.0.1:8080"), "sms")
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert default.http.rewrite(url) == url
    assert custom.http.rewrite(url) == f"http://127.0.0.1:8080/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert custom.http.rewrite("https://example.org/x") == "https://example.org/x"
    default.close()
    custom.close()


# --- inbound media -------------------------------------------------------------------------------

OGG = media_samples.ogg_opus(comments=())
JPEG = media_samples.jpeg_with_metadata()


def test_media_is_fetched_with_the_accounts_credentials(channels, fake):
    url = fake.add_media(OGG, "audio/ogg")
    content, kind, suffix = channels["whatsapp"].fetch_media(url, "audio/ogg")
    assert (content, kind, suffix) == (OGG, "voice", ".ogg")
    assert fake.media_requests[0]["username"] == ACCOUNT_SID


def test_fetched_media_comes_back_without_its_metadata(channels, fake):
    content, kind, suffix = channels["sms"].fetch_media(fake.add_media(JPEG, "image/jpeg"), "image/jpeg")
    assert (kind, suffix) == ("photo", ".jpg")
    assert media_samples.MARKER in JPEG and media_samples.MARKER not in content


@pytest.mark.parametrize("content, content_type", [
    (b"%PDF-1.7", "application/pdf"),  # not a type we keep
    (b"MZ\x90\x00", "image/jpeg"),  # says JPEG, is not
])
def test_media_of_the_wrong_type_is_refused(channels, fake, content, content_type):
    url = fake.add_media(content, content_type)
    with pytest.raises(MediaRefused):
        channels["whatsapp"].fetch_media(url, content_type)


@pytest.mark.parametrize("limits", [
    {"media_photo_max_bytes": 100, "media_voice_max_bytes": 100},  # stopped during the download
    {"media_photo_max_bytes": 100},  # fetched (a voice note could be this size), then refused as a photo
])
def test_media_over_the_size_limit_is_refused(tmp_path, fake, limits):
    channel = TwilioChannel(_settings(tmp_path, fake.url).with_overrides(**limits), "whatsapp")
    url = fake.add_media(JPEG, "image/jpeg")
    try:
        with pytest.raises(MediaRefused, match="too large"):
            channel.fetch_media(url, "image/jpeg")
    finally:
        channel.close()


def test_media_off_twilios_host_is_never_fetched(channels, fake):
    with pytest.raises(MediaRefused):
        channels["whatsapp"].fetch_media("https://attacker.example/secret", "image/jpeg")
    assert fake.media_requests == []


@pytest.mark.parametrize("raw, expected", [
    ("whatsapp:+447700900456", "+447700900456"), ("+447700900456", "+447700900456"),
    (" +44 7700 900456 ", "+447700900456"), ("00447700900456", "+447700900456"),
    ("Vodafone", None), ("+0123", None), ("", None),
])
def test_addresses_become_e164(raw, expected):
    assert e164(raw) == expected
