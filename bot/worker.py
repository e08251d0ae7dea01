"""The worker: work that no resident message triggers. Delivery of due outbox messages (retries,
bulk and scheduled ones), its heartbeat, and purging unfinished drafts past their retention."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import Engine

from bot.delivery import Deliverer
from bot.settings import Settings
from storage import retention, worker_status
from storage.database import new_session
from storage.types import utcnow

log = logging.getLogger(__name__)
INBOUND_RECEIPT_RETENTION = timedelta(days=7)
TICK_SECONDS = 1  # due messages (retries, reminders) should not wait long


def run_due_work(engine: Engine, settings: Settings, *, now: datetime, deliverer: Optional[Deliverer] = None) -> dict:
    """Everything due now, in one pass; returns counts for `worker --once` to print."""
    counts = {}
    if deliverer is not None:
        delivered = deliverer.deliver_due()
        counts.update(sent=delivered.sent, retried=delivered.retried, failed=delivered.failed,
                      held=delivered.held, unreachable=delivered.unreachable)
    with new_session(engine) as session:
        purged = retention.purge_stale_drafts(session, older_than=now - settings.draft_retention)
        retention.purge_inbound_receipts(session, older_than=now - INBOUND_RECEIPT_RETENTION)
        worker_status.record_heartbeat(session, name="worker", at=now)
        session.commit()
    if purged:
        log.info("purged %d unfinished drafts", purged)
    return {**counts, "drafts_purged": purged}


def run_forever(engine: Engine, settings: Settings, deliverer: Deliverer) -> None:
    if engine.dialect.name == "sqlite":
        log.info("SQLite: one worker is enough (writers take turns); run several only on PostgreSQL")
    while True:
        try:
            run_due_work(engine, settings, now=utcnow(), deliverer=deliverer)
        except Exception:  # keep the worker alive; the next tick retries and /healthz shows the gap
            log.exception("worker tick failed")
        time.sleep(TICK_SECONDS)
