"""Engine set-up from DATABASE_URL, with the SQLite settings that keep every committed report."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///var/safer-homes.db"

# WAL lets the web process and the worker read while one writes; synchronous=FULL makes a commit
# survive a power cut, not only a crash. bench/messages.py measures its floor with the same settings.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def make_engine(url: str = DEFAULT_DATABASE_URL) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error must not put a resident's words into a log line.
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _apply_sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN until the first write, which lets two
        # processes read the same conversation and both write; BEGIN IMMEDIATE serialises them.
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


# An execution option for sessions that only read (new_read_session).
READ_ONLY = "safer_homes_read_only"


def _begin_sqlite(conn) -> None:
    # A read-only session begins deferred: in WAL it reads a consistent snapshot without taking the write
    # lock, so a long count (the public figures, seconds at a million reports) never holds up a writer.
    # It must never write: a deferred transaction that tries to can fail at once with SQLITE_BUSY.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def _apply_sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see make_engine)
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def new_read_session(engine: Engine) -> Session:
    """A session for reading only: on SQLite it does not take the write lock (_begin_sqlite); on
    PostgreSQL it is an ordinary session (readers never block writers there)."""
    return Session(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
