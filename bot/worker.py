"""The worker: work that no resident message triggers. Reminders before events (planned, then queued),
delivery of due outbox messages (retries, bulk and scheduled ones), its heartbeat, deleting what is past
the time docs/privacy.md gives it (drafts, RSVPs, addresses, idle contacts, the outbox, media, reports'
words, the audit log), and counting the public figures' snapshots."""
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
from storage import forgetting, public_snapshots, reminders, retention, targets, worker_status
from storage.database import new_read_session, new_session
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
# Retention (storage/retention.py) keeps promises counted in days, so it need not run every second: a pass at
# most every ten minutes, shared by all the workers through its row in WorkerHeartbeat. A pass begins no new
# batch after five seconds, so a first pass over a large backlog never holds up delivery for long; the next
# tick carries on where it stopped.
RETENTION_EVERY = timedelta(minutes=10)
RETENTION_BUDGET_SECONDS = 5.0


def run_due_work(engine: Engine, settings: Settings, channels: Mapping[str, Channel], *, now: datetime,
                 deliverer: Optional[Deliverer] = None,
                 snapshot_budget_seconds: Optional[float] = None,
                 retention_every: Optional[timedelta] = None,
                 retention_budget_seconds: Optional[float] = None) -> dict:
    """Everything due now, in one pass; returns counts for `worker --once` to print.

    `channels` are the sending channels this installation has credentials for (bot.channels.registry):
    reminders, "how was it?" and "was this sorted?" are written for them. They are passed on their own,
    not taken from the deliverer, so a pass without a deliverer (queue now, send later) plans the same reminders. A
    resident on a channel not among them (no credentials here) is skipped: counted in
    `reminders_skipped` and never reminded late; the web chat needs no credentials.

    After delivery, the retention pass (`run_retention`): on every call when `retention_every` is None
    (`worker --once`, tests), else only when no worker began one within `retention_every`; it stops after
    `retention_budget_seconds` and leaves the rest to the next tick.

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
        # "You have been forgotten" confirmations that failed or expired: their address-only contacts go.
        counts["forgotten_contacts_purged"] = forgetting.purge_parted_contacts(session)
        # A first-response target agreed to take effect on a later day moves the agency's response clock on
        # that day (recording one moves it at once when it is already in force). Two small queries a pass.
        counts["agency_targets_applied"] = len(targets.apply_agency_targets(session, today=now.astimezone(LONDON).date()))
        worker_status.record_heartbeat(session, name="worker", at=utcnow())
        session.commit()
    if retention_every is None or _retention_due(engine, now=now, every=retention_every):
        purged, finished = run_retention(engine, settings, now=now, budget_seconds=retention_budget_seconds)
        counts.update(purged)
        if not finished and retention_every is not None:
            with new_session(engine) as session:
                retention.release_retention_pass(session, every=retention_every, now=now)
                session.commit()
    # Stamped with the moment the refresh starts, not the pass: a long delivery before it must not make the
    # snapshots look older than they are. Which pages are due is read from the snapshots themselves, so
    # several workers (PostgreSQL) share them rather than each counting every page.
    counted_at = now + timedelta(seconds=time.monotonic() - started)
    with new_session(engine) as session:
        counts["public_snapshots_refreshed"] = public_snapshots.refresh_snapshots(
            session, now=counted_at, older_than=timedelta(seconds=PUBLIC_SNAPSHOT_SECONDS),
            budget_seconds=snapshot_budget_seconds)
    return counts


def _retention_due(engine: Engine, *, now: datetime, every: timedelta) -> bool:
    with new_session(engine) as session:
        taken = retention.take_retention_pass(session, now=now, every=every)
        session.commit()
    return taken


def run_retention(engine: Engine, settings: Settings, *, now: datetime,
                  budget_seconds: Optional[float] = None) -> tuple[dict, bool]:
    """Delete everything past the time docs/privacy.md gives it, batch by batch, each batch its own commit
    (storage/retention.py). Returns the counts, and whether it finished (False: `budget_seconds` ran out
    while a batch came back full, so more is due). Only counts are logged."""
    started = time.monotonic()
    counts: dict[str, int] = {}

    def out_of_time() -> bool:
        return budget_seconds is not None and time.monotonic() - started > budget_seconds

    def in_batches(name: str, purge, batched: bool = True) -> bool:
        """Run `purge(session)` (one batch) until a batch comes back short; False if time ran out first.
        A purge that is not `batched` (one statement, or one per event) runs once."""
        counts.setdefault(name, 0)
        while True:
            with new_session(engine) as session:
                done = purge(session)
                session.commit()
            if isinstance(done, list):  # media ids: the files go once no row names them
                _delete_media_files(Path(settings.media_dir), done)
                done = len(done)
            counts[name] += done
            if not batched or done < retention.BATCH:
                return True
            if out_of_time():
                return False

    # A resident is asked "was this sorted?" SORTED_AFTER after closing: their address stays at least that long.
    closed_since = now - max(settings.address_retention, settings.sorted_after + timedelta(days=1))
    idle_since = now - settings.address_retention
    steps = (
        ("drafts_purged", lambda s: retention.purge_stale_drafts(s, older_than=now - settings.draft_retention)),
        ("rsvps_purged", lambda s: reminders.summarise_and_delete_rsvps(
            s, started_before=now - settings.rsvp_retention), False),
        ("outbox_purged", lambda s: retention.purge_finished_outbox(s, older_than=now - settings.outbox_retention)),
        ("addresses_cleared", lambda s: retention.clear_idle_addresses(s, idle_since=idle_since,
                                                                       closed_since=closed_since)),
        ("contacts_forgotten", lambda s: retention.forget_idle_contacts(s, idle_since=idle_since, now=now)),
        # Media go with the words if a council keeps reports' words for less time than their photos.
        ("report_media_purged", lambda s: retention.purge_closed_report_media(
            s, closed_before=now - min(settings.media_retention, settings.report_retention))),
        ("report_words_purged", lambda s: retention.delete_closed_report_words(
            s, closed_before=now - settings.report_retention)),
        ("audit_purged", lambda s: retention.purge_audit_entries(s, older_than=now - settings.audit_retention)),
        ("receipts_purged", lambda s: retention.purge_inbound_receipts(
            s, older_than=now - INBOUND_RECEIPT_RETENTION), False),
        ("early_reports_purged", lambda s: retention.purge_early_delivery_reports(
            s, older_than=now - timedelta(days=1)), False),
    )
    for name, purge, *batched in steps:
        if not in_batches(name, purge, *batched):
            _log_counts(counts)
            return counts, False
    with new_read_session(engine) as session:  # on SQLite, no write lock held from a web process's turn
        kept = retention.referenced_media_ids(session)
    counts["media_purged"] = purge_orphan_media(Path(settings.media_dir), kept=kept,
                                                older_than=now - settings.draft_retention)
    _log_counts(counts)
    return counts, True


def _log_counts(counts: dict) -> None:
    done = {name: count for name, count in counts.items() if count}
    if done:
        log.info("retention: %s", " ".join(f"{name}={count}" for name, count in done.items()))


def _delete_media_files(media_dir: Path, media_ids) -> None:
    """Files whose rows are gone, after the commit: a file left by a crash here is an orphan the sweep removes."""
    for media_id in media_ids:
        path = media_dir / media_id
        if path.parent == media_dir:  # a media id is a bare random name: never follow one out of the directory
            path.unlink(missing_ok=True)


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
                         snapshot_budget_seconds=PUBLIC_SNAPSHOT_BUDGET_SECONDS, retention_every=RETENTION_EVERY,
                         retention_budget_seconds=RETENTION_BUDGET_SECONDS)
        except Exception:  # keep the worker alive; the next tick retries and /healthz shows the gap
            log.exception("worker tick failed")
        time.sleep(TICK_SECONDS)
