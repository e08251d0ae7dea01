"""Snapshots of the public figures (storage/public_snapshots.py) on SQLite and PostgreSQL: JSON that gives
back the very same figures (a property test, and a seeded database's), a snapshot at most 60 seconds old
served without reading a report, an older one (or one from the future) never, the worker counting them on
its interval, a page shown from one exactly as counted inline, and migration 0015 down and up."""
from __future__ import annotations

import json
import re
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, inspect, select

from bot.settings import Settings
from bot.worker import PUBLIC_SNAPSHOT_SECONDS, run_due_work
from storage import migrate
from storage.database import make_engine, new_read_session, new_session
from storage.models import PublicEntry, PublicSnapshot, SuccessTarget, Ward
from storage.public_figures import PublicFigures, cached_public_figures, clear_public_figures_cache, public_figures
from storage.public_snapshots import (BOROUGH, fresh_snapshot, from_json, refresh_snapshots, store_snapshot,
                                      to_json)
from tests.storage.test_public_figures import IN_APRIL, IN_JUNE, IN_MAY, NOW, Reports

UTC = timezone.utc
# Statements that read what residents reported: a served snapshot must issue none of them.
REPORT_TABLES = re.compile(r"\b(report|reportagency|sortedcheck|successtarget|publicentry)\b", re.IGNORECASE)


# --- JSON, losslessly ----------------------------------------------------------------------------------

def _strategy(hint):
    """Any value of the declared type, every field filled (defaults included), dicts in any order."""
    if is_dataclass(hint):
        hints = get_type_hints(hint)
        return st.builds(hint, **{item.name: _strategy(hints[item.name]) for item in fields(hint)})
    origin, args = get_origin(hint), get_args(hint)
    if origin is Union:
        return st.one_of(*[_strategy(arg) for arg in args])
    if origin is dict:
        return st.dictionaries(_strategy(args[0]), _strategy(args[1]), max_size=4)
    if origin is tuple:
        return st.lists(_strategy(args[0]), max_size=3).map(tuple)
    return {
        type(None): st.none(),
        int: st.integers(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        str: st.text(max_size=12),
        date: st.dates(),
        # Figures carry aware datetimes in fixed-offset zones (UTC from the database), where `fold` changes
        # nothing, so it is not kept.
        datetime: st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=1))]))
        .map(lambda moment: moment.replace(fold=0)),
    }[hint]


@settings(max_examples=200, deadline=None)
@given(_strategy(PublicFigures))
def test_any_figures_come_back_the_same_through_json(figures):
    restored = from_json(json.loads(json.dumps(to_json(figures))))
    assert restored == figures
    # repr also tells a tuple from a list, 3.0 from 3, each time zone, and the order of every dict's keys,
    # which the pages show in order.
    assert repr(restored) == repr(figures)


def test_a_snapshot_of_another_layout_or_malformed_is_refused():
    document = to_json(_figures_by_hand())
    with pytest.raises(ValueError):
        from_json({**document, "format": "0" * 16})
    with pytest.raises(ValueError):
        from_json({**document, "figures": {**document["figures"], "total": "7"}})
    partial = dict(document["figures"])
    del partial["satisfaction"]
    with pytest.raises(ValueError):
        from_json({**document, "figures": partial})


def _figures_by_hand(*, ward_slug=None, counted_at=NOW, total=7) -> PublicFigures:
    from storage.public_figures import Satisfaction
    return PublicFigures(ward_slug=ward_slug, ward_name="Weavers" if ward_slug else None,
                         period_start=date(2026, 4, 1), period_end=date(2026, 6, 15), counted_at=counted_at,
                         total=total, by_category={"noise": 7, "asb": None}, by_status={"received": 7},
                         months=(), agencies=(), satisfaction=Satisfaction(answers=None), targets=(),
                         night_safety=(), entries=())


# --- a seeded database ---------------------------------------------------------------------------------

@pytest.fixture
def session(engine):
    with new_session(engine) as session:
        yield session


@pytest.fixture
def seeded(session):
    """A little of everything the figures show: categories and statuses over three months, agencies'
    times, answers, a target of each measure, night safety and a translated entry."""
    reports = Reports(session)
    for at in (IN_APRIL, IN_MAY, IN_JUNE):
        reports.many(6, at=at, category="noise", status="closed",
                     shared=[("council", 1, 4), ("housing", 3, None)])
        reports.many(5, at=at, category="asb", ward="bow-east", shared=[("police", 2, None)])
    for answer in ("yes", "yes", "partly", "no", "yes", "no"):
        reports.answer(reports.add(at=IN_MAY, status="closed", shared=[("council", 1, 2)]), answer, at=IN_JUNE)
    for index in range(7):
        reports.add(category="unsafe_place", time_of_day="night" if index < 5 else "evening",
                    woman_or_girl=True if index < 5 else None, shared=[("council", 1 if index % 2 else None, None)])
    for measure, days in (("first_response", 2), ("close", 10), ("sorted", None)):
        session.add(SuccessTarget(measure=measure, working_days=days, share_percent=80, agreed_with="Weavers ward panel",
                                  agreed_on=date(2026, 3, 20), effective_from=date(2026, 4, 1), created_at=NOW,
                                  agency_id=reports.agency_ids["council"] if measure != "sorted" else None,
                                  ward_id=reports.ward_ids["weavers"] if measure == "close" else None))
    session.add(PublicEntry(ward_id=reports.ward_ids["weavers"], category="noise", agency_id=reports.agency_ids["council"],
                            you_said="Late-night noise on the estate", we_did="Patrols on Fridays",
                            translations={"bn": {"you_said": "রাতে শব্দ", "we_did": "টহল"}},
                            machine_translated=["bn"], state="published",
                            published_at=datetime(2026, 6, 1, 10, 30, 15, 123456, tzinfo=UTC),
                            created_at=NOW, updated_at=NOW))
    session.commit()


@pytest.mark.parametrize("ward_slug", [None, "weavers"])
def test_a_seeded_databases_figures_come_back_the_same_from_a_snapshot(session, seeded, ward_slug):
    counted = public_figures(session, ward_slug=ward_slug, now=NOW, months=3)
    assert counted.total and counted.agencies and counted.targets and counted.entries  # something to lose
    store_snapshot(session, figures=counted, months=3)
    session.commit()
    served = fresh_snapshot(session, ward_slug=ward_slug, months=3, now=NOW)
    assert served == counted
    assert repr(served) == repr(counted)


# --- freshness ---------------------------------------------------------------------------------------

class StatementLog:
    """Every statement the engine runs while it is listening."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _record(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def report_reads(self) -> list[str]:
        return [statement for statement in self.statements if REPORT_TABLES.search(statement)]


def test_a_snapshot_up_to_sixty_seconds_old_is_served_without_reading_a_report(engine, session, seeded):
    clear_public_figures_cache()
    counted = public_figures(session, ward_slug="weavers", now=NOW, months=3)
    store_snapshot(session, figures=counted, months=3)
    session.commit()
    # Added after the count: a page that counted would show it.
    Reports(session).many(5, category="drugs")
    session.commit()
    with StatementLog(engine) as log, new_session(engine) as page:
        shown = cached_public_figures(page, ward_slug="weavers", now=NOW + timedelta(seconds=60), months=3)
    assert shown == counted and shown.by_category.get("drugs") is None
    assert log.statements and log.report_reads == []
    clear_public_figures_cache()


def test_a_snapshot_older_than_sixty_seconds_is_never_served(engine, session, seeded):
    clear_public_figures_cache()
    store_snapshot(session, figures=public_figures(session, ward_slug="weavers", now=NOW, months=3), months=3)
    session.commit()
    Reports(session).many(5, category="drugs")
    session.commit()
    later = NOW + timedelta(seconds=61)
    assert fresh_snapshot(session, ward_slug="weavers", months=3, now=later) is None
    session.rollback()  # SQLite: a plain session holds the write lock until it ends
    with StatementLog(engine) as log, new_session(engine) as page:
        shown = cached_public_figures(page, ward_slug="weavers", now=later, months=3)
    assert log.report_reads  # counted inline
    assert shown.by_category["drugs"] == 5 and shown.counted_at == later
    # ... and kept, so the next process is served it.
    assert fresh_snapshot(session, ward_slug="weavers", months=3, now=later) == shown
    clear_public_figures_cache()


def test_a_snapshot_kept_in_the_process_expires_when_it_turns_sixty_seconds_old(engine, session, seeded):
    clear_public_figures_cache()
    counted_at = NOW - timedelta(seconds=30)
    store_snapshot(session, figures=public_figures(session, ward_slug="weavers", now=counted_at, months=3), months=3)
    session.commit()
    moment = [1000.0]  # this process's clock, moving with `now`
    clock = lambda: moment[0]  # noqa: E731
    with new_session(engine) as page:
        first = cached_public_figures(page, ward_slug="weavers", now=NOW + timedelta(seconds=20), months=3, clock=clock)
    assert first.counted_at == counted_at  # served from the snapshot, 50 seconds old
    Reports(session).many(5, category="drugs")
    session.commit()
    moment[0] += 5  # 55 seconds old: still kept
    with new_session(engine) as page:
        assert cached_public_figures(page, ward_slug="weavers", now=NOW + timedelta(seconds=25), months=3,
                                     clock=clock) is first
    moment[0] += 6  # 61 seconds old, read 11 seconds ago, in the same minute: counted afresh
    with new_session(engine) as page:
        again = cached_public_figures(page, ward_slug="weavers", now=NOW + timedelta(seconds=31), months=3, clock=clock)
    assert again.by_category["drugs"] == 5
    clear_public_figures_cache()


def test_a_snapshot_from_the_future_is_not_served_and_a_newer_one_is_never_replaced(session, seeded):
    store_snapshot(session, figures=_figures_by_hand(counted_at=NOW, total=9), months=3)
    session.commit()
    assert fresh_snapshot(session, ward_slug=None, months=3, now=NOW - timedelta(seconds=1)) is None
    store_snapshot(session, figures=_figures_by_hand(counted_at=NOW - timedelta(seconds=5), total=8), months=3)
    session.commit()
    assert fresh_snapshot(session, ward_slug=None, months=3, now=NOW).total == 9  # the slower, older count lost
    store_snapshot(session, figures=_figures_by_hand(counted_at=NOW + timedelta(seconds=5), total=10), months=3)
    session.commit()
    assert fresh_snapshot(session, ward_slug=None, months=3, now=NOW + timedelta(seconds=5)).total == 10
    # Another period is another page.
    assert fresh_snapshot(session, ward_slug=None, months=12, now=NOW + timedelta(seconds=5)) is None
    rows = session.execute(select(PublicSnapshot.ward_slug, PublicSnapshot.months)).all()
    assert rows == [(BOROUGH, 3)]


# --- refreshing ----------------------------------------------------------------------------------------

def test_refresh_counts_the_borough_and_every_ward_as_public_figures_does(engine, session, seeded):
    assert refresh_snapshots(session, now=NOW, months=3) == 21
    kept = dict(session.execute(select(PublicSnapshot.ward_slug, PublicSnapshot.computed_at)).all())
    slugs = set(session.execute(select(Ward.slug)).scalars())
    assert set(kept) == {BOROUGH} | slugs and set(kept.values()) == {NOW}
    for ward_slug in (None, "weavers", "bow-east"):
        assert fresh_snapshot(session, ward_slug=ward_slug, months=3, now=NOW) == \
            public_figures(session, ward_slug=ward_slug, now=NOW, months=3)


def test_a_read_session_never_holds_up_a_writer(engine, session, seeded):
    # On SQLite a plain session begins IMMEDIATE and would keep this insert waiting (busy_timeout, 10 s)
    # and then failing; the refresh counts in sessions like this one.
    with new_read_session(engine) as reading:
        assert public_figures(reading, ward_slug=None, now=NOW, months=3).total
        with new_session(engine) as writing:
            Reports(writing).add()
            writing.commit()
        assert reading.in_transaction()


def test_the_worker_refreshes_each_page_once_its_snapshot_is_thirty_seconds_old(engine, session, seeded, tmp_path):
    settings = Settings(secret_key="x" * 32, media_dir=str(tmp_path / "media"))
    assert run_due_work(engine, settings, {}, now=NOW)["public_snapshots_refreshed"] == 21  # worker --once: all
    counted_at = session.execute(select(PublicSnapshot.computed_at).where(PublicSnapshot.ward_slug == "weavers")).scalar_one()
    assert NOW <= counted_at < NOW + timedelta(seconds=30)  # stamped when the refresh began
    session.rollback()  # SQLite: a plain session holds the write lock until it ends
    almost = counted_at + timedelta(seconds=PUBLIC_SNAPSHOT_SECONDS - 1)
    assert run_due_work(engine, settings, {}, now=almost)["public_snapshots_refreshed"] == 0
    Reports(session).many(5, category="drugs")
    session.commit()
    # Every page is due again: one count for all of them, even on a budget the loop has long spent.
    due = counted_at + timedelta(seconds=PUBLIC_SNAPSHOT_SECONDS)
    with StatementLog(engine) as log:
        assert run_due_work(engine, settings, {}, now=due, snapshot_budget_seconds=0)["public_snapshots_refreshed"] == 21
    # The period's reports, sharings and answers each read once (grouped by ward), not once per page.
    assert len([statement for statement in log.report_reads if "GROUP BY" in statement]) == 3
    session.rollback()
    # A page alone due (its snapshot gone) is counted alone; none twice.
    session.execute(delete(PublicSnapshot).where(PublicSnapshot.ward_slug == "weavers"))
    session.commit()
    assert run_due_work(engine, settings, {}, now=due + timedelta(seconds=1),
                        snapshot_budget_seconds=0)["public_snapshots_refreshed"] == 1
    assert run_due_work(engine, settings, {}, now=due + timedelta(seconds=2),
                        snapshot_budget_seconds=0)["public_snapshots_refreshed"] == 0
    clear_public_figures_cache()
    with StatementLog(engine) as log, new_session(engine) as page:
        shown = cached_public_figures(page, ward_slug="weavers", now=due + timedelta(seconds=40))
    assert log.report_reads == [] and shown.by_category["drugs"] == 5
    clear_public_figures_cache()


def test_one_page_that_cannot_be_counted_leaves_the_others_fresh(engine, session, seeded, monkeypatch):
    from storage import public_snapshots

    def counting_together(reading, *, now, months):
        raise RuntimeError("a bug in one page's figures")

    def counting(reading, *, ward_slug, now, months):
        if ward_slug is None:
            raise RuntimeError("a bug in the borough's figures")
        return public_figures(reading, ward_slug=ward_slug, now=now, months=months)

    # Counting the pages together fails: they are counted one by one, and only the broken one is left out.
    monkeypatch.setattr(public_snapshots, "public_figures_for_all", counting_together)
    monkeypatch.setattr(public_snapshots, "public_figures", counting)
    assert refresh_snapshots(session, now=NOW, months=3, older_than=timedelta(seconds=30)) == 20
    assert fresh_snapshot(session, ward_slug="weavers", months=3, now=NOW) is not None
    assert fresh_snapshot(session, ward_slug=None, months=3, now=NOW) is None
    session.rollback()
    # One by one, the budget holds: one page a pass (one is always counted), the stalest first.
    later = NOW + timedelta(seconds=30)
    passes = [refresh_snapshots(session, now=later + timedelta(seconds=second), months=3,
                                older_than=timedelta(seconds=30), budget_seconds=0) for second in range(22)]
    assert passes == [1] * 20 + [0, 0]  # the borough, never counted, is tried first each pass and fails


# --- the pages ---------------------------------------------------------------------------------------

@pytest.fixture
def page_at_now(app):
    app.extensions["safer_homes.clock"] = lambda: NOW
    clear_public_figures_cache()
    yield app.test_client()
    clear_public_figures_cache()


@pytest.mark.parametrize("path", ["/public", "/public/wards/weavers", "/public.json", "/public/wards/weavers.csv"])
def test_a_page_from_a_snapshot_is_the_page_counted_inline(app, page_at_now, seeded, path):
    engine = app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        refresh_snapshots(session, now=NOW)
    with StatementLog(engine) as log:
        from_snapshot = page_at_now.get(path)
    assert from_snapshot.status_code == 200 and log.report_reads == []
    with new_session(engine) as session:
        session.execute(delete(PublicSnapshot))
        session.commit()
    clear_public_figures_cache()
    with StatementLog(engine) as log:
        counted_inline = page_at_now.get(path)
    assert log.report_reads  # it did count
    assert _without_nonces(counted_inline.get_data(as_text=True)) == _without_nonces(from_snapshot.get_data(as_text=True))


def _without_nonces(page: str) -> str:
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


# --- the migration -------------------------------------------------------------------------------------

def test_migration_0015_down_and_up(database_url):
    migrate.downgrade(database_url, "0014")
    engine = make_engine(database_url)
    assert "publicsnapshot" not in inspect(engine).get_table_names()
    engine.dispose()
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    assert {column["name"] for column in inspect(engine).get_columns("publicsnapshot")} == \
        {"ward_slug", "months", "computed_at", "figures"}
    assert inspect(engine).get_pk_constraint("publicsnapshot")["constrained_columns"] == ["ward_slug", "months"]
    with new_session(engine) as session:
        store_snapshot(session, figures=_figures_by_hand(), months=12)
        session.commit()
        assert fresh_snapshot(session, ward_slug=None, months=12, now=NOW) == _figures_by_hand()
    engine.dispose()
    migrate.check(database_url)
