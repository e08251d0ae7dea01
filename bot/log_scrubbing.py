"""The log scrubber: takes phone numbers, chat ids, tokens, e-mail addresses, session ids and what residents
wrote out of every log record this process makes, before any handler sees it.

It is a safety net, not permission. Our own code must still log nothing identifying (docs/privacy.md,
"Logs"): reference codes of private and named reports and counts only, nothing at all about an anonymous
report. The scrubber is for what slips through anyway: a library's request line that carries the bot token,
an API error that quotes a phone number, a traceback whose exception text holds a request body. Names and
free text cannot be recognised by their shape; they are removed only where they sit under a field name
(`first_name='…'`, `"text": "…"`, `Body=…`), and the noisy libraries that log whole bodies are turned down
(NOISY_LOGGERS) so those lines are never made.

`install_log_scrubbing()` is called once per process (the `safer-homes` command, `webhook.create_app`); it
is idempotent. It wraps the LogRecord factory, so every record from every logger is scrubbed where it is
made, whichever handler later writes it (gunicorn's error log, which does not propagate to the root logger,
and handlers added after start-up included); the same filter is also attached to the handlers that exist
at installation, for records that are built without the factory (logging.makeLogRecord).

What it removes (each replaced by a bracketed word, so a reader sees something was there):
- the configured secrets themselves (SECRET_KEY, TELEGRAM_BOT_TOKEN, TWILIO_AUTH_TOKEN, ...): `[secret]`;
- passwords in URLs and Authorization / signature headers: `[secret]`;
- Telegram bot tokens (`…/bot123456:AA…/sendMessage`): `[token]`; Twilio ids (account and message SIDs,
  AC…/SM…/MM…, 34 characters; HX… template ids stay): `[twilio-id]`;
- values under personal field names in dict reprs, JSON, keyword reprs and form bodies (text, body,
  caption, first_name, last_name, username, ProfileName, From, To, chat_id, latitude, address, email,
  session, password, ...): `[redacted]`; SQL parameters in database errors: `[redacted]`;
- e-mail addresses: `[email]`;
- session-like ids (16+ characters mixing upper case, lower case and digits, or 16+ hex digits mixing
  letters and digits, such as the web chat's session id): `[id]`;
- a latitude, longitude pair: `[place]`;
- phone numbers: E.164 with or without spaces, `whatsapp:+44…`, URL-encoded `%2B44…`, 00 44…,
  +44 (0)…, UK national numbers (07700 900123, 020 7946 0000, (020) 7946 0000): `[phone]`;
- any run of seven or more digits (Telegram chat ids, which may be negative; 447700900123): `[number]`.
Digits of every script count (a number typed in Bengali or Arabic-Indic digits goes too). Reference codes
(TH-XXXX-XXXX) are kept as they are, and so are small numbers, dates and times.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import threading
import unicodedata
from typing import Iterable, Mapping, Optional

# Libraries that log request bodies, addresses or parameters below WARNING (read from their source):
# python-telegram-bot logs every Bot API call's parameters and answer (chat ids, texts, users' names) at
# DEBUG; httpx logs each request line, whose Bot API address holds the token, at INFO; httpcore and urllib3
# log connections and request lines (with the Twilio account id) at DEBUG; twilio's HTTP client logs each
# request's URL, query and headers at INFO; SQLAlchemy's engine logs statements and their parameters when
# echo is on; Pillow logs every EXIF tag it reads (a photo's GPS position, camera serial) at DEBUG. Set to
# these levels at installation; an operator who needs more can lower them again.
NOISY_LOGGERS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "urllib3": logging.WARNING,
    "twilio": logging.WARNING,
    "twilio.http_client": logging.WARNING,
    "sqlalchemy.engine": logging.WARNING,
    "PIL": logging.INFO,
}

# Settings fields and environment variables whose values are secrets (matched on their names).
_SECRET_NAME = re.compile(r"(?i)(token|secret|password|passwd|api_key|(^|_)key$|key_previous|keys$)")
_MIN_SECRET_LENGTH = 6  # shorter values would replace ordinary words in every line

REFERENCE = re.compile(r"\bTH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b")
# Reference codes are set aside behind these marks (private-use characters) while the rules run.
_HELD_OPEN, _HELD_CLOSE = "\ue000", "\ue001"
_HELD = re.compile(_HELD_OPEN + r"([0-9]+)" + _HELD_CLOSE)

_SENSITIVE_KEYS = (
    r"text|body|caption|message_text|first_name|last_name|full_name|user_?name|name|profile_?name|"
    r"from|to|(?:from|to)_?(?:city|state|zip|country)|wa_?id|chat_id|user_id|phone|phone_number|mobile|"
    r"latitude|longitude|lat|long|lng|"
    r"address|address_string|label|description|location_text|comment|reporter_name|typed_name|"
    r"email|session|session_id|password|passwd|token|secret|auth_token|api_key|device_id|account_id"
)
_QUOTED_VALUE = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""

# (pattern, replacement) applied in order, to text whose reference codes are held aside.
_TEXT_RULES: list[tuple[re.Pattern, str]] = [
    # user:password@ in any URL (a database URL, a proxy)
    (re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@"), "[secret]@"),
    # Authorization, signature and secret headers, in "Name: value", "'Name': 'value'" and "Name=value" forms
    (re.compile(r"(?i)\b(authorization|proxy-authorization|x-twilio-signature|x-telegram-bot-api-secret-token)"
                r"(['\"]?\s*[:=]\s*['\"]?)(?:(?:basic|bearer|token)\s+)?[^'\"\s,;}]+"), r"\1\2[secret]"),
    # the bot token in Bot API addresses (/bot<token>/method, /file/bot<token>/path), and standing alone
    (re.compile(r"(/bot)[0-9]+:[A-Za-z0-9_-]+"), r"\1[token]"),
    (re.compile(r"\b[0-9]{5,}:[A-Za-z0-9_-]{30,}"), "[token]"),
    # Twilio ids: two capitals and 32 hex digits. Content (template) SIDs, HX…, name no person and stay.
    (re.compile(r"\b(?!HX)[A-Z]{2}[0-9a-fA-F]{32}\b"), "[twilio-id]"),
    # SQL parameters and key values in database errors (SQLAlchemy, psycopg)
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.DOTALL), "[parameters: [redacted]]"),
    (re.compile(r"\[(generated|cached since|no key|raw sql|dialect)([^\]]*)\] .*"), r"[\1\2] [redacted]"),
    (re.compile(r"(Key \([^)]*\)=\().*?(\) (?:already exists|is not present|is still referenced))"),
     r"\1[redacted]\2"),
    # personal fields: 'text': '…' / "first_name": "…" (dict reprs, JSON) ...
    (re.compile(rf"(?i)(['\"])({_SENSITIVE_KEYS})\1(\s*:\s*)(?:{_QUOTED_VALUE}|-?[0-9][0-9.]*)"),
     r"\1\2\1\3'[redacted]'"),
    # ... and text='…' / From=whatsapp%3A… / Body=Hello+there (keyword reprs, form and query strings)
    (re.compile(rf"(?i)(?<![\w.-])({_SENSITIVE_KEYS})=(?!\[redacted\])(?:{_QUOTED_VALUE}|[^&\s,;)\]}}]*)"),
     r"\1=[redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
]

_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])")
_HEX_RUN = re.compile(r"(?<![A-Za-z0-9])[0-9A-Fa-f]{16,}(?![A-Za-z0-9])")

# Number rules run on a copy of the text with every script's digits written as ASCII digits (same length),
# so one set of patterns finds 07700 900123 typed in Bengali or Arabic-Indic digits too.
_SEPARATOR = r"[ \-+]?"  # a space or a dash between groups; + is a space in a form-encoded body
_NUMBER_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"-?[0-9]{1,3}\.[0-9]{3,}\s*,\s*-?[0-9]{1,3}\.[0-9]{3,}"), "[place]"),
    # international: +44 7700 900123, +44 (0)7700 900123, whatsapp:+447700900123, %2B447700900123, 0044 …
    (re.compile(rf"(?:\+|%2[Bb]|00)\s?(?:\(0\)\s?)?[0-9](?:{_SEPARATOR}(?:\(0\){_SEPARATOR})?[0-9]){{6,14}}"),
     "[phone]"),
    # UK national: 07700 900123, 020 7946 0000, 07700-900-123, (020) 7946 0000. Neither end needs a boundary:
    # a number glued to a word or a count ("on07700 900123", "07700 900123 4") is still a number.
    (re.compile(rf"0[0-9](?:{_SEPARATOR}[0-9]){{8,9}}"), "[phone]"),
    (re.compile(r"\(0[0-9]{2,4}\)\s?[0-9]{3,4}[ -]?[0-9]{3,4}"), "[phone]"),
    # Telegram chat ids (negative for groups) and any other long number
    (re.compile(r"-?[0-9]{7,}"), "[number]"),
]


class _AsciiDigits(dict):
    """str.translate table: each decimal digit of any script to its ASCII digit, anything else unchanged."""

    def __missing__(self, codepoint: int):
        character = chr(codepoint)
        value = str(unicodedata.decimal(character)) if character.isdecimal() else character
        if len(self) < 100_000:
            self[codepoint] = value
        return value


_ASCII_DIGITS = _AsciiDigits()


def _is_session_like(token: str) -> bool:
    has_digit = any(c.isdigit() for c in token)
    return has_digit and any(c.isupper() for c in token) and any(c.islower() for c in token)


def _replace_tokens(text: str) -> str:
    text = _TOKEN.sub(lambda match: "[id]" if _is_session_like(match.group(0)) else match.group(0), text)

    def hex_run(match: re.Match) -> str:
        run = match.group(0)
        mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        return "[id]" if mixed else run

    return _HEX_RUN.sub(hex_run, text)


def _replace_numbers(text: str) -> str:
    """Phone numbers, coordinates and long numbers, found on an ASCII-digit copy of `text`."""
    shadow = text.translate(_ASCII_DIGITS)
    found = sorted((match.start(), match.end(), rank) for rank, (pattern, _) in enumerate(_NUMBER_RULES)
                   for match in pattern.finditer(shadow))
    # Overlapping finds become one (a phone number inside a longer run of digits takes the whole run), named
    # by the first rule among them.
    merged: list[list[int]] = []
    for start, end, rank in found:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = min(merged[-1][2], rank)
        else:
            merged.append([start, end, rank])
    pieces, position = [], 0
    for start, end, rank in merged:
        pieces.append(text[position:start])
        pieces.append(_NUMBER_RULES[rank][1])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with everything the module docstring lists replaced; reference codes and small numbers kept."""
    if not text:
        return text
    held: list[str] = []

    def hold(match: re.Match) -> str:
        held.append(match.group(0))
        return f"{_HELD_OPEN}{len(held) - 1}{_HELD_CLOSE}"

    text = REFERENCE.sub(hold, text)
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    text = _replace_tokens(text)
    text = _replace_numbers(text)

    def give_back(match: re.Match) -> str:
        index = int(match.group(1))
        return held[index] if index < len(held) else ""

    return _HELD.sub(give_back, text)


class ScrubbingFilter(logging.Filter):
    """Rewrites a record in place: its message (formatted with its arguments), exception text and stack,
    each scrubbed. Always lets the record through; a record is scrubbed once however often it passes."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add_secrets(self, values: Iterable[str]) -> None:
        with self._lock:
            known = set(self._secrets) | {value for value in values if value and len(value) >= _MIN_SECRET_LENGTH}
            # Longest first, so a secret that contains another is replaced whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        # Scrubbed already, and not changed since (logging.makeLogRecord sets msg after the factory ran).
        if getattr(record, "safer_homes_scrubbed", None) is record.msg and not record.args:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep the format, never the arguments
            message = f"{record.msg} (its arguments did not format)"
        record.msg, record.args = self.scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters print exc_text when it is set; dropping exc_info keeps a handler from formatting
            # the exception (and its message) afresh.
            record.exc_text, record.exc_info = self.scrub(record.exc_text), None
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        record.safer_homes_scrubbed = record.msg
        return True


_FILTER = ScrubbingFilter()
_install_lock = threading.Lock()
_factory_installed = False


def secret_values(settings=None, environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """The secret values in `settings` (a dataclass such as bot.settings.Settings) and in `environ`,
    picked by their names (token, secret, key, password)."""
    values: list[str] = []
    named: list[tuple[str, object]] = []
    if settings is not None and dataclasses.is_dataclass(settings):
        named += [(field.name, getattr(settings, field.name)) for field in dataclasses.fields(settings)]
    if environ is not None:
        named += list(environ.items())
    for name, value in named:
        if not _SECRET_NAME.search(name):
            continue
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, (tuple, list)):
            values += [item for item in value if isinstance(item, str)]
    if settings is not None:
        database_password = _database_password(getattr(settings, "database_url", "") or "")
        if database_password:
            values.append(database_password)
    return values


def _database_password(url: str) -> str:
    match = re.search(r"://[^/\s:@]+:([^/\s@]+)@", url)
    return match.group(1) if match else ""


def install_log_scrubbing(settings=None, environ: Optional[Mapping[str, str]] = None) -> ScrubbingFilter:
    """Scrub every log record this process makes from now on (idempotent; later calls add secrets).

    Also turns the NOISY_LOGGERS down and attaches the filter to every handler configured so far."""
    global _factory_installed
    _FILTER.add_secrets(secret_values(settings, environ))
    with _install_lock:
        if not _factory_installed:
            make_record = logging.getLogRecordFactory()

            def scrubbed_record(*args, **kwargs) -> logging.LogRecord:
                record = make_record(*args, **kwargs)
                _FILTER.filter(record)
                return record

            scrubbed_record.safer_homes_scrubbing = True
            logging.setLogRecordFactory(scrubbed_record)
            _factory_installed = True
        for name, level in NOISY_LOGGERS.items():
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level < level:
                logger.setLevel(level)
        loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                           if isinstance(logger, logging.Logger)]
        for logger in loggers:
            for handler in logger.handlers:
                if _FILTER not in handler.filters:
                    handler.addFilter(_FILTER)
    return _FILTER


def scrubbing_installed() -> bool:
    """Whether this process scrubs its log records (for /healthz-like checks and the tests)."""
    return bool(getattr(logging.getLogRecordFactory(), "safer_homes_scrubbing", False))
