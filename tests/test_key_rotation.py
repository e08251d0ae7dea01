"""Rotating SECRET_KEY (docs/operations.md, "Rotating the key"), on SQLite and PostgreSQL: residents who wrote
under the old key over Telegram, WhatsApp, SMS and the web chat, through the real webhooks and API on the
fake Telegram and Twilio servers, are still found, reached and named after the change, through
SECRET_KEY_PREVIOUS and `safer-homes keys rotate`, and once the old key is gone; without the old key
nothing sealed under it opens (so these tests can fail)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import flows
from bot import cli
from bot.conversations import converse, forget_reference_data
from bot.settings import Settings
from flows.report import CATEGORIES, PRIVACY, WHEN
from storage import key_rotation
from storage.crypto import KeyRing, Sealer, keyed_hash
from storage.database import make_engine, new_session
from storage.models import Contact, OutboxMessage, Report, ReportLink
from storage.types import utcnow
from tests.bot.test_telegram_webhook import NoWait, Resident as TelegramResident
from tests.bot.test_twilio_webhooks import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, SMS_NUMBER, WHATSAPP_NUMBER,
                                            Resident as TwilioResident, choice_number, choose_language)
from tests.concurrency import run_together
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import WebChat, dump_every_table
from tests.web.test_staff_actions import _page_token, _post
from tests.web.test_staff_pages import _account, _login

OLD = "old-secret-key-for-the-rotation-test-0123456789"
NEW = "new-secret-key-for-the-rotation-test-9876543210"
TOKEN = "123:ABC"
TELEGRAM_SECRET = "s3cret"
CHAT_ID = 4242424242
HODAN = "+447700900456"   # WhatsApp
ROKEYA = "+447700900789"  # SMS
NAME = "Rahima Khatun"
OFFICER = "officer@council.example"
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def fakes():
    with FakeTelegramAPI(TOKEN) as telegram, FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        yield telegram, twilio


class Service:
    """The real app with every channel configured, on the fake servers, under one SECRET_KEY."""

    def __init__(self, database_url: str, fakes, tmp_path: Path, secret_key: str, previous: tuple[str, ...] = ()):
        from webhook import create_app

        telegram, twilio = fakes
        forget_reference_data()
        self.app = create_app({
            "database_url": database_url, "secret_key": secret_key, "previous_secret_keys": previous,
            "telegram_bot_token": TOKEN, "telegram_webhook_secret": TELEGRAM_SECRET,
            "telegram_api_base_url": telegram.url, "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
            "twilio_whatsapp_number": WHATSAPP_NUMBER, "twilio_sms_number": SMS_NUMBER,
            "twilio_api_base_url": twilio.url, "public_base_url": PUBLIC_BASE_URL,
            "twilio_messages_per_second": 200.0, "whatsapp_templates_file": str(tmp_path / "templates.json"),
            "media_dir": str(tmp_path / "media"), "TESTING": True,
        })
        self.app.extensions["safer_homes.deliverer"].pacer = NoWait()
        self.client = self.app.test_client()

    def close(self) -> None:
        for channel in self.app.extensions["safer_homes.deliverer"].channels.values():
            channel.close()
        self.app.extensions["safer_homes.engine"].dispose()

    def deliver(self):
        return self.app.extensions["safer_homes.deliverer"].deliver_due()


@pytest.fixture
def services(database_url, fakes, tmp_path):
    """Start the service under a key: services(NEW, previous=(OLD,)); each is closed after the test."""
    started = []

    def start(secret_key: str, previous: tuple[str, ...] = ()) -> Service:
        service = Service(database_url, fakes, tmp_path, secret_key, previous)
        started.append(service)
        return service

    yield start
    for service in started:
        service.close()


def keys_command(command: str, database_url: str, secret_key: str, previous: tuple[str, ...] = (), *args):
    """`safer-homes keys ...` as an operator runs it: its own process, settings from the environment."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key,
           "SECRET_KEY_PREVIOUS": ",".join(previous)}
    return subprocess.run([sys.executable, "-m", "bot.cli", "keys", command, *args], env=env, capture_output=True,
                          text=True, timeout=120)


def counts_line(output: str, kind: str) -> tuple[int, int, int]:
    """(under SECRET_KEY, under a previous key, under no configured key) from `keys check`'s table."""
    match = re.search(rf"^{kind}\s+(\d+)\s+(\d+)\s+(\d+)$", output, re.MULTILINE)
    assert match, output
    return tuple(int(number) for number in match.groups())


# --- residents writing through the real webhooks and API ---------------------------------------------------

def telegram_named_report(resident: TelegramResident) -> str:
    resident.says("hello")
    if resident.last.callback_data[:1] == ["lang:en"]:  # someone new: English, asked first, confirmed with a tap
        resident.taps_button("lang:en")
    for key in ("menu:report", "danger:no", "cat:noise", "skip", "when:now"):
        resident.taps_button(key)
    resident.says("Music through the wall until 3am")
    resident.taps_button("privacy:named")
    resident.says(NAME)
    resident.taps_button("done")
    acknowledgement = resident.taps_button("confirm:yes")
    return REFERENCE.search("\n".join(message.plain for message in acknowledgement)).group(0)


def twilio_private_report(resident: TwilioResident, words: str) -> str:
    choose_language(resident, "en")
    for label in ("Report a safety concern", "No", CATEGORIES["cat:noise"], "Skip", WHEN["when:now"]):
        resident.send(choice_number(resident.last, label))
    resident.send(words)
    resident.send(choice_number(resident.last, PRIVACY["privacy:private"]))
    resident.send(choice_number(resident.last, "Done"))
    return REFERENCE.search(resident.send(choice_number(resident.last, "Yes, send it"))).group(0)


def webchat_private_report(chat: WebChat) -> str:
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"),
                    dict(text="Loud parties in the flat above"), dict(choice="privacy:private"), dict(choice="done"),
                    dict(choice="confirm:yes")]:
        chat.send(**message)
    return REFERENCE.search(chat.text).group(0)


def webchat_updates(chat: WebChat, ack=()) -> list[dict]:
    response = chat.client.post("/chat/api/updates", json={"session": chat.session_id, "ack": list(ack)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["messages"]


def staff_update(service: Service, reference: str, status: str, standard_reply: str) -> None:
    """An officer of the council changes the report's status with a standard reply (queued for the resident)."""
    response = _post(service.client, {"status": status, "reason": "Visit booked", "standard_reply": standard_reply},
                     reference=reference, token=_page_token(service.client, reference))
    assert response.status_code == 303, response.status_code


def sign_in(service: Service) -> None:
    assert _login(service.client, OFFICER).status_code == 302


def staff_page(service: Service, reference: str) -> str:
    response = service.client.get(f"/staff/reports/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def contact_rows(database_url: str) -> list[tuple[int, str, str]]:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = [(contact.id, contact.channel, contact.address_hash)
                for contact in session.execute(select(Contact).order_by(Contact.id)).scalars()]
    engine.dispose()
    return rows


def sealed_values(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        values = list(session.execute(select(Contact.address_sealed).where(Contact.address_sealed.is_not(None))).scalars())
        values += list(session.execute(
            select(ReportLink.reporter_name_sealed).where(ReportLink.reporter_name_sealed.is_not(None))).scalars())
    engine.dispose()
    return values


class Seeded:
    """Four residents who wrote under the old key, one on each channel, each with a report."""

    def __init__(self, service: Service, fakes):
        telegram, twilio = fakes
        self.telegram = TelegramResident(service.client, telegram, CHAT_ID, language_code="en")
        self.whatsapp = TwilioResident(service.client, twilio, HODAN, channel="whatsapp")
        self.sms = TwilioResident(service.client, twilio, ROKEYA, channel="sms")
        self.web = WebChat(service.client)
        self.named = telegram_named_report(self.telegram)
        # Different words: identical reports are merged into one (storage/reports.py).
        self.private_whatsapp = twilio_private_report(self.whatsapp, "Shouting on the landing every night")
        self.private_sms = twilio_private_report(self.sms, "A dog barking in the yard since Monday")
        self.private_web = webchat_private_report(self.web)
        self.references = (self.named, self.private_whatsapp, self.private_sms, self.private_web)

    def use(self, service: Service) -> None:
        for resident in (self.telegram, self.whatsapp, self.sms, self.web):
            resident.client = service.client


def sent_to(fakes) -> dict[str, int]:
    """How many messages each seeded resident has had from the service so far, and everyone else together."""
    telegram, twilio = fakes
    counts = {"telegram": len(telegram.messages_to(CHAT_ID)), "whatsapp": len(twilio.messages_to(HODAN)),
              "sms": len(twilio.messages_to(ROKEYA))}
    counts["others"] = len(telegram.messages) + len(twilio.messages) - sum(counts.values())
    return counts


def each_report_gets_a_staff_update(service: Service, seeded: Seeded, fakes, status: str, standard_reply: str) -> None:
    """Staff update every report; delivery reaches exactly the right chat and numbers, and the web chat's page."""
    before = sent_to(fakes)
    for reference in seeded.references:
        staff_update(service, reference, status, standard_reply)
    counts = service.deliver()
    assert (counts.sent, counts.failed, counts.retried) == (3, 0, 0)
    after = sent_to(fakes)
    assert {channel: after[channel] - before[channel] for channel in after} == {
        "telegram": 1, "whatsapp": 1, "sms": 1, "others": 0}
    messages = webchat_updates(seeded.web)
    assert len(messages) == 1
    webchat_updates(seeded.web, ack=[messages[0]["id"]])


def everyone_writes_again(service: Service, seeded: Seeded, fakes, database_url: str) -> None:
    """Each resident writes again: the same contact answers (no new row), on the same chat and numbers."""
    contacts_before = contact_rows(database_url)
    before = sent_to(fakes)
    seeded.telegram.says("menu")
    seeded.whatsapp.send("menu")
    seeded.sms.send("menu")
    seeded.web.send("menu")
    assert seeded.web.keys[0] == "menu:report"
    after = sent_to(fakes)
    assert after["telegram"] > before["telegram"] and after["whatsapp"] > before["whatsapp"]
    assert after["sms"] > before["sms"] and after["others"] == before["others"]
    assert [row[:2] for row in contact_rows(database_url)] == [row[:2] for row in contacts_before]


def under(database_url: str, secret_key: str) -> set[str]:
    """Which seeded residents' contacts are found under `secret_key`'s hash."""
    hashes = {keyed_hash(secret_key, "telegram", str(CHAT_ID)): "telegram",
              keyed_hash(secret_key, "whatsapp", HODAN): "whatsapp",
              keyed_hash(secret_key, "sms", ROKEYA): "sms"}
    return {hashes[address_hash] for _id, _channel, address_hash in contact_rows(database_url) if address_hash in hashes}


# --- the rotation, start to end ---------------------------------------------------------------------------

def test_after_a_rotation_every_resident_is_found_reached_and_named_and_the_old_key_can_go(
        database_url, fakes, services, monkeypatch):
    old = services(OLD)
    seeded = Seeded(old, fakes)
    _account(old.app, OFFICER, "officer", "council")
    sign_in(old)
    assert NAME in staff_page(old, seeded.named)
    assert under(database_url, OLD) == {"telegram", "whatsapp", "sms"}
    web_contact = [row for row in contact_rows(database_url) if row[1] == "webchat"]
    assert len(web_contact) == 1 and web_contact[0][2] == keyed_hash(OLD, "webchat", seeded.web.session_id)

    # The operator changes SECRET_KEY and keeps the old one in SECRET_KEY_PREVIOUS.
    both = services(NEW, previous=(OLD,))
    seeded.use(both)
    checked = keys_command("check", database_url, NEW, (OLD,))
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert counts_line(checked.stdout, "contact addresses") == (0, 3, 0)
    assert counts_line(checked.stdout, "contact hashes") == (0, 3, 0)
    assert counts_line(checked.stdout, "reporter names") == (0, 1, 0)
    assert "contacts with no address kept (the web chat's, and those whose address retention cleared): 1" in (
        checked.stdout)

    # Before `keys rotate`: the Telegram resident writes and is the same contact, moved to the new hash; the
    # web chat page looks for messages and its contact moves too (it keeps no address to re-hash from).
    contacts_before = contact_rows(database_url)
    sent_before = sent_to(fakes)
    seeded.telegram.says("menu")
    assert sent_to(fakes)["telegram"] == sent_before["telegram"] + 1
    assert webchat_updates(seeded.web) == []
    after_lookups = contact_rows(database_url)
    assert [row[:2] for row in after_lookups] == [row[:2] for row in contacts_before]
    assert under(database_url, NEW) == {"telegram"} and under(database_url, OLD) == {"whatsapp", "sms"}
    assert keyed_hash(NEW, "webchat", seeded.web.session_id) in {row[2] for row in after_lookups}

    # `keys rotate` crashes in its second batch of contacts, after changing that batch's rows: the first
    # batch is kept, the second rolled back, and everything still opens with the two keys.
    real_rotate_contacts = key_rotation.rotate_contacts

    def crash_in_the_second_batch(session, *, keys, after_id, limit):
        result = real_rotate_contacts(session, keys=keys, after_id=after_id, limit=limit)
        if after_id > 0 and result[0] is not None:
            changed = session.get(Contact, result[0])
            assert changed.address_hash == keyed_hash(NEW, "sms", ROKEYA), "the batch changed its row before the crash"
            raise RuntimeError("the machine lost power")
        return result

    monkeypatch.setattr(key_rotation, "rotate_contacts", crash_in_the_second_batch)
    crashed = CliRunner().invoke(cli.main, ["keys", "rotate", "--batch-size", "2"],
                                 env={"DATABASE_URL": database_url, "SECRET_KEY": NEW, "SECRET_KEY_PREVIOUS": OLD})
    assert isinstance(crashed.exception, RuntimeError)
    monkeypatch.setattr(key_rotation, "rotate_contacts", real_rotate_contacts)
    assert under(database_url, NEW) == {"telegram", "whatsapp"} and under(database_url, OLD) == {"sms"}
    ring = KeyRing(NEW, (OLD,))
    assert all(ring.sealer.open_with_key_index(value) is not None for value in sealed_values(database_url))
    half_way = keys_command("check", database_url, NEW, (OLD,))
    assert half_way.returncode == 3
    assert counts_line(half_way.stdout, "contact addresses") == (2, 1, 0)
    assert counts_line(half_way.stdout, "reporter names") == (0, 1, 0)

    # Run again: it finishes, and what was done is left as it was.
    done = {row for row in contact_rows(database_url) if row[1] != "sms"}
    rotated = keys_command("rotate", database_url, NEW, (OLD,), "--batch-size", "2")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "moved to SECRET_KEY now: contact addresses 1, contact hashes 1, reporter names 1" in rotated.stdout
    assert done <= set(contact_rows(database_url))
    again = keys_command("rotate", database_url, NEW, (OLD,))
    assert again.returncode == 0 and "contact addresses 0, contact hashes 0, reporter names 0" in again.stdout
    checked = keys_command("check", database_url, NEW, (OLD,))
    assert checked.returncode == 0, checked.stdout
    for kind, total in (("contact addresses", 3), ("contact hashes", 3), ("reporter names", 1)):
        assert counts_line(checked.stdout, kind) == (total, 0, 0)
    assert under(database_url, NEW) == {"telegram", "whatsapp", "sms"} and under(database_url, OLD) == set()
    # The commands print counts, never a value.
    printed = "".join(result.stdout + result.stderr for result in (checked, rotated, again, half_way))
    for value in (str(CHAT_ID), HODAN, ROKEYA, NAME, seeded.web.session_id, OLD, NEW, *sealed_values(database_url),
                  *(row[2] for row in contact_rows(database_url))):
        assert value not in printed

    # Still with both keys: the name shows to the officer, and every update reaches the right resident.
    sign_in(both)
    assert NAME in staff_page(both, seeded.named)
    each_report_gets_a_staff_update(both, seeded, fakes, "in_progress", "in_progress.looking")

    # The old key is dropped: everything still works, and nobody becomes a new contact.
    new_only = services(NEW)
    seeded.use(new_only)
    sign_in(new_only)
    assert NAME in staff_page(new_only, seeded.named)
    each_report_gets_a_staff_update(new_only, seeded, fakes, "action_taken", "action_taken.visit")
    everyone_writes_again(new_only, seeded, fakes, database_url)
    assert keys_command("check", database_url, NEW).returncode == 0
    # Nothing in any table is in clear, under either key.
    everything = repr(dump_every_table(database_url))
    for value in (str(CHAT_ID), HODAN, ROKEYA, NAME, seeded.web.session_id):
        assert value not in everything


def test_without_the_previous_key_nothing_sealed_or_hashed_under_the_old_key_opens(
        database_url, fakes, services):
    """What SECRET_KEY_PREVIOUS is for: with only the new key the named reporter's name does not open, the
    Telegram resident's queued update cannot be sent (retried, not lost), and writing again makes a new
    contact; given the old key again, the update goes to the right chat."""
    old = services(OLD)
    telegram, _twilio = fakes
    resident = TelegramResident(old.client, telegram, CHAT_ID, language_code="en")
    named = telegram_named_report(resident)
    _account(old.app, OFFICER, "officer", "council")

    new_only = services(NEW)
    resident.client = new_only.client
    sign_in(new_only)
    page = staff_page(new_only, named)
    assert NAME not in page
    staff_update(new_only, named, "in_progress", "in_progress.looking")
    before = len(telegram.messages_to(CHAT_ID))
    counts = new_only.deliver()
    assert (counts.sent, counts.retried) == (0, 1)
    assert len(telegram.messages_to(CHAT_ID)) == before
    checked = keys_command("check", database_url, NEW)
    assert checked.returncode == 4, checked.stdout
    assert counts_line(checked.stdout, "contact addresses") == (0, 0, 1)
    assert counts_line(checked.stdout, "reporter names") == (0, 0, 1)
    assert "values open with no configured key" in checked.stdout
    rotated = keys_command("rotate", database_url, NEW)
    assert rotated.returncode == 4  # nothing it cannot open is touched
    contacts_before = len(contact_rows(database_url))
    resident.says("menu")
    assert len(contact_rows(database_url)) == contacts_before + 1  # not recognised: a new contact

    # The operator adds the old key back: the waiting update goes out to the right chat on its retry.
    both = services(NEW, previous=(OLD,))
    engine = both.app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        waiting = session.execute(select(OutboxMessage).where(OutboxMessage.kind != "reply",
                                                               OutboxMessage.status == "pending")).scalar_one()
        waiting.next_attempt_at = utcnow()
        session.commit()
    before = len(telegram.messages_to(CHAT_ID))
    assert both.deliver().sent == 1
    assert len(telegram.messages_to(CHAT_ID)) == before + 1
    sign_in(both)
    assert NAME in staff_page(both, named)


def test_a_contact_made_again_by_a_process_still_on_the_old_key_is_superseded_not_left_under_it(
        database_url, fakes, services):
    """A web process restarted late, still on the old key, makes a second contact for a resident the new
    process had already moved. `keys rotate` gives that row a hash no lookup makes, so nothing stays under
    the old key; the resident is found as the first contact, and the second still reaches them."""
    telegram, _twilio = fakes
    resident = TelegramResident(services(OLD).client, telegram, CHAT_ID, language_code="en")
    resident.says("hello")
    resident.client = services(NEW, previous=(OLD,)).client
    resident.says("menu")
    late = services(OLD)
    resident.client = late.client
    telegram_named_report(resident)  # the late process makes a second contact, and the report is linked to it
    rows = contact_rows(database_url)
    assert len(rows) == 2
    first, second = rows[0][0], rows[1][0]

    rotated = keys_command("rotate", database_url, NEW, (OLD,))
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "1 of those contact hashes were superseded" in rotated.stdout
    ring = KeyRing(NEW)
    assert {row[0]: row[2] for row in contact_rows(database_url)} == {
        first: ring.address_hash("telegram", str(CHAT_ID)),
        second: ring.superseded_hash("telegram", str(CHAT_ID), second)}
    assert keys_command("check", database_url, NEW).returncode == 0

    new_only = services(NEW)
    resident.client = new_only.client
    resident.says("menu")
    assert len(contact_rows(database_url)) == 2
    engine = new_only.app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        report_id = session.execute(select(ReportLink.report_id).where(ReportLink.contact_id == second)).scalar_one()
        reference = session.get(Report, report_id).reference
    _account(new_only.app, OFFICER, "officer", "council")
    sign_in(new_only)
    assert NAME in staff_page(new_only, reference)
    staff_update(new_only, reference, "in_progress", "in_progress.looking")
    before = len(telegram.messages_to(CHAT_ID))
    assert new_only.deliver().sent == 1
    assert len(telegram.messages_to(CHAT_ID)) == before + 1


def test_two_first_messages_after_a_rotation_leave_one_contact(database_url, fakes, services):
    """A double tap right after the change: both turns look for the contact under the new hash, miss it,
    and find it under the old one; one moves it, the other waits and then finds it moved. One contact,
    both messages answered, no error."""
    old = services(OLD)
    chat = WebChat(old.client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    both = services(NEW, previous=(OLD,))
    engine, settings = both.app.extensions["safer_homes.engine"], both.app.extensions["safer_homes.settings"]
    answers, errors = [], []
    barrier = threading.Barrier(2)

    def turn():
        try:
            barrier.wait()
            answers.append(converse(engine, settings, channel="webchat", address=chat.session_id,
                                    inbound=flows.Inbound(text="menu"), now=utcnow()))
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    threads = run_together(turn, turn)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == [] and len(answers) == 2 and all(answer.replies for answer in answers)
    rows = contact_rows(database_url)
    assert [(channel, address_hash) for _id, channel, address_hash in rows] == [
        ("webchat", keyed_hash(NEW, "webchat", chat.session_id))]


def test_changing_secret_key_signs_staff_out(database_url, fakes, services):
    """SECRET_KEY also signs the staff session cookie; the old key is not accepted for it, since a leaked
    key would let anyone make one (docs/operations.md)."""
    old = services(OLD)
    _account(old.app, OFFICER, "officer", "council")
    sign_in(old)
    assert old.client.get("/staff/reports").status_code == 200
    cookie = old.client.get_cookie("session")
    both = services(NEW, previous=(OLD,))
    both.client.set_cookie("session", cookie.value, domain=cookie.domain)
    response = both.client.get("/staff/reports")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


# --- the settings and the key ring ------------------------------------------------------------------------

@pytest.mark.parametrize("previous, problem", [
    (NEW, "is the same as SECRET_KEY"),
    ("too-short-to-be-a-key", "shorter than 32 characters"),
    (f"{OLD},{NEW}", "entry 2 is the same as SECRET_KEY"),
])
def test_a_previous_key_equal_to_the_key_or_too_short_stops_start_up_naming_the_variable(previous, problem):
    with pytest.raises(ValueError) as refused:
        Settings.from_env({"SECRET_KEY": NEW, "SECRET_KEY_PREVIOUS": previous})
    message = str(refused.value)
    assert message.startswith("SECRET_KEY_PREVIOUS is not valid") and problem in message
    assert NEW not in message and OLD not in message and "too-short" not in message


def test_the_command_names_a_bad_previous_key_and_changes_nothing(database_url):
    result = keys_command("rotate", database_url, NEW, ("short",))
    assert result.returncode == 1 and "SECRET_KEY_PREVIOUS is not valid" in result.stderr


def test_previous_keys_are_read_in_order_and_the_settings_give_one_key_ring():
    settings = Settings.from_env({"SECRET_KEY": NEW, "SECRET_KEY_PREVIOUS": f" {OLD} , {'p' * 40},,{OLD}"})
    assert settings.previous_secret_keys == (OLD, "p" * 40)
    assert Settings.from_env({"SECRET_KEY": NEW}).previous_secret_keys == ()
    ring = settings.key_ring
    assert ring is settings.with_overrides(database_url="sqlite://").key_ring  # built once per process
    assert ring.address_hash("sms", ROKEYA) == keyed_hash(NEW, "sms", ROKEYA)
    assert ring.previous_address_hashes("sms", ROKEYA) == (keyed_hash(OLD, "sms", ROKEYA),
                                                           keyed_hash("p" * 40, "sms", ROKEYA))
    assert ring.superseded_hash("sms", ROKEYA, 7) not in (ring.address_hash("sms", ROKEYA),
                                                         ring.superseded_hash("sms", ROKEYA, 8))
    under_old, under_other = Sealer(OLD).seal(NAME), Sealer("p" * 40).seal(NAME)
    assert ring.sealer.open_with_key_index(ring.sealer.seal(NAME)) == (0, NAME)
    assert ring.sealer.open_with_key_index(under_old) == (1, NAME)
    assert ring.sealer.open_with_key_index(under_other) == (2, NAME)
    assert ring.sealer.open_with_key_index(Sealer("q" * 40).seal(NAME)) is None
    assert ring.sealer.open_with_key_index("not a token") is None
    assert Sealer(NEW).open_with_key_index(ring.sealer.reseal(under_old)) == (0, NAME)
