"""A worker killed with SIGKILL part way through deleting reports' words, then run again: every report is
either untouched or fully purged (each batch is one transaction), nothing that should stay was touched, and
the second run finishes the job. On SQLite and PostgreSQL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, insert, select

from storage.database import make_engine, new_read_session, new_session
from storage.models import Agency, Contact, Report, ReportAgency, ReportLink, ReportUpdate
from storage.retention import BATCH
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY

OLD = 60 * BATCH  # reports past their retention: sixty batches, so the kill lands part way
KEPT = 200  # closed too recently, or still open


def _fill(database_url: str) -> None:
    engine = make_engine(database_url)
    now = utcnow()
    long_ago, lately = now - timedelta(days=2200), now - timedelta(days=30)
    with new_session(engine) as session:
        council = session.execute(select(Agency.id).where(Agency.slug == "council")).scalar_one()
        # The reporter wrote today, so the retention pass keeps their contact and address.
        contact = Contact(channel="telegram", address_hash="c" * 64, address_sealed="sealed", created_at=now,
                          last_inbound_at=now)
        session.add(contact)
        session.flush()
        rows = []
        for n in range(OLD + KEPT):
            closed_at = long_ago if n < OLD else (lately if n % 2 else None)
            rows.append(dict(reference=f"TH-{n:04X}-{n:04X}"[:12], category="noise", description=f"words {n}",
                             location_text=f"place {n}", language="en", channel="telegram", privacy="private",
                             status="closed" if closed_at else "received", created_at=long_ago - timedelta(days=9),
                             updated_at=closed_at or long_ago, closed_at=closed_at, danger_now=False))
        session.execute(insert(Report), rows)
        ids = session.execute(select(Report.id).order_by(Report.id)).scalars().all()
        session.execute(insert(ReportLink), [dict(report_id=i, contact_id=contact.id) for i in ids])
        session.execute(insert(ReportAgency), [dict(report_id=i, agency_id=council, shared_at=long_ago, via="resident")
                                               for i in ids])
        session.execute(insert(ReportUpdate), [dict(report_id=i, status="closed", action="status", created_at=long_ago,
                                                    internal_note=f"note {i}", machine_translated=False)
                                               for i in ids])
        session.commit()
    engine.dispose()


def _states(engine) -> dict[str, int]:
    """How many reports are untouched, fully purged, or (never allowed) half purged."""
    with new_session(engine) as session:
        notes = dict(session.execute(select(ReportUpdate.report_id, ReportUpdate.internal_note)).all())
        links = set(session.execute(select(ReportLink.report_id)).scalars())
        states = {"untouched": 0, "purged": 0, "half": 0}
        for report_id, description, place in session.execute(select(Report.id, Report.description,
                                                                    Report.location_text)):
            held = [description != "", place is not None, notes[report_id] is not None, report_id in links]
            states["untouched" if all(held) else "purged" if not any(held) else "half"] += 1
        return states


def _purged(engine) -> int:
    # A read-only session: on SQLite it takes no write lock, so it neither waits for nor holds up the worker.
    with new_read_session(engine) as session:
        return session.execute(select(func.count()).select_from(Report).where(Report.description == "")).scalar_one()


def _worker_once(database_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "worker", "--once"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_killed_mid_purge_leaves_no_half_purged_report_and_the_next_run_finishes(database_url):
    _fill(database_url)
    engine = make_engine(database_url)
    try:
        worker = _worker_once(database_url)
        deadline = time.monotonic() + 120
        while _purged(engine) < BATCH:  # one count: the full check is too slow to poll with
            assert worker.poll() is None, "the worker finished before it could be killed"
            assert time.monotonic() < deadline, "the worker purged nothing in two minutes"
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        killed = _states(engine)
        assert killed["half"] == 0
        assert BATCH <= killed["purged"] < OLD, f"the kill came after the purge finished: {killed}"
        assert killed["untouched"] == OLD + KEPT - killed["purged"]

        again = _worker_once(database_url)
        assert again.wait(timeout=300) == 0
        assert _states(engine) == {"untouched": KEPT, "purged": OLD, "half": 0}
        with new_session(engine) as session:
            kept = session.execute(select(func.count()).select_from(Report)
                                   .where(Report.description != "", Report.id > OLD)).scalar_one()
        assert kept == KEPT
    finally:
        engine.dispose()
