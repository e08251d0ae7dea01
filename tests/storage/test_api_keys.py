"""Open311 API keys: shown once, kept only as a hash, refused once revoked, last use noted once a minute."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import api_keys
from storage.database import new_session
from storage.models import ApiKey
from tests.helpers import dump_every_table

NOW = datetime(2026, 3, 2, 10, 15, 30, tzinfo=timezone.utc)


def test_a_new_key_is_returned_once_and_only_its_hash_is_kept(engine, database_url):
    with new_session(engine) as session:
        row, key = api_keys.create_api_key(session, name="  Council   CRM ", now=NOW)
        session.commit()
    assert len(key) >= 43  # 32 random bytes, base64url
    assert row.name == "Council CRM"
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr(dump_every_table(database_url))
    with new_session(engine) as session:
        other, other_key = api_keys.create_api_key(session, name="Housing system", now=NOW)
        session.commit()
    assert other_key != key and other.key_hash != row.key_hash


def test_verify_accepts_the_key_refuses_anything_else_and_notes_use_at_most_once_a_minute(engine):
    with new_session(engine) as session:
        row, key = api_keys.create_api_key(session, name="Council CRM", now=NOW)
        session.commit()
    with new_session(engine) as session:
        assert api_keys.verify_api_key(session, key=key[:-1] + ("A" if key[-1] != "A" else "B"), now=NOW) is None
        assert api_keys.verify_api_key(session, key="", now=NOW) is None
        assert api_keys.verify_api_key(session, key=None, now=NOW) is None
        assert api_keys.verify_api_key(session, key=row.key_hash, now=NOW) is None  # the hash is not the key
        assert api_keys.verify_api_key(session, key=key, now=NOW).id == row.id
        session.commit()
    with new_session(engine) as session:
        assert api_keys.verify_api_key(session, key=key, now=NOW + timedelta(seconds=59)) is not None
        session.commit()
        assert session.get(ApiKey, row.id).last_used_at == NOW
    with new_session(engine) as session:
        assert api_keys.verify_api_key(session, key=key, now=NOW + timedelta(minutes=1)) is not None
        session.commit()
        assert session.get(ApiKey, row.id).last_used_at == NOW + timedelta(minutes=1)


def test_a_revoked_key_is_refused_and_revoking_twice_changes_nothing(engine):
    with new_session(engine) as session:
        row, key = api_keys.create_api_key(session, name="Council CRM", now=NOW)
        session.commit()
    with new_session(engine) as session:
        revoked, changed = api_keys.revoke_api_key(session, key_id=row.id, now=NOW + timedelta(hours=1))
        session.commit()
        assert changed and revoked.revoked_at == NOW + timedelta(hours=1)
    with new_session(engine) as session:
        assert api_keys.verify_api_key(session, key=key, now=NOW + timedelta(hours=2)) is None
        again, changed = api_keys.revoke_api_key(session, key_id=row.id, now=NOW + timedelta(hours=3))
        assert not changed and again.revoked_at == NOW + timedelta(hours=1)
        with pytest.raises(api_keys.ApiKeyInputError):
            api_keys.revoke_api_key(session, key_id=row.id + 100, now=NOW)


def test_names_are_checked_and_the_list_holds_every_key_oldest_first(engine):
    with new_session(engine) as session:
        for bad in ("", "   ", "x" * 101):
            with pytest.raises(api_keys.ApiKeyInputError):
                api_keys.create_api_key(session, name=bad, now=NOW)
        assert session.execute(select(ApiKey)).first() is None
        api_keys.create_api_key(session, name="Second", now=NOW + timedelta(days=1))
        api_keys.create_api_key(session, name="First", now=NOW)
        session.commit()
        assert [row.name for row in api_keys.list_api_keys(session)] == ["First", "Second"]
