"""TRANSLATOR: LibreTranslate against an in-process fake server, Google at deep-translator's seam, none sends
nothing; agenda items get English once and keep it."""
import logging
import secrets
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import make_url, select, text

from bot.agenda_translation import translate_missing
from bot.settings import Settings
from bot.translator import (
    GoogleTranslator,
    LibreTranslator,
    NoTranslator,
    Translation,
    translator_from_settings,
)
from storage import agenda
from storage.database import make_engine, new_session
from storage.models import AgendaItem, Event
from tests.concurrency import named_url
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.helpers import dump_every_table

AT = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)
# Words a resident might send: they must never reach a log line.
WORDS = "সিঁড়িতে রাতে আলো নেই, ভয় লাগে"


@pytest.fixture
def libre():
    with FakeLibreTranslate() as server:
        yield server


def _no_words_logged(caplog) -> None:
    for record in caplog.records:
        assert WORDS not in record.getMessage()
        assert WORDS[:10] not in record.getMessage()


# --- settings ------------------------------------------------------------------------------------------

def test_translator_is_none_unless_set():
    settings = Settings.from_env({"SECRET_KEY": "x"})
    assert settings.translator == "none"
    assert isinstance(translator_from_settings(settings), NoTranslator)


def test_libre_and_google_are_chosen_by_name():
    libre = translator_from_settings(Settings.from_env({
        "SECRET_KEY": "x", "TRANSLATOR": "libre", "LIBRETRANSLATE_URL": "http://127.0.0.1:5001/",
        "LIBRETRANSLATE_API_KEY": " key ",
    }))
    assert isinstance(libre, LibreTranslator) and libre.url == "http://127.0.0.1:5001" and libre.api_key == "key"
    assert isinstance(translator_from_settings(Settings.from_env({"SECRET_KEY": "x", "TRANSLATOR": "Google"})),
                      GoogleTranslator)


@pytest.mark.parametrize("value", ["deepl", "yes", "libretranslate"])
def test_an_unknown_translator_stops_start_up_naming_the_variable(value):
    with pytest.raises(ValueError, match=f"TRANSLATOR='{value}' is not valid"):
        Settings.from_env({"SECRET_KEY": "x", "TRANSLATOR": value})


@pytest.mark.parametrize("url", [None, "", "127.0.0.1:5001"])
def test_libre_without_an_address_stops_start_up_naming_the_variable(url):
    environ = {"SECRET_KEY": "x", "TRANSLATOR": "libre"}
    if url is not None:
        environ["LIBRETRANSLATE_URL"] = url
    with pytest.raises(ValueError, match="LIBRETRANSLATE_URL=.* is not valid"):
        Settings.from_env(environ)


# --- LibreTranslate ------------------------------------------------------------------------------------

def test_libre_posts_the_text_as_its_api_documents_and_reads_the_translation(libre):
    translation = LibreTranslator(libre.url).translate(WORDS, source="bn")
    assert translation == Translation(text=f"[en] {WORDS}", engine_name="LibreTranslate")
    assert libre.requests == [{"q": WORDS, "source": "bn", "target": "en", "format": "text"}]


def test_sylheti_is_sent_as_bengali(libre):
    assert LibreTranslator(libre.url).translate(WORDS, source="syl") is not None
    assert libre.requests[0]["source"] == "bn"


def test_the_api_key_is_sent_when_configured():
    with FakeLibreTranslate(api_key="s3cret") as server:
        assert LibreTranslator(server.url, api_key="s3cret").translate(WORDS, source="bn").text == f"[en] {WORDS}"
        assert server.requests[0]["api_key"] == "s3cret"


@pytest.mark.parametrize("key, status", [("wrong", "403"), ("", "400")])
def test_a_refused_key_gives_no_translation_and_logs_no_words(caplog, key, status):
    with FakeLibreTranslate(api_key="s3cret") as server, caplog.at_level(logging.WARNING):
        assert LibreTranslator(server.url, api_key=key).translate(WORDS, source="bn") is None
    assert any(f"HTTP {status}" in record.getMessage() for record in caplog.records)
    _no_words_logged(caplog)


def test_a_language_the_server_cannot_translate_gives_no_translation(libre, caplog):
    with caplog.at_level(logging.WARNING):
        assert LibreTranslator(libre.url).translate(WORDS, source="so") is None
    _no_words_logged(caplog)
    _no_part_logged(caplog, "so is not supported")
    assert any("HTTP 400, with an error field" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("status", [429, 500])
def test_a_busy_or_broken_server_gives_no_translation_and_logs_no_words(libre, caplog, status):
    libre.fail_next(status=status)
    with caplog.at_level(logging.WARNING):
        assert LibreTranslator(libre.url).translate(WORDS, source="bn") is None
    assert any(f"HTTP {status}" in record.getMessage() for record in caplog.records)
    _no_words_logged(caplog)
    # The next request is answered again: nothing is remembered as broken.
    assert LibreTranslator(libre.url).translate(WORDS, source="bn") is not None


def test_a_slow_server_times_out_with_no_translation(libre, caplog):
    libre.delay(2.0)
    with caplog.at_level(logging.WARNING):
        assert LibreTranslator(libre.url, timeout=0.2).translate(WORDS, source="bn") is None
    assert any("Timeout" in record.getMessage() for record in caplog.records)
    _no_words_logged(caplog)
    libre.delay(0)


def test_no_server_at_the_address_gives_no_translation(caplog):
    with FakeLibreTranslate() as server:
        url = server.url
    with caplog.at_level(logging.WARNING):
        assert LibreTranslator(url, timeout=2).translate(WORDS, source="bn") is None
    assert any("ConnectError" in record.getMessage() for record in caplog.records)
    _no_words_logged(caplog)


def test_an_answer_that_is_not_a_translation_gives_none(caplog):
    def handler(request):
        return httpx.Response(200, text="<html>a proxy's login page</html>")

    with caplog.at_level(logging.WARNING):
        translator = LibreTranslator("http://libre.invalid", transport=httpx.MockTransport(handler))
        assert translator.translate(WORDS, source="bn") is None
    _no_words_logged(caplog)


def _no_part_logged(caplog, error: str) -> None:
    """No six characters in a row of `error` (an error body's message) are in any log line."""
    for record in caplog.records:
        message = record.getMessage()
        for start in range(len(error) - 5):
            assert error[start:start + 6] not in message, (error[start:start + 6], message)


@pytest.mark.parametrize("error", [
    f"could not process {WORDS}",  # the whole text
    f"could not process {WORDS[-8:]}",  # a part of it, not its start
    "Bad parameter zq71 given",  # nothing of the text, still not logged
])
def test_no_part_of_an_error_message_is_logged(caplog, error):
    def handler(request):
        return httpx.Response(400, json={"error": error})

    with caplog.at_level(logging.WARNING):
        translator = LibreTranslator("http://libre.invalid", transport=httpx.MockTransport(handler))
        assert translator.translate(WORDS, source="bn") is None
    _no_words_logged(caplog)
    _no_part_logged(caplog, error)
    assert any("HTTP 400, with an error field (not logged)" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("body", [{"message": "Bad Gateway zq71"}, ["zq71 not a dict"], "<html>Bad Gateway zq71</html>"])
def test_an_error_answer_without_an_error_field_logs_only_its_status(caplog, body):
    def handler(request):
        if isinstance(body, str):
            return httpx.Response(502, text=body)
        return httpx.Response(502, json=body)

    with caplog.at_level(logging.WARNING):
        translator = LibreTranslator("http://libre.invalid", transport=httpx.MockTransport(handler))
        assert translator.translate(WORDS, source="bn") is None
    assert "zq71" not in caplog.text
    assert any("HTTP 502, without an error field" in record.getMessage() for record in caplog.records)


# --- Google, at deep-translator's seam (it cannot be pointed at a fake server) ---------------------------

class _FakeDeepGoogle:
    calls: list = []
    answer = "There is no light on the stairs"
    problem = None
    release = None

    def __init__(self, source="auto", target="en", **kwargs):
        self.source, self.target = source, target

    def translate(self, text, **kwargs):
        _FakeDeepGoogle.calls.append((self.source, self.target, text))
        if _FakeDeepGoogle.release is not None:
            _FakeDeepGoogle.release.wait(5)
        if _FakeDeepGoogle.problem:
            raise _FakeDeepGoogle.problem
        return _FakeDeepGoogle.answer


@pytest.fixture
def deep_google(monkeypatch):
    import deep_translator

    monkeypatch.setattr(deep_translator, "GoogleTranslator", _FakeDeepGoogle)
    _FakeDeepGoogle.calls, _FakeDeepGoogle.problem, _FakeDeepGoogle.release = [], None, None
    yield _FakeDeepGoogle
    if _FakeDeepGoogle.release is not None:
        _FakeDeepGoogle.release.set()


@pytest.mark.parametrize("language, sent", [("bn", "bn"), ("syl", "bn"), ("zh-Hans", "zh-CN"), ("zh-Hant", "zh-TW"),
                                            ("so", "so")])
def test_google_gets_its_own_language_codes(deep_google, language, sent):
    translation = GoogleTranslator().translate(WORDS, source=language)
    assert translation == Translation(text="There is no light on the stairs", engine_name="Google Translate")
    assert deep_google.calls == [(sent, "en", WORDS)]


def test_a_google_error_gives_no_translation_and_logs_no_words(deep_google, caplog):
    from deep_translator.exceptions import TooManyRequests

    deep_google.problem = TooManyRequests()
    with caplog.at_level(logging.WARNING):
        assert GoogleTranslator().translate(WORDS, source="bn") is None
    assert any("TooManyRequests" in record.getMessage() for record in caplog.records)
    _no_words_logged(caplog)


def test_a_stuck_google_request_is_given_up_on(deep_google, caplog):
    deep_google.release = threading.Event()  # the fake waits until the test ends
    with caplog.at_level(logging.WARNING):
        assert GoogleTranslator(timeout=0.1).translate(WORDS, source="bn") is None
    assert any("did not answer" in record.getMessage() for record in caplog.records)
    _no_words_logged(caplog)


# --- agenda items: translated once, kept ----------------------------------------------------------------

def _meeting(session) -> int:
    event = Event(title="Weavers ward panel", starts_at=AT + timedelta(days=10), created_at=AT)
    session.add(event)
    session.flush()
    return event.id


def _items(engine):
    with new_session(engine) as session:
        panel = _meeting(session)
        stairs = agenda.save_item(session, event_id=panel, topic="unsafe_place", text=WORDS, language="bn", now=AT)
        shop = agenda.save_item(session, event_id=panel, topic="noise", text="دکان کے باہر شور", language="ur", now=AT)
        swings = agenda.save_item(session, event_id=panel, topic="drugs", text="Needles by the swings", language="en",
                                  now=AT)
        session.commit()
        return panel, stairs.id, shop.id, swings.id


def _translations(engine) -> dict:
    with new_session(engine) as session:
        return dict(session.execute(select(AgendaItem.id, AgendaItem.translation)).all())


def test_missing_translations_are_made_once_and_kept(engine, libre):
    panel, stairs, shop, swings = _items(engine)
    translator = LibreTranslator(libre.url)
    made = translate_missing(engine, translator, event_id=panel)
    assert made == {stairs: Translation(f"[en] {WORDS}", "LibreTranslate"),
                    shop: Translation("[en] دکان کے باہر شور", "LibreTranslate")}
    assert sorted(request["source"] for request in libre.requests) == ["bn", "ur"]  # English is not sent
    assert _translations(engine) == {stairs: f"[en] {WORDS}", shop: "[en] دکان کے باہر شور", swings: None}

    assert translate_missing(engine, translator, event_id=panel) == {}
    assert len(libre.requests) == 2  # the second look asked nothing


def test_a_failed_translation_is_not_kept_and_is_tried_again(engine, libre, caplog):
    panel, stairs, shop, _swings = _items(engine)
    translator = LibreTranslator(libre.url)
    libre.fail_next(2, status=500)
    with caplog.at_level(logging.WARNING):
        assert translate_missing(engine, translator, event_id=panel) == {}
    _no_words_logged(caplog)
    assert set(_translations(engine).values()) == {None}
    assert set(translate_missing(engine, translator, event_id=panel)) == {stairs, shop}
    assert len(libre.requests) == 4


def test_translator_none_sends_nothing_and_changes_nothing(engine, database_url, monkeypatch):
    panel, *_ = _items(engine)

    def refuse(*args, **kwargs):
        raise AssertionError("TRANSLATOR=none must send nothing")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    import deep_translator

    monkeypatch.setattr(deep_translator, "GoogleTranslator", refuse)
    before = dump_every_table(database_url)
    assert translate_missing(engine, translator_from_settings(Settings.from_env({"SECRET_KEY": "x"})),
                             event_id=panel) == {}
    assert dump_every_table(database_url) == before


# --- safer-homes events agenda ID -----------------------------------------------------------------------

def _agenda(database_url, event_id, **env):
    from click.testing import CliRunner

    from bot.cli import main

    return CliRunner().invoke(main, ["events", "agenda", str(event_id)],
                              env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32, **env})


def test_events_agenda_translates_once_and_labels_the_engine(engine, database_url, libre):
    panel, stairs, shop, swings = _items(engine)
    env = {"TRANSLATOR": "libre", "LIBRETRANSLATE_URL": libre.url}
    first = _agenda(database_url, panel, **env)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert f"      English (machine translation, LibreTranslate): [en] {WORDS}" in lines
    assert "      English (machine translation, LibreTranslate): [en] دکان کے باہر شور" in lines
    assert not any("Needles" in line and "English (" in line for line in lines)
    assert not any("shown as written" in line for line in lines)
    assert len(libre.requests) == 2

    second = _agenda(database_url, panel, **env)
    assert second.exit_code == 0, second.output
    assert f"      English (machine translation): [en] {WORDS}" in second.output.splitlines()
    assert len(libre.requests) == 2  # kept: nothing asked again


def _open_transactions(database_url, name) -> list[str]:
    """What the command's own connections are doing now: PostgreSQL's states of those called `name`; on
    SQLite, "write lock" when another connection cannot begin (BEGIN IMMEDIATE holds the lock until it ends)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return []
        except sqlite3.OperationalError:
            return ["write lock"]
        finally:
            connection.close()
    watcher = make_engine(database_url)
    try:
        with watcher.connect() as connection:
            return list(connection.execute(text(
                "SELECT state FROM pg_stat_activity WHERE application_name = :name AND state != 'idle'"
            ), {"name": name}).scalars())
    finally:
        watcher.dispose()


def test_events_agenda_asks_the_translator_with_no_transaction_open(engine, database_url, libre, monkeypatch):
    """A translation can take up to its timeout per item: meanwhile the command holds no transaction (no
    "idle in transaction" connection on PostgreSQL, no write lock on SQLite), and still keeps what came."""
    panel, stairs, shop, swings = _items(engine)
    name = f"agenda-{secrets.token_hex(4)}"
    url = named_url(database_url, name)
    seen = []
    real_translate = LibreTranslator.translate

    def translate_and_look(self, text, **kwargs):
        seen.append(_open_transactions(database_url, name))
        return real_translate(self, text, **kwargs)

    monkeypatch.setattr(LibreTranslator, "translate", translate_and_look)
    result = _agenda(url, panel, TRANSLATOR="libre", LIBRETRANSLATE_URL=libre.url)
    assert result.exit_code == 0, result.output
    assert seen == [[], []]
    assert _translations(engine) == {stairs: f"[en] {WORDS}", shop: "[en] دکان کے باہر شور", swings: None}
    assert f"      English (machine translation, LibreTranslate): [en] {WORDS}" in result.output.splitlines()


def test_events_agenda_says_which_items_could_not_be_translated(engine, database_url, libre, caplog):
    panel, *_ = _items(engine)
    libre.fail_next(1, status=429)
    result = _agenda(database_url, panel, TRANSLATOR="libre", LIBRETRANSLATE_URL=libre.url)
    assert result.exit_code == 0, result.output
    assert ("Not translated this time: 1 item (LibreTranslate did not answer; see the log), shown as written; "
            "the next look tries again.") in result.output.splitlines()
    assert WORDS not in caplog.text
    assert sum(1 for line in result.output.splitlines() if "English (machine translation" in line) == 1


def test_events_agenda_with_translator_none_sends_nothing(engine, database_url, monkeypatch):
    panel, *_ = _items(engine)

    def refuse(*args, **kwargs):
        raise AssertionError("TRANSLATOR=none must send nothing")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    before = dump_every_table(database_url)
    result = _agenda(database_url, panel, TRANSLATOR="none")
    assert result.exit_code == 0, result.output
    assert "Items not in English are shown as written: no translator is configured (TRANSLATOR=none)." in result.output
    assert "English (machine translation" not in result.output
    assert dump_every_table(database_url) == before


def test_events_agenda_with_an_unknown_translator_says_so_and_changes_nothing(engine, database_url):
    panel, *_ = _items(engine)
    before = dump_every_table(database_url)
    result = _agenda(database_url, panel, TRANSLATOR="deepl")
    assert result.exit_code != 0
    assert "TRANSLATOR='deepl' is not valid" in result.output
    assert "Traceback" not in result.output
    assert dump_every_table(database_url) == before
