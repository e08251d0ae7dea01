"""`safer-homes events add | list | cancel`, as an organiser or another tool would run them."""
from datetime import datetime, timezone

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from storage.database import make_engine, new_session
from storage.models import Event


def _run(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def _events(database_url):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = list(session.execute(select(Event).order_by(Event.id)).scalars())
    engine.dispose()
    return rows


def test_add_prints_the_id_alone_on_its_last_line_and_reads_london_time(database_url):
    result = _run(database_url, "events", "add", "--title", "Weavers ward panel", "--starts", "2099-07-14T18:30",
                  "--ward", "weavers", "--place", "Weavers Community Centre", "--capacity", "40")
    assert result.exit_code == 0, result.output
    last_line = result.output.strip().splitlines()[-1]
    [event] = _events(database_url)
    assert last_line == str(event.id)
    # 18:30 in London in July is 17:30 UTC (British Summer Time).
    assert event.starts_at == datetime(2099, 7, 14, 17, 30, tzinfo=timezone.utc)
    assert (event.place, event.capacity) == ("Weavers Community Centre", 40)


def test_an_explicit_offset_is_kept(database_url):
    _run(database_url, "events", "add", "--title", "Forum", "--starts", "2099-01-14T18:30+00:00")
    assert _events(database_url)[0].starts_at == datetime(2099, 1, 14, 18, 30, tzinfo=timezone.utc)


def test_bad_input_is_refused_clearly_and_adds_nothing(database_url):
    cases = [
        (["--title", "Panel", "--starts", "next tuesday"], "ISO 8601"),
        (["--title", "Panel", "--starts", "2099-01-14T18:30", "--ward", "atlantis"], "unknown ward"),
        (["--title", "Panel", "--starts", "2099-01-14T18:30", "--capacity", "0"], "capacity"),
        (["--title", "   ", "--starts", "2099-01-14T18:30"], "title"),
        (["--title", "Panel", "--starts", "2001-01-14T18:30"], "future"),
    ]
    for args, message in cases:
        result = _run(database_url, "events", "add", *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert _events(database_url) == []


def test_list_shows_upcoming_events_and_cancel_marks_them(database_url):
    first = _run(database_url, "events", "add", "--title", "Bow youth forum", "--starts", "2099-03-01T17:00", "--ward", "bow-east")
    event_id = first.output.strip().splitlines()[-1]
    listed = _run(database_url, "events", "list")
    assert "Bow youth forum" in listed.output and "Bow East" in listed.output and "2099-03-01 17:00" in listed.output
    assert _run(database_url, "events", "cancel", event_id).exit_code == 0
    assert "CANCELLED" in _run(database_url, "events", "list").output
    missing = _run(database_url, "events", "cancel", "999")
    assert missing.exit_code != 0 and "no event 999" in missing.output


def test_demo_data_adds_demo_events_held_in_demo_spaces_on_a_new_database_only(tmp_path, database_url):
    from storage import migrate
    from storage.seed import DEMO_EVENTS

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(fresh)
    assert _run(fresh, "demo-data").exit_code == 0
    assert sorted(event.title for event in _events(fresh)) == sorted(demo["title"] for demo in DEMO_EVENTS)
    assert all(event.space_id is not None and event.titles.keys() >= {"bn", "so"} for event in _events(fresh))
    listed = _run(fresh, "events", "list").output
    assert "Old Montague Street Community Centre (demo)" in listed and "place to be confirmed" not in listed
    assert _run(fresh, "demo-data").exit_code == 0
    assert len(_events(fresh)) == len(DEMO_EVENTS)
    # An installation that already had its wards gets no demo events.
    assert _run(database_url, "demo-data").exit_code == 0 and _events(database_url) == []
