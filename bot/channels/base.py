"""What every sending channel provides to the outbox and the delivery worker."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, Sequence

from flows.types import Reply


def utf16_length(text: str) -> int:
    """Length as Telegram and WhatsApp count it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


class DeliveryError(Exception):
    """A send that did not happen. The subclass says what the outbox should do about it."""


class RetryAfter(DeliveryError):
    """429: the provider said when to try again."""

    def __init__(self, seconds: float, detail: str = ""):
        super().__init__(detail or f"retry after {seconds}s")
        self.seconds = seconds


class Transient(DeliveryError):
    """5xx, a timeout or a network error: retry with backoff and jitter."""


class Unreachable(DeliveryError):
    """The resident blocked us or unsubscribed (Telegram 403, Twilio 21610): never retry; mark the contact."""


class OutsideWindow(DeliveryError):
    """WhatsApp's 24-hour window is closed and no template fits (63016): hold it for staff to see."""


class Rejected(DeliveryError):
    """Any other refusal (bad request, bad credentials): no retry, shown to staff as failed."""


@dataclass(frozen=True)
class Pace:
    """A rate limit the sender must keep under: `per_second` messages a second for `key`."""

    key: str
    per_second: float


@dataclass(frozen=True)
class Sent:
    provider_message_id: str
    segments: Optional[int] = None  # SMS segments billed, where the channel counts them


class Channel(Protocol):
    name: str  # "telegram" | "whatsapp" | "sms": the Contact.channel and OutboxMessage.channel value
    # What residents can send through it besides text, as flows.types.Media kinds ("photo", "voice"): the flows
    # invite only these (flows.types.Context.media_kinds).
    media_kinds: frozenset[str]

    def render(self, replies: Sequence[Reply]) -> list[dict]:
        """The JSON-able payloads (no address) to store in the outbox, in sending order."""

    def send(self, address: str, payload: dict, *, kind: str, language: str, window_open: bool) -> Sent:
        """Send one payload to one address; raise a DeliveryError subclass when it does not go."""

    def paces(self, address: str) -> list[Pace]:
        """The limits one message to `address` counts against (overall, per chat, per sender)."""
