"""`safer-homes subject access|erase`: residents made through the real webhooks, the command run as an operator
runs it (DATABASE_URL and SECRET_KEY from the environment), on SQLite and PostgreSQL; and how addresses are read."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from hypothesis import given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select

from bot.cli import main
from bot.subject_access import AddressRefused, normalise_address
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import AuditEntry, Report
from tests.conftest import TEST_SECRET_KEY
from tests.helpers import dump_every_table
from tests.web.test_staff_subjects import AMINA, BILAL, HODAN, ROKEYA, apis, app, client, residents  # noqa: F401


def _subject(database_url: str, *args: str, input: str | None = None):
    runner = CliRunner()
    return runner.invoke(main, ["subject", *args], input=input, catch_exceptions=False,
                         env={"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY})


def _audit(app) -> list[AuditEntry]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())
        session.expunge_all()
        return entries


def test_access_prints_everything_held_for_one_address_as_json(app, residents, database_url):
    result = _subject(database_url, "access", "--channel", "telegram", "--address", str(AMINA))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["found"] and [report["reference"] for report in answer["reports"]] == [residents["amina"]]
    assert answer["reports"][0]["your_words"]["what_happened"] == "Amina's marker: loud music at Flat 4"
    assert residents["bilal"] not in result.output and "Bilal" not in result.output
    [entry] = _audit(app)
    assert (entry.action, entry.staff_user_id, entry.detail) == (
        "subject_access", None, {"by": "command line", "channel": "telegram", "found": True, "reports": 1,
                                 "internal_notes": False})

    named = json.loads(_subject(database_url, "access", "--channel", "whatsapp", "--address", "0044 7700 900456").output)
    assert named["reports"][0]["your_name"] == "Hodan Marker"
    by_reference = json.loads(_subject(database_url, "access", "--reference", residents["bilal"]).output)
    assert by_reference["report"]["your_words"]["what_happened"] == "Bilal's marker: a broken gate"
    assert "your_name" not in by_reference["report"] and "contact" not in by_reference
    nothing = json.loads(_subject(database_url, "access", "--channel", "sms", "--address", "07700 900001").output)
    assert nothing["found"] is False and "reports" not in nothing
    assert all(str(AMINA) not in repr(entry.detail) and "900456" not in repr(entry.detail) for entry in _audit(app))


def test_internal_notes_are_counted_and_given_only_when_asked_for(app, residents, database_url):
    engine = app.extensions["safer_homes.engine"]
    from storage.models import ReportUpdate
    from storage.types import utcnow

    with new_session(engine) as session:
        report_id = session.execute(select(Report.id).where(Report.reference == residents["amina"])).scalar_one()
        session.add(ReportUpdate(report_id=report_id, status="in_progress", action="note", created_at=utcnow(),
                                 internal_note="Officer's marker note"))
        session.commit()
    plain = _subject(database_url, "access", "--channel", "telegram", "--address", str(AMINA)).output
    assert "Officer's marker note" not in plain and json.loads(plain)["reports"][0]["staff_notes"] == {"count": 1}
    with_notes = _subject(database_url, "access", "--channel", "telegram", "--address", str(AMINA),
                          "--with-internal-notes").output
    assert json.loads(with_notes)["reports"][0]["staff_notes"]["notes"][0]["note"] == "Officer's marker note"


@pytest.mark.parametrize("args, message", [
    (("access",), "give --channel and --address"),
    (("access", "--channel", "telegram", "--address", "not-a-chat"), "a Telegram chat id is a whole number"),
    (("access", "--channel", "sms", "--address", "12"), "a phone number is in international form"),
    (("access", "--reference", "TH-1", "--channel", "sms"), "not both"),
    (("access", "--reference", "hello"), "a reference looks like TH-XXXX-XXXX"),
    (("erase", "--channel", "whatsapp", "--address", "+1"), "a phone number is in international form"),
])
def test_what_cannot_be_an_address_is_refused_with_what_is_expected(database_url, args, message):
    result = _subject(database_url, *args)
    assert result.exit_code == 2 and message in result.output


def test_erase_asks_first_and_then_leaves_no_trace(app, residents, database_url):
    hodan_hash = keyed_hash(TEST_SECRET_KEY, "whatsapp", HODAN)
    before = dump_every_table(database_url)
    declined = _subject(database_url, "erase", "--channel", "whatsapp", "--address", HODAN, input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert dump_every_table(database_url) == before

    erased = _subject(database_url, "erase", "--channel", "whatsapp", "--address", "07700900456", input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "forgotten: reports_made_anonymous=1" in erased.output and "900456" not in erased.output.split("[y/N]")[-1]
    everything = repr(dump_every_table(database_url))
    assert hodan_hash not in everything and "Hodan Marker" not in everything and "447700900456" not in everything
    with new_session(app.extensions["safer_homes.engine"]) as session:
        assert session.execute(select(Report.privacy).where(Report.reference == residents["hodan"])).scalar_one() \
            == "anonymous"
    [entry] = [entry for entry in _audit(app) if entry.action == "subject_erased"]
    assert entry.detail["channel"] == "whatsapp" and entry.detail["by"] == "command line"
    assert "900456" not in repr(entry.detail)

    again = _subject(database_url, "erase", "--channel", "whatsapp", "--address", HODAN, "--yes")
    assert again.exit_code == 0 and "nothing is held for that whatsapp address" in again.output
    sms = _subject(database_url, "erase", "--channel", "sms", "--address", ROKEYA, "--yes")
    assert sms.exit_code == 0 and "forgotten: reports_made_anonymous=0" in sms.output
    assert keyed_hash(TEST_SECRET_KEY, "sms", ROKEYA) not in repr(dump_every_table(database_url))
    # Telegram residents are untouched.
    assert keyed_hash(TEST_SECRET_KEY, "telegram", str(BILAL)) in repr(dump_every_table(database_url))


# --- reading addresses ----------------------------------------------------------------------------------

@pytest.mark.parametrize("channel, typed, stored", [
    ("sms", "+447700900456", "+447700900456"),
    ("sms", "07700 900456", "+447700900456"),
    ("sms", "07700-900-456", "+447700900456"),
    ("whatsapp", "+44 (0)7700 900456", "+447700900456"),
    ("whatsapp", "whatsapp:+447700900456", "+447700900456"),
    ("whatsapp", "0044 7700 900456", "+447700900456"),
    ("sms", "020 7946 0000", "+442079460000"),
    ("sms", "+252 61 234 5678", "+252612345678"),
    ("telegram", " 6200000001 ", "6200000001"),
])
def test_addresses_are_read_the_way_the_channels_store_them(channel, typed, stored):
    assert normalise_address(channel, typed) == stored


@pytest.mark.parametrize("channel, typed", [
    ("telegram", "-1001234"), ("telegram", "0123"), ("telegram", "12a"), ("telegram", ""),
    ("sms", "12345"), ("sms", "+0447700900456"), ("sms", "07700 9004567890123"), ("whatsapp", "hodan"),
    ("webchat", "anything"), ("email", "someone@example.org"),
])
def test_what_no_channel_uses_is_refused(channel, typed):
    with pytest.raises(AddressRefused):
        normalise_address(channel, typed)


REFUSALS = {"a Telegram chat id is a whole number, such as 123456789",
            "a phone number is in international form (+447700900456) or a UK number (07700 900456)"}


@hypothesis_settings(max_examples=300, deadline=None)
@given(channel=st.sampled_from(["telegram", "whatsapp", "sms"]), typed=st.text(max_size=40))
def test_any_text_is_read_or_refused_never_anything_else(channel, typed):
    try:
        stored = normalise_address(channel, typed)
    except AddressRefused as refused:
        assert str(refused) in REFUSALS  # one of the fixed messages: never an echo of what was typed
        return
    pattern = r"[1-9][0-9]{0,19}" if channel == "telegram" else r"\+[1-9][0-9]{6,14}"
    assert re.fullmatch(pattern, stored)
