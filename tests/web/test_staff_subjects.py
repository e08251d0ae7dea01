"""Subject access and erasure requests on the admin page (/staff/admin/subjects), with residents who reached
the service through the real Telegram and Twilio webhooks (fake provider APIs), on SQLite and PostgreSQL."""
from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from bot.conversations import forget_reference_data
from flows import i18n
from storage import staff
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import AuditEntry, Contact, Report, ReportLink
from tests.bot.test_telegram_webhook import SECRET, TOKEN, NoWait
from tests.bot.test_telegram_webhook import Resident as TelegramResident
from tests.bot.test_twilio_webhooks import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, REFERENCE, SMS_NUMBER,
                                            WHATSAPP_NUMBER, Resident, choice_number, choose_language,
                                            walk_to_description)
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import dump_every_table
from web.staff_subjects import SUBJECT_LOOKUP_LIMIT

PASSWORD = "a long enough passphrase"
HODAN = "+447700900456"  # WhatsApp, a named report
ROKEYA = "+447700900789"  # SMS, only said hello
AMINA, BILAL = 6200000001, 6200000002  # Telegram, a private report each
PAGE = "/staff/admin/subjects"
_ = i18n.translations("en").gettext


@pytest.fixture
def apis():
    with FakeTelegramAPI(TOKEN) as telegram, FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        yield telegram, twilio


@pytest.fixture
def app(database_url, apis, tmp_path):
    from webhook import create_app

    telegram, twilio = apis
    forget_reference_data()
    app = create_app({
        "database_url": database_url, "secret_key": TEST_SECRET_KEY, "public_base_url": PUBLIC_BASE_URL,
        "telegram_bot_token": TOKEN, "telegram_webhook_secret": SECRET, "telegram_api_base_url": telegram.url,
        "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
        "twilio_whatsapp_number": WHATSAPP_NUMBER, "twilio_sms_number": SMS_NUMBER, "twilio_api_base_url": twilio.url,
        "twilio_messages_per_second": 200.0, "whatsapp_templates_file": str(tmp_path / "templates.json"),
        "media_dir": str(tmp_path / "media"), "TESTING": True,
    })
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    yield app
    for channel in app.extensions["safer_homes.deliverer"].channels.values():
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def _account(app, email: str, role: str, agency: str | None = None) -> int:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        user = staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD,
                               now=__import__("storage.types", fromlist=["utcnow"]).utcnow())
        session.commit()
        return user.id


def _token(client, path: str = "/staff/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _signed_in(app, email: str, role: str = "admin", agency: str | None = None):
    _account(app, email, role, agency)
    client = app.test_client()
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": _token(client)})
    assert response.status_code == 302
    return client


def _telegram_private_report(client, telegram, chat_id: int, words: str) -> str:
    resident = TelegramResident(client, telegram, chat_id, language_code="en")
    resident.says("hello")
    for key in ("lang:en", "menu:report", "danger:no", "cat:noise", "skip", "when:now"):
        resident.taps_button(key)
    resident.says(words)
    resident.taps_button("privacy:private")
    resident.taps_button("done")
    acknowledgement = resident.taps_button("confirm:yes")
    return REFERENCE.search("\n".join(message.plain for message in acknowledgement)).group(0)


def _whatsapp_named_report(client, twilio, words: str, name: str) -> str:
    hodan = Resident(client, twilio, HODAN)
    choose_language(hodan, "en")
    walk_to_description(hodan, "en")
    hodan.send(words)
    hodan.send(choice_number(hodan.last, _("With my name")))
    hodan.send(name)
    hodan.send(choice_number(hodan.last, _("Done")))
    acknowledgement = hodan.send(choice_number(hodan.last, _("Yes, send it")))
    return REFERENCE.search(acknowledgement).group(0)


@pytest.fixture
def residents(client, apis):
    """Four residents: Amina and Bilal on Telegram (a private report each), Hodan on WhatsApp (a named report),
    Rokeya on SMS (hello only)."""
    telegram, twilio = apis
    references = {
        "amina": _telegram_private_report(client, telegram, AMINA, "Amina's marker: loud music at Flat 4"),
        "bilal": _telegram_private_report(client, telegram, BILAL, "Bilal's marker: a broken gate"),
        "hodan": _whatsapp_named_report(client, twilio, "Hodan's marker: the stairwell light", "Hodan Marker"),
    }
    Resident(client, twilio, ROKEYA, channel="sms").send("hello")
    return references


def _look_up(client, **form):
    return client.post(PAGE, data={"csrf_token": _token(client, PAGE), **form})


def _form_fields(page: str, action: str) -> dict:
    """The hidden fields of the form on `page` that posts to `action`, as the browser would send them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', page, re.S).group(1)
    return {name: html.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}


def _audit(app) -> list[AuditEntry]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        entries = list(session.execute(select(AuditEntry).where(AuditEntry.action.like("subject%"))
                                       .order_by(AuditEntry.id)).scalars())
        session.expunge_all()
        return entries


# --- access ------------------------------------------------------------------------------------------------

def test_an_admin_sees_what_is_held_for_one_telegram_address_and_nothing_of_anyone_else(app, residents):
    admin = _signed_in(app, "admin@example.org")
    page = _look_up(admin, channel="telegram", address=f" {AMINA} ")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert residents["amina"] in text and "Amina&#39;s marker: loud music at Flat 4" in text
    assert residents["bilal"] not in text and "Bilal" not in text and residents["hodan"] not in text
    assert "Held for this address:" in text and "<li>1 private or named report</li>" in text
    assert "<li>0 meeting answers</li>" in text
    assert page.headers["Cache-Control"] == "no-store"

    download = admin.post(f"{PAGE}/download", data={"csrf_token": _token(admin, PAGE), "channel": "telegram",
                                                    "address": str(AMINA)})
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == 'attachment; filename="subject-access.json"'
    answer = json.loads(download.get_data(as_text=True))
    assert answer["found"] and answer["contact"]["channel"] == "telegram" and answer["contact"]["language"] == "en"
    assert answer["contact"]["address_kept_for_replies"] is True
    [report] = answer["reports"]
    assert report["reference"] == residents["amina"] and report["privacy"] == "private"
    assert report["your_words"]["what_happened"] == "Amina's marker: loud music at Flat 4"
    assert report["history"][0]["status"] == "received" and report["staff_notes"] == {"count": 0}
    assert "your_name" not in report
    assert answer["conversation"]["state"]["lang"] == "en"
    assert all(message["text"] is None for message in answer["messages"])  # everything was sent: no text kept
    assert "Bilal" not in json.dumps(answer)


def test_a_whatsapp_number_typed_in_uk_form_finds_the_named_reporter_and_their_name(app, residents):
    admin = _signed_in(app, "admin@example.org")
    page = _look_up(admin, channel="whatsapp", address="07700 900456")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and residents["hodan"] in text and "Hodan Marker" in text
    download = admin.post(f"{PAGE}/download", data={"csrf_token": _token(admin, PAGE), "channel": "whatsapp",
                                                    "address": "+44 (0)7700 900456"})
    [report] = json.loads(download.get_data(as_text=True))["reports"]
    assert report["privacy"] == "named" and report["your_name"] == "Hodan Marker"
    assert report["your_words"]["what_happened"] == "Hodan's marker: the stairwell light"
    # The same number on SMS is another contact, with nothing held.
    assert "Nothing is held for that address or reference." in _look_up(
        admin, channel="sms", address=HODAN).get_data(as_text=True)
    sms = json.loads(admin.post(f"{PAGE}/download", data={"csrf_token": _token(admin, PAGE), "channel": "sms",
                                                          "address": ROKEYA}).get_data(as_text=True))
    assert sms["found"] and sms["reports"] == [] and sms["contact"]["channel"] == "sms"


def test_a_reference_shows_that_report_only_and_never_who_sent_it(app, residents):
    admin = _signed_in(app, "admin@example.org")
    page = _look_up(admin, reference=residents["hodan"].lower().replace("-", " "))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and residents["hodan"] in text
    assert "Hodan&#39;s marker: the stairwell light" in text and "Hodan Marker" not in text
    assert "Erase this person" not in text  # a report is not a person: nothing to erase from here
    assert "Nothing is held" in _look_up(admin, reference="TH-0000-0000").get_data(as_text=True)
    refused = _look_up(admin, reference="not a reference")
    assert refused.status_code == 400 and "Type a reference like TH-7K3M-9QXR." in refused.get_data(as_text=True)


def test_an_address_that_cannot_be_one_is_refused_and_nothing_is_looked_up(app, residents):
    admin = _signed_in(app, "admin@example.org")
    for channel, address in (("telegram", "-100123"), ("telegram", "amina"), ("sms", "12345"), ("whatsapp", ""),
                             ("email", HODAN)):
        refused = _look_up(admin, channel=channel, address=address)
        assert refused.status_code == 400, (channel, address)
        assert "Nothing was looked up." in refused.get_data(as_text=True)
    assert _audit(app) == []


def test_every_lookup_is_audited_without_the_address(app, residents):
    admin = _signed_in(app, "admin@example.org")
    _look_up(admin, channel="telegram", address=str(AMINA))
    _look_up(admin, channel="sms", address="07700 900000")
    _look_up(admin, reference=residents["bilal"])
    entries = _audit(app)
    assert [(entry.action, entry.detail.get("found"), entry.staff_user_id is not None) for entry in entries] == [
        ("subject_access", True, True), ("subject_access", False, True), ("subject_access", True, True)]
    assert entries[0].detail == {"channel": "telegram", "found": True, "reports": 1, "download": False,
                                 "by": "admin page"}
    everything = repr([(entry.detail, entry.report_id) for entry in entries])
    for secret in (str(AMINA), "7700900000", "07700 900000", residents["bilal"]):
        assert secret not in everything


# --- erasure -----------------------------------------------------------------------------------------------

def test_erasing_asks_first_then_leaves_no_trace_of_the_person_and_keeps_the_report_anonymous(app, residents,
                                                                                                database_url):
    engine = app.extensions["safer_homes.engine"]
    hodan_hash = keyed_hash(TEST_SECRET_KEY, "whatsapp", HODAN)
    with new_session(engine) as session:
        contact = session.execute(select(Contact).where(Contact.address_hash == hodan_hash)).scalar_one()
        sealed_address = contact.address_sealed
        sealed_name = session.execute(select(ReportLink.reporter_name_sealed)
                                      .where(ReportLink.contact_id == contact.id)).scalar_one()
    admin = _signed_in(app, "admin@example.org")
    # The buttons as the pages render them: the lookup's "Erase this person…", then the confirmation's "Yes".
    found = _look_up(admin, channel="whatsapp", address="07700 900456").get_data(as_text=True)
    asked = admin.post(f"{PAGE}/erase", data=_form_fields(found, f"{PAGE}/erase"))
    assert asked.status_code == 200 and "Yes, delete everything held" in asked.get_data(as_text=True)
    assert hodan_hash in repr(dump_every_table(database_url))  # nothing changed yet

    done = admin.post(f"{PAGE}/erase", data=_form_fields(asked.get_data(as_text=True), f"{PAGE}/erase"))
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Reports made anonymous: 1." in text and HODAN not in text

    everything = repr(dump_every_table(database_url))
    for trace in (hodan_hash, sealed_address, sealed_name, "447700900456", "Hodan Marker"):
        assert trace not in everything
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == residents["hodan"])).scalar_one()
        assert report.privacy == "anonymous" and report.created_at.minute == 0
        assert session.execute(select(Contact).where(Contact.channel == "telegram")).scalars().all() != []
    erased = [entry for entry in _audit(app) if entry.action == "subject_erased"]
    assert [entry.detail for entry in erased] == [{"channel": "whatsapp", "found": True, "reports_made_anonymous": 1,
                                                   "rsvps": 0, "agenda_backings": 0, "agenda_items_unlinked": 0,
                                                   "messages": erased[0].detail["messages"], "by": "admin page"}]
    assert "Nothing is held" in _look_up(admin, channel="whatsapp", address=HODAN).get_data(as_text=True)


# --- who may, and how ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, agency", [("officer", "council"), ("organiser", "council"), ("viewer", "police")])
def test_only_admins_may_look_anyone_up(app, residents, role, agency):
    someone = _signed_in(app, f"{role}@example.org", role, agency)
    token = _token(someone, "/staff/")
    assert someone.get(PAGE).status_code == 403
    for path in (PAGE, f"{PAGE}/download", f"{PAGE}/erase"):
        refused = someone.post(path, data={"csrf_token": token, "channel": "telegram", "address": str(AMINA),
                                           "confirm": "yes"})
        assert refused.status_code == 403 and str(AMINA) not in refused.get_data(as_text=True)
    assert "Subject access and erasure" not in someone.get("/staff/").get_data(as_text=True)
    assert _audit(app) == []
    signed_out = app.test_client()
    assert signed_out.get(PAGE).status_code == 302
    assert signed_out.post(f"{PAGE}/erase", data={"channel": "telegram", "address": str(AMINA)}).status_code == 400


def test_a_form_without_its_token_changes_nothing(app, residents, database_url):
    admin = _signed_in(app, "admin@example.org")
    before = dump_every_table(database_url)
    for path in (PAGE, f"{PAGE}/download", f"{PAGE}/erase"):
        refused = admin.post(path, data={"channel": "telegram", "address": str(AMINA), "confirm": "yes"})
        assert refused.status_code == 400 and "The form had expired" in refused.get_data(as_text=True)
        refused = admin.post(path, data={"csrf_token": "forged", "channel": "telegram", "address": str(AMINA),
                                         "confirm": "yes"})
        assert refused.status_code == 400
    assert dump_every_table(database_url) == before


def test_lookups_are_limited_per_account_so_numbers_cannot_be_tried_one_after_another(app, residents):
    admin = _signed_in(app, "admin@example.org")
    token = _token(admin, PAGE)
    per_hour = int(SUBJECT_LOOKUP_LIMIT.split()[0])
    for n in range(per_hour):
        assert admin.post(PAGE, data={"csrf_token": token, "channel": "sms",
                                      "address": f"+4477009{n:05d}"}).status_code == 200
    refused = admin.post(PAGE, data={"csrf_token": token, "channel": "telegram", "address": str(AMINA)})
    assert refused.status_code == 429 and "Too many lookups" in refused.get_data(as_text=True)
    assert residents["amina"] not in refused.get_data(as_text=True) and "Retry-After" in refused.headers
    assert admin.post(f"{PAGE}/erase", data={"csrf_token": token, "channel": "telegram", "address": str(AMINA),
                                             "confirm": "yes"}).status_code == 429
    actions = [entry.action for entry in _audit(app)]
    assert actions.count("subject_access") == per_hour and actions.count("subject_lookup_rate_limited") == 1
    # Another admin has their own allowance.
    other = _signed_in(app, "second.admin@example.org")
    assert _look_up(other, channel="telegram", address=str(AMINA)).status_code == 200


def test_what_a_resident_wrote_is_shown_as_text_never_as_markup(app, apis):
    telegram, _twilio = apis
    client = app.test_client()
    reference = _telegram_private_report(client, telegram, AMINA, '<script>alert("x")</script><b>bold</b>')
    admin = _signed_in(app, "admin@example.org")
    text = _look_up(admin, channel="telegram", address=str(AMINA)).get_data(as_text=True)
    assert reference in text
    assert "<script>alert" not in text and "<b>bold</b>" not in text
    # The JSON shown keeps the quotes escaped for JSON (\"), then the page escapes every character of markup.
    assert '&lt;script&gt;alert(\\&#34;x\\&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;' in text
