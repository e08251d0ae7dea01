"""Every parser of what residents type and operators configure, given anything: it answers or refuses
cleanly (None, or a ValueError that names the setting), never with another exception, and what it accepts
it reads back the same."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import flows
from bot.channels.twilio import e164
from bot.settings import Settings, parse_reminder_offsets, parse_sorted_after, parse_translator
from flows import engine, events, home, i18n, status, working_days
from storage.references import CROCKFORD, new_reference
from tests.flows.helpers import make_context
from tests.properties import strategies as S

CANONICAL_REFERENCE = re.compile(rf"TH-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}")
references = st.text(alphabet=CROCKFORD, min_size=8, max_size=8).map(lambda body: f"TH-{body[:4]}-{body[4:]}")
a_turn = engine.Turn(inbound=flows.Inbound(), state={}, ctx=make_context())


# --- numbers typed in any script ---------------------------------------------------------------------------

@given(st.integers(0, 9999), st.sampled_from(S.DIGIT_SCRIPTS), st.sampled_from(("", ".", ")", " .")),
       st.sampled_from(("", " ", "\u00a0")))
def test_a_number_reads_back_in_any_script(number, digits, tail, space):
    assert i18n.parse_number(f"{space}{S.in_digits(number, digits)}{tail}{space}") == number


@given(S.hostile_text | st.text())
def test_any_text_is_a_small_whole_number_or_none(text):
    number = i18n.parse_number(text)
    assert number is None or (type(number) is int and 0 <= number <= 9999)


@given(st.integers(0, 10**6), st.sampled_from(S.LANGUAGE_CODES))
def test_digits_written_for_a_language_read_back(number, lang):
    written = i18n.localise_digits(str(number), lang)
    assert i18n.parse_number(written) == (number if number <= 9999 else None)


# --- reference codes -------------------------------------------------------------------------------------

def _typed(reference: str, *, lower: bool, separator: str, confused: bool) -> str:
    body = reference.removeprefix("TH-").replace("-", "")
    if confused:  # what people read a 0 or 1 as
        body = body.replace("0", "O").replace("1", "I")
    typed = f"TH{separator}{body[:4]}{separator}{body[4:]}"
    return typed.lower() if lower else typed


@given(references, st.booleans(), st.sampled_from(("-", " ", "")), st.booleans(),
       st.sampled_from(("", "my ref is ", "status ", "(", "«")), st.sampled_from(("", " thanks", ".", ")", "»")))
def test_a_reference_reads_back_however_it_is_typed(reference, lower, separator, confused, before, after):
    typed = _typed(reference, lower=lower, separator=separator, confused=confused)
    assert status.normalise_reference(f"{before}{typed}{after}") == reference


@given(S.hostile_text | st.text() | st.builds(lambda a, b: a + b, st.text(max_size=5), references))
@example("TH-ABCD-EFGH\u212a")  # the Kelvin sign matches [A-Z] without case
@example("th-ǅǅǅǅ-ǅǅǅǅ")
def test_any_text_is_a_canonical_reference_or_none(text):
    found = status.normalise_reference(text)
    assert found is None or CANONICAL_REFERENCE.fullmatch(found)
    if found is not None:
        assert status.normalise_reference(found) == found


@settings(max_examples=50)
@given(st.integers(0, 100))
def test_new_references_are_canonical(_):
    reference = new_reference()
    assert CANONICAL_REFERENCE.fullmatch(reference) and status.normalise_reference(reference) == reference


@given(references, st.sampled_from(("status", "STATUS", "Status", "অবস্থা", "xaalad")), st.sampled_from((" ", "  ")))
def test_status_and_a_reference_in_any_shipped_language(reference, word, space):
    assert status.reference_in_command(f"{word}{space}{reference}") == reference


@given(S.hostile_text | st.text())
def test_any_text_is_a_status_check_of_a_canonical_reference_or_none(text):
    found = status.reference_in_command(text)
    assert found is None or CANONICAL_REFERENCE.fullmatch(found)


# --- event links and command words -----------------------------------------------------------------------

@given(st.integers(0, 999_999_999), st.sampled_from(S.DIGIT_SCRIPTS[:3]),
       st.sampled_from(("RSVP {}", "rsvp {}", " rsvp   {} ", "/start event_{}", "/START Event_{}")))
def test_an_event_link_reads_back(number, digits, form):
    assert events.event_in_command(form.format(S.in_digits(number, digits))) == number


@given(S.hostile_text | st.text() | S.event_command)
def test_any_text_is_an_event_id_within_a_row_id_or_none(text):
    found = events.event_in_command(text)
    assert found is None or (type(found) is int and 0 <= found < 2**31)


@given(st.sampled_from(sorted(home.COMMAND_WORDS.items())), st.sampled_from(S.LANGUAGE_CODES),
       st.sampled_from((str, str.upper, str.title, lambda word: f"/{word}", lambda word: f"  {word}\n")))
def test_every_command_word_works_in_every_language_and_case(command, lang, shape):
    name, english = command
    word = i18n.translations(lang).gettext(english)
    assert home.command_word(a_turn, shape(word)) == name


@given(S.hostile_text | st.text())
def test_any_other_text_is_no_command(text):
    found = home.command_word(a_turn, text)
    words = {" ".join(i18n.translations(code).gettext(english).casefold().split())
             for code in S.LANGUAGE_CODES for english in home.COMMAND_WORDS.values()}
    assert (found is not None) == (" ".join(text.casefold().lstrip("/").split()) in words)


# --- phone numbers from Twilio ---------------------------------------------------------------------------

@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True), st.sampled_from(("", "whatsapp:", "WhatsApp:")))
def test_an_e164_number_reads_back_with_or_without_whatsapp(number, prefix):
    assert e164(f"{prefix}{number}") == number


@given(S.hostile_text | st.text())
def test_any_text_is_an_e164_number_or_none(text):
    found = e164(text)
    assert found is None or re.fullmatch(r"\+[1-9][0-9]{6,14}", found)


# --- settings: garbage stops start-up naming the variable ---------------------------------------------------

def _offsets(items):
    return ",".join(f"{amount}{unit}" for amount, unit in items)


@given(st.lists(st.tuples(st.integers(1, 9999), st.sampled_from("dhmDHM")), min_size=1, max_size=5))
def test_reminder_offsets_read_back_longest_first(items):
    minutes = [amount * {"d": 1440, "h": 60, "m": 1}[unit.lower()] for amount, unit in items]
    assume(len(set(minutes)) == len(minutes))
    parsed = parse_reminder_offsets(" , ".join(f" {amount}{unit} " for amount, unit in items))
    assert [offset.minutes for offset in parsed] == sorted(minutes, reverse=True)


SETTING_VALUES = S.hostile_text | st.text() | st.sampled_from((
    "²", "①", "٣", "３", "1_000", "-1", "+1", "0", "00", "1e3", "nan", "inf", "-inf", "1.5", " 7 ", "9" * 30,
    "2d,,2h", "2d;2h", "2d,2d", "10000d", "0d", "1w", "1 per minute", "0 per minute", "1 per 0 minute",
    "20 per minute; 200 per hour", "1/second", "1 per fortnight", "libre", "google", "LIBRE", "none ",
))


@given(SETTING_VALUES)
@example("²")
def test_reminder_offsets_garbage_names_the_variable(value):
    _accepted_or_named(lambda: parse_reminder_offsets(value), "REMINDER_OFFSETS")


@given(SETTING_VALUES)
def test_sorted_after_garbage_names_the_variable(value):
    _accepted_or_named(lambda: parse_sorted_after(value), "SORTED_AFTER")


@given(SETTING_VALUES, SETTING_VALUES)
def test_translator_garbage_names_the_variable(name, url):
    environ = {"TRANSLATOR": name, "LIBRETRANSLATE_URL": url}
    try:
        chosen, address, _key = parse_translator(environ)
    except ValueError as refused:
        assert "TRANSLATOR=" in str(refused) or "LIBRETRANSLATE_URL=" in str(refused)
    else:
        assert chosen in ("none", "libre", "google")
        assert chosen != "libre" or address.startswith(("http://", "https://"))


# Every setting read as a number, a list of amounts or a choice: each must refuse garbage by its name.
NAMED_SETTINGS = (
    "REMINDER_OFFSETS", "SORTED_AFTER", "TRANSLATOR", "TRUSTED_PROXY_COUNT", "RSVP_RETENTION_DAYS",
    "DRAFT_RETENTION_DAYS", "ADDRESS_RETENTION_DAYS", "OUTBOX_RETENTION_DAYS", "MEDIA_RETENTION_DAYS",
    "AUDIT_RETENTION_DAYS", "REPORT_RETENTION_DAYS", "IDENTICAL_REPORT_HOURS", "FLOOD_LIMIT_PER_CONTACT",
    "FLOOD_LIMIT_PER_ADDRESS", "MEDIA_PHOTO_MAX_BYTES", "MEDIA_VOICE_MAX_BYTES", "MEDIA_PHOTO_MAX_PIXELS",
    "CONVERSATION_IDLE_MINUTES", "DELIVERY_MAX_ATTEMPTS", "DELIVERY_LEASE_SECONDS", "DELIVERY_THREADS",
    "TWILIO_MESSAGES_PER_SECOND", "SECRET_KEY_PREVIOUS",
)


@settings(max_examples=400)
@given(st.sampled_from(NAMED_SETTINGS), SETTING_VALUES)
@example("TRUSTED_PROXY_COUNT", "²")
@example("RSVP_RETENTION_DAYS", "①")
@example("CONVERSATION_IDLE_MINUTES", "soon")
@example("TWILIO_MESSAGES_PER_SECOND", "nan")
@example("REPORT_RETENTION_DAYS", "1000000000")
@example("CONVERSATION_IDLE_MINUTES", "9" * 30)
def test_any_setting_given_garbage_stops_start_up_naming_it(name, value):
    environ = {"SECRET_KEY": "k" * 48, name: value}
    try:
        settings = Settings.from_env(environ)
    except ValueError as refused:
        assert f"{name}" in str(refused), (name, value, str(refused))
        assert "k" * 48 not in str(refused)  # the key itself is never repeated
        return
    # What was accepted is something the service can run with.
    assert 0 <= settings.trusted_proxy_count <= 5
    assert settings.conversation_idle_after > timedelta(0) and settings.delivery_threads >= 1
    assert settings.delivery_max_attempts >= 1 and settings.delivery_lease_seconds >= 1
    assert 0 < settings.twilio_messages_per_second < float("inf")
    for kept in (settings.rsvp_retention, settings.draft_retention, settings.address_retention,
                 settings.outbox_retention, settings.media_retention, settings.audit_retention,
                 settings.report_retention, settings.identical_report_window, settings.conversation_idle_after):
        assert kept > timedelta(0)
        assert datetime(2026, 1, 1, tzinfo=timezone.utc) - kept  # the worker's cutoffs stay dates


def _accepted_or_named(parse, name: str) -> None:
    try:
        parse()
    except ValueError as refused:
        assert name in str(refused)


# --- working days ------------------------------------------------------------------------------------------

@settings(max_examples=60)
@given(st.integers(1900, 2300))
def test_bank_holidays_are_weekdays_of_their_year(year):
    holidays = working_days.bank_holidays(year)
    assert len(holidays) >= 8
    assert all(day.year == year and day.weekday() < 5 for day in holidays)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)),
       st.integers(0, 60))
def test_a_deadline_is_on_a_working_day_at_most_twice_as_many_days_away(start, days):
    deadline = working_days.add_working_days(start, days)
    local = deadline.astimezone(working_days.LONDON)
    assert working_days.is_working_day(local.date()) and deadline >= start
    assert deadline - start <= timedelta(days=2 * days + 7)
    assert working_days.working_days_between(start, deadline) == days


def test_naive_times_are_refused_with_a_value_error():
    with pytest.raises(ValueError):
        working_days.add_working_days(datetime(2026, 1, 1), 1)
    assert working_days.is_working_day(date(2026, 1, 2))
