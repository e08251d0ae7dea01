"""Delivery: take due messages from the outbox, keep under each channel's limits, send, record.

The web process calls `deliver_now` right after committing a reply, so a resident never waits on a
polling loop; `safer-homes worker` calls `deliver_due` for everything else (retries, scheduled and bulk
messages, replies whose first try failed). Policy (design.md, "Delivery policy"): 429 waits what the
provider says; 5xx and timeouts back off exponentially with jitter (first retry within 10 s, capped at
10 minutes) up to `delivery_max_attempts` (at least 5); blocked or unsubscribed marks the contact
unreachable; WhatsApp outside its window with no template is held; anything else fails visibly.
A message past its `expires_at` (a reminder whose moment has gone) is marked expired, never sent.
"""
from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping, Optional, Sequence

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine

from bot.channels.base import Channel, OutsideWindow, Pace, RetryAfter, Transient, Unreachable, DeliveryError
from bot.settings import Settings
from storage import forgetting, outbox
from storage.database import new_session
from storage.models import Contact, OutboxMessage
from storage.types import utcnow

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)
# A web request sends at most this many messages per resident before leaving the rest to the worker.
MAX_IMMEDIATE_MESSAGES = 10
FIRST_RETRY_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 600.0


def backoff_seconds(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, never over ten minutes."""
    base = min(MAX_BACKOFF_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempt - 1))
    return min(MAX_BACKOFF_SECONDS, base * (0.5 + rng()))


class Pacer:
    """Keeps every send under its channel's limits, evenly spaced, across every process that shares it.

    Each pace reserves the next free slot on its key, 1/rate apart (the generic cell rate algorithm),
    and the sender waits for it. A moving one-second window would let a whole second's allowance leave
    at once; arriving a few milliseconds apart at the provider, such a burst spills into its next window
    and draws 429s. Spaced slots do not. The `limits` library has no sub-second spacing, so this is the
    small piece written here: in process memory, or in Redis (one atomic script) for several workers.
    """

    _RESERVE = """
    local now_parts = redis.call('TIME')
    local now = now_parts[1] * 1000000 + now_parts[2]
    local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
    if slot < now then slot = now end
    local interval = tonumber(ARGV[1])
    -- keep the key until its last reserved slot has passed, or a reservation would be forgotten
    redis.call('SET', KEYS[1], slot + interval, 'PX', math.ceil((slot + interval - now) / 1000) + 1000)
    return slot - now
    """

    def __init__(self, storage_url: str = "memory://"):
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._redis_reserve = None
        if storage_url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(storage_url)
            self._redis_reserve = client.register_script(self._RESERVE)

    def wait_turn(self, paces: Sequence[Pace]) -> float:
        """Wait for a slot on each pace in turn (narrowest first); returns the seconds waited."""
        waited = 0.0
        for pace in sorted(paces, key=lambda pace: pace.per_second):
            delay = self._reserve(pace)
            if delay > 0:
                time.sleep(delay)
                waited += delay
        return waited

    def _reserve(self, pace: Pace) -> float:
        interval = 1.0 / pace.per_second
        if self._redis_reserve is not None:
            key = f"safer-homes:pace:{pace.key}"
            return self._redis_reserve(keys=[key], args=[int(interval * 1_000_000)]) / 1_000_000
        with self._lock:
            now = time.monotonic()
            slot = max(self._next_slot.get(pace.key, 0.0), now)
            self._next_slot[pace.key] = slot + interval
            if len(self._next_slot) > 100_000:  # forget chats long idle; their slots are in the past
                self._next_slot = {key: at for key, at in self._next_slot.items() if at > now}
            return slot - now


@dataclass
class DeliveryCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    unreachable: int = 0
    expired: int = 0  # past their expires_at before they could go: dropped, never sent late
    errors: list[str] = field(default_factory=list)

    def add(self, other: "DeliveryCounts") -> None:
        for name in ("sent", "retried", "failed", "held", "unreachable", "expired"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Deliverer:
    """Sends outbox messages through the configured channels."""

    def __init__(self, engine: Engine, settings: Settings, channels: Mapping[str, Channel],
                 pacer: Optional[Pacer] = None, clock: Callable[[], datetime] = utcnow, threads: Optional[int] = None):
        self.engine = engine
        self.settings = settings
        self.channels = channels
        self.pacer = pacer or Pacer(settings.rate_limit_storage_url)
        self.clock = clock
        self.threads = threads or settings.delivery_threads
        self.sealer = settings.key_ring.sealer

    def deliver_now(self, message_ids: Sequence[int]) -> DeliveryCounts:
        """Send these just-committed messages, and anything due ahead of them for the same residents
        (an earlier reply whose first try failed must not hold this one back until a worker runs).
        Whatever does not go now is left to the worker."""
        counts = DeliveryCounts()
        if not message_ids:
            return counts
        with new_session(self.engine) as session:
            residents = outbox.contacts_of(session, message_ids=message_ids)
        for _round in range(MAX_IMMEDIATE_MESSAGES):
            claimer, batch = self._claim(only_contacts=residents, limit=len(residents))
            if not batch:
                break
            for message_id in batch:
                counts.add(self._send_one(message_id, claimer))
        return counts

    def deliver_due(self) -> DeliveryCounts:
        """Everything due now, in batches, across `threads` sender threads; returns what happened."""
        counts = DeliveryCounts()
        with new_session(self.engine) as session:
            counts.expired = outbox.expire_overdue(session, now=self.clock())
            session.commit()
        # Small batches: a claim is a lease, and a batch waiting on slow pacing (one SMS a second per
        # sender) must not outlive it. Each send also renews its claim first (see _send_one).
        batch_size = self.threads * 4
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            while True:
                claimer, batch = self._claim(limit=batch_size)
                if not batch:
                    return counts
                for result in pool.map(lambda message_id: self._send_one(message_id, claimer), batch):
                    counts.add(result)

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.delivery_lease_seconds)

    def _claim(self, *, limit: int, only_contacts: Optional[Sequence[int]] = None) -> tuple[str, list[int]]:
        claimer = secrets.token_hex(8)
        if not self.channels:
            return claimer, []
        with new_session(self.engine) as session:
            claimed = outbox.claim(session, now=self.clock(), limit=limit, claimer=claimer,
                                   channels=list(self.channels), only_contacts=only_contacts, lease=self._lease)
            ids = [message.id for message in claimed]
            session.commit()
        return claimer, ids

    def _still_ours(self, message_id: int, claimer: str) -> bool:
        with new_session(self.engine) as session:
            ours = outbox.renew_claim(session, message_id=message_id, claimer=claimer, now=self.clock(), lease=self._lease)
            session.commit()
        return ours

    def _send_one(self, message_id: int, claimer: str) -> DeliveryCounts:
        counts = DeliveryCounts()
        with new_session(self.engine) as session:
            message = session.get(OutboxMessage, message_id)
            if message is None:
                return counts  # its resident was forgotten since it was claimed: nothing to send
            contact = session.get(Contact, message.contact_id)
            channel = self.channels[message.channel]
            try:
                address = self.sealer.open(contact.address_sealed) if contact.address_sealed else None
                unopenable = False
            except InvalidToken:
                # Sealed under a key this process is not given (SECRET_KEY changed without SECRET_KEY_PREVIOUS):
                # retried with backoff, so restarting with the old key in SECRET_KEY_PREVIOUS still sends it.
                address, unopenable = None, True
            window_open = bool(contact.last_inbound_at and self.clock() - contact.last_inbound_at < WHATSAPP_WINDOW)
            payload, kind, language, attempts = dict(message.payload), message.kind, message.language, message.attempts
            contact_id, unreachable = contact.id, contact.unreachable
            session.rollback()  # no transaction stays open while we talk to the provider

        result: object
        if unopenable:
            result = Transient("the address cannot be opened with SECRET_KEY or SECRET_KEY_PREVIOUS")
        elif address is None or (unreachable and kind != outbox.OPT_OUT_CONFIRMATION):
            result = Unreachable("no deliverable address" if address is None else "contact is unreachable")
        else:
            self.pacer.wait_turn(channel.paces(address))
            if not self._still_ours(message_id, claimer):
                return counts  # our lease ran out while waiting and another claim has it now
            try:
                result = channel.send(address, payload, kind=kind, language=language, window_open=window_open)
            except DeliveryError as error:
                result = error
            except Exception as error:  # an unexpected library error is treated as transient, and logged
                log.exception("unexpected error sending outbox message %s", message_id)
                result = Transient(type(error).__name__)

        now = self.clock()
        with new_session(self.engine) as session:
            if session.get(OutboxMessage, message_id) is None:
                return counts  # its resident was forgotten while it was on its way: no row is left to record on
            if isinstance(result, DeliveryError) and not outbox.holds_claim(session, message_id=message_id, claimer=claimer):
                # Our lease ran out during a slow failure and another claim has the message now: its
                # outcome is the other claimer's to record. (A success is always recorded: it was sent.)
                return counts
            if isinstance(result, RetryAfter):
                outbox.schedule_retry(session, message_id=message_id, at=now + timedelta(seconds=result.seconds),
                                      error=str(result), counts_as_try=False)
                counts.retried += 1
            elif isinstance(result, Transient):
                if attempts >= self.settings.delivery_max_attempts:
                    outbox.mark_failed(session, message_id=message_id, error=f"gave up after {attempts} tries: {result}")
                    counts.failed += 1
                else:
                    at = now + timedelta(seconds=backoff_seconds(attempts))
                    outbox.schedule_retry(session, message_id=message_id, at=at, error=str(result))
                    counts.retried += 1
            elif isinstance(result, Unreachable):
                outbox.mark_contact_unreachable(session, contact_id=contact_id, error=str(result))
                counts.unreachable += 1
            elif isinstance(result, OutsideWindow):
                outbox.mark_held(session, message_id=message_id, error=str(result))
                counts.held += 1
            elif isinstance(result, DeliveryError):
                outbox.mark_failed(session, message_id=message_id, error=str(result))
                counts.failed += 1
            else:
                outbox.mark_sent(session, message_id=message_id, provider_message_id=result.provider_message_id,
                                 segments=result.segments, now=now)
                counts.sent += 1
            if kind == forgetting.FORGOTTEN_CONFIRMATION and not isinstance(result, (RetryAfter, Transient, OutsideWindow)):
                # "You have been forgotten" went (or never can): the contact row that held only its address goes.
                forgetting.drop_parted_contact(session, contact_id=contact_id)
            session.commit()
        if not isinstance(result, DeliveryError) or isinstance(result, RetryAfter):
            return counts
        log.info("outbox message %s: %s (%s)", message_id, type(result).__name__, result)
        return counts
