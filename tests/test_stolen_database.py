"""A stolen database: after residents have used every channel (tests/privacy_journey.py, with a named report
and someone part way through another), the database is read as a thief would read it, without SECRET_KEY.
On SQLite and PostgreSQL.

The thief reads every row of every table as the ORM sees it; every row as PostgreSQL prints it (`row::text`,
JSON included) and what pg_dump writes; on SQLite the database and write-ahead-log files byte for byte, free
pages and old versions of rows included. No phone number in any format, no Telegram chat id, no web chat session
id, no typed name and no display name may be there in clear; the sealed values must not open without the key,
and the lookup hashes must not be plain hashes a thief could compute from a guessed number.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import MetaData, make_url, select, text

from storage.crypto import Sealer, keyed_hash
from storage.database import make_engine, new_session
from storage.models import Contact, Conversation, ReportLink
from tests import privacy_journey as journey
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import WebChat, dump_every_table


@pytest.fixture
def fakes():
    with FakeTelegramAPI(journey.BOT_TOKEN) as telegram, FakeTwilio(journey.ACCOUNT_SID, journey.AUTH_TOKEN) as twilio:
        yield telegram, twilio


@pytest.fixture
def stolen(database_url, tmp_path, fakes):
    """The journey run on this database, then everything a thief can read of it, as text."""
    telegram, twilio = fakes
    app = journey.build_app(database_url, telegram, twilio, tmp_path)
    try:
        markers = journey.run_journey(app, telegram, twilio)
    finally:
        journey.close_app(app)
    return markers, _everything_readable(database_url)


def _everything_readable(database_url: str) -> dict[str, str]:
    """Each way of reading the database -> what it shows, as one text."""
    readings = {"every table through SQLAlchemy": repr(dump_every_table(database_url))}
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database)
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                # Bytes as Latin-1: one character per byte, so UTF-8 text shows as its bytes would.
                readings[f"the file {path.name}, byte for byte"] = path.read_bytes().decode("latin-1")
        return readings
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        rows = [value for table in metadata.tables
                for value in connection.execute(text(f'SELECT t::text FROM "{table}" t')).scalars()]
    engine.dispose()
    readings["every row as PostgreSQL prints it"] = "\n".join(rows)
    pg_dump = shutil.which("pg_dump")
    if pg_dump:  # Debian's postgresql-client; the SQL reading above covers the same rows without it
        schema = re.search(r"search_path=(\w+)", url.query.get("options", "")).group(1)
        plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        dumped = subprocess.run([pg_dump, "--data-only", f"--schema={schema}", plain], capture_output=True, text=True,
                                timeout=120)
        assert dumped.returncode == 0, dumped.stderr
        readings["pg_dump"] = dumped.stdout
    return readings


def _as_whole_number(number: str) -> re.Pattern:
    return re.compile(rf"(?<![0-9]){re.escape(number)}(?![0-9])")


def test_no_number_chat_id_session_or_name_is_in_clear_anywhere(stolen, backend):
    markers, readings = stolen
    if backend == "sqlite":
        assert any(name.startswith("the file") for name in readings)
    else:
        assert "every row as PostgreSQL prints it" in readings
    for reading, content in readings.items():
        assert journey.TELEGRAM_TEXT in content, f"{reading} shows the reports' words (so it reads real data)"
        for label, value in markers.personal.items():
            assert value not in content, f"{label} ({value}) is in clear in {reading}"
        # A chat id is a whole number: not as text in any column, not as the 48-bit integer SQLite stores.
        assert not _as_whole_number(str(journey.TELEGRAM_CHAT_ID)).search(content), reading
        if "byte for byte" in reading:
            as_integer = journey.TELEGRAM_CHAT_ID.to_bytes(6, "big").decode("latin-1")
            assert as_integer not in content, f"the chat id as an integer in {reading}"


def test_sealed_values_do_not_open_without_the_key(stolen, database_url):
    markers, _readings = stolen
    engine = make_engine(database_url)
    with new_session(engine) as session:
        addresses = session.execute(select(Contact.channel, Contact.address_sealed)
                                    .where(Contact.address_sealed.is_not(None))).all()
        names = session.execute(select(ReportLink.reporter_name_sealed)
                                .where(ReportLink.reporter_name_sealed.is_not(None))).scalars().all()
        states = session.execute(select(Conversation.state)).scalars().all()
    engine.dispose()
    draft_names = [state["draft"]["name"]["sealed"] for state in states
                   if isinstance(state.get("draft", {}).get("name"), dict)]
    sealed = [value for _channel, value in addresses] + list(names) + draft_names
    assert {channel for channel, _value in addresses} == {"telegram", "whatsapp", "sms"}
    assert len(names) == 1 and len(draft_names) == 1

    # With the key they open to what was sent (so what is tested below is the real thing) ...
    with_key = Sealer(TEST_SECRET_KEY)
    opened = {with_key.open(value) for value in sealed}
    assert opened == {str(journey.TELEGRAM_CHAT_ID), f"whatsapp:{journey.WHATSAPP_PHONE}", journey.SMS_PHONE,
                      journey.TYPED_NAME, journey.DRAFT_TYPED_NAME} or opened == {
        str(journey.TELEGRAM_CHAT_ID), journey.WHATSAPP_PHONE, journey.SMS_PHONE, journey.TYPED_NAME,
        journey.DRAFT_TYPED_NAME}
    # ... and without it they do not: not with a guessed key, not with anything else kept in the database, and
    # their bytes (Fernet: AES with an authentication tag) hold no trace of the value.
    everything = dump_every_table(database_url)
    guesses = ["", "secret", "changeme", "test-secret-key", TEST_SECRET_KEY[:-1]] + [
        value for rows in everything.values() for row in rows for value in row
        if isinstance(value, str) and 8 <= len(value) <= 128][:200]
    for guess in guesses:
        sealer = Sealer(guess)
        for value in sealed:
            with pytest.raises(InvalidToken):
                sealer.open(value)
    for value in sealed:
        raw = base64.urlsafe_b64decode(value.encode())
        for plain in opened:
            assert plain.encode() not in raw and plain.lstrip("+").encode() not in raw


def test_the_lookup_hashes_are_keyed_so_a_guessed_number_does_not_find_its_row(stolen, database_url):
    markers, readings = stolen
    engine = make_engine(database_url)
    with new_session(engine) as session:
        hashes: dict[str, set[str]] = {}
        for channel, value in session.execute(select(Contact.channel, Contact.address_hash)):
            hashes.setdefault(channel, set()).add(value)
    engine.dispose()
    addresses = {"telegram": str(journey.TELEGRAM_CHAT_ID), "whatsapp": journey.WHATSAPP_PHONE, "sms": journey.SMS_PHONE,
                 "webchat": markers.session_id}
    # The rows are found with the key (the sanity check: these are the hashes the service looks up) ...
    for channel, address in addresses.items():
        forms = {address, f"whatsapp:{address}"} if channel == "whatsapp" else {address}
        assert hashes[channel] & {keyed_hash(TEST_SECRET_KEY, channel, form) for form in forms}
        assert not hashes[channel] & {keyed_hash("a-guessed-key-0000000000000000000000", channel, form)
                                      for form in forms}
    # ... and a thief who hashes every way of writing the number, without the key, finds nothing.
    everything = "\n".join(readings.values())
    for channel, address in addresses.items():
        candidates = {address, f"{channel}:{address}", f"whatsapp:{address}"}
        if address.startswith("+44"):
            candidates |= set(journey.phone_forms(address)) | {f"{channel}:{form}" for form in journey.phone_forms(address)}
        for candidate in candidates:
            for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.sha512):
                hexed = digest(candidate.encode()).hexdigest()
                assert hexed not in everything and hexed.upper() not in everything, (channel, candidate, digest)
            assert base64.b64encode(hashlib.sha256(candidate.encode()).digest()).decode() not in everything


# --- the name typed for a named report, while the report is a draft ---------------------------------------------

NAMED_UP_TO_THE_NAME = [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"),
                        dict(choice="danger:no"), dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"),
                        dict(text="Loud music every night"), dict(choice="privacy:named")]


def _conversation_state(database_url: str) -> dict:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        [state] = session.execute(select(Conversation.state)).scalars().all()
    engine.dispose()
    return state


def test_a_named_drafts_typed_name_is_sealed_and_the_report_still_gets_it(client, database_url):
    chat = WebChat(client)
    for message in NAMED_UP_TO_THE_NAME:
        chat.send(**message)
    chat.send("Hodan Ali Warsame")
    stored = _conversation_state(database_url)
    assert "Hodan Ali Warsame" not in json.dumps(stored, ensure_ascii=False)
    assert Sealer(TEST_SECRET_KEY).open(stored["draft"]["name"]["sealed"]) == "Hodan Ali Warsame"
    # A subject access request gives the resident their draft as they wrote it, the name opened.
    from bot import subject_access

    settings = client.application.extensions["safer_homes.settings"]
    with new_session(client.application.extensions["safer_homes.engine"]) as session:
        answer = subject_access.access(session, settings, channel="webchat", address=chat.session_id)
    assert answer["conversation"]["state"]["draft"]["name"] == "Hodan Ali Warsame"
    # The flow still reads it in clear at the next steps: the report is sent with it, sealed.
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    engine = make_engine(database_url)
    with new_session(engine) as session:
        [link] = session.execute(select(ReportLink)).scalars().all()
    engine.dispose()
    assert Sealer(TEST_SECRET_KEY).open(link.reporter_name_sealed) == "Hodan Ali Warsame"
    assert "Hodan Ali Warsame" not in repr(dump_every_table(database_url))


def test_a_draft_name_sealed_under_a_key_no_longer_configured_drops_the_draft_not_the_conversation(database_url):
    from tests.conftest import built_app

    old = next(built_app(database_url))
    chat = WebChat(old.test_client())
    for message in NAMED_UP_TO_THE_NAME:
        chat.send(**message)
    chat.send("Hodan Ali Warsame")
    old.extensions["safer_homes.engine"].dispose()

    from bot.conversations import forget_reference_data
    from webhook import create_app

    # The key changes and the contact is moved to the new key's hash (as `safer-homes keys rotate` moves it),
    # then the old key is dropped: the draft's sealed name no longer opens.
    new_key = "a-new-key-with-the-old-one-dropped-0123456789"
    engine = make_engine(database_url)
    with new_session(engine) as session:
        contact = session.execute(select(Contact)).scalar_one()
        contact.address_hash = keyed_hash(new_key, "webchat", chat.session_id)
        session.commit()
    engine.dispose()
    forget_reference_data()
    new = create_app({"database_url": database_url, "secret_key": new_key, "TESTING": True})
    try:
        chat.client = new.test_client()
        chat.send(choice="done")  # the next step of the draft, which can no longer be read
    finally:
        new.extensions["safer_homes.engine"].dispose()
    assert "menu:report" in chat.keys, chat.text
    stored = _conversation_state(database_url)
    assert "draft" not in stored and stored.get("lang") == "en"
    assert "Hodan Ali Warsame" not in repr(dump_every_table(database_url))
