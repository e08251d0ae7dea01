"""The log scrubber (bot/log_scrubbing.py): what it removes, what it keeps, hostile and random input, and that
every process installs it — the web app, the `safer-homes` command, gunicorn's error log that does not
propagate, an exception's text."""
from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from bot.log_scrubbing import NOISY_LOGGERS, install_log_scrubbing, scrub, scrubbing_installed, secret_values

ROOT = Path(__file__).resolve().parents[2]

# Each line as a library or an error message would write it, and what must be gone from it.
EXAMPLES = [
    ('HTTP Request: POST https://api.telegram.org/bot7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage '
     '"HTTP/1.1 200 OK"', ["7123456789", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"]),
    ("GET https://api.telegram.org/file/bot123:ABC/photos/file_1.jpg", ["123:ABC"]),
    ("POST Request: https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
     ["AC0123456789abcdef0123456789abcdef"]),
    ("Query Params: {'To': 'whatsapp:+447700900123', 'From': 'whatsapp:+14155238886', 'Body': 'Ali next door shouts'}",
     ["447700900123", "14155238886", "Ali next door shouts"]),
    ("To=whatsapp%3A%2B447700900123&Body=Ali+next+door&ProfileName=Hodan+Faarax&WaId=447700900123",
     ["447700900123", "Ali+next", "Hodan", "Faarax"]),
    ("From=%2B447700900123&FromCity=BETHNAL+GREEN&FromZip=E2&Latitude=51.52&Longitude=-0.06&Address=Brick+Lane",
     ["447700900123", "BETHNAL", "E2&", "51.52", "0.06", "Brick"]),
    ("Calling Bot API endpoint `sendMessage` with parameters `{'chat_id': 5839201746253, 'text': \"It's <b>Ali</b>\"}`",
     ["5839201746253", "It's", "Ali"]),
    ("Message(chat=Chat(first_name='Zephyrina', id=5839201746253, type=<ChatType.PRIVATE>, username='zq_user'), "
     "from_user=User(first_name='Zephyrina', last_name='Quill', is_bot=False), text='the lift again')",
     ["Zephyrina", "5839201746253", "zq_user", "Quill", "the lift again"]),
    ('{"message": {"from": {"id": 5839201746253, "first_name": "Zephyrina"}, "text": "the lift \\"again\\""}}',
     ["5839201746253", "Zephyrina", "the lift"]),
    ("negative chat -1001234567890 failed", ["1001234567890"]),
    ("call 07700 900123, +44 7700 900123, 447700900123, +44 (0)7700 900123, 0044 7700 900123, 07700-900-123",
     ["900123", "900-123"]),
    ("landline 020 7946 0000 or (020) 7946 0000", ["7946 0000"]),
    ("in Bengali ০৭৭০০ ৯০০১২৩ and Arabic-Indic ٠٧٧٠٠٩٠٠١٢٣", ["৯০০১২৩", "٩٠٠١٢٣"]),
    ("staff officer.one@council.example.org signed in", ["officer.one@council.example.org"]),
    ("web chat session 3fa9c0e8d1b24a7f9e0c5b6a7d8e9f0a1b2c ended", ["3fa9c0e8d1b24a7f9e0c5b6a7d8e9f0a1b2c"]),
    ("session Xk3_9aQ-LmZ2pR7sTb8wYc4v", ["Xk3_9aQ-LmZ2pR7sTb8wYc4v"]),
    ("shared location 51.5155123, -0.0722456", ["51.5155", "0.0722"]),
    ("postgresql+psycopg://saferhomes:hunter2pass@db.internal:5432/saferhomes", ["hunter2pass"]),
    ("Authorization: Basic QUNhYWFhOmZha2UtdG9rZW4=", ["QUNhYWFhOmZha2UtdG9rZW4="]),
    ("X-Twilio-Signature: 0/KCTR6DLpKmkAf8muzZqo1nDgQ=", ["0/KCTR6DLpKmkAf8muzZqo1nDgQ="]),
    ("(psycopg.errors.UniqueViolation) duplicate key\nDETAIL:  Key (address_hash)=(abc123) already exists.\n"
     "[SQL: INSERT INTO report (description) VALUES (%(d)s)]\n[parameters: {'d': 'Ali [deals] by Block C'}]\n"
     "(Background on this error at: https://sqlalche.me/e/20/gkpj)", ["abc123", "Ali", "Block C"]),
    ("[generated in 0.00012s] ('the stairwell light', 'Ali')", ["stairwell", "Ali"]),
]

# Lines that must come out exactly as they went in.
KEPT = [
    "report TH-7K3M-9QXR received",
    "asked whether report TH-0123-4567 was sorted",
    "outbox message 42: Sent (3 sent, 0 failed, 12 held)",
    "event 7: the 2d reminder was due at 2026-03-02 18:00:00+00:00 and was skipped, not sent late (25 residents)",
    "purged 1500 unfinished drafts in 0.25 s",
    "Running upgrade 0015_public_snapshots -> 0016_reopened_reports",
    "template HXcccccccccccccccccccccccccccccccc is not approved for so",
    "LibreTranslate refused a so->en request: HTTP 400, with an error field",
    "could not fetch media item 2 of an inbound whatsapp message: HTTP 404",
    "worker tick failed",
]


@pytest.mark.parametrize("line, gone", EXAMPLES, ids=[str(n) for n in range(len(EXAMPLES))])
def test_each_kind_of_identifier_is_removed(line, gone):
    scrubbed = scrub(line)
    for value in gone:
        assert value not in scrubbed, scrubbed
    assert "[" in scrubbed  # something shows where it was


@pytest.mark.parametrize("line", KEPT)
def test_references_counts_times_and_ordinary_words_are_kept(line):
    assert scrub(line) == line


def test_configured_secrets_are_removed_wherever_they_appear():
    assert scrub("key is s3cret-value-123, again s3cret-value-123", ["s3cret-value-123"]) == "key is [secret], again [secret]"


def test_secret_values_come_from_settings_and_environment_by_their_names():
    from bot.settings import Settings

    settings = Settings(secret_key="k" * 40, telegram_bot_token="123:ABCDEFG", twilio_auth_token="tok-abcdef",
                        telegram_webhook_secret="whsecret", database_url="postgresql://u:dbpassword@h/db",
                        libretranslate_api_key="libre-key-1")
    values = secret_values(settings, {"SECRET_KEY_PREVIOUS": "old-key-0000", "HOME": "/root", "LANG": "C.UTF-8"})
    for expected in ("k" * 40, "123:ABCDEFG", "tok-abcdef", "whsecret", "dbpassword", "libre-key-1", "old-key-0000"):
        assert expected in values
    assert "/root" not in values and "C.UTF-8" not in values
    assert settings.database_url not in values and settings.public_base_url not in values


# --- random and hostile text -------------------------------------------------------------------------------

DIGITS = {"ascii": "0123456789", "bengali": "০১২৩৪৫৬৭৮৯", "arabic-indic": "٠١٢٣٤٥٦٧٨٩", "urdu": "۰۱۲۳۴۵۶۷۸۹"}


def _as_ascii(text: str) -> str:
    import unicodedata

    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


@st.composite
def uk_mobile(draw) -> tuple[str, str]:
    """A UK mobile number written one of the ways people and APIs write it; returns (written, its last 9 digits)."""
    rest = draw(st.text("0123456789", min_size=9, max_size=9))
    national = "7" + rest  # 10 digits after the 0
    written = draw(st.sampled_from([
        "+44{n}", "+44 {a} {b}", "44{n}", "0{n}", "0{a} {b}", "0{a}-{b}", "whatsapp:+44{n}", "%2B44{n}",
        "0044 {a} {b}", "+44 (0){a} {b}", "0{a} {c} {d}", "+44-{a}-{b}",
    ])).format(n=national, a=national[:4], b=national[4:], c=national[4:7], d=national[7:])
    script = draw(st.sampled_from(sorted(DIGITS)))
    written = written.translate(str.maketrans(DIGITS["ascii"], DIGITS[script]))
    return written, national[1:]


def _digits_left(text: str) -> str:
    """The text as digits a reader could join up: any script's digits, separators between them dropped."""
    return "".join(c for c in _as_ascii(text) if c not in " -+()")


@hypothesis_settings(max_examples=400, deadline=None)
@given(before=st.text(max_size=40), number=uk_mobile(), after=st.text(max_size=40))
def test_a_phone_number_in_random_text_never_survives(before, number, after):
    written, last_nine = number
    scrubbed = scrub(f"{before}{written}{after}")
    assert written not in scrubbed
    # Not even its digits with spaces or dashes taken out (the first two could be a count beside them).
    assert last_nine[2:] not in _digits_left(scrubbed)


@hypothesis_settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=40), chat_id=st.integers(min_value=10**6, max_value=10**13),
       negative=st.booleans(), after=st.text(max_size=40))
def test_a_chat_id_in_random_text_never_survives(before, chat_id, negative, after):
    written = f"-{chat_id}" if negative else str(chat_id)
    assert str(chat_id) not in scrub(f"{before} {written} {after}")


# Text around a reference that cannot open a field name or a quoted value the scrubber would empty.
_PLAIN = st.text(st.characters(blacklist_characters="'\"=:[]@\n\ue000\ue001", blacklist_categories=("Cs",)),
                 max_size=30)
_REFERENCE = st.text("0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=8, max_size=8).map(
    lambda code: f"TH-{code[:4]}-{code[4:]}")


@hypothesis_settings(max_examples=300, deadline=None)
@given(before=_PLAIN, reference=_REFERENCE, count=st.integers(min_value=0, max_value=999_999), after=_PLAIN)
def test_references_and_counts_survive_random_text(before, reference, count, after):
    scrubbed = scrub(f"{before} report {reference}: {count} sent {after}")
    assert f"report {reference}: {count} sent" in scrubbed


@hypothesis_settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_any_text_scrubs_without_error_and_the_result_is_stable(text):
    once = scrub(text)
    assert isinstance(once, str)
    assert scrub(once) == once


# --- installed in every process --------------------------------------------------------------------------

def _run(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_the_safer_homes_command_installs_it_before_any_subcommand_runs(tmp_path):
    code = (
        "import logging, sys\n"
        "from bot.log_scrubbing import scrubbing_installed\n"
        "from bot.cli import main\n"
        "assert not scrubbing_installed()\n"
        "try:\n"
        "    main(['db', 'upgrade'], standalone_mode=False)\n"
        "finally:\n"
        "    logging.getLogger('bot.worker').warning('for +447700900123 with %s', 'env-secret-token-1')\n"
        "print(scrubbing_installed())\n"
    )
    done = _run(code, {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SECRET_KEY": "s" * 40,
                       "TELEGRAM_BOT_TOKEN": "env-secret-token-1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("True")
    assert "for [phone] with [secret]" in done.stderr
    assert "447700900123" not in done.stderr and "env-secret-token-1" not in done.stderr


def test_the_web_app_installs_it_and_turns_the_noisy_libraries_down(tmp_path):
    code = (
        "import logging\n"
        "from bot.log_scrubbing import scrubbing_installed\n"
        "assert not scrubbing_installed()\n"
        "from webhook import create_app\n"
        f"create_app({{'database_url': 'sqlite:///{tmp_path / 'web.db'}', 'secret_key': 'w' * 40,\n"
        "            'telegram_bot_token': '7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'})\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "logging.getLogger('httpx').info('HTTP Request: POST https://api.telegram.org/bot7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage')\n"
        "logging.getLogger('telegram.Bot').debug('Calling Bot API endpoint with chat 5839201746253')\n"
        "logging.getLogger('bot.delivery').warning('refused: To %s', 'whatsapp:+447700900123')\n"
        "print(scrubbing_installed())\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    # httpx and python-telegram-bot's debug lines are not made at all; ours is made and scrubbed.
    assert "HTTP Request" not in done.stderr and "Calling Bot API" not in done.stderr
    assert "refused: To whatsapp:[phone]" in done.stderr
    assert "447700900123" not in done.stderr and "AAHdq" not in done.stderr


def test_gunicorns_error_log_which_does_not_propagate_is_scrubbed_too(tmp_path):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    install_log_scrubbing()
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    gunicorn_log = Logger(config)
    assert gunicorn_log.error_log.propagate is False
    try:
        raise RuntimeError("request from 5839201746253 with body Body=Ali+shouts")
    except RuntimeError:
        gunicorn_log.exception("Error handling request for %s", "07700 900123")
    for handler in gunicorn_log.error_log.handlers:
        handler.flush()
    written = (tmp_path / "error.log").read_text()
    assert "Error handling request for [phone]" in written and "RuntimeError" in written
    for value in ("900123", "5839201746253", "Ali"):
        assert value not in written


def test_an_exception_and_a_stack_are_scrubbed_and_a_record_is_scrubbed_once(caplog):
    install_log_scrubbing()
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("bot.test_log_scrubbing")
    try:
        raise ValueError("could not send to +447700900123")
    except ValueError:
        log.exception("sending failed")
    log.info("lookup %s", "07700 900123", stack_info=True)
    assert "447700900123" not in caplog.text and "900123" not in caplog.text
    assert "ValueError: could not send to [phone]" in caplog.text
    assert [record.getMessage() for record in caplog.records] == ["sending failed", "lookup [phone]"]
    # A record passed through the filter again (a handler that also has it) is not changed further.
    record = caplog.records[1]
    install_log_scrubbing().filter(record)
    assert record.getMessage() == "lookup [phone]"


def test_a_record_built_without_the_factory_is_scrubbed_by_the_handlers_filter():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.made_by_hand")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_log_scrubbing()  # attaches the filter to handlers that exist now
        logger.handle(logging.makeLogRecord({"name": logger.name, "levelno": logging.WARNING, "levelname": "WARNING",
                                             "msg": "from %s", "args": ("07700 900123",)}))
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().strip() == "from [phone]"


def test_arguments_that_do_not_fit_the_format_are_dropped_not_logged(caplog):
    install_log_scrubbing()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("bot.test_log_scrubbing").warning("one %s and %s", "07700 900123")
    assert caplog.records[-1].getMessage() == "one %s and %s (its arguments did not format)"


def test_the_noisy_libraries_are_turned_down():
    install_log_scrubbing()
    for name, level in NOISY_LOGGERS.items():
        assert logging.getLogger(name).getEffectiveLevel() >= level
    assert scrubbing_installed()
