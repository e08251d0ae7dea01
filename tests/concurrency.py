"""Shared helpers for the tests that race two connections or threads against each other: naming a
PostgreSQL connection, holding a transaction open until another connection waits on a lock, and
starting threads together."""
from __future__ import annotations

import threading
import time
from typing import Callable

from sqlalchemy import make_url, text

from storage.database import make_engine


def _is_postgresql(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def named_url(database_url: str, name: str) -> str:
    """`database_url` whose PostgreSQL connections carry application_name `name`, so a test can find them
    in pg_stat_activity; SQLite has no such thing, so there the URL is returned as it is."""
    if not _is_postgresql(database_url):
        return database_url
    return make_url(database_url).update_query_dict({"application_name": name}).render_as_string(
        hide_password=False)


def named_engine(database_url: str, name: str):
    """An engine of its own whose PostgreSQL connections carry `name`, so the test sees when they wait."""
    return make_engine(named_url(database_url, name))


def _waiting_on_a_lock(connection, name: str | None) -> bool:
    """Whether a PostgreSQL connection called `name` waits on a lock now; without a name, whether any
    connection to this database does."""
    if name is None:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )).scalar())
    return bool(connection.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = :name"
    ), {"name": name}).scalar())


def hold_until_blocked_or_done(database_url: str, done: threading.Event, name: str | None = None, *,
                               also_done: tuple[threading.Event, ...] = ()) -> None:
    """Keep the caller's transaction open until the other side waits on a lock (PostgreSQL: the connection
    called `name`, or any connection to the database without a name) or has got on without waiting (`done`
    or any of `also_done` set: what happens when the lock under test is missing); at most 20 seconds.
    SQLite's BEGIN IMMEDIATE lets the other not even begin until this commits, so there a short pause
    (cut short by `done`) is all it takes."""
    if not _is_postgresql(database_url):
        done.wait(0.5)
        return
    watcher = make_engine(database_url)
    try:
        deadline = time.monotonic() + 20
        while not (done.is_set() or any(event.is_set() for event in also_done)) and time.monotonic() < deadline:
            with watcher.connect() as connection:
                if _waiting_on_a_lock(connection, name):
                    return
            time.sleep(0.02)
    finally:
        watcher.dispose()


def run_together(*targets: Callable[[], object], timeout: float = 60) -> list[threading.Thread]:
    """Start a thread per target, then join each (up to `timeout` seconds apiece); the threads, so the
    caller can check none is still alive."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return threads
