"""Configuration: one typed object read from the environment (design.md lists every variable)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from storage.database import DEFAULT_DATABASE_URL

SECRET_KEY_FILE = Path("var/secret-key")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:5000"
    # After this long without a message, a resident part way through is asked to carry on or restart.
    conversation_idle_after: timedelta = timedelta(minutes=30)
    # Unfinished drafts are deleted after this long (docs/privacy.md).
    draft_retention: timedelta = timedelta(days=7)
    max_text_length: int = 2000
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ=None) -> "Settings":
        environ = os.environ if environ is None else environ
        return cls(
            database_url=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=environ.get("SECRET_KEY") or _kept_secret_key(),
            public_base_url=(environ.get("PUBLIC_BASE_URL") or cls.public_base_url).rstrip("/"),
            conversation_idle_after=timedelta(minutes=int(environ.get("CONVERSATION_IDLE_MINUTES", "30"))),
            draft_retention=timedelta(days=int(environ.get("DRAFT_RETENTION_DAYS", "7"))),
        )

    def with_overrides(self, **overrides) -> "Settings":
        return replace(self, **overrides)


def _kept_secret_key() -> str:
    """A generated key kept under var/, so a local install keeps its hashes and sealed values."""
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    SECRET_KEY_FILE.touch(mode=0o600)
    SECRET_KEY_FILE.write_text(key)
    return key
