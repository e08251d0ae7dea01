"""Migration 0017 adds report.content_fingerprint (NULL for the reports already there: the key is not the
migration's to read) with its partial index, and comes down again keeping every report."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, inspect, insert, select

from storage import migrate
from storage.database import make_engine

RECEIVED = datetime(2026, 12, 30, 9, 0)


def _reflect(engine):
    metadata = MetaData()
    metadata.reflect(engine)
    return metadata


def test_upgrading_from_0016_leaves_existing_reports_without_a_fingerprint_and_downgrading_keeps_them(database_url):
    migrate.downgrade(database_url, "0016")
    engine = make_engine(database_url)
    report = _reflect(engine).tables["report"]
    assert "content_fingerprint" not in report.c
    with engine.begin() as connection:
        for number in (1, 2):
            connection.execute(insert(report).values(
                id=number, reference=f"TH-MIGR-001{number}", category="asb", description="Loud music every night",
                language="en", channel="webchat", privacy="anonymous", danger_now=False, status="received",
                created_at=RECEIVED, updated_at=RECEIVED))
    engine.dispose()

    migrate.upgrade(database_url)

    engine = make_engine(database_url)
    try:
        report = _reflect(engine).tables["report"]
        with engine.connect() as connection:
            fingerprints = dict(connection.execute(select(report.c.id, report.c.content_fingerprint)).all())
        indexes = {index["name"]: index for index in inspect(engine).get_indexes("report")}
    finally:
        engine.dispose()
    assert fingerprints == {1: None, 2: None}
    assert indexes["ix_report_content_fingerprint"]["column_names"] == ["content_fingerprint", "created_at"]

    migrate.downgrade(database_url, "0016")
    engine = make_engine(database_url)
    try:
        columns = {column["name"] for column in inspect(engine).get_columns("report")}
        indexes = {index["name"] for index in inspect(engine).get_indexes("report")}
        with engine.connect() as connection:
            kept = connection.execute(select(_reflect(engine).tables["report"].c.id)).scalars().all()
    finally:
        engine.dispose()
    assert "content_fingerprint" not in columns and "ix_report_content_fingerprint" not in indexes
    # SQLite's batch mode copies the table: the other partial indexes must survive the copy.
    assert {"ix_report_open", "ix_report_public", "ix_report_reopened"} <= indexes
    assert sorted(kept) == [1, 2]
    migrate.upgrade(database_url)
    migrate.check(database_url)
