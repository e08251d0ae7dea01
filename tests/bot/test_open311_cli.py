"""`safer-homes open311 key add|revoke|list`: the key printed once, alone on the last line, and only its hash kept."""
from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from storage import api_keys
from storage.database import new_session
from storage.types import utcnow
from tests.helpers import dump_every_table


def _run(database_url: str, *args: str):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def test_add_prints_the_key_once_and_it_works_until_revoked(database_url, engine):
    added = _run(database_url, "open311", "key", "add", "Council CRM")
    assert added.exit_code == 0, added.output
    key = added.output.strip().splitlines()[-1]
    assert added.output.count(key) == 1 and " " not in key and len(key) >= 43
    assert key not in repr(dump_every_table(database_url))
    with new_session(engine) as session:
        assert api_keys.verify_api_key(session, key=key, now=utcnow()).name == "Council CRM"
        key_id = api_keys.list_api_keys(session)[0].id

    listed = _run(database_url, "open311", "key", "list")
    assert listed.exit_code == 0 and "Council CRM" in listed.output and "live" in listed.output
    assert key not in listed.output

    revoked = _run(database_url, "open311", "key", "revoke", str(key_id))
    assert revoked.exit_code == 0 and "is revoked" in revoked.output
    with new_session(engine) as session:
        assert api_keys.verify_api_key(session, key=key, now=utcnow()) is None
    assert "revoked" in _run(database_url, "open311", "key", "list").output
    again = _run(database_url, "open311", "key", "revoke", str(key_id))
    assert again.exit_code == 0 and "already revoked" in again.output


def test_refusals_change_nothing(database_url):
    before = dump_every_table(database_url)
    unknown = _run(database_url, "open311", "key", "revoke", "4242")
    assert unknown.exit_code == 2 and "4242" in unknown.output
    blank = _run(database_url, "open311", "key", "add", "   ")
    assert blank.exit_code == 2 and "name" in blank.output
    assert dump_every_table(database_url) == before
    assert "no Open311 keys" in _run(database_url, "open311", "key", "list").output
