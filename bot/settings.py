"""Configuration: one typed object read from the environment (design.md lists every variable)."""
from __future__ import annotations

import math
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Optional

from bot.flood import DEFAULT_PER_ADDRESS, DEFAULT_PER_CONTACT, parse_flood_limits
from storage.crypto import KeyRing, key_ring
from storage.database import DEFAULT_DATABASE_URL

SECRET_KEY_FILE = Path("var/secret-key")


DEFAULT_REMINDER_OFFSETS = "2d,2h"
_OFFSET = re.compile(r"^([1-9][0-9]{0,3})([dhm])$")


@dataclass(frozen=True)
class ReminderOffset:
    """How long before an event a reminder goes. Days keep the London wall-clock time (two days before
    18:00 BST is 18:00 GMT across the October change: "the same time two days before"); hours and
    minutes are exact durations (two hours before is always 120 minutes before)."""

    amount: int
    unit: str  # "d" | "h" | "m"

    @property
    def minutes(self) -> int:
        """The offset's key in ReminderRun.offset_minutes (a day counts 1,440 even across a clock change)."""
        return self.amount * {"d": 1440, "h": 60, "m": 1}[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def parse_reminder_offsets(value: str) -> tuple[ReminderOffset, ...]:
    """ "2d,2h" -> two offsets, longest first. Anything else stops start-up with a message naming the
    variable: a typo must not silently mean "no reminders"."""
    offsets = []
    for item in value.split(","):
        match = _OFFSET.match(item.strip().lower())
        if not match:
            raise ValueError(
                f"REMINDER_OFFSETS={value!r} is not valid: use a comma-separated list of amounts before "
                f"the event such as 2d,2h or 1d,90m (d days, h hours, m minutes; 1 to 9999 each)"
            )
        offsets.append(ReminderOffset(int(match.group(1)), match.group(2)))
    minutes = [offset.minutes for offset in offsets]
    if len(set(minutes)) != len(minutes):
        raise ValueError(f"REMINDER_OFFSETS={value!r} is not valid: the same offset is listed twice")
    return tuple(sorted(offsets, key=lambda offset: -offset.minutes))


DEFAULT_SORTED_AFTER = "14d"


def parse_sorted_after(value: str) -> timedelta:
    """SORTED_AFTER: how long after a report closes its resident is asked "was this sorted?" — one amount
    as in REMINDER_OFFSETS (14d, 36h, 90m). Anything else stops start-up with a message naming the
    variable: a typo must not silently mean "never ask"."""
    match = _OFFSET.match(value.strip().lower())
    if not match:
        raise ValueError(
            f"SORTED_AFTER={value!r} is not valid: use one amount after the report closes, such as 14d or 36h "
            f"(d days, h hours, m minutes; 1 to 9999)"
        )
    return timedelta(minutes=ReminderOffset(int(match.group(1)), match.group(2)).minutes)


TRANSLATORS = ("none", "libre", "google")


def parse_translator(environ) -> tuple[str, str, str]:
    """TRANSLATOR and where it lives: (name, LibreTranslate URL, API key). A typo must not silently mean
    "none" (staff would see no translations) nor send residents' words somewhere unexpected: it stops start-up."""
    name = (environ.get("TRANSLATOR") or "none").strip().lower()
    if name not in TRANSLATORS:
        raise ValueError(
            f"TRANSLATOR={environ.get('TRANSLATOR')!r} is not valid: use none (nothing leaves the server), libre "
            f"(a LibreTranslate server at LIBRETRANSLATE_URL) or google (Google Translate, a third-party processor)"
        )
    url = (environ.get("LIBRETRANSLATE_URL") or "").strip().rstrip("/")
    if name == "libre" and not url.startswith(("http://", "https://")):
        raise ValueError(
            f"LIBRETRANSLATE_URL={environ.get('LIBRETRANSLATE_URL')!r} is not valid: TRANSLATOR=libre needs the "
            f"address of your LibreTranslate server, such as http://127.0.0.1:5001"
        )
    return name, url, (environ.get("LIBRETRANSLATE_API_KEY") or "").strip()


MIN_SECRET_KEY_LENGTH = 32


def parse_previous_secret_keys(value: str) -> tuple[str, ...]:
    """SECRET_KEY_PREVIOUS: the keys SECRET_KEY had before, newest first, comma-separated (empty: none).
    Kept only while `safer-homes keys rotate` moves what they sealed and hashed to the current key."""
    keys: list[str] = []
    for item in (value or "").split(","):
        item = item.strip()
        if item and item not in keys:
            keys.append(item)
    return tuple(keys)


def check_previous_secret_keys(previous: tuple[str, ...], secret_key: str) -> None:
    """A previous key equal to SECRET_KEY means the change was not made; a short one is not a key we
    generated (or a value cut short). Either stops start-up, naming the variable and never the value."""
    for position, key in enumerate(previous, 1):
        if key == secret_key:
            raise ValueError(f"SECRET_KEY_PREVIOUS is not valid: entry {position} is the same as SECRET_KEY (put the "
                             f"new key in SECRET_KEY and the old one in SECRET_KEY_PREVIOUS)")
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"SECRET_KEY_PREVIOUS is not valid: entry {position} is shorter than "
                             f"{MIN_SECRET_KEY_LENGTH} characters (use the complete old SECRET_KEY; entries are "
                             f"separated by commas)")


# Settings are read in ASCII digits only: str.isdigit also says yes to "²" and "①", which int() refuses with
# a message that names no setting (tests/properties/test_parsers.py).
# A hundred years: longer is no retention period, and a billion days is past what a date can hold.
MAX_DAYS = 36_500


def _whole_number(environ, name: str, default: str) -> int:
    value = environ.get(name) or default
    if not (value.strip().isascii() and value.strip().isdigit()) or not 1 <= int(value) <= MAX_DAYS:
        raise ValueError(f"{name}={value!r} is not valid: use a whole number of days, 1 to {MAX_DAYS}")
    return int(value)


def _positive(environ, name: str, default: int, most: Optional[int] = None) -> int:
    """A size limit or a count: a whole number, 1 or more (underscores allowed: 5_000_000), at most `most`."""
    value = (environ.get(name) or str(default)).strip().replace("_", "")
    if not (value.isascii() and value.isdigit()) or int(value) < 1 or (most is not None and int(value) > most):
        allowed = "1 or more" if most is None else f"1 to {most}"
        raise ValueError(f"{name}={environ.get(name)!r} is not valid: use a whole number, {allowed}")
    return int(value)


def _hours(environ, name: str, default: str) -> int:
    value = (environ.get(name) or default).strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 24 * 30:
        raise ValueError(f"{name}={environ.get(name)!r} is not valid: use a whole number of hours, 1 to 720")
    return int(value)


def _rate(environ, name: str, default: str) -> float:
    """Messages per second: a number above 0 (float() alone takes "nan", "inf" and "-1")."""
    value = (environ.get(name) or default).strip()
    try:
        rate = float(value)
    except ValueError:
        rate = float("nan")
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"{name}={environ.get(name)!r} is not valid: use a number of messages per second above 0")
    return rate


def _proxy_count(environ) -> int:
    value = (environ.get("TRUSTED_PROXY_COUNT") or "0").strip()
    if not (value.isascii() and value.isdigit()) or int(value) > 5:
        raise ValueError(f"TRUSTED_PROXY_COUNT={environ.get('TRUSTED_PROXY_COUNT')!r} is not valid: use the number "
                         f"of reverse proxies in front of this service (0 when none, usually 1)")
    return int(value)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    # The keys SECRET_KEY had before (SECRET_KEY_PREVIOUS), newest first: values sealed and contacts hashed
    # under them are still opened and found until `safer-homes keys rotate` has moved them (docs/operations.md).
    previous_secret_keys: tuple[str, ...] = ()
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
    # Shared rate-limit counters for several workers (Redis); in-process counters otherwise. The delivery
    # pacing and the staff login limit (per address) both keep theirs here.
    rate_limit_storage_url: str = "memory://"
    # How many reverse proxies in front of the web process append to X-Forwarded-For (TRUSTED_PROXY_COUNT):
    # the client's address is read that many entries from the end. 0 (the default) trusts the header not
    # at all, since anyone can send one; the address is then the connection's own.
    trusted_proxy_count: int = 0
    # Flood limits (bot/flood.py), counted in the same store: messages from one contact on any channel
    # (FLOOD_LIMIT_PER_CONTACT) and web chat requests from one client address (FLOOD_LIMIT_PER_ADDRESS).
    flood_limit_per_contact: tuple = parse_flood_limits("FLOOD_LIMIT_PER_CONTACT", DEFAULT_PER_CONTACT)
    flood_limit_per_address: tuple = parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", DEFAULT_PER_ADDRESS)
    # A report identical to one received this long before is merged into it (storage/reports.py;
    # IDENTICAL_REPORT_HOURS): copies of one report must not inflate the figures or the inboxes.
    identical_report_window: timedelta = timedelta(hours=48)
    delivery_max_attempts: int = 8
    # How long a claimed message stays with the worker that claimed it before another may take it over.
    delivery_lease_seconds: int = 60
    delivery_threads: int = 8
    media_dir: str = "var/media"
    # The largest photo and voice note kept (bytes), and a photo's most pixels (bot/media.py says why).
    media_photo_max_bytes: int = 5 * 1024 * 1024
    media_voice_max_bytes: int = 10 * 1024 * 1024
    media_photo_max_pixels: int = 40_000_000
    # How long before an event each reminder goes (REMINDER_OFFSETS, "2d,2h"): see parse_reminder_offsets.
    reminder_offsets: tuple[ReminderOffset, ...] = parse_reminder_offsets(DEFAULT_REMINDER_OFFSETS)
    # RSVPs are deleted this long after their event starts, once their totals are kept (docs/privacy.md).
    rsvp_retention: timedelta = timedelta(days=30)
    # How long the worker keeps the rest (storage/retention.py; docs/privacy.md's table says why each):
    # a sealed delivery address after its contact last wrote, when nothing needs sending to them (an idle
    # contact with nothing at all linked to it goes entirely); finished outbox rows; photos and voice
    # notes after their report closed; the staff audit log; a closed report's words (its counts stay).
    address_retention: timedelta = timedelta(days=90)
    outbox_retention: timedelta = timedelta(days=30)
    media_retention: timedelta = timedelta(days=90)
    audit_retention: timedelta = timedelta(days=730)
    report_retention: timedelta = timedelta(days=2190)
    # How long after a report closes its private or named resident is asked "was this sorted?" (SORTED_AFTER).
    sorted_after: timedelta = parse_sorted_after(DEFAULT_SORTED_AFTER)
    # Machine translation of residents' words for staff (bot/translator.py): none, libre or google.
    translator: str = "none"
    libretranslate_url: str = ""
    libretranslate_api_key: str = ""
    # TrueType fonts for the ward panel digest's PDF (web/digest.py): Debian's fonts-noto-core puts NotoSans
    # and NotoSansBengali here; a production box needs that package (docs/deploy.md).
    pdf_font_dir: str = "/usr/share/fonts/truetype/noto"
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "previous_secret_keys", tuple(self.previous_secret_keys))  # a list from a config dict
        check_previous_secret_keys(self.previous_secret_keys, self.secret_key)

    @property
    def key_ring(self) -> KeyRing:
        """The one way to hash an address and to seal or open a value (storage/crypto.py)."""
        return key_ring(self.secret_key, self.previous_secret_keys)

    @classmethod
    def from_env(cls, environ=None) -> "Settings":
        environ = os.environ if environ is None else environ
        translator, libretranslate_url, libretranslate_api_key = parse_translator(environ)
        return cls(
            database_url=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=environ.get("SECRET_KEY") or _kept_secret_key(),
            previous_secret_keys=parse_previous_secret_keys(environ.get("SECRET_KEY_PREVIOUS", "")),
            public_base_url=(environ.get("PUBLIC_BASE_URL") or cls.public_base_url).rstrip("/"),
            conversation_idle_after=timedelta(minutes=_positive(environ, "CONVERSATION_IDLE_MINUTES", 30,
                                                                most=MAX_DAYS * 1440)),
            draft_retention=timedelta(days=_whole_number(environ, "DRAFT_RETENTION_DAYS", "7")),
            telegram_bot_token=environ.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", ""),
            telegram_api_base_url=(environ.get("TELEGRAM_API_BASE_URL") or cls.telegram_api_base_url).rstrip("/"),
            telegram_bot_username=environ.get("TELEGRAM_BOT_USERNAME", "").strip().removeprefix("@"),
            twilio_account_sid=environ.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=environ.get("TWILIO_AUTH_TOKEN", ""),
            twilio_whatsapp_number=environ.get("TWILIO_WHATSAPP_NUMBER", "").removeprefix("whatsapp:"),
            twilio_sms_number=environ.get("TWILIO_SMS_NUMBER", ""),
            twilio_api_base_url=(environ.get("TWILIO_API_BASE_URL") or cls.twilio_api_base_url).rstrip("/"),
            twilio_messages_per_second=_rate(environ, "TWILIO_MESSAGES_PER_SECOND", "1"),
            whatsapp_templates_file=environ.get("WHATSAPP_TEMPLATES_FILE", cls.whatsapp_templates_file),
            rate_limit_storage_url=environ.get("RATE_LIMIT_STORAGE_URL", "memory://"),
            trusted_proxy_count=_proxy_count(environ),
            flood_limit_per_contact=parse_flood_limits(
                "FLOOD_LIMIT_PER_CONTACT", environ.get("FLOOD_LIMIT_PER_CONTACT") or DEFAULT_PER_CONTACT),
            flood_limit_per_address=parse_flood_limits(
                "FLOOD_LIMIT_PER_ADDRESS", environ.get("FLOOD_LIMIT_PER_ADDRESS") or DEFAULT_PER_ADDRESS),
            identical_report_window=timedelta(hours=_hours(environ, "IDENTICAL_REPORT_HOURS", "48")),
            delivery_max_attempts=_positive(environ, "DELIVERY_MAX_ATTEMPTS", 8),
            delivery_lease_seconds=_positive(environ, "DELIVERY_LEASE_SECONDS", 60),
            delivery_threads=_positive(environ, "DELIVERY_THREADS", 8),
            media_dir=environ.get("MEDIA_DIR", cls.media_dir),
            media_photo_max_bytes=_positive(environ, "MEDIA_PHOTO_MAX_BYTES", cls.media_photo_max_bytes),
            media_voice_max_bytes=_positive(environ, "MEDIA_VOICE_MAX_BYTES", cls.media_voice_max_bytes),
            media_photo_max_pixels=_positive(environ, "MEDIA_PHOTO_MAX_PIXELS", cls.media_photo_max_pixels),
            reminder_offsets=parse_reminder_offsets(environ.get("REMINDER_OFFSETS") or DEFAULT_REMINDER_OFFSETS),
            rsvp_retention=timedelta(days=_whole_number(environ, "RSVP_RETENTION_DAYS", "30")),
            address_retention=timedelta(days=_whole_number(environ, "ADDRESS_RETENTION_DAYS", "90")),
            outbox_retention=timedelta(days=_whole_number(environ, "OUTBOX_RETENTION_DAYS", "30")),
            media_retention=timedelta(days=_whole_number(environ, "MEDIA_RETENTION_DAYS", "90")),
            audit_retention=timedelta(days=_whole_number(environ, "AUDIT_RETENTION_DAYS", "730")),
            report_retention=timedelta(days=_whole_number(environ, "REPORT_RETENTION_DAYS", "2190")),
            sorted_after=parse_sorted_after(environ.get("SORTED_AFTER") or DEFAULT_SORTED_AFTER),
            translator=translator,
            libretranslate_url=libretranslate_url,
            libretranslate_api_key=libretranslate_api_key,
            pdf_font_dir=environ.get("PDF_FONT_DIR") or cls.pdf_font_dir,
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
