"""Never lose a report, end to end, on SQLite and PostgreSQL: a report made over the web chat, Telegram,
WhatsApp or SMS, whose place and description hold anything a resident may type (markup, RTL and zero-width
marks, NUL, emoji, SQL, format strings), is saved with exactly those words (less any NUL, which no
database can keep), answered with its reference, and shown back in the summary as the resident typed it:
never as markup. Nothing the resident typed, and not their number or chat id, reaches a log line."""
from __future__ import annotations

import re
import secrets
from itertools import count

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import sms
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from flows.bidi import without_direction_controls
from flows.report import CATEGORIES, PRIVACY, WHEN
from storage.database import new_session
from storage.models import Report
from tests.fakes.telegram_api import next_update_id
from tests.fakes.twilio_api import new_sid
from tests.properties import strategies as S
from tests.properties.test_webhooks import (ACCOUNT_SID, SMS_NUMBER, TELEGRAM_SECRET, WHATSAPP_NUMBER, _raw, _sign,
                                            new_marker, service)  # noqa: F401 (service is a fixture)

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
# Typed words start with a word, so they are an answer to the question and never a number, label or command.
words = st.builds(lambda text: f"Near {text}", S.hostile_text)
EACH_CHANNEL = settings(max_examples=12, deadline=None,
                        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_numbers = count(1)


def as_gsm7(text: str) -> str:
    return text.translate(str.maketrans(sms._SWAPS))  # the swaps an SMS makes when they keep it all GSM-7


class WebChatResident:
    def __init__(self, service):
        self.service, self.session = service, f"journey-{secrets.token_hex(12)}"
        self.keys: list[str] = []

    def say(self, text: str) -> str:
        # No browser sends a NUL from the chat's text box; the API refuses one (tests/properties/test_webhooks.py).
        return self._post({"session": self.session, "text": text.replace("\x00", "")})

    def choose(self, key: str, label: str) -> str:
        assert key in self.keys, (key, self.keys)
        return self._post({"session": self.session, "choice": key})

    def _post(self, body: dict) -> str:
        response = self.service.client.post("/chat/api/messages", data=_raw(body), content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)
        replies = response.get_json()["replies"]
        self.keys = [choice["key"] for choice in replies[-1]["choices"]]
        return "\n".join(reply["text"] for reply in replies)


class TelegramResident:
    def __init__(self, service):
        self.service, self.chat_id = service, 6_000_000_000 + next(_numbers)
        self.user = {"id": self.chat_id, "is_bot": False, "first_name": "Rokeya"}
        self.chat = {"id": self.chat_id, "type": "private", "first_name": "Rokeya"}

    def say(self, text: str) -> str:
        return self._post({"update_id": next_update_id(), "message": {
            "message_id": 1, "date": 1767225600, "chat": self.chat, "from": self.user, "text": text}})

    def choose(self, key: str, label: str) -> str:
        last = self.service.telegram.messages_to(self.chat_id)[-1]
        assert key in last.callback_data, (key, last.callback_data)
        return self._post({"update_id": next_update_id(), "callback_query": {
            "id": secrets.token_hex(8), "chat_instance": "1", "data": key, "from": self.user,
            "message": {"message_id": last.message_id, "date": 1767225600, "chat": self.chat, "text": "…"}}})

    def _post(self, update: dict) -> str:
        before = len(self.service.telegram.messages_to(self.chat_id))
        response = self.service.client.post(WEBHOOK_PATH, data=_raw(update),
                                            headers={SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"})
        assert response.status_code == 200
        answers = self.service.telegram.messages_to(self.chat_id)[before:]
        assert answers, "no answer reached the Bot API (refused as HTML, or never sent)"
        return "\n".join(answer.plain for answer in answers)


class PhoneResident:
    def __init__(self, service, *, whatsapp: bool):
        self.service, self.whatsapp = service, whatsapp
        self.phone = f"+4477009{next(_numbers):05d}"
        self.last = ""

    def say(self, text: str) -> str:
        fields = {"MessageSid": new_sid("SM"), "AccountSid": ACCOUNT_SID,
                  "From": f"whatsapp:{self.phone}" if self.whatsapp else self.phone,
                  "To": f"whatsapp:{WHATSAPP_NUMBER}" if self.whatsapp else SMS_NUMBER, "Body": text, "NumMedia": "0"}
        before = len(self.service.twilio.messages_to(self.phone))
        response = self.service.client.post("/webhooks/twilio", data=fields,
                                            headers={"X-Twilio-Signature": _sign("/webhooks/twilio", fields)})
        assert response.status_code == 200
        self.last = "\n\n".join(message.body for message in self.service.twilio.messages_to(self.phone)[before:])
        assert self.last, "no answer reached the Twilio API"
        return self.last

    def choose(self, key: str, label: str) -> str:
        """Type the number printed in front of the label, as an SMS resident does."""
        for line in self.last.splitlines():
            number, dot, rest = line.partition(". ")
            if dot and rest.strip().lstrip("☑☐ ").strip() == label:
                return self.say(number)
        raise AssertionError(f"no numbered choice {label!r} in:\n{self.last}")


RESIDENTS = {"webchat": WebChatResident, "telegram": TelegramResident,
             "whatsapp": lambda service: PhoneResident(service, whatsapp=True),
             "sms": lambda service: PhoneResident(service, whatsapp=False)}


def _report_over(service, channel: str, place: str, description: str, privacy: str) -> None:
    resident = RESIDENTS[channel](service)
    marker = new_marker()
    place, description = f"{place} {marker}", f"{description} {marker}"
    resident.say("hello")
    resident.choose("lang:en", "English")
    resident.choose("menu:report", "Report a safety concern")
    resident.choose("danger:no", "No")
    resident.choose("cat:noise", CATEGORIES["cat:noise"])
    resident.say(place)
    resident.choose("when:now", WHEN["when:now"])
    resident.say(description)
    resident.choose(privacy, PRIVACY[privacy])
    if privacy == "privacy:named":
        resident.say("Name Rokeya")
    summary = resident.choose("done", "Done")
    # NUL bytes and invisible direction marks carry no words and are not kept (flows/bidi.py).
    kept_place, kept_description = (without_direction_controls(text.replace("\x00", "")).strip()
                                    for text in (place, description))
    # The summary shows what they typed as text, whatever it holds (Telegram's reader sees `plain`); a text
    # message may carry typographic spaces and quotes as their plain look-alikes, to stay in GSM-7 (bot/sms.py).
    for kept in (kept_description, kept_place):
        assert kept in summary or (isinstance(resident, PhoneResident) and as_gsm7(kept) in summary), summary
    acknowledgement = resident.choose("confirm:yes", "Yes, send it")
    reference = REFERENCE.search(acknowledgement).group(0)
    with new_session(service.app.extensions["safer_homes.engine"]) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        assert report.description == kept_description and report.location_text == kept_place
        assert (report.channel, report.privacy, report.category) == (channel, privacy.removeprefix("privacy:"), "noise")
    address = getattr(resident, "phone", None) or str(getattr(resident, "chat_id", "")) or resident.session
    service.assert_not_logged(marker, address, address.lstrip("+"))


@EACH_CHANNEL
@given(channel=st.sampled_from(tuple(RESIDENTS)), place=words, description=words,
       privacy=st.sampled_from(("privacy:anonymous", "privacy:private", "privacy:named")))
@example(channel="telegram", place="Near <b>the</b> & </i> <a href='x'>", description="Near \x00<script>&amp;",
         privacy="privacy:private")
@example(channel="webchat", place="Near \u202e<i>", description="Near \x00 {{ 7*7 }} %(reference)s", privacy="privacy:anonymous")
@example(channel="whatsapp", place="Near \u2009 “quoted” – …", description="Near ☑ ok", privacy="privacy:private")
@example(channel="sms", place="Near 07700 900123", description="Near ‏'; DROP TABLE report; --", privacy="privacy:named")
def test_a_report_over_any_channel_is_saved_with_what_the_resident_typed(service, channel, place, description,
                                                                         privacy):
    _report_over(service, channel, place, description, privacy)
