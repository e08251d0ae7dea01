"""The reply path end to end (issue 6, "How we will know"): a resident reports through the real webhooks, an
officer sends a standard reply on the staff pages, the real worker delivers it, and the resident gets it in
their own language at the fake provider API: Somali on WhatsApp (free-form inside the 24-hour window, the
"status_update" template outside it), Bengali on Telegram. What reaches the phone unasked is the neutral
notice, which reveals no report; the reply itself comes when the resident answers it with "1"."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.worker import run_due_work
from flows import i18n
from flows.report_notices import neutral_notice, status_update_notice
from flows.status import STATUS_LABELS
from flows.staff_replies import standard_reply_text
from storage import staff
from storage.database import new_session
from storage.models import Contact, OutboxMessage, Report
from storage.types import utcnow
from tests.bot.test_telegram_webhook import NoWait, Resident as TelegramResident, _close, _telegram_app
from tests.bot.test_twilio_webhooks import (
    ACCOUNT_SID, AUTH_TOKEN, HODAN, PUBLIC_BASE_URL, TEMPLATE_SID, Resident as WhatsAppResident, _build, _dispose,
    choice_number, walk_to_description,
)
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
TOKEN = "123456:reply-path-token"
PASSWORD = "a long enough passphrase"
REPLY = "in_progress.looking"


class Officer:
    """A council officer on the staff pages of the same app (over https where the app's cookies need it)."""

    def __init__(self, app, *, https: bool = False):
        self.client = app.test_client()
        base = PUBLIC_BASE_URL if https else "http://localhost"
        self.options = {"base_url": base, "headers": {"Referer": base + "/staff/"}}
        with new_session(app.extensions["safer_homes.engine"]) as session:
            staff.add_staff(session, email="officer@council.example", role="officer", agency_slug="council",
                            password=PASSWORD, now=utcnow())
            session.commit()
        response = self.client.post("/staff/login", data={"email": "officer@council.example", "password": PASSWORD,
                                                          "csrf_token": self._token("/staff/login")}, **self.options)
        assert response.status_code == 302, response.status_code

    def _token(self, path: str) -> str:
        page = self.client.get(path, **self.options)
        assert page.status_code == 200, page.status_code
        return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)

    def sends_standard_reply(self, reference: str, key: str, status: str) -> None:
        data = {"csrf_token": self._token(f"/staff/reports/{reference}"), "status": status,
                "reason": "Visit booked", "standard_reply": key}
        response = self.client.post(f"/staff/reports/{reference}", data=data, **self.options)
        assert response.status_code == 303, response.get_data(as_text=True)


def _worker_pass(app) -> dict:
    """What `safer-homes worker --once` does now, with the app's own channels and deliverer."""
    deliverer = app.extensions["safer_homes.deliverer"]
    return run_due_work(app.extensions["safer_homes.engine"], app.extensions["safer_homes.settings"],
                        deliverer.channels, now=utcnow(), deliverer=deliverer)


def _status_updates(app) -> list[OutboxMessage]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        rows = list(session.execute(select(OutboxMessage).where(OutboxMessage.kind == "status_update")).scalars())
        session.expunge_all()
        return rows


def _neutral(lang: str) -> str:
    """The neutral notice as a text channel renders it: the sentence, then its one numbered choice."""
    notice = neutral_notice(lang)
    return f"{notice.text}\n\n{i18n.localise_digits('1', lang)}. {notice.choices[0].label}"


def _status_words(lang: str) -> str:
    return i18n.translations(lang).gettext(STATUS_LABELS["in_progress"])


def _expected(lang: str, reference: str) -> str:
    """The notice as the catalogue renders it (the lead's translation pass fills the catalogues)."""
    return status_update_notice(lang, reference=reference, status="in_progress", standard_reply=REPLY)


# --- Somali on WhatsApp ------------------------------------------------------------------------------------

@pytest.fixture
def twilio_app(database_url, tmp_path):
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        app = _build(database_url, fake, tmp_path)
        yield app, fake, tmp_path
        _dispose(app)


def _somali_private_report_over_whatsapp(app, fake) -> tuple[WhatsAppResident, str]:
    _ = i18n.translations("so").gettext
    hodan = WhatsAppResident(app.test_client(), fake, HODAN)
    hodan.send("Waxaan rabaa inaan soo sheego dhibaato")
    hodan.send("1")  # Soomaali, asked first: her first message is in Somali
    walk_to_description(hodan, "so")
    hodan.send("Nalalka jaranjarada ayaa dansan toddobaadyo")
    hodan.send(choice_number(hodan.last, _("Private")))
    hodan.send(choice_number(hodan.last, _("Done")))
    acknowledgement = hodan.send(choice_number(hodan.last, _("Yes, send it")))
    [reference] = set(REFERENCE.findall(acknowledgement))
    return hodan, reference


def test_a_somali_resident_gets_the_standard_reply_in_somali_on_whatsapp(twilio_app):
    app, fake, _tmp = twilio_app
    hodan, reference = _somali_private_report_over_whatsapp(app, fake)
    before = len(fake.messages_to(HODAN))

    Officer(app, https=True).sends_standard_reply(reference, REPLY, "in_progress")
    [queued] = _status_updates(app)
    assert (queued.status, queued.language, queued.channel) == ("pending", "so", "whatsapp")
    assert len(fake.messages_to(HODAN)) == before  # queued with the change; the worker sends it

    assert _worker_pass(app)["sent"] == 1
    [sent] = fake.messages_to(HODAN)[before:]
    # The lock screen shows the neutral notice: nothing of the report, the reply or its status.
    assert sent.body == _neutral("so")
    for revealing in (reference, standard_reply_text(REPLY, "so"), _status_words("so")):
        assert revealing not in sent.body
    assert _worker_pass(app)["sent"] == 0  # nothing goes twice

    shown = hodan.send("1")  # "Reply 1 to see it"
    assert _expected("so", reference) in shown
    assert standard_reply_text(REPLY, "so") in shown and reference in shown
    # Somali words, not the English falling through a missing translation.
    assert standard_reply_text(REPLY, "so") != standard_reply_text(REPLY, "en")


def test_outside_the_window_the_somali_reply_goes_as_the_status_update_template(twilio_app):
    app, fake, tmp_path = twilio_app
    (tmp_path / "templates.json").write_text(json.dumps({"status_update": {"so": TEMPLATE_SID}}))
    hodan, reference = _somali_private_report_over_whatsapp(app, fake)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact = session.execute(select(Contact).where(Contact.channel == "whatsapp")).scalar_one()
        contact.last_inbound_at = utcnow() - timedelta(days=2)  # she last wrote two days ago
        session.commit()
    before = len(fake.messages_to(HODAN))

    Officer(app, https=True).sends_standard_reply(reference, REPLY, "in_progress")
    assert _worker_pass(app)["sent"] == 1
    [sent] = fake.messages_to(HODAN)[before:]
    assert sent.content_sid == TEMPLATE_SID
    # The template's one variable holds the text on one line (bot/channels/twilio.py).
    variable = json.loads(sent.content_variables)["1"]
    assert variable == " ".join(_neutral("so").split())  # the neutral notice, on one line
    assert standard_reply_text(REPLY, "so") not in variable and reference not in variable
    shown = hodan.send("1")  # writing opens the window again: the update itself comes free-form
    assert _expected("so", reference) in shown


# --- Bengali on Telegram -----------------------------------------------------------------------------------

@pytest.fixture
def telegram_app(database_url, tmp_path):
    with FakeTelegramAPI(TOKEN) as api:
        app = _telegram_app(database_url, api, tmp_path / "media", telegram_bot_token=TOKEN)
        app.extensions["safer_homes.deliverer"].pacer = NoWait()
        yield app, api
        _close(app)


def test_a_bengali_resident_gets_the_standard_reply_in_bengali_on_telegram(telegram_app):
    app, api = telegram_app
    resident = TelegramResident(app.test_client(), api, 6234567890, language_code="bn")
    resident.says("হ্যালো")
    for key in ("lang:bn", "menu:report", "danger:no", "cat:noise"):
        resident.taps_button(key)
    resident.says("ব্রিক লেন, ব্লক সি")
    resident.taps_button("when:today")
    resident.says("রাত দুইটা পর্যন্ত খুব জোরে গান বাজছিল")
    resident.taps_button("privacy:private")
    resident.taps_button("done")
    acknowledgement = "\n".join(message.plain for message in resident.taps_button("confirm:yes"))
    reference = REFERENCE.search(acknowledgement).group(0)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        assert (report.channel, report.privacy, report.language) == ("telegram", "private", "bn")
    before = len(api.messages_to(resident.chat_id))

    Officer(app).sends_standard_reply(reference, REPLY, "in_progress")
    assert _worker_pass(app)["sent"] == 1
    [sent] = api.messages_to(resident.chat_id)[before:]
    assert sent.plain == neutral_notice("bn").text and sent.callback_data == ["notice:show"]
    for revealing in (reference, standard_reply_text(REPLY, "bn"), _status_words("bn")):
        assert revealing not in sent.plain
    assert _worker_pass(app)["sent"] == 0

    [shown] = resident.taps_button("notice:show")
    assert _expected("bn", reference) in shown.plain
    assert standard_reply_text(REPLY, "bn") in shown.plain and shown.parse_mode == "HTML"
    assert standard_reply_text(REPLY, "bn") != standard_reply_text(REPLY, "en")
