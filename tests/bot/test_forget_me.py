""""Forget me" over Telegram, WhatsApp, SMS and the web chat, through the real webhooks and fake provider
APIs, on SQLite and PostgreSQL: the confirmation is delivered exactly once, then nothing of the contact
remains (no hash, sealed address, name or conversation in any table); the report stays, anonymous, staff
see no name, and its reference still answers `status` from a new conversation; a second "forget me" from
the same address starts fresh."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from flows import i18n
from storage import forgetting, staff
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, Conversation, OutboxMessage, Report, ReportLink, StaffUser
from storage.types import utcnow
from tests.bot import test_twilio_webhooks as twilio_tests
from tests.bot.phone_residents import CHANNELS, PHONE, Resident, resident_on
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import dump_every_table

NAME = "Marker Hodan Forgotten"
DESCRIPTION = "marker-forget-91c: loud music from the flat above every night"
DONE = "Done. We have deleted how to reach you"
ASK = "Do you want us to forget you?"
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
OFFICER = "officer@council.example"
PASSWORD = "a long enough passphrase"


def _named_report(resident: Resident) -> str:
    _ = i18n.translations("en").gettext
    resident.say("menu")
    resident.choose("menu:report", _("Report a safety concern"))
    resident.choose("danger:no", _("No"))
    resident.choose("cat:noise", _("Noise"))
    resident.choose("skip", _("Skip"))
    resident.choose("when:now", _("It is happening now"))
    resident.say(DESCRIPTION)
    resident.choose("privacy:named", _("With my name"))
    resident.say(NAME)
    resident.choose("done", _("Done"))
    text = resident.choose("confirm:yes", _("Yes, send it"))
    return REFERENCE.search(text).group(0)


def _forget(resident: Resident) -> str:
    asked = resident.say("forget me")
    assert ASK in asked
    return resident.choose("confirm:yes", "Yes, forget me")


def _nothing_of_them_remains(database_url, *, channel: str, address: str, sealed: str, old_state: str):
    dump = dump_every_table(database_url)
    everything = repr(dump)
    address_hash = keyed_hash(TEST_SECRET_KEY, channel, address)
    for secret in (address_hash, sealed, NAME, address, address.lstrip("+"), old_state):
        assert secret not in everything
    assert dump["contact"] == [] and dump["conversation"] == [] and dump["reportlink"] == []
    assert dump["outboxmessage"] == [] and dump["rsvp"] == []


def _check_after(app, database_url, reference: str) -> None:
    engine = app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        assert report.privacy == "anonymous" and report.description == DESCRIPTION
        assert (report.created_at.minute, report.created_at.second, report.created_at.microsecond) == (0, 0, 0)
        assert session.execute(select(ReportLink)).first() is None
        if not session.execute(select(StaffUser)).first():
            staff.add_staff(session, email=OFFICER, role="officer", agency_slug="council", password=PASSWORD,
                            now=utcnow())
        session.commit()
    # Staff see it as anonymous, with no name.
    client = app.test_client()
    login = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    response = client.post("/staff/login", data={"email": OFFICER, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    page = client.get(f"/staff/reports/{reference}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert NAME not in text and "Name given" not in text
    assert "Anonymous: nobody knows who sent this." in text


def _sealed_and_state(app, channel: str, address: str) -> tuple[str, str]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact = session.execute(select(Contact).where(
            Contact.channel == channel, Contact.address_hash == keyed_hash(TEST_SECRET_KEY, channel, address))).scalar_one()
        state = session.execute(select(Conversation.state).where(Conversation.contact_id == contact.id)).scalar_one()
        return contact.address_sealed or contact.address_hash, repr(state)


def _journey(app, database_url, resident: Resident, *, channel: str, address: str, sending: bool):
    resident.start_in_english()
    reference = _named_report(resident)
    sealed, state = _sealed_and_state(app, channel, address)

    done = _forget(resident)
    assert DONE in done
    if sending:
        # Delivered exactly once, even after the worker has looked at the outbox too.
        app.extensions["safer_homes.deliverer"].deliver_due()
        assert sum(DONE in message for message in resident.received()) == 1
    _nothing_of_them_remains(database_url, channel=channel, address=address, sealed=sealed, old_state=state)
    _check_after(app, database_url, reference)

    # A new conversation from the same address: the reference still answers.
    answer = resident.say(f"status {reference}")
    assert reference in answer and "received, waiting to be looked at" in answer

    # A second "forget me" starts fresh: asked again, forgotten again, nothing left.
    assert DONE in _forget(resident)
    if sending:
        app.extensions["safer_homes.deliverer"].deliver_due()
        assert sum(DONE in message for message in resident.received()) == 2
    dump = dump_every_table(database_url)
    assert dump["contact"] == [] and dump["conversation"] == [] and dump["outboxmessage"] == []


# --- the four channels ------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_forget_me_on_every_channel(database_url, tmp_path, channel):
    with resident_on(channel, database_url, tmp_path) as (app, resident):
        _journey(app, database_url, resident, channel=channel, address=resident.address, sending=resident.sends)


# --- the confirmation's short-lived contact ---------------------------------------------------------

@pytest.fixture
def twilio_api():
    with FakeTwilio(twilio_tests.ACCOUNT_SID, twilio_tests.AUTH_TOKEN) as fake:
        yield fake


def test_a_confirmation_that_cannot_go_now_is_retried_and_its_contact_goes_when_it_has(database_url, twilio_api,
                                                                                          tmp_path):
    app = twilio_tests._build(database_url, twilio_api, tmp_path)
    try:
        resident = twilio_tests.Resident(app.test_client(), twilio_api, PHONE, channel="sms")
        resident.send("Hello")
        resident.send(twilio_tests.choice_number(resident.last, "English"))
        resident.send("forget me")
        twilio_api.fail_next(1, status=500)  # the first try fails: the outbox keeps it
        resident.send("1")
        assert not any(DONE in body for body in resident.received)
        dump = dump_every_table(database_url)
        # Only what a first message makes: the hashed and sealed address, and the message waiting to go.
        [shell] = dump["contact"]
        assert dump["conversation"] == [] and len(dump["outboxmessage"]) == 1
        with new_session(app.extensions["safer_homes.engine"]) as session:
            message = session.execute(select(OutboxMessage)).scalar_one()
            assert message.kind == forgetting.FORGOTTEN_CONFIRMATION and message.status == "pending"
            assert session.get(Contact, message.contact_id).language is None
        twilio_tests.deliverer_at(app, timedelta(minutes=5)).deliver_due()
        assert sum(DONE in message.body for message in twilio_api.messages_to(PHONE)) == 1
        dump = dump_every_table(database_url)
        assert dump["contact"] == [] and dump["outboxmessage"] == []
    finally:
        twilio_tests._dispose(app)
