"""bench/inbox.py: how long the staff inbox's first page takes on a million reports.

Fills a fresh SQLite file and a PostgreSQL schema of its own with N reports (1,000,000; `--quick`
100,000) spread over three years, the 20 wards, the 7 report categories, 9 languages, 4 channels and the
3 agencies residents choose (council, housing, police), with statuses and responses that age as real
ones do. Then, for typical filters, it asks for the council's first page many times through
storage.inbox.inbox_page (the product: SQLAlchemy, the response clock per row) and the same query as
hand-written SQL through the bare DBAPI cursor, interleaved so machine noise falls on both:

  - `p50_ms`, `p95_ms`: inbox_page's latency per filter and backend (target: p95 under 100 ms);
  - `orm_over_raw`: inbox_page's median time over the raw query's, per filter;
  - `summary_ms`: inbox_summary's p95 (the header's open and overdue counts), counted afresh each time as
    the page does once a minute per agency (web/staff_inbox.SUMMARY_FRESH_FOR).

    .venv/bin/python bench/inbox.py [--quick] [--database-url postgresql+psycopg://...] [--sqlite-only | --postgresql-only]

The PostgreSQL part runs when --database-url (default TEST_DATABASE_URL, else the local test server) is
reachable; its schema is dropped at the end, the SQLite file deleted. Timings are never asserted in
tests. The last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from flows.working_days import overdue_cutoff  # noqa: E402
from storage.database import make_engine, new_session  # noqa: E402
from storage.inbox import EXCERPT_CHARACTERS, InboxFilters, inbox_page, inbox_summary  # noqa: E402
from storage.seed import CATEGORIES, postgres_reachable, postgres_schema_of_its_own, prepare_database  # noqa: E402

NOW = datetime(2027, 1, 20, 11, 0, tzinfo=timezone.utc)  # a Wednesday
SPAN = timedelta(days=3 * 365)
PAGE_SIZE = 50
CHUNK = 50_000
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

LANGUAGES = (("en", 55), ("bn", 22), ("so", 10), ("ur", 3), ("ar", 2), ("pl", 3), ("lt", 2), ("zh-Hans", 1), ("es", 2))
CHANNELS = (("whatsapp", 35), ("webchat", 30), ("telegram", 20), ("sms", 15))
PRIVACY = (("anonymous", 40), ("private", 45), ("named", 15))
WORDS = {
    "en": "Loud music and shouting on the stairwell late at night again, the door entry is broken",
    "bn": "রাতে আবার সিঁড়িতে জোরে গান আর চিৎকার, দরজার তালা ভাঙা",
    "so": "Muusig cod dheer iyo qaylo jaranjarada habeen dambe mar kale, albaabka waa jaban yahay",
}

# The filters an officer uses most, as the page would pass them.
CASES = {
    "none": InboxFilters(),
    "ward": InboxFilters(ward="spitalfields-banglatown"),
    "status+category": InboxFilters(status="received", category="drugs"),
    "overdue": InboxFilters(overdue=True),
    "language+channel": InboxFilters(language="so", channel="whatsapp"),
}


def _weighted(pairs):
    values, weights = zip(*pairs)
    return values, weights


def reference_of(number: int) -> str:
    code = ""
    for _ in range(8):
        number, digit = divmod(number, 32)
        code = CROCKFORD[digit] + code
    return f"TH-{code[:4]}-{code[4:]}"


def generate(size: int, ward_ids: list[int], agency_ids: dict[str, int], seed: int = 6):
    """Reports and their sharing in id order (oldest first), a chunk at a time: (report rows, sharing rows)."""
    rng = random.Random(seed)
    languages, language_weights = _weighted(LANGUAGES)
    channels, channel_weights = _weighted(CHANNELS)
    privacies, privacy_weights = _weighted(PRIVACY)
    # Some wards report far more than others.
    ward_weights = [1 + (index * 7) % 11 for index in range(len(ward_ids))]
    start = NOW - SPAN
    step = SPAN / size
    for first in range(1, size + 1, CHUNK):
        reports, sharing = [], []
        for number in range(first, min(first + CHUNK, size + 1)):
            created = start + step * number + timedelta(seconds=rng.random() * 30)
            privacy = rng.choices(privacies, privacy_weights)[0]
            if privacy == "anonymous":
                created = created.replace(minute=0, second=0, microsecond=0)
            age_days = (NOW - created).days
            if age_days > 60:
                status = "closed" if rng.random() < 0.93 else rng.choice(("action_taken", "in_progress", "referred"))
            elif age_days > 14:
                status = rng.choice(("closed", "closed", "action_taken", "in_progress", "referred", "received"))
            else:
                status = rng.choice(("received", "received", "received", "in_progress", "action_taken"))
            language = rng.choices(languages, language_weights)[0]
            ward = rng.choices(ward_ids, ward_weights)[0] if rng.random() > 0.05 else None
            duplicate_of = number - rng.randint(1, 500) if status == "closed" and number > 500 and rng.random() < 0.01 else None
            reports.append((number, reference_of(number), rng.choice(CATEGORIES), ward,
                            f"{WORDS.get(language, WORDS['en'])} ({number})", language,
                            rng.choices(channels, channel_weights)[0], privacy, rng.random() < 0.03, status,
                            duplicate_of, created, created))
            chosen = [slug for slug, share in (("council", 0.85), ("housing", 0.8), ("police", 0.2))
                      if rng.random() < share] or ["council"]
            for slug in chosen:
                answered = status != "received" or (age_days > 30 and rng.random() < 0.6)
                responded = created + timedelta(hours=rng.uniform(1, 24 * 6)) if answered else None
                if responded is not None and responded > NOW:
                    responded = None
                sharing.append((number, agency_ids[slug], created, "resident", responded))
        yield reports, sharing


REPORT_COLUMNS = ("id", "reference", "category", "ward_id", "description", "language", "channel", "privacy",
                  "danger_now", "status", "duplicate_of_id", "created_at", "updated_at")
SHARING_COLUMNS = ("report_id", "agency_id", "shared_at", "via", "responded_at")


def _naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment is not None else None


def _sqlite_time(moment):
    return _naive(moment).isoformat(sep=" ", timespec="microseconds") if moment is not None else None


FILLED_TABLES = ("report", "reportagency")


def _secondary_indexes(cursor, dialect: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the filled tables' indexes that back no constraint: dropped for
    the fill and made again after it, which is several times quicker than keeping them up row by row."""
    if dialect == "sqlite":
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                       f" AND tbl_name IN {FILLED_TABLES}")
    else:
        cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
                       f" AND i.tablename IN {FILLED_TABLES} AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                       " WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)")
    return list(cursor.fetchall())


def fill(engine, size: int) -> float:
    """Bulk-load `size` reports (setup, not measured): one transaction of executemany on SQLite, COPY on
    PostgreSQL, the secondary indexes made afterwards."""
    started = time.perf_counter()
    with engine.connect() as connection:
        ward_ids = list(connection.execute(text("SELECT id FROM ward ORDER BY id")).scalars())
        agency_ids = dict(connection.execute(text("SELECT slug, id FROM agency")).all())
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        indexes = _secondary_indexes(cursor, engine.dialect.name)
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")  # 400 MB while the indexes are built
            for name, _statement in indexes:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute("BEGIN")
            for reports, sharing in generate(size, ward_ids, agency_ids):
                cursor.executemany(
                    f"INSERT INTO report ({', '.join(REPORT_COLUMNS)}) VALUES ({', '.join('?' * len(REPORT_COLUMNS))})",
                    [row[:11] + (_sqlite_time(row[11]), _sqlite_time(row[12])) for row in reports])
                cursor.executemany(
                    f"INSERT INTO reportagency ({', '.join(SHARING_COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                    [(r, a, _sqlite_time(s), v, _sqlite_time(d)) for r, a, s, v, d in sharing])
            for _name, statement in indexes:
                cursor.execute(statement)
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA cache_size=-2000")
        else:
            for name, _statement in indexes:
                cursor.execute(f"DROP INDEX {name}")
            raw.commit()
            for reports, sharing in generate(size, ward_ids, agency_ids):
                with cursor.copy(f"COPY report ({', '.join(REPORT_COLUMNS)}) FROM STDIN") as copy:
                    for row in reports:
                        copy.write_row(row[:11] + (_naive(row[11]), _naive(row[12])))
                with cursor.copy(f"COPY reportagency ({', '.join(SHARING_COLUMNS)}) FROM STDIN") as copy:
                    for r, a, s, v, d in sharing:
                        copy.write_row((r, a, _naive(s), v, _naive(d)))
                raw.commit()
            cursor.execute("SELECT setval(pg_get_serial_sequence('report', 'id'), (SELECT MAX(id) FROM report))")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, statement in indexes:
                cursor.execute(statement)
            raw.commit()
            raw.driver_connection.autocommit = True  # VACUUM runs outside a transaction
            cursor.execute("VACUUM ANALYZE report")
            cursor.execute("VACUUM ANALYZE reportagency")
            raw.driver_connection.autocommit = False
        cursor.close()
    finally:
        raw.close()
    return time.perf_counter() - started


def raw_query(dialect: str, filters: InboxFilters, *, agency_id: int, target: int):
    """The first page's SQL as one would write it by hand, and its parameters."""
    mark = "?" if dialect == "sqlite" else "%s"
    when = _sqlite_time if dialect == "sqlite" else _naive
    conditions, params = [f"ra.agency_id = {mark}"], [agency_id]
    if filters.status == "open":
        conditions.append("r.status != 'closed'")
    elif filters.status != "all":
        conditions.append(f"r.status = {mark}")
        params.append(filters.status)
    if filters.status not in ("closed", "all"):
        conditions.append("coalesce(r.duplicate_of_id, 0) = 0" if dialect == "sqlite" else "r.duplicate_of_id IS NULL")
    for column, value in (("category", filters.category), ("language", filters.language),
                          ("channel", filters.channel)):
        if value:
            conditions.append(f"r.{column} = {mark}")
            params.append(value)
    if filters.ward:
        conditions.append(f"r.ward_id = (SELECT id FROM ward WHERE slug = {mark})")
        params.append(filters.ward)
    order = "r.created_at DESC, r.id DESC"
    if filters.overdue:
        conditions.append(f"ra.responded_at IS NULL AND ra.shared_at < {mark}")
        params.append(when(overdue_cutoff(NOW, target)))
        order = "ra.responded_at, ra.shared_at, ra.report_id"  # most overdue first (see storage/inbox.py)
    sql = (
        "SELECT r.id, r.reference, r.category, w.name, r.created_at, r.status, r.language, r.channel, r.privacy,"
        f" r.danger_now, substr(r.description, 1, {EXCERPT_CHARACTERS * 3}), ra.shared_at, ra.via, ra.responded_at,"
        " m.reference FROM report r JOIN reportagency ra ON ra.report_id = r.id"
        " LEFT JOIN ward w ON w.id = r.ward_id LEFT JOIN report m ON m.id = r.duplicate_of_id"
        f" WHERE {' AND '.join(conditions)} ORDER BY {order} LIMIT {PAGE_SIZE + 1}"
    )
    return sql, params


def measure(engine, rounds: int) -> dict:
    with engine.connect() as connection:
        agency_id, target = connection.execute(
            text("SELECT id, target_working_days FROM agency WHERE slug = 'council'")).one()
    results = {}
    raw = engine.raw_connection()
    cursor = raw.cursor()
    session = new_session(engine)
    try:
        for name, filters in CASES.items():
            sql, params = raw_query(engine.dialect.name, filters, agency_id=agency_id, target=target)
            product_times, raw_times = [], []
            for round_number in range(rounds + 3):  # the first 3 warm caches (pages, compiled SQL)
                started = time.perf_counter()
                page = inbox_page(session, agency_id=agency_id, filters=filters, now=NOW, page_size=PAGE_SIZE)
                product = time.perf_counter() - started
                session.rollback()  # as a request ends its transaction: nothing held between rounds
                started = time.perf_counter()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                bare = time.perf_counter() - started
                raw.rollback()
                if round_number == 0:
                    assert [row.reference for row in page.rows] == [row[1] for row in rows[:PAGE_SIZE]], name
                    assert page.rows, f"no rows for {name}: the data should have some"
                if round_number >= 3:
                    product_times.append(product)
                    raw_times.append(bare)
            product_times.sort()
            results[name] = {
                "p50_ms": round(statistics.median(product_times) * 1000, 2),
                "p95_ms": round(product_times[int(0.95 * (len(product_times) - 1))] * 1000, 2),
                "raw_p50_ms": round(statistics.median(raw_times) * 1000, 2),
                "orm_over_raw": round(statistics.median(product_times) / statistics.median(raw_times), 2),
                "rows": len(page.rows),
            }
        summary_times = []
        for _round in range(max(20, rounds // 5)):
            started = time.perf_counter()
            summary = inbox_summary(session, agency_id=agency_id, now=NOW)
            summary_times.append(time.perf_counter() - started)
            session.rollback()
        summary_times.sort()
        results["_summary"] = {"p50_ms": round(statistics.median(summary_times) * 1000, 2),
                               "p95_ms": round(summary_times[int(0.95 * (len(summary_times) - 1))] * 1000, 2),
                               "open": summary.open, "overdue": summary.overdue}
    finally:
        session.close()
        cursor.close()
        raw.close()
    return results


def _postgres_url(given: str | None) -> str | None:
    url = given or os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return url if postgres_reachable(url) else None


def run_backend(url: str, size: int, rounds: int) -> tuple[dict, float]:
    prepare_database(url)
    engine = make_engine(url)
    try:
        fill_seconds = fill(engine, size)
        return measure(engine, rounds), fill_seconds
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
    rounds = 40 if args.quick else 100
    backends: dict = {}
    fills: dict = {}
    if not args.postgresql_only:
        with tempfile.TemporaryDirectory(prefix="bench-inbox-") as tmp:
            backends["sqlite"], fills["sqlite"] = run_backend(f"sqlite:///{tmp}/inbox.db", size, rounds)
    postgres = None if args.sqlite_only else _postgres_url(args.database_url)
    if postgres:
        url, drop = postgres_schema_of_its_own(postgres, prefix="bench")
        try:
            backends["postgresql"], fills["postgresql"] = run_backend(url, size, rounds)
        finally:
            drop()

    print(f"{size:,} reports; the council's first page of {PAGE_SIZE}, {rounds} rounds per filter")
    print(f"{'backend':<11} {'filter':<17} {'p50 ms':>8} {'p95 ms':>8} {'raw p50 ms':>11} {'orm/raw':>8} {'rows':>5}")
    for backend, cases in backends.items():
        for name, figures in cases.items():
            if name.startswith("_"):
                continue
            print(f"{backend:<11} {name:<17} {figures['p50_ms']:>8} {figures['p95_ms']:>8} "
                  f"{figures['raw_p50_ms']:>11} {figures['orm_over_raw']:>8} {figures['rows']:>5}")
        summary = cases["_summary"]
        print(f"{backend:<11} header counts: {summary['p50_ms']} ms p50, {summary['p95_ms']} ms p95 "
              f"(open {summary['open']:,}, overdue {summary['overdue']:,}); fill {fills[backend]:.0f} s")
    print(f"whole run {time.perf_counter() - run_started:.0f} s")
    print(json.dumps({"reports": size, "backends": {
        backend: {name: {"p50_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"],
                         "orm_over_raw": figures["orm_over_raw"]}
                  for name, figures in cases.items() if not name.startswith("_")}
        | {"summary_ms": cases["_summary"]["p95_ms"]}
        for backend, cases in backends.items()}}))


if __name__ == "__main__":
    main()
