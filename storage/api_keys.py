"""Open311 API keys for council systems that create reports: made once, kept only as a SHA-256 hash,
refused once revoked.

A key is 32 random bytes (`secrets.token_urlsafe(32)`), so a plain SHA-256 is enough to keep it: there is
nothing to guess that a slow password hash would protect. Looking a key up by its hash also keeps the
check constant-time in the key: what the database compares is a digest the caller cannot steer
byte by byte.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import ApiKey

NAME_MAX_LENGTH = 100
# How stale ApiKey.last_used_at may be: a council system posting many reports a minute writes it once.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyInputError(ValueError):
    """A name that cannot be used, or a key id that does not exist."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, *, name: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key for `name` (whose system it is); returns the row and the key, which is never seen again."""
    name = " ".join(name.split())
    if not name:
        raise ApiKeyInputError("a key needs a name saying whose system uses it")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiKeyInputError(f"a key's name is at most {NAME_MAX_LENGTH} characters")
    key = secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(key), created_at=now)
    session.add(row)
    session.flush()
    return row, key


def verify_api_key(session: Session, *, key: Optional[str], now: datetime) -> Optional[ApiKey]:
    """The live key row for `key`, or None (missing, unknown or revoked). Notes when it was used."""
    if not key:
        return None
    digest = hash_key(key)
    row = session.execute(select(ApiKey).where(ApiKey.key_hash == digest)).scalar_one_or_none()
    # The database found it by equality on the digest; compare again without a timing side channel in
    # case a collation or index ever compares loosely (case, trailing spaces).
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row


def revoke_api_key(session: Session, *, key_id: int, now: datetime) -> tuple[ApiKey, bool]:
    """Revoke the key; returns it and whether this call revoked it (False: it already was)."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise ApiKeyInputError(f"there is no API key with id {key_id}")
    if row.revoked_at is not None:
        return row, False
    row.revoked_at = now
    session.flush()
    return row, True


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, live and revoked, oldest first (hashes included: they are no use to anyone)."""
    return list(session.execute(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)).scalars())
