"""Flood limits: how many messages one contact may send (every channel), and how many the web chat takes
from one network address, before the rest are refused with one polite reply (flows/flood.py).

Counted with the `limits` library's fixed windows in the same store as the staff sign-in limit and the
delivery pacing (RATE_LIMIT_STORAGE_URL: this process's memory, or Redis shared by several web
processes). The counters are keyed by keyed hashes only (storage/crypto.py): a contact's own address hash,
and a hash of the client address made with its own label, so neither Redis nor a memory dump holds a
phone number, chat id, web chat session or IP address.

Flask-Limiter's decorator is not used for the web chat's per-address limit: its refusal must answer in the
session's language from the JSON body and say whether the contact limit or the address limit was met, and
the contact limit has to run inside the conversation turn (bot/conversations.py) for every channel; one
guard over `limits` serves both.

A store that cannot be reached (Redis down) lets messages through: a report must never be lost because
the flood counters are. That is logged, at most once a minute.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Sequence

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from storage.crypto import keyed_hash

log = logging.getLogger(__name__)

DEFAULT_PER_CONTACT = "20 per minute; 200 per hour"
# Generous: a library's public computers, a refuge or a mobile network's shared address may carry many
# residents at once, and each report is a dozen messages.
DEFAULT_PER_ADDRESS = "60 per minute; 600 per hour"
_NAMESPACE = "safer-homes-flood"
# The web chat's client addresses are hashed under their own label: never comparable with a contact's hash.
_ADDRESS_LABEL = "webchat-client-address"
_STORE_WARNING_EVERY_SECONDS = 60


def parse_flood_limits(name: str, value: str) -> tuple[RateLimitItem, ...]:
    """FLOOD_LIMIT_PER_CONTACT / FLOOD_LIMIT_PER_ADDRESS: "20 per minute; 200 per hour" (the `limits`
    notation). Anything else stops start-up with a message naming the variable: a typo must not silently
    mean "no limit", nor a limit of nothing."""
    try:
        items = tuple(parse_many(value))
    except ValueError:
        items = ()
    if not items or any(item.amount < 1 for item in items):
        raise ValueError(
            f"{name}={value!r} is not valid: use one or more limits such as \"20 per minute; 200 per hour\" "
            f"(a whole number of messages, 1 or more, per second, minute, hour or day, separated by ';')"
        )
    return items


@dataclass(frozen=True)
class Verdict:
    """Whether one message may be taken in. A refusal says whether it is the first in its window (the only
    one that gets the polite reply) and how many seconds until the window that refused it ends."""

    allowed: bool
    first_refusal: bool = False
    retry_after: int = 0


ALLOWED = Verdict(allowed=True)


class FloodGuard:
    """The counters of one web process (or of every process sharing a Redis store)."""

    def __init__(self, storage_url: str, *, secret_key: str, per_contact: Sequence[RateLimitItem],
                 per_address: Sequence[RateLimitItem]):
        self._storage = storage_from_string(storage_url)
        self._limiter = FixedWindowRateLimiter(self._storage)
        self._secret_key = secret_key
        self._per_contact = tuple(per_contact)
        self._per_address = tuple(per_address)
        self._warned_at = 0.0
        self._warning_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "FloodGuard":
        return cls(settings.rate_limit_storage_url, secret_key=settings.secret_key,
                   per_contact=settings.flood_limit_per_contact, per_address=settings.flood_limit_per_address)

    def contact(self, *, channel: str, address_hash: str) -> Verdict:
        """Count one message from a contact (by its keyed hash) and say whether it may be taken in."""
        return self._count(self._per_contact, ("contact", channel, address_hash))

    def address(self, *, remote_address: str, scope: str) -> Verdict:
        """Count one web chat request from a client address and say whether it may be answered. `scope`
        keeps separate counts for messages and for the page's minutely look for updates."""
        hashed = keyed_hash(self._secret_key, _ADDRESS_LABEL, remote_address or "unknown")
        return self._count(self._per_address, ("address", scope, hashed))

    def _count(self, items: Sequence[RateLimitItem], identifiers: tuple[str, ...]) -> Verdict:
        try:
            # Every window counts every message, refused ones too: someone who keeps flooding through the
            # minute uses up their hour.
            refused = [item for item in items if not self._limiter.hit(item, _NAMESPACE, *identifiers)]
            if not refused:
                return ALLOWED
            retry_after = max(self._seconds_left(item, identifiers) for item in refused)
            # One reply per refusing window, whichever of the limits it was: the first refusal sets a marker
            # that lasts as long as the wait.
            told = self._storage.incr("/".join((_NAMESPACE, "told", *identifiers)), retry_after)
            return Verdict(allowed=False, first_refusal=told == 1, retry_after=retry_after)
        except Exception as error:  # noqa: BLE001 (any store failure: Redis down, a timeout, a full memory)
            self._warn(error)
            return ALLOWED

    def _seconds_left(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> int:
        reset_at = self._limiter.get_window_stats(item, _NAMESPACE, *identifiers).reset_time
        return max(1, int(reset_at - time.time() + 0.999))

    def _warn(self, error: Exception) -> None:
        with self._warning_lock:
            now = time.monotonic()
            if now - self._warned_at < _STORE_WARNING_EVERY_SECONDS and self._warned_at:
                return
            self._warned_at = now
        # The error's type only: a Redis error's text can hold its URL, password and all.
        log.warning("flood limits could not be counted (%s); messages are let through until the store answers",
                    type(error).__name__)
