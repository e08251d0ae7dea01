"""bench/reminders.py: what it costs the worker to plan and queue the reminders for a big event.

An event with N residents coming (half on Telegram, half in the web chat; English, Bengali and Somali),
and the worker's planning step for its two-hour reminder (bot.reminders.plan_due_reminders: find the
moment, take it, render one text per channel and language, INSERT … SELECT the reminders), against a
bare bulk insert of N outbox rows (one executemany, one commit) timed in the same run:

  - `enqueue_over_bulk_insert`: planning time over bulk-insert time at 10,000 RSVPs (median of rounds);
  - `peak_mb`: tracemalloc's peak during the planning step at 1,000, 10,000 and 100,000 RSVPs, which
    should stay flat as the event grows (the rows never come into Python).

    .venv/bin/python bench/reminders.py [--quick] [--database-url URL]

SQLite in a temporary file by default; --database-url (PostgreSQL) runs in a schema of its own that is
dropped at the end. `--quick` uses 1,000 / 5,000 / 10,000 RSVPs and the ratio at 5,000. Timings are
never asserted in tests. The last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, text  # noqa: E402

from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.reminders import reminder_moment  # noqa: E402
from bot.reminders import plan_due_reminders  # noqa: E402
from bot.settings import ReminderOffset, Settings  # noqa: E402
from storage.database import make_engine, new_session  # noqa: E402
from storage.models import Contact, Event, OutboxMessage, ReminderRun, Rsvp  # noqa: E402
from storage.seed import postgres_schema_of_its_own, prepare_database  # noqa: E402

OFFSET = ReminderOffset(2, "h")
STARTS = datetime(2031, 3, 4, 18, 30, tzinfo=timezone.utc)
CREATED = datetime(2031, 1, 1, tzinfo=timezone.utc)
MOMENT = reminder_moment(STARTS, OFFSET)
LANGUAGES = ("en", "bn", "so")
ROUNDS = 3
BATCH = 5000


def add_event(engine, size: int, title: str) -> int:
    """An event with `size` residents coming, inserted in batches (setup, not measured)."""
    with new_session(engine) as session:
        event = Event(title=title, starts_at=STARTS, place="Oxford House, Derbyshire Street", created_at=CREATED)
        session.add(event)
        session.commit()
        event_id = event.id
    made = 0
    with engine.begin() as connection:
        first_id = connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM contact")).scalar_one() + 1
    while made < size:
        count = min(BATCH, size - made)
        ids = range(first_id + made, first_id + made + count)
        with engine.begin() as connection:
            connection.execute(insert(Contact), [
                {"id": n, "channel": "telegram" if n % 2 else "webchat", "address_hash": f"bench-{event_id}-{n}",
                 "address_sealed": None, "language": LANGUAGES[n % 3], "unreachable": False, "created_at": CREATED}
                for n in ids])
            connection.execute(insert(Rsvp), [
                {"event_id": event_id, "contact_id": n, "status": "attending", "needs": [], "created_at": CREATED,
                 "updated_at": CREATED, "confirmed_at": CREATED} for n in ids])
        made += count
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('contact', 'id'), (SELECT MAX(id) FROM contact))"))
            connection.execute(text("ANALYZE"))
    return event_id


def clear_reminders(engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(OutboxMessage))
        connection.execute(delete(ReminderRun))


def plan(engine, channels) -> tuple[float, int]:
    started = time.perf_counter()
    counts = plan_due_reminders(engine, (OFFSET,), channels, now=MOMENT + timedelta(seconds=1))
    return time.perf_counter() - started, counts.queued


def bulk_insert(engine, contact_ids: list[int]) -> float:
    """The floor: N outbox rows with the same columns, one executemany, one commit."""
    rows = [{"contact_id": n, "channel": "telegram", "kind": "reminder", "language": "en",
             "payload": {"text": "Reminder: Bow East ward panel, Tuesday 4 March, 18:30"}, "status": "pending",
             "attempts": 0, "next_attempt_at": MOMENT, "expires_at": MOMENT + timedelta(minutes=15),
             "created_at": MOMENT} for n in contact_ids]
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(OutboxMessage), rows)
    return time.perf_counter() - started


def contact_ids(engine, event_id: int) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT contact_id FROM rsvp WHERE event_id = :e"), {"e": event_id}).scalars())


def peak_mb(engine, channels) -> tuple[float, int]:
    clear_reminders(engine)
    tracemalloc.start()
    try:
        _seconds, queued = plan(engine, channels)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6, queued


def fresh_database(database_url: str | None, tmp: str):
    """A migrated database of our own, and how to get rid of it."""
    if not database_url or database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp}/reminders.db"
        prepare_database(url)
        return url, lambda: None
    url, drop = postgres_schema_of_its_own(database_url, prefix="bench")
    prepare_database(url)
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 / 5,000 / 10,000 RSVPs")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a schema of its own is made)")
    args = parser.parse_args()
    sizes = (1000, 5000, 10000) if args.quick else (1000, 10000, 100000)
    ratio_size = 5000 if args.quick else 10000
    settings = Settings(secret_key="bench-reminders", telegram_bot_token="123:bench",
                        telegram_api_base_url="http://127.0.0.1:9")
    channels = {"telegram": TelegramChannel(settings)}  # renders only: nothing is sent in this benchmark
    results: dict = {"sizes": {}}
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        url, drop = fresh_database(args.database_url, tmp)
        engine = make_engine(url)
        results["backend"] = engine.dialect.name
        try:
            # Warm up first (Babel's locale data, SQL compilation caches), so peaks are the planning's own.
            add_event(engine, 30, "Warm-up")
            plan(engine, channels)
            for size in sizes:
                clear_reminders(engine)
                with engine.begin() as connection:  # one event at a time, as the worker would meet it
                    connection.execute(delete(Rsvp))
                    connection.execute(delete(Event))
                event_id = add_event(engine, size, f"Ward panel ({size} coming)")
                entry: dict = {}
                if size == ratio_size:
                    ids = contact_ids(engine, event_id)
                    plan_times, bulk_times, ratios = [], [], []
                    for _round in range(ROUNDS):  # interleaved, so machine noise falls on both
                        clear_reminders(engine)
                        plan_seconds, queued = plan(engine, channels)
                        assert queued == size, (queued, size)
                        clear_reminders(engine)
                        bulk_seconds = bulk_insert(engine, ids)
                        plan_times.append(plan_seconds)
                        bulk_times.append(bulk_seconds)
                        ratios.append(plan_seconds / bulk_seconds)
                    entry.update(plan_ms=round(statistics.median(plan_times) * 1000, 1),
                                 bulk_insert_ms=round(statistics.median(bulk_times) * 1000, 1))
                    results["enqueue_over_bulk_insert"] = round(statistics.median(ratios), 3)
                peak, queued = peak_mb(engine, channels)
                assert queued == size, (queued, size)
                entry["peak_mb"] = round(peak, 3)
                results["sizes"][size] = entry
        finally:
            engine.dispose()
            drop()
    channels["telegram"].close()

    print(f"{'RSVPs':>8}  {'plan + enqueue ms':>18}  {'bulk insert ms':>15}  {'peak MB (planning)':>19}")
    for size, entry in results["sizes"].items():
        print(f"{size:>8}  {entry.get('plan_ms', '-'):>18}  {entry.get('bulk_insert_ms', '-'):>15}  {entry['peak_mb']:>19}")
    print(f"backend: {results['backend']}; enqueue_over_bulk_insert at {ratio_size} RSVPs: "
          f"{results['enqueue_over_bulk_insert']} (median of {ROUNDS} rounds)")
    print(json.dumps({"backend": results["backend"], "enqueue_over_bulk_insert": results["enqueue_over_bulk_insert"],
                      "ratio_at": ratio_size,
                      "peak_mb": {str(size): entry["peak_mb"] for size, entry in results["sizes"].items()}}))


if __name__ == "__main__":
    main()
