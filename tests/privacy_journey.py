"""Marker values through every channel, for the log and table tests (tests/test_log_markers.py) and the
stolen-database test (tests/test_stolen_database.py).

One run of the real app with the fake Telegram and Twilio servers, on the test's database:
- Telegram: a named report with a shared location and a typed name, by someone whose account shows a first
  name, last name and username; the officer's reply reaches them through the worker;
- WhatsApp (with a ProfileName): a private report; an RSVP to a ward panel, then "how was it?" with a comment
  and a topic for the next meeting;
- SMS: a private report, closed two weeks ago; "was this sorted?" answered "no" with a comment;
- the web chat (a session id as the page makes them): an anonymous report and a topic for a ward panel;
- Open311: a POST with every personal field the GeoReport spec allows;
- the staff pages: an officer signs in, reads the named report and replies; the worker delivers and purges.
Every marker is distinctive: a chat id of 13 digits, phone numbers from Ofcom's drama range, made-up names.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Optional

from sqlalchemy import select

from bot.conversations import forget_reference_data
from bot.worker import run_due_work
from storage import api_keys, events, staff
from storage.database import new_session
from storage.models import Event, Report, ReportUpdate
from storage.report_clock import set_status
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI, TelegramUser
from tests.fakes.twilio_api import FakeTwilio, new_sid

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")

# Credentials, shaped as the real ones are.
BOT_TOKEN = "7123456789:AAHmkrBotTokenForTheMarkerJourney0123"
WEBHOOK_SECRET = "mkr-webhook-secret-5e1d"
ACCOUNT_SID = "AC" + "5a1e" * 8
AUTH_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
WHATSAPP_NUMBER = "+14155238886"
SMS_NUMBER = "+447700900001"
PUBLIC_BASE_URL = "https://saferhomes.example.org"
STAFF_PASSWORD = "a long enough passphrase"
OFFICER = "officer.mkr@council.example"

# Telegram: the person's account and what they send.
TELEGRAM_CHAT_ID = 7302518846219
TELEGRAM_FIRST_NAME = "Zephyrinaqx"
TELEGRAM_LAST_NAME = "Quillbrackett"
TELEGRAM_USERNAME = "zq_mkr_4417"
TELEGRAM_LATITUDE, TELEGRAM_LONGITUDE = 51.5203817, -0.0590463
TELEGRAM_TEXT = "mkrtg9f1 someone keeps following me on the Zeta stairwell"  # the caption of a photo
# What the photo's camera wrote into it (tests/media_samples.py): EXIF GPS, make, serial.
PHOTO_METADATA = {"photo GPS area": "MARKER-GPS", "photo camera make": "MARKER-MAKE", "photo serial": "MARKER-SERIAL",
                  "photo comment": "MARKER-COMMENT", "photo XMP city": "MARKER-XMP"}
TYPED_NAME = "Marigold Thistlewaite"

# WhatsApp and SMS: the numbers, the display name WhatsApp adds, and what they send.
WHATSAPP_PHONE = "+447700900731"
WHATSAPP_PROFILE_NAME = "Ysoldewynne Parkinsonia"
WHATSAPP_PLACE = "mkrwaplace6b2 Vallance Road garages"
WHATSAPP_TEXT = "mkrwa3c7d dealing outside the garages every evening"
FEEDBACK_COMMENT = "mkrfb5e8a the hall was far too cold"
NEXT_MEETING_TOPIC = "mkrnext2d4f more lighting along the canal path"
SMS_PHONE = "+447700900842"
SMS_PLACE = "mkrsmsplace1f0 Brick Lane flats"
SMS_TEXT = "mkrsms8b1 loud music until three every night"
SORTED_COMMENT = "mkrsrt4a9 the music started again last week"

# The web chat.
WEB_PLACE = "mkrwebplace77c Mile End Park entrance"
WEB_TEXT = "mkrweb0d3 broken lights by the park gate"
WEB_TOPIC = "mkrwebtopic5a8 lights by the park gate"
# Someone else in the web chat, part way through a named report: the name is typed, the report not yet sent.
WEB_DRAFT_PLACE = "mkrdraft3b9 behind the community centre"
WEB_DRAFT_TEXT = "mkrdraftwords6c1 shouting on the landing"
DRAFT_TYPED_NAME = "Perpetua Ravensworth"

# The officer's words to the Telegram resident.
STAFF_REPLY = "mkrstaff7e2 we have spoken to the estate caretaker"

# Open311: what a partner's system might send about the person, and the report's own words.
OPEN311_PERSONAL = {"email": "mkr.open311@example.org", "first_name": "Oriabelle", "last_name": "Vantrickett",
                    "phone": "+447700900953", "device_id": "mkr-device-0c4e", "account_id": "mkr-account-9d1b"}
OPEN311_TEXT = "mkro311desc the door entry panel is smashed"
OPEN311_PLACE = "mkro311addr Stairwell D, Weavers ward, London"


def phone_forms(number: str) -> list[str]:
    """The ways a UK mobile may be written: +447700900731, 447700900731, 07700900731, 07700 900731, 7700900731."""
    national = number.removeprefix("+44")
    return [number, number.lstrip("+"), "0" + national, f"0{national[:4]} {national[4:]}", national]


@dataclass
class Markers:
    """What was sent, grouped by what it is. `session_id` is made afresh each run, as the page makes it."""

    session_id: str
    draft_session_id: str
    references: dict = field(default_factory=dict)

    @property
    def phone_numbers(self) -> dict[str, str]:
        return {"WhatsApp number": WHATSAPP_PHONE, "SMS number": SMS_PHONE, "Open311 phone": OPEN311_PERSONAL["phone"]}

    @property
    def display_names(self) -> dict[str, str]:
        """What a channel shows of the person: never stored, never logged (design.md)."""
        return {"Telegram first name": TELEGRAM_FIRST_NAME, "Telegram last name": TELEGRAM_LAST_NAME,
                "Telegram username": TELEGRAM_USERNAME, "WhatsApp ProfileName": WHATSAPP_PROFILE_NAME,
                "WhatsApp ProfileName (first word)": WHATSAPP_PROFILE_NAME.split()[0]}

    @property
    def personal(self) -> dict[str, str]:
        """Who the person is: identifiers, names, the Open311 person fields."""
        values = {"Telegram chat id": str(TELEGRAM_CHAT_ID), "web chat session id": self.session_id,
                  "web chat session id (draft)": self.draft_session_id,
                  "typed name": TYPED_NAME, "typed name (draft)": DRAFT_TYPED_NAME, **self.display_names}
        for label, number in self.phone_numbers.items():
            for form in phone_forms(number):
                values[f"{label} as {form}"] = form
        values.update({f"Open311 {name}": value for name, value in OPEN311_PERSONAL.items() if name != "phone"})
        return values

    @property
    def words(self) -> dict[str, str]:
        """What people wrote, and where they were: the reports' own words and places."""
        return {"Telegram report text": TELEGRAM_TEXT, "Telegram latitude": str(TELEGRAM_LATITUDE),
                "Telegram longitude": str(TELEGRAM_LONGITUDE), "WhatsApp place": WHATSAPP_PLACE,
                "WhatsApp report text": WHATSAPP_TEXT, "feedback comment": FEEDBACK_COMMENT,
                "next meeting topic": NEXT_MEETING_TOPIC, "SMS place": SMS_PLACE, "SMS report text": SMS_TEXT,
                "sorted comment": SORTED_COMMENT, "web chat place": WEB_PLACE, "web chat report text": WEB_TEXT,
                "web chat topic": WEB_TOPIC, "web chat draft place": WEB_DRAFT_PLACE,
                "web chat draft text": WEB_DRAFT_TEXT, "staff reply": STAFF_REPLY,
                "Open311 description": OPEN311_TEXT, "Open311 address": OPEN311_PLACE, **PHOTO_METADATA}

    @property
    def credentials(self) -> dict[str, str]:
        return {"bot token": BOT_TOKEN, "bot token's secret half": BOT_TOKEN.split(":")[1],
                "Telegram webhook secret": WEBHOOK_SECRET, "Twilio auth token": AUTH_TOKEN,
                "SECRET_KEY": TEST_SECRET_KEY}

    def everything(self) -> dict[str, str]:
        return {**self.personal, **self.words, **self.credentials}


class NoWait:
    """A pacer that never waits (pacing has its own tests; here it would only slow the journey)."""

    def wait_turn(self, paces) -> float:
        return 0.0


# --- the channels, as the outside world uses them ----------------------------------------------------------

class TelegramPerson:
    """Someone on Telegram: updates posted to the webhook with the secret header, answers read at the fake."""

    def __init__(self, client, api: FakeTelegramAPI):
        self.client, self.api = client, api
        self.user = TelegramUser(TELEGRAM_CHAT_ID, language_code="en", first_name=TELEGRAM_FIRST_NAME,
                                 username=TELEGRAM_USERNAME)
        self.user.user["last_name"] = TELEGRAM_LAST_NAME

    def _post(self, update: dict) -> str:
        before = len(self.api.messages_to(TELEGRAM_CHAT_ID))
        response = self.client.post("/webhooks/telegram", json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert response.status_code == 200, response.get_data(as_text=True)
        return "\n".join(message.plain for message in self.api.messages_to(TELEGRAM_CHAT_ID)[before:])

    def says(self, text: str) -> str:
        return self._post(self.user.message(text))

    def shares_location(self, latitude: float, longitude: float) -> str:
        return self._post(self.user.location(latitude, longitude))

    def sends_photo(self, content: bytes, caption: str) -> str:
        file_id = self.api.add_file(content, file_path="photos/file_9.jpg")
        return self._post(self.user.photo(file_id, file_size=len(content), caption=caption))

    def taps(self, key: str) -> str:
        last = self.api.messages_to(TELEGRAM_CHAT_ID)[-1]
        assert key in last.callback_data, f"{key} is not a button on {last.callback_data}"
        return self._post(self.user.tap(key, message_id=last.message_id))


class TwilioPerson:
    """Someone writing from a phone through Twilio's signed webhooks, on WhatsApp (with a ProfileName) or SMS."""

    def __init__(self, client, fake: FakeTwilio, number: str, channel: str):
        self.client, self.fake, self.number, self.channel = client, fake, number, channel
        self.last = ""

    def send(self, body: str = "", **extra) -> str:
        from twilio.request_validator import RequestValidator

        sid = new_sid("SM")
        whatsapp = self.channel == "whatsapp"
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": f"whatsapp:{self.number}" if whatsapp else self.number,
                  "To": f"whatsapp:{WHATSAPP_NUMBER}" if whatsapp else SMS_NUMBER,
                  "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        if whatsapp:
            fields.update(ProfileName=WHATSAPP_PROFILE_NAME, WaId=self.number.lstrip("+"), MessageType="text")
        fields.update(extra)
        signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/webhooks/twilio", fields)
        before = len(self.fake.messages_to(self.number))
        response = self.client.post("/webhooks/twilio", data=fields, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.get_data(as_text=True)
        self.last = "\n\n".join(message.body for message in self.fake.messages_to(self.number)[before:])
        return self.last

    def delivery_reports(self) -> None:
        """Twilio's signed status callbacks saying each message sent to this person was delivered."""
        from twilio.request_validator import RequestValidator

        whatsapp = self.channel == "whatsapp"
        for message in self.fake.messages_to(self.number):
            fields = {"MessageSid": message.sid, "SmsSid": message.sid, "MessageStatus": "delivered",
                      "SmsStatus": "delivered", "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01",
                      "From": f"whatsapp:{WHATSAPP_NUMBER}" if whatsapp else SMS_NUMBER,
                      "To": f"whatsapp:{self.number}" if whatsapp else self.number}
            url = PUBLIC_BASE_URL + "/webhooks/twilio/status"
            signature = RequestValidator(AUTH_TOKEN).compute_signature(url, fields)
            response = self.client.post("/webhooks/twilio/status", data=fields, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200, response.get_data(as_text=True)

    def offers(self, start: str) -> bool:
        return any(label.startswith(start.lower()) for _number, label in self._choices())

    def _choices(self) -> list[tuple[str, str]]:
        from flows import i18n

        choices = []
        for line in self.fake.messages_to(self.number)[-1].body.splitlines():
            number, dot, label = line.partition(". ")
            if dot and i18n.parse_number(number) is not None:
                choices.append((number, label.strip().lower()))
        return choices

    def choose(self, start: str) -> str:
        """Answer with the number of the last message's choice labelled `start` (or, failing that, whose label
        starts with it)."""
        choices = self._choices()
        for matches in (lambda label: label == start.lower(), lambda label: label.startswith(start.lower())):
            for number, label in choices:
                if matches(label):
                    return self.send(number)
        raise AssertionError(f"no choice {start!r} in:\n{self.fake.messages_to(self.number)[-1].body}")


class WebChatPerson:
    """Someone in the web chat, through POST /chat/api/messages, with a session id made as the page makes it."""

    def __init__(self, client, session_id: str):
        self.client, self.session_id = client, session_id
        self.replies: list[dict] = []

    def send(self, text: Optional[str] = None, *, choice: Optional[str] = None) -> str:
        body = {"session": self.session_id, **({"text": text} if text is not None else {}),
                **({"choice": choice} if choice is not None else {})}
        response = self.client.post("/chat/api/messages", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.replies = response.get_json()["replies"]
        return "\n".join(reply["text"] for reply in self.replies)

    @property
    def keys(self) -> list[str]:
        return [choice["key"] for choice in self.replies[-1].get("choices", [])]


# --- the journey ---------------------------------------------------------------------------------------------

def build_app(database_url: str, telegram: FakeTelegramAPI, twilio: FakeTwilio, tmp_path: Path):
    """The real app (create_app, which installs the log scrubbing) with every channel configured."""
    from webhook import create_app

    forget_reference_data()
    app = create_app({
        "database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
        "telegram_bot_token": BOT_TOKEN, "telegram_webhook_secret": WEBHOOK_SECRET,
        "telegram_api_base_url": telegram.url,
        "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN, "twilio_whatsapp_number": WHATSAPP_NUMBER,
        "twilio_sms_number": SMS_NUMBER, "twilio_api_base_url": twilio.url, "twilio_messages_per_second": 200.0,
        "public_base_url": PUBLIC_BASE_URL, "whatsapp_templates_file": str(tmp_path / "templates.json"),
        "media_dir": str(tmp_path / "media"),
    })
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    return app


def close_app(app) -> None:
    for channel in app.extensions["safer_homes.deliverer"].channels.values():
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


def _ward_panel(engine, *, days: float, title: str) -> int:
    with new_session(engine) as session:
        event = events.create_event(session, title=title, starts_at=utcnow() + timedelta(days=days), now=utcnow(),
                                    ward_slug="weavers")
        event.kind = "ward_panel"
        session.commit()
        return event.id


def _worker_pass(app) -> dict:
    deliverer = app.extensions["safer_homes.deliverer"]
    return run_due_work(app.extensions["safer_homes.engine"], app.extensions["safer_homes.settings"],
                        deliverer.channels, now=utcnow(), deliverer=deliverer)


def _closed(engine, reference: str, at) -> None:
    """Staff closed the report at `at` (weeks ago: the page closes it now, and the question waits two weeks)."""
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        session.add(ReportUpdate(report_id=report.id, status="closed", action="status", created_at=at,
                                 reason="Noise abatement notice served"))
        set_status(session, report=report, status="closed", now=at)
        session.commit()


def later_worker_pass(app, *, days: float) -> dict:
    """The worker `days` from now, without delivering: its purges delete what is past its time (the draft)."""
    return run_due_work(app.extensions["safer_homes.engine"], app.extensions["safer_homes.settings"],
                        app.extensions["safer_homes.deliverer"].channels, now=utcnow() + timedelta(days=days))


def _reference(text: str) -> str:
    found = REFERENCE.search(text)
    assert found, text
    return found.group(0)


def run_journey(app, telegram: FakeTelegramAPI, twilio: FakeTwilio) -> Markers:
    """Everything in the module docstring, in the order a week of use might bring it."""
    from tests import media_samples

    engine = app.extensions["safer_homes.engine"]
    client = app.test_client()
    markers = Markers(session_id=secrets.token_hex(18), draft_session_id=secrets.token_hex(18))  # as chat.html makes them
    first_panel = _ward_panel(engine, days=5, title="Weavers ward panel (spring)")
    next_panel = _ward_panel(engine, days=20, title="Weavers ward panel (summer)")

    # Telegram: a named report, with a shared location and a typed name.
    person = TelegramPerson(client, telegram)
    person.says("Hello")
    for key in ("lang:en", "menu:report", "danger:no", "cat:harassment"):
        person.taps(key)
    person.shares_location(TELEGRAM_LATITUDE, TELEGRAM_LONGITUDE)
    person.taps("when:today")
    person.sends_photo(media_samples.jpeg_with_metadata(), TELEGRAM_TEXT)
    person.taps("privacy:named")
    person.says(TYPED_NAME)
    person.taps("done")
    markers.references["telegram"] = _reference(person.taps("confirm:yes"))

    # WhatsApp: a private report, then a place at the first ward panel.
    whatsapp = TwilioPerson(client, twilio, WHATSAPP_PHONE, "whatsapp")
    whatsapp.send("Hello")
    whatsapp.choose("English")
    whatsapp.choose("Report a safety concern")
    whatsapp.choose("No")
    whatsapp.choose("Drug dealing")
    whatsapp.send(WHATSAPP_PLACE)
    whatsapp.choose("Earlier today")
    whatsapp.send(WHATSAPP_TEXT)
    whatsapp.choose("Private")
    whatsapp.choose("Done")
    markers.references["whatsapp"] = _reference(whatsapp.choose("Yes, send it"))
    whatsapp.send(f"RSVP {first_panel}")
    whatsapp.choose("Yes")
    whatsapp.choose("Nothing needed")

    # SMS: a private report.
    sms = TwilioPerson(client, twilio, SMS_PHONE, "sms")
    sms.send("Hello")
    sms.choose("English")
    sms.choose("Report a safety concern")
    sms.choose("No")
    sms.choose("Noise")
    sms.send(SMS_PLACE)
    sms.choose("It is happening now")
    sms.send(SMS_TEXT)
    sms.choose("Private")
    sms.choose("Done")
    markers.references["sms"] = _reference(sms.choose("Yes, send it"))

    # The web chat: an anonymous report, and a topic for the next ward panel.
    web = WebChatPerson(client, markers.session_id)
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:asb"), dict(text=WEB_PLACE), dict(choice="when:earlier"), dict(text=WEB_TEXT),
                    dict(choice="privacy:anonymous"), dict(choice="done")]:
        web.send(**message)
    markers.references["webchat"] = _reference(web.send(choice="confirm:yes"))
    web.send(f"RSVP {next_panel}")
    web.send(choice="agenda")
    web.send(choice="topic:unsafe_place")
    web.send(WEB_TOPIC)
    web.send(choice="skip" if "skip" in web.keys else "done")
    # Someone else in the web chat is part way through a named report: their draft waits for them.
    drafting = WebChatPerson(client, markers.draft_session_id)
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:noise"), dict(text=WEB_DRAFT_PLACE), dict(choice="when:now"),
                    dict(text=WEB_DRAFT_TEXT), dict(choice="privacy:named"), dict(text=DRAFT_TYPED_NAME)]:
        drafting.send(**message)
    assert "agency:council" in drafting.keys, "the draft waits at 'who may see it', its name typed"

    # Open311: a partner system's POST with the person's details, which are never kept.
    with new_session(engine) as session:
        _row, key = api_keys.create_api_key(session, name="Partner CRM", now=utcnow())
        session.commit()
    posted = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "unsafe_place", "description": OPEN311_TEXT, "address_string": OPEN311_PLACE,
        "lat": "51.5201", "long": "-0.0702", **OPEN311_PERSONAL})
    assert posted.status_code == 200, posted.get_data(as_text=True)
    markers.references["open311"] = _reference(posted.get_json()[0]["service_notice"])

    # The staff pages: an officer of the council reads the named report (its name is shown) and replies.
    with new_session(engine) as session:
        staff.add_staff(session, email=OFFICER, role="officer", agency_slug="council", password=STAFF_PASSWORD,
                        now=utcnow())
        session.commit()
    officer = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', officer.get("/staff/login").get_data(as_text=True)).group(1)
    signed_in = officer.post("/staff/login", data={"email": OFFICER, "password": STAFF_PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    page = officer.get(f"/staff/reports/{markers.references['telegram']}")
    assert page.status_code == 200 and TYPED_NAME in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    replied = officer.post(f"/staff/reports/{markers.references['telegram']}",
                           data={"csrf_token": token, "status": "in_progress", "message": STAFF_REPLY})
    assert replied.status_code == 303, replied.get_data(as_text=True)

    # Two weeks on: the SMS report was closed, the first panel met; the worker asks and delivers.
    _closed(engine, markers.references["sms"], utcnow() - timedelta(days=14, minutes=5))
    with new_session(engine) as session:
        event = session.get(Event, first_panel)
        event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
        session.commit()
    counts = _worker_pass(app)
    assert counts["feedback_asked"] == 1 and counts["sorted_asked"] == 1, counts
    assert telegram.messages_to(TELEGRAM_CHAT_ID)[-1].plain, "the officer's reply (or its notice) reached Telegram"

    # Each answers what they were sent. Notices about a report are neutral on a lock screen ("there is an
    # update"): the resident asks to see it.
    if "update" in person.api.messages_to(TELEGRAM_CHAT_ID)[-1].plain and STAFF_REPLY not in person.api.messages_to(
            TELEGRAM_CHAT_ID)[-1].plain:
        assert STAFF_REPLY in person.says("1")
    whatsapp.choose("4")
    whatsapp.send(FEEDBACK_COMMENT)
    whatsapp.send(NEXT_MEETING_TOPIC)
    if sms.offers("See the update"):
        sms.choose("See the update")
    sms.choose("No, it was not sorted")
    sms.send(SORTED_COMMENT)
    whatsapp.delivery_reports()
    sms.delivery_reports()
    _worker_pass(app)
    return markers
