"""Migration 0013 fills closed_at and the working-day clocks of reports answered or closed before it, as
storage/report_clock.py would have counted them, so the public figures include them from day one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, insert, select

from storage import migrate
from storage.database import make_engine

# Naive UTC, as the columns store it. Monday 1 June 2026, 10:00 London (BST).
SHARED = datetime(2026, 6, 1, 9, 0)
RESPONDED = datetime(2026, 6, 3, 11, 0)  # Wednesday 12:00 London: two whole working days after
CLOSED = datetime(2026, 6, 8, 9, 30)  # the next Monday 10:30 London: five whole working days after


def test_upgrading_from_0012_counts_the_clocks_already_stopped(database_url):
    migrate.downgrade(database_url, "0012")
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    report, sharing, update = (metadata.tables[name] for name in ("report", "reportagency", "reportupdate"))
    with engine.begin() as connection:
        agency_id = connection.execute(select(metadata.tables["agency"].c.id).where(
            metadata.tables["agency"].c.slug == "council")).scalar_one()
        for number, status in ((1, "closed"), (2, "in_progress"), (3, "received")):
            connection.execute(insert(report).values(
                id=number, reference=f"TH-MIGR-000{number}", category="asb", description="", language="en",
                channel="webchat", privacy="anonymous", danger_now=False, status=status, created_at=SHARED,
                updated_at=SHARED))
            connection.execute(insert(sharing).values(
                report_id=number, agency_id=agency_id, shared_at=SHARED, via="resident",
                responded_at=RESPONDED if number in (1, 2) else None))
            connection.execute(insert(update).values(report_id=number, status="received", created_at=SHARED,
                                                     action="received", machine_translated=False))
        # The closed one was closed, reopened and closed again: its closing is the latest.
        for status, at in (("closed", datetime(2026, 6, 4, 9, 0)), ("in_progress", datetime(2026, 6, 5, 9, 0)),
                           ("closed", CLOSED)):
            connection.execute(insert(update).values(report_id=1, status=status, created_at=at, action="status",
                                                     machine_translated=False))
    engine.dispose()

    migrate.upgrade(database_url)

    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    report, sharing = metadata.tables["report"], metadata.tables["reportagency"]
    with engine.connect() as connection:
        closed_at = dict(connection.execute(select(report.c.id, report.c.closed_at)).all())
        clocks = {row.report_id: (row.response_working_days, row.close_working_days)
                  for row in connection.execute(select(sharing))}
    engine.dispose()
    assert closed_at == {1: CLOSED, 2: None, 3: None}
    assert clocks == {1: (2, 5), 2: (2, None), 3: (None, None)}
