"""Migrations on a populated database keep every row that points at a report, and leave none pointing
nowhere: SQLite's keys are off while they run (storage/migrations/env.py, so batch mode's copy-drop-rename
of the report table cascades nothing), so env.py checks them (PRAGMA foreign_key_check) at the end and
fails loudly rather than leave a dangling row. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import MetaData, func, insert, select, text

from storage import migrate
from storage.database import make_engine

AT = datetime(2026, 6, 1, 9, 0)
CHILDREN = ("reportupdate", "reportagency", "reportlink", "reportmedia")


def _tables(engine) -> dict:
    metadata = MetaData()
    metadata.reflect(engine)
    return metadata.tables


def _populate_at_0012(database_url: str) -> None:
    migrate.downgrade(database_url, "0012")
    engine = make_engine(database_url)
    tables = _tables(engine)
    with engine.begin() as connection:
        agency_id = connection.execute(select(tables["agency"].c.id).where(tables["agency"].c.slug == "council")
                                       ).scalar_one()
        for number in (1, 2, 3):
            connection.execute(insert(tables["contact"]).values(id=number, channel="telegram",
                                                                address_hash=f"hash-{number}", unreachable=False,
                                                                created_at=AT))
            connection.execute(insert(tables["report"]).values(
                id=number, reference=f"TH-FKEY-000{number}", category="asb", description="", language="en",
                channel="telegram", privacy="private", danger_now=False, status="closed" if number == 1 else "received",
                created_at=AT, updated_at=AT, duplicate_of_id=1 if number == 3 else None))
            connection.execute(insert(tables["reportagency"]).values(report_id=number, agency_id=agency_id, shared_at=AT,
                                                                     via="resident"))
            connection.execute(insert(tables["reportupdate"]).values(report_id=number, status="received", created_at=AT,
                                                                     action="received", machine_translated=False))
            connection.execute(insert(tables["reportlink"]).values(report_id=number, contact_id=number))
            connection.execute(insert(tables["reportmedia"]).values(report_id=number, media_id=f"media-{number}",
                                                                    kind="photo"))
    engine.dispose()


def _counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    tables = _tables(engine)
    with engine.connect() as connection:
        counts = {name: connection.execute(select(func.count()).select_from(tables[name])).scalar_one()
                  for name in ("report", "contact", *CHILDREN)}
    engine.dispose()
    return counts


def _dangling(database_url: str) -> list:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() \
            if engine.dialect.name == "sqlite" else []
    engine.dispose()
    return rows


def test_upgrading_and_downgrading_a_populated_database_keeps_every_row_and_leaves_none_dangling(database_url):
    _populate_at_0012(database_url)
    before = _counts(database_url)
    assert before == {"report": 3, "contact": 3, "reportupdate": 3, "reportagency": 3, "reportlink": 3,
                      "reportmedia": 3}
    migrate.upgrade(database_url)
    assert _counts(database_url) == before and _dangling(database_url) == []
    migrate.downgrade(database_url, "0012")
    assert _counts(database_url) == before and _dangling(database_url) == []
    migrate.upgrade(database_url)
    assert _counts(database_url) == before and _dangling(database_url) == []


def test_a_migration_that_would_leave_a_row_pointing_nowhere_fails_on_sqlite(backend, database_url):
    """A row pointing nowhere (made here with the keys off, as a faulty migration could) stops the next
    migration with an error naming it, instead of being carried on silently."""
    if backend != "sqlite":
        assert _dangling(database_url) == []  # PostgreSQL's keys are never off: nothing can dangle
        return
    engine = make_engine(database_url)
    with engine.connect() as connection:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # outside a transaction
        connection.execute(text("INSERT INTO reportmedia (report_id, media_id, kind) VALUES (999, 'orphan', 'photo')"))
        connection.commit()
    engine.dispose()
    with pytest.raises(RuntimeError, match="rows point at rows that do not exist"):
        migrate.downgrade(database_url, "0012")
