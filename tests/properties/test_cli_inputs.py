"""The operator's command line, given anything in its options, on SQLite and PostgreSQL: each command does
what it says or stops with a clear message and a non-zero exit, never a traceback, and a refused command
adds nothing."""
from __future__ import annotations

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.cli import main
from storage.database import make_engine
from tests.properties import strategies as S
from tests.properties.counting import table_counts

SHARED_DATABASE = settings(max_examples=30, deadline=None,
                           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

times = st.one_of(
    st.sampled_from(("2099-01-14T18:30", "2099-01-14T18:30+00:00", "2099-01-14 18:30", "2099-01-14",
                     "9999-12-31T23:59-05:00", "9999-12-31T23:59:59", "0001-01-01T00:00+14:00", "0001-01-01T00:00",
                     "2099-02-30T10:00", "2099-03-29T01:30", "2099-10-25T01:30", "2099-01-14T18:30Z",
                     "2099-01-14T25:00", "2099-W02-3T18:30", "20990114T1830", "next tuesday", "", " ", "\x00", "²")),
    st.datetimes().map(lambda moment: moment.isoformat()),
    S.hostile_text,
)
words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | S.hostile_text
numbers = st.integers(-10, 10**12).map(str) | st.sampled_from(("", "0", "1", "²", "٣", "1e3", "9" * 30)) | S.hostile_text


def _clean(result) -> None:
    """A command that finished: done (0), or refused with a message (click's usage error 2, or 1)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, repr(result.exception))
    if result.exit_code != 0:
        assert result.output.strip(), "refused without saying why"
        assert "Traceback" not in result.output


def _run(database_url: str, *args: str):
    # A command line cannot hold a NUL (argv is C strings), so none is given here.
    args = [arg.replace("\x00", "") for arg in args]
    return CliRunner().invoke(main, args, env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40})


@SHARED_DATABASE
@given(title=words, starts=times, ends=st.none() | times, capacity=st.none() | numbers,
       ward=st.none() | st.sampled_from(("weavers", "atlantis", "", "WEAVERS")) | words)
@example(title="Panel", starts="9999-12-31T23:59-05:00", ends=None, capacity=None, ward=None)
@example(title="Panel", starts="0001-01-01T00:00+14:00", ends=None, capacity=None, ward=None)
@example(title="Panel", starts="2099-01-14T18:30", ends="9999-12-31T23:59:59", capacity=None, ward=None)
@example(title="Panel", starts="2099-01-14T18:30", ends=None, capacity="99999999999999", ward=None)
@example(title="Panel", starts="9999-12-31T20:00", ends=None, capacity=None, ward="weavers")
def test_adding_an_event_with_any_options_adds_it_or_says_why_not(database_url, title, starts, ends, capacity, ward):
    engine = make_engine(database_url)
    before = table_counts(engine)
    args = ["events", "add", "--title", title, "--starts", starts]
    args += ["--ends", ends] if ends is not None else []
    args += ["--capacity", capacity] if capacity is not None else []
    args += ["--ward", ward] if ward is not None else []
    result = _run(database_url, *args)
    _clean(result)
    after = table_counts(engine)
    engine.dispose()
    if result.exit_code == 0:
        assert result.output.strip().splitlines()[-1].isdigit()  # the new event's id alone on its last line
        assert after["event"] == before["event"] + 1
    else:
        assert after == before


def test_an_event_ending_years_after_it_starts_is_refused_so_moving_it_cannot_overflow(database_url):
    refused = _run(database_url, "events", "add", "--title", "Panel", "--starts", "2099-01-14T18:30",
                   "--ends", "9999-12-31T23:59:59")
    _clean(refused)
    assert refused.exit_code != 0 and "within a year" in refused.output
    added = _run(database_url, "events", "add", "--title", "Panel", "--starts", "2099-01-14T18:30",
                 "--ends", "2099-01-14T20:30")
    event_id = added.output.strip().splitlines()[-1]
    moved = _run(database_url, "events", "move", event_id, "--starts", "9999-12-31T22:00")
    _clean(moved)
    assert moved.exit_code != 0 and "hundred years" in moved.output


@SHARED_DATABASE
@given(command=st.sampled_from((
    ("events", "cancel", "{}"), ("events", "show", "{}"), ("events", "move", "{}", "--starts", "{time}"),
    ("events", "agenda", "{}"), ("events", "feedback", "{}"), ("events", "export", "{}"),
    ("events", "agenda-approve", "{}"), ("events", "agenda-hide", "{}"), ("events", "digest", "{}"),
    ("spaces", "remove", "{}"), ("subject", "access", "--channel", "sms", "--address", "{}"),
    ("subject", "access", "--channel", "telegram", "--address", "{}"), ("subject", "access", "--reference", "{}"),
    ("subject", "erase", "--channel", "whatsapp", "--address", "{}"),
)), value=numbers | st.integers(2**31 - 2, 2**64).map(str), time=times)
@example(command=("events", "cancel", "{}"), value="2147483648", time="")
@example(command=("events", "show", "{}"), value="99999999999999999999", time="")
@example(command=("events", "move", "{}", "--starts", "{time}"), value="1", time="9999-12-31T23:00")
def test_commands_naming_a_row_or_a_resident_answer_any_value_cleanly(database_url, command, value, time):
    args = [part.format(value, time=time) if "{" in part else part for part in command]
    _clean(_run(database_url, *args))
