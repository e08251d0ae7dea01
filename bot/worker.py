"""The worker: work that no resident message triggers. Reminders before events (planned, then queued),
delivery of due outbox messages (retries, bulk and scheduled ones), its heartbeat, purging
unfinished drafts and RSVPs past their retention, and counting the public figures' snapshots."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping, Optional

from sqlalchemy import Engine

from bot.channels.base import Channel
from bot.delivery import Deliverer
from bot.followups import ask_how_it_went
from bot.reminders import plan_due_reminders
from bot.settings import Settings
from bot.sorted_followups import ask_whether_sorted
from flows.working_days import LONDON
from storage import public_snapshots, reminders, retention, targets, worker_status
from storage.database import new_session
from storage.types import utcnow

log = logging.getLogger(__name__)
INBOUND_RECEIPT_RETENTION = timedelta(days=7)
TICK_SECONDS = 1  # due messages (retries, reminders) should not wait long
# A page's public figures are counted afresh once its snapshot is this old. A snapshot is served for 60
# seconds (storage/public_snapshots.py), so 30 leaves half a minute for a count and for passes held up by a
# long delivery, and pages never count inline while the worker keeps up.
PUBLIC_SNAPSHOT_SECONDS = 30
# All the pages due are counted together, from one read of each table (storage.public_figures.
# public_figures_for_all): at a million reports about the borough's cost alone (bench/public.py), where
# counting the 21 pages one by one took 17.7 s on SQLite and 25.6 s on PostgreSQL. That count is never cut
# short. This budget bounds only the fallback, should counting together fail: then pages are counted one by
# one, and a pass begins no further page after two seconds (it finishes the one it is on), so a due retry
# or reminder never waits for all of them; the stalest come first, the rest on the next passes.
PUBLIC_SNAPSHOT_BUDGET_SECONDS = 2.0


def run_due_work(engine: Engine, settings: Settings, channels: Mapping[str, Channel], *, now: datetime,
                 deliverer: Optional[Deliverer] = None,
                 snapshot_budget_seconds: Optional[float] = None) -> dict:
    """Everything due now, in one pass; returns counts for `worker --once` to print.

    `channels` are the sending channels this installation has credentials for (bot.channels.registry):
    reminders, "how was it?" and "was this sorted?" are written for them. They are passed on their own,
    not taken from the deliverer, so a pass without a deliverer (queue now, send later) plans the same reminders. A
    resident on a channel not among them (no credentials here) is skipped: counted in
    `reminders_skipped` and never reminded late; the web chat needs no credentials.

    Last, after delivery (which they must not hold up), the public pages whose snapshot is
    PUBLIC_SNAPSHOT_SECONDS old are counted afresh, all together in one count; only if that fails, one by
    one, stalest first, as many as `snapshot_budget_seconds` allows (the loop), or all of them
    (`worker --once`)."""
    started = time.monotonic()
    counts = {}
    with new_session(engine) as session:
        # Beat before delivering too: a long bulk send must not make a busy worker look dead.
        worker_status.record_heartbeat(session, name="worker", at=now)
        session.commit()
    # Planned before delivering, so a reminder due now leaves in this same pass.
    planned = plan_due_reminders(engine, settings.reminder_offsets, channels, now=now)
    counts.update(reminders_queued=planned.queued, reminders_skipped=planned.skipped)
    counts["feedback_asked"] = ask_how_it_went(engine, settings, channels, now=now)
    counts["sorted_asked"] = ask_whether_sorted(engine, settings, channels, now=now)
    if deliverer is not None:
        delivered = deliverer.deliver_due()
        counts.update(sent=delivered.sent, retried=delivered.retried, failed=delivered.failed,
                      held=delivered.held, unreachable=delivered.unreachable, expired=delivered.expired)
    with new_session(engine) as session:
        purged = retention.purge_stale_drafts(session, older_than=now - settings.draft_retention)
        retention.purge_inbound_receipts(session, older_than=now - INBOUND_RECEIPT_RETENTION)
        retention.purge_early_delivery_reports(session, older_than=now - timedelta(days=1))
        counts["rsvps_purged"] = reminders.summarise_and_delete_rsvps(session, started_before=now - settings.rsvp_retention)
        # A first-response target agreed to take effect on a later day moves the agency's response clock on
        # that day (recording one moves it at once when it is already in force). Two small queries a pass.
        counts["agency_targets_applied"] = len(targets.apply_agency_targets(session, today=now.astimezone(LONDON).date()))
        worker_status.record_heartbeat(session, name="worker", at=utcnow())
        session.commit()
        kept = retention.referenced_media_ids(session)
    counts["media_purged"] = purge_orphan_media(Path(settings.media_dir), kept=kept, older_than=now - settings.draft_retention)
    if purged:
        log.info("purged %d unfinished drafts", purged)
    # Stamped with the moment the refresh starts, not the pass: a long delivery before it must not make the
    # snapshots look older than they are. Which pages are due is read from the snapshots themselves, so
    # several workers (PostgreSQL) share them rather than each counting every page.
    counted_at = now + timedelta(seconds=time.monotonic() - started)
    with new_session(engine) as session:
        counts["public_snapshots_refreshed"] = public_snapshots.refresh_snapshots(
            session, now=counted_at, older_than=timedelta(seconds=PUBLIC_SNAPSHOT_SECONDS),
            budget_seconds=snapshot_budget_seconds)
    return {**counts, "drafts_purged": purged}


def purge_orphan_media(media_dir: Path, *, kept: set[str], older_than: datetime) -> int:
    """Delete photos and voice notes no report or draft refers to (sent at another step, or left in a
    draft that was dropped) once they are older than a draft may live."""
    if not media_dir.is_dir():
        return 0
    removed = 0
    for path in media_dir.iterdir():
        modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        if path.is_file() and path.name not in kept and modified < older_than:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def run_forever(engine: Engine, settings: Settings, deliverer: Deliverer) -> None:
    if engine.dialect.name == "sqlite":
        log.info("SQLite: one worker is enough (writers take turns); run several only on PostgreSQL")
    while True:
        try:
            run_due_work(engine, settings, deliverer.channels, now=utcnow(), deliverer=deliverer,
                         snapshot_budget_seconds=PUBLIC_SNAPSHOT_BUDGET_SECONDS)
        except Exception:  # keep the worker alive; the next tick retries and /healthz shows the gap
            log.exception("worker tick failed")
        time.sleep(TICK_SECONDS)
