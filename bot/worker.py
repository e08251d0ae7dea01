"""The worker: scheduled work that no resident message triggers. Today: its heartbeat and purging
unfinished drafts past their retention (docs/privacy.md). Delivery, reminders and follow-ups join it."""
from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import Engine

from bot.settings import Settings
from storage import retention, worker_status
from storage.database import new_session
from storage.types import utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 30


def run_due_work(engine: Engine, settings: Settings, *, now: datetime) -> dict:
    """Everything due now, in one pass; returns counts for `worker --once` to print."""
    with new_session(engine) as session:
        purged = retention.purge_stale_drafts(session, older_than=now - settings.draft_retention)
        worker_status.record_heartbeat(session, name="worker", at=now)
        session.commit()
    if purged:
        log.info("purged %d unfinished drafts", purged)
    return {"drafts_purged": purged}


def run_forever(engine: Engine, settings: Settings) -> None:
    while True:
        try:
            run_due_work(engine, settings, now=utcnow())
        except Exception:  # keep the worker alive; the next tick retries and /healthz shows the gap
            log.exception("worker tick failed")
        time.sleep(TICK_SECONDS)
