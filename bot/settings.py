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
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    # The bot's @username without the @: posters link to https://t.me/<it>?start=event_<id>.
    telegram_bot_username: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_whatsapp_number: str = ""  # E.164 without the whatsapp: prefix
    twilio_sms_number: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    # Messages per second per Twilio sender number (a long code sends about 1/s; WhatsApp allows more).
    twilio_messages_per_second: float = 1.0
    # Message kind and language -> approved WhatsApp template Content SID (a JSON file, see docs/deploy.md).
    whatsapp_templates_file: str = "var/whatsapp-templates.json"
    # Shared rate-limit counters for several workers (Redis); in-process counters otherwise.
    rate_limit_storage_url: str = "memory://"
    delivery_max_attempts: int = 8
    # How long a claimed message stays with the worker that claimed it before another may take it over.
    delivery_lease_seconds: int = 60
    delivery_threads: int = 8
    media_dir: str = "var/media"
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
            telegram_bot_token=environ.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", ""),
            telegram_api_base_url=(environ.get("TELEGRAM_API_BASE_URL") or cls.telegram_api_base_url).rstrip("/"),
            telegram_bot_username=environ.get("TELEGRAM_BOT_USERNAME", "").strip().removeprefix("@"),
            twilio_account_sid=environ.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=environ.get("TWILIO_AUTH_TOKEN", ""),
            twilio_whatsapp_number=environ.get("TWILIO_WHATSAPP_NUMBER", "").removeprefix("whatsapp:"),
            twilio_sms_number=environ.get("TWILIO_SMS_NUMBER", ""),
            twilio_api_base_url=(environ.get("TWILIO_API_BASE_URL") or cls.twilio_api_base_url).rstrip("/"),
            twilio_messages_per_second=float(environ.get("TWILIO_MESSAGES_PER_SECOND", "1")),
            whatsapp_templates_file=environ.get("WHATSAPP_TEMPLATES_FILE", cls.whatsapp_templates_file),
            rate_limit_storage_url=environ.get("RATE_LIMIT_STORAGE_URL", "memory://"),
            delivery_max_attempts=int(environ.get("DELIVERY_MAX_ATTEMPTS", "8")),
            delivery_lease_seconds=int(environ.get("DELIVERY_LEASE_SECONDS", "60")),
            delivery_threads=int(environ.get("DELIVERY_THREADS", "8")),
            media_dir=environ.get("MEDIA_DIR", cls.media_dir),
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
