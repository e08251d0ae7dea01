"""bench/public.py: what the public figures cost on a million reports, next to the bare queries they run.

Fills a fresh SQLite file and a PostgreSQL schema of its own with N reports (1,000,000; `--quick`
100,000) as bench/inbox.py does (its generator and bulk fill), then adds what public figures read beyond
it: first-response and close clocks in working days, a few spam reports, times of day on unsafe places,
answers to "was this sorted?" and three agreed targets. Then, interleaved so machine noise falls on all:

  - `figures`: storage.public_figures.public_figures(borough), uncached (the product: SQLAlchemy, the
    percentiles, the suppression);
  - `query` (`raw` in the table): the very statements one public_figures() call sends, captured with a
    SQLAlchemy `before_cursor_execute` listener (so the bench follows the product: today SQLite's BEGIN
    IMMEDIATE, the lookups of wards, agencies and targets, on PostgreSQL `jit` read and set off with
    set_config and set back after, one GROUP BY over the period's reports, one over its sharings, one
    over its answers, one per agency with a "sorted" target of its own, and the published entries),
    replayed with their parameters through the bare DBAPI cursor, rows fetched, nothing else done with
    them;
  - `old_raw`: the eight queries the figures ran before their GROUP BYs were folded into three,
    written by hand, a fixed yardstick across versions;
  - `page`: GET /public (GET /public.json until web/public.py exists) through Flask's test client, with
    the figures' cache cleared and no snapshot each round: a visitor who counts the figures inline;
  - `snapshot_page`: the same GET with a fresh snapshot (storage/public_snapshots.py) and the per-process
    cache cleared: what a visitor waits for while the worker keeps the snapshots fresh (it checks that no
    report table was read);
  - `refresh`: storage.public_snapshots.refresh_snapshots, the worker's count of the borough and all 20
    wards (21 pages from one read, public_figures_for_all; one transaction each to keep them), every
    PUBLIC_SNAPSHOT_SECONDS (bot/worker.py).

`render_over_query` is figures' median over the raw replay's median (and `page_over_query` the page's):
how much the product adds to the database's own work for the same SQL. Timings are never asserted in tests.

    .venv/bin/python bench/public.py [--quick] [--database-url postgresql+psycopg://...] [--sqlite-only | --postgresql-only]

The last line is JSON.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import delete, event, text  # noqa: E402

from bench.inbox import NOW, fill as fill_reports, _naive, _sqlite_time  # noqa: E402
from flows.working_days import LONDON, overdue_cutoff  # noqa: E402
from storage.database import make_engine, new_session  # noqa: E402
from storage.models import PublicSnapshot  # noqa: E402
from storage.public_figures import _Period, clear_public_figures_cache, public_figures  # noqa: E402
from storage.public_snapshots import refresh_snapshots  # noqa: E402
from storage.seed import postgres_reachable, postgres_schema_of_its_own, prepare_database  # noqa: E402

MONTHS = 12
TARGETS = (  # measure, agency slug, working days, share
    ("first_response", "council", 2, 90),
    ("close", None, 20, 80),
    ("sorted", None, None, 75),
)


def enrich(engine) -> float:
    """What public figures read beyond the inbox's fill, set in bulk (setup, not measured): the clocks in
    working days (a fair spread rather than computed per row: the figures only group them), spam, times of
    day, answers and targets."""
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    # Only the reports the period can see (and a month before it) are touched: the figures read nothing
    # older, and rewriting a million rows would be most of the run on PostgreSQL.
    since = {"since": (_sqlite_time if sqlite else _naive)(NOW - timedelta(days=13 * 31))}
    with engine.begin() as connection:
        # Responses: 0-9 working days; closes 1-40 working days, for closed reports.
        connection.execute(text(
            "UPDATE reportagency SET response_working_days = (report_id * 7 + agency_id) % 10"
            " WHERE responded_at IS NOT NULL AND shared_at >= :since"), since)
        connection.execute(text(
            "UPDATE reportagency SET close_working_days = 1 + (report_id * 13 + agency_id) % 40"
            " WHERE shared_at >= :since AND report_id IN (SELECT id FROM report WHERE status = 'closed')"), since)
        connection.execute(text(
            "UPDATE report SET closed_at = updated_at WHERE status = 'closed' AND created_at >= :since"), since)
        connection.execute(text(
            "UPDATE report SET spam_at = created_at WHERE id % 997 = 0 AND created_at >= :since"), since)
        connection.execute(text(
            "UPDATE report SET time_of_day = CASE id % 4 WHEN 0 THEN 'morning' WHEN 1 THEN 'afternoon'"
            " WHEN 2 THEN 'evening' ELSE 'night' END,"
            " woman_or_girl = CASE WHEN id % 3 = 0 THEN :yes ELSE NULL END"
            " WHERE category = 'unsafe_place' AND created_at >= :since"), {"yes": True, **since})
        # One closed report in four was answered (when it was made will do: the figures group by month).
        connection.execute(text(
            "INSERT INTO sortedcheck (report_id, closed_at, asked_at, answer, answered_at, via)"
            " SELECT id, created_at, created_at, CASE id % 5 WHEN 0 THEN 'no' WHEN 1 THEN 'partly' ELSE 'yes' END,"
            " created_at, 'question' FROM report WHERE status = 'closed' AND id % 4 = 0 AND created_at >= :since"),
            since)
        agency_ids = dict(connection.execute(text("SELECT slug, id FROM agency")).all())
        for measure, agency, days, share in TARGETS:
            connection.execute(text(
                "INSERT INTO successtarget (measure, agency_id, ward_id, working_days, share_percent, agreed_with,"
                " agreed_on, effective_from, retired_on, created_at)"
                " VALUES (:measure, :agency, NULL, :days, :share, 'Borough community safety partnership',"
                " :agreed, :agreed, NULL, :now)"),
                {"measure": measure, "agency": agency_ids.get(agency), "days": days, "share": share,
                 "agreed": date(2026, 3, 1), "now": _sqlite_time(NOW) if sqlite else _naive(NOW)})
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return time.perf_counter() - started


def captured_queries(engine) -> list[tuple[str, object]]:
    """Every statement one uncached public_figures() call for the borough sends, as the DBAPI gets it
    (SQL and parameters), in order: what `raw` replays bare, so it cannot drift from the product."""
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany):
        assert not executemany, statement
        statements.append((statement, dict(parameters) if isinstance(parameters, dict) else tuple(parameters or ())))

    session = new_session(engine)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        public_figures(session, ward_slug=None, now=NOW, months=MONTHS)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        session.rollback()
        session.close()
    grouped = sum(" GROUP BY " in sql.upper() for sql, _params in statements)
    assert grouped >= 3, f"expected the reports, sharings and answers GROUP BYs, captured {grouped}"
    return statements


def old_raw_queries(dialect: str) -> list[tuple[str, list]]:
    """The eight queries the borough page ran before they were folded into three (counts, agencies,
    satisfaction, night safety, one per target, entries), written by hand: a fixed yardstick."""
    mark = "?" if dialect == "sqlite" else "%s"
    when = _sqlite_time if dialect == "sqlite" else _naive
    period = _Period.ending(NOW, MONTHS)
    start, end = when(period.start), when(period.end)
    counted = "r.spam_at IS NULL AND r.duplicate_of_id IS NULL"

    def month_case(column: str, bounds) -> tuple[str, list]:
        arms = " ".join(f"WHEN {column} < {mark} THEN {index}" for index in range(len(bounds) - 1))
        return f"CASE {arms} ELSE {len(bounds) - 2} END", [when(bound) for bound in bounds[1:]]

    month_sql, month_params = month_case("r.created_at", period.bounds)
    queries = [
        (f"SELECT month, category, status, count(*) FROM (SELECT {month_sql} AS month, r.category, r.status"
         f" FROM report r WHERE {counted} AND r.created_at >= {mark} AND r.created_at < {mark}) t"
         " GROUP BY month, category, status", month_params + [start, end]),
        ("SELECT ra.agency_id, ra.response_working_days, ra.close_working_days, count(*) FROM reportagency ra"
         f" JOIN report r ON r.id = ra.report_id WHERE {counted} AND ra.shared_at >= {mark} AND ra.shared_at < {mark}"
         " GROUP BY ra.agency_id, ra.response_working_days, ra.close_working_days", [start, end]),
        ("SELECT a.answer, count(*) FROM sortedcheck a JOIN report r ON r.id = a.report_id"
         f" WHERE a.answer IS NOT NULL AND a.answered_at >= {mark} AND a.answered_at < {mark} AND {counted}"
         " AND NOT EXISTS (SELECT 1 FROM sortedcheck l WHERE l.report_id = a.report_id AND l.answer IS NOT NULL"
         " AND (l.answered_at > a.answered_at OR (l.answered_at = a.answered_at AND l.id > a.id)))"
         " GROUP BY a.answer", [start, end]),
        ("SELECT ward_id, time_of_day, woman_or_girl, responded, count(*) FROM (SELECT r.ward_id, r.time_of_day,"
         " r.woman_or_girl, CASE WHEN EXISTS (SELECT 1 FROM reportagency ra WHERE ra.report_id = r.id"
         " AND ra.responded_at IS NOT NULL) THEN 1 ELSE 0 END AS responded FROM report r"
         f" WHERE {counted} AND r.category = 'unsafe_place' AND r.created_at >= {mark} AND r.created_at < {mark}) t"
         " GROUP BY ward_id, time_of_day, woman_or_girl, responded", [start, end]),
    ]
    # The three targets, each over the months it was in force (all of the period here).
    effective = datetime_of(date(2026, 3, 1))
    first = next(index for index, bound in enumerate(period.bounds[1:]) if bound > effective)
    bounds = [max(period.bounds[first], effective), *period.bounds[first + 1:]]
    for measure, agency, days, _share in TARGETS:
        month_sql, month_params = month_case("ra.shared_at" if measure != "sorted" else "a.answered_at", bounds)
        if measure == "sorted":
            sql = (f"SELECT month, sum(met), sum(decided) FROM (SELECT {month_sql} AS month,"
                   " CASE WHEN a.answer IN ('yes', 'partly') THEN 1 ELSE 0 END AS met, 1 AS decided"
                   f" FROM sortedcheck a JOIN report r ON r.id = a.report_id WHERE a.answer IS NOT NULL AND {counted}"
                   f" AND a.answered_at >= {mark} AND a.answered_at < {mark} AND NOT EXISTS (SELECT 1 FROM sortedcheck l"
                   " WHERE l.report_id = a.report_id AND l.answer IS NOT NULL AND (l.answered_at > a.answered_at"
                   " OR (l.answered_at = a.answered_at AND l.id > a.id)))) t GROUP BY month")
            queries.append((sql, month_params + [when(bounds[0]), when(bounds[-1])]))
            continue
        clock = "ra.response_working_days" if measure == "first_response" else "ra.close_working_days"
        agency_condition = f" AND ra.agency_id = (SELECT id FROM agency WHERE slug = '{agency}')" if agency else ""
        sql = (f"SELECT month, sum(met), sum(decided) FROM (SELECT {month_sql} AS month,"
               f" CASE WHEN {clock} <= {days} THEN 1 ELSE 0 END AS met,"
               f" CASE WHEN {clock} IS NOT NULL OR ra.shared_at < {mark} THEN 1 ELSE 0 END AS decided"
               f" FROM reportagency ra JOIN report r ON r.id = ra.report_id WHERE {counted}"
               f" AND ra.shared_at >= {mark} AND ra.shared_at < {mark}{agency_condition}) t GROUP BY month")
        queries.append((sql, month_params + [when(overdue_cutoff(NOW, days + 1)), when(bounds[0]), when(bounds[-1])]))
    queries.append(("SELECT * FROM publicentry WHERE state = 'published' AND published_at IS NOT NULL"
                    " ORDER BY published_at DESC, id DESC LIMIT 50", []))
    return queries


def datetime_of(day: date) -> datetime:
    """London midnight at the start of `day`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(timezone.utc)


def _app(url: str):
    from webhook import create_app
    app = create_app({"database_url": url, "secret_key": "bench-secret-key-not-for-production-0123456789",
                      "TESTING": True})
    app.extensions["safer_homes.clock"] = lambda: NOW
    return app


def measure(engine, url: str, rounds: int, warm_up: int) -> dict:
    queries = captured_queries(engine)
    old_queries = old_raw_queries(engine.dialect.name)
    # The HTML page once web/public.py exists, else the JSON download: the same figures either way.
    page_path = "/public" if importlib.util.find_spec("web.public") is not None else "/public.json"
    app = _app(url)
    client = app.test_client()
    timings: dict[str, list[float]] = {"figures": [], "query": [], "old_raw": [], "page": [],
                                       "snapshot_page": [], "refresh": []}
    app_engine = app.extensions["safer_homes.engine"]
    report_reads: list[str] = []

    def watch(_conn, _cursor, statement, *_args):
        if " report" in statement or " reportagency" in statement:
            report_reads.append(statement)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    session = new_session(engine)
    try:
        for round_number in range(rounds + warm_up):
            started = time.perf_counter()
            figures = public_figures(session, ward_slug=None, now=NOW, months=MONTHS)
            product = time.perf_counter() - started
            session.rollback()
            started = time.perf_counter()
            for sql, params in queries:
                cursor.execute(sql, params)
                cursor.fetchall()
            bare = time.perf_counter() - started
            raw.rollback()
            started = time.perf_counter()
            for sql, params in old_queries:
                cursor.execute(sql, params)
                cursor.fetchall()
            old_bare = time.perf_counter() - started
            raw.rollback()
            # The worker's refresh (stamped NOW, the page's clock, so the page is served from it).
            with new_session(engine) as writing:
                writing.execute(delete(PublicSnapshot))
                writing.commit()
                started = time.perf_counter()
                pages = refresh_snapshots(writing, now=NOW, months=MONTHS)
                refresh = time.perf_counter() - started
            clear_public_figures_cache()
            event.listen(app_engine, "before_cursor_execute", watch)
            try:
                started = time.perf_counter()
                response = client.get(page_path)
                snapshot_page = time.perf_counter() - started
            finally:
                event.remove(app_engine, "before_cursor_execute", watch)
            assert response.status_code == 200 and not report_reads, (response.status_code, report_reads[:1])
            # A visitor who finds no snapshot counts inline.
            with new_session(engine) as writing:
                writing.execute(delete(PublicSnapshot))
                writing.commit()
            clear_public_figures_cache()
            started = time.perf_counter()
            response = client.get(page_path)
            page = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            if round_number >= warm_up:
                timings["figures"].append(product)
                timings["query"].append(bare)
                timings["old_raw"].append(old_bare)
                timings["page"].append(page)
                timings["snapshot_page"].append(snapshot_page)
                timings["refresh"].append(refresh)
        assert figures.total, "the fill should give the period some reports"
    finally:
        session.close()
        cursor.close()
        raw.close()
        app.extensions["safer_homes.engine"].dispose()
    medians = {name: statistics.median(values) for name, values in timings.items()}
    result = {f"{name}_ms": round(value * 1000, 1) for name, value in medians.items()}
    result["render_over_query"] = round(medians["figures"] / medians["query"], 2)
    result["page_over_query"] = round(medians["page"] / medians["query"], 2)
    result["page"] = page_path
    result["refresh_pages"] = pages
    result["statements"] = len(queries)
    result["total"] = figures.total
    return result


def _postgres_url(given: str | None) -> str | None:
    url = given or os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return url if postgres_reachable(url) else None


def run_backend(url: str, size: int, rounds: int, warm_up: int) -> tuple[dict, float]:
    prepare_database(url)
    engine = make_engine(url)
    try:
        fill_seconds = fill_reports(engine, size) + enrich(engine)
        return measure(engine, url, rounds, warm_up), fill_seconds
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 reports and fewer rounds")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a schema of its own is made)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql-only", action="store_true")
    args = parser.parse_args()
    run_started = time.perf_counter()
    size = 100_000 if args.quick else 1_000_000
    # A round at a million reports takes seconds per backend: three rounds (the median is robust to the
    # first, cold one) keep the whole run inside five minutes on two cores.
    rounds, warm_up = (5, 1) if args.quick else (3, 0)
    backends: dict = {}
    fills: dict = {}
    if not args.postgresql_only:
        with tempfile.TemporaryDirectory(prefix="bench-public-") as tmp:
            backends["sqlite"], fills["sqlite"] = run_backend(f"sqlite:///{tmp}/public.db", size, rounds, warm_up)
    postgres = None if args.sqlite_only else _postgres_url(args.database_url)
    if postgres:
        url, drop = postgres_schema_of_its_own(postgres, prefix="bench")
        try:
            backends["postgresql"], fills["postgresql"] = run_backend(url, size, rounds, warm_up)
        finally:
            drop()

    print(f"{size:,} reports; the borough's figures over {MONTHS} months, {rounds} rounds (medians)")
    print(f"{'backend':<11} {'figures ms':>11} {'raw ms':>8} {'old raw ms':>11} {'page ms':>8} {'figures/raw':>12}"
          f" {'page/raw':>9} {'snapshot page ms':>17} {'refresh ms':>11} {'fill s':>7}"
          f"  page (raw replays n statements; refresh counts p pages)")
    for backend, figures in backends.items():
        print(f"{backend:<11} {figures['figures_ms']:>11} {figures['query_ms']:>8} {figures['old_raw_ms']:>11} "
              f"{figures['page_ms']:>8} {figures['render_over_query']:>12} {figures['page_over_query']:>9} "
              f"{figures['snapshot_page_ms']:>17} {figures['refresh_ms']:>11} "
              f"{fills[backend]:>7.0f}  {figures['page']} (n={figures['statements']}; p={figures['refresh_pages']})")
    print(f"whole run {time.perf_counter() - run_started:.0f} s")
    print(json.dumps({"reports": size, "backends": {
        backend: {key: value for key, value in figures.items()
                  if key not in ("total", "page", "statements", "refresh_pages")}
        for backend, figures in backends.items()}}))


if __name__ == "__main__":
    main()
