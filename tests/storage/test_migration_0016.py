"""Migration 0016 flags the reports residents reopened before it (their latest "reopen" update came after
their latest status change, reply, referral or merge) with that reopening's time, and comes down again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, inspect, insert, select

from storage import migrate
from storage.database import make_engine

# Naive UTC, as the columns store it.
RECEIVED = datetime(2026, 6, 1, 9, 0)
CLOSED = datetime(2026, 6, 3, 11, 0)
# The resident answered within the hour of the closing: their answer is dated the closing (never before
# the report's latest update), so only the order the updates were written in tells which came last.
REOPENED = CLOSED
LATER = datetime(2026, 6, 20, 9, 0)
REOPENED_AGAIN = datetime(2026, 7, 10, 9, 0)

# Each report's updates after it arrived, in the order they were written: (action, status, at).
HISTORIES = {
    1: [("status", "closed", CLOSED), ("sorted", "closed", REOPENED), ("reopen", "in_progress", REOPENED)],
    2: [("status", "closed", CLOSED), ("reopen", "in_progress", REOPENED), ("reply", "in_progress", LATER)],
    3: [("status", "closed", CLOSED), ("reopen", "in_progress", REOPENED), ("note", "in_progress", LATER),
        ("share", "in_progress", LATER)],
    4: [("status", "closed", CLOSED), ("reopen", "in_progress", REOPENED), ("status", "closed", LATER),
        ("reopen", "in_progress", REOPENED_AGAIN)],
    5: [("status", "closed", CLOSED), ("reopen", "in_progress", REOPENED), ("referral", "referred", LATER)],
    6: [("status", "closed", CLOSED), ("reopen", "in_progress", REOPENED), ("merge", "closed", LATER)],
    7: [("status", "closed", CLOSED), ("sorted", "closed", LATER)],
    8: [],
}
EXPECTED = {1: REOPENED, 2: None, 3: REOPENED, 4: REOPENED_AGAIN, 5: None, 6: None, 7: None, 8: None}


def test_upgrading_from_0015_flags_the_reports_still_waiting_since_a_resident_reopened_them(database_url):
    migrate.downgrade(database_url, "0015")
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    report, update = metadata.tables["report"], metadata.tables["reportupdate"]
    assert "reopened_at" not in report.c
    with engine.begin() as connection:
        for number, history in HISTORIES.items():
            status = history[-1][1] if history else "received"
            connection.execute(insert(report).values(
                id=number, reference=f"TH-MIGR-000{number}", category="asb", description="", language="en",
                channel="webchat", privacy="anonymous", danger_now=False, status=status, created_at=RECEIVED,
                updated_at=RECEIVED))
            connection.execute(insert(update).values(report_id=number, status="received", created_at=RECEIVED,
                                                     action="received", machine_translated=False))
            for action, update_status, at in history:
                connection.execute(insert(update).values(report_id=number, status=update_status, created_at=at,
                                                         action=action, machine_translated=False))
    engine.dispose()

    migrate.upgrade(database_url)

    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    report = metadata.tables["report"]
    with engine.connect() as connection:
        reopened_at = dict(connection.execute(select(report.c.id, report.c.reopened_at)).all())
    assert "ix_report_reopened" in {index["name"] for index in inspect(engine).get_indexes("report")}
    engine.dispose()
    assert reopened_at == EXPECTED

    migrate.downgrade(database_url, "0015")
    engine = make_engine(database_url)
    try:
        columns = {column["name"] for column in inspect(engine).get_columns("report")}
        indexes = {index["name"] for index in inspect(engine).get_indexes("report")}
        with engine.connect() as connection:
            kept = connection.execute(select(_report_table(engine).c.id)).scalars().all()
    finally:
        engine.dispose()
    assert "reopened_at" not in columns and "ix_report_reopened" not in indexes
    assert {"ix_report_open", "ix_report_public"} <= indexes  # the other partial indexes survive SQLite's copy
    assert sorted(kept) == sorted(HISTORIES)
    migrate.upgrade(database_url)
    migrate.check(database_url)


def _report_table(engine):
    metadata = MetaData()
    metadata.reflect(engine, only=["report"])
    return metadata.tables["report"]
