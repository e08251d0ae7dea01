"""The outbox: messages to residents, claimed with a lease, sent once, retried on schedule.

Claiming is `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share the work without
two taking the same message; SQLite serialises writers (BEGIN IMMEDIATE), so there one worker is enough.
A claim is a lease: a worker killed mid-send leaves its messages `sending` until the lease ends, then
another claims them again. The one unavoidable duplicate is a send the provider accepted just before the
worker died and before it recorded `sent` (docs/operations.md).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from storage.models import Contact, EarlyDeliveryReport, InboundReceipt, OutboxMessage

# A Twilio delivery report only ever moves forward: a late "sent" never overwrites "delivered".
DELIVERY_ORDER = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4,
                  "undelivered": 5, "failed": 5}
LEASE = timedelta(seconds=60)
FINAL_DELIVERY_STATUSES = ("delivered", "read", "undelivered", "failed")
# A payload flag: delete this message, row and all, the moment it is sent, whatever the channel. Set on an
# anonymous report's acknowledgement, whose text holds the reference next to the contact, and on the
# confirmation that a resident was forgotten.
FORGET_ON_SEND = "forget_on_send"
# The one kind that still goes to a contact who just opted out: the confirmation that they did.
OPT_OUT_CONFIRMATION = "opt_out_confirmation"
CHANNELS_REPORTING_LATE_REFUSALS = ("whatsapp",)


def record_inbound(session: Session, *, channel: str, provider_message_id: str, now: datetime) -> bool:
    """True the first time a provider message id is seen; False for a redelivery (nothing to do)."""
    from sqlalchemy.exc import IntegrityError

    try:
        with session.begin_nested():
            session.add(
                InboundReceipt(
                    channel=channel,
                    provider_message_id=provider_message_id,
                    received_hour=now.replace(minute=0, second=0, microsecond=0),
                )
            )
        return True
    except IntegrityError:
        return False


def enqueue(
    session: Session, *, contact_id: int, channel: str, payloads: Sequence[dict], kind: str, language: str,
    now: datetime, event_id: Optional[int] = None, expires_at: Optional[datetime] = None,
) -> list[int]:
    """Queue payloads for one contact, in order, due now. Returns their ids.

    `event_id` ties a reminder or notice to its event (a moved event drops what was queued for the old
    time); past `expires_at` a message is dropped instead of sent late."""
    messages = [
        OutboxMessage(contact_id=contact_id, channel=channel, kind=kind, language=language, payload=payload,
                      status="pending", next_attempt_at=now, created_at=now, event_id=event_id,
                      expires_at=expires_at)
        for payload in payloads
    ]
    session.add_all(messages)
    session.flush()
    return [message.id for message in messages]


def claim(
    session: Session, *, now: datetime, limit: int, claimer: str, channels: Sequence[str],
    only_contacts: Optional[Sequence[int]] = None, lease: timedelta = LEASE,
) -> list[OutboxMessage]:
    """Take up to `limit` due messages on `channels`, each the oldest unsent one for its contact (so a
    chat's messages keep their order), leased to `claimer` until `now + lease`."""
    earlier = aliased(OutboxMessage)
    waiting_behind = exists().where(
        and_(
            earlier.contact_id == OutboxMessage.contact_id,
            earlier.id < OutboxMessage.id,
            # A held message (WhatsApp window closed) waits for the resident; it must not also hold up
            # later messages that can go (one with a template, for instance).
            earlier.status.in_(("pending", "sending")),
        )
    )
    due = (
        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
    ) | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until <= now))
    query = (
        select(OutboxMessage)
        .where(due, ~waiting_behind, OutboxMessage.channel.in_(list(channels)), _not_expired(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if only_contacts is not None:
        query = query.where(OutboxMessage.contact_id.in_(list(only_contacts)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    messages = list(session.execute(query).scalars())
    for message in messages:
        message.status = "sending"
        message.lease_until = now + lease
        message.claimed_by = claimer
        message.attempts += 1
    session.flush()
    return messages


def _not_expired(now: datetime):
    # The one boundary, here and in expire_overdue and renew_claim: a message may go while
    # now < expires_at; at expires_at it has expired (bot/reminders.may_still_leave agrees).
    return OutboxMessage.expires_at.is_(None) | (OutboxMessage.expires_at > now)


# What an expired message becomes (expire_overdue, renew_claim): never sent, its text dropped.
_EXPIRED = {"status": "expired", "lease_until": None, "payload": {}, "last_error": "expired before it could be sent"}


def expire_overdue(session: Session, *, now: datetime) -> int:
    """Messages past their `expires_at` (a reminder whose moment has gone) become "expired", text
    dropped, never sent late: waiting, held or left by a worker whose lease ran out. Returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.expires_at <= now,
               OutboxMessage.status.in_(("pending", "held"))
               | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until <= now)))
        .values(_EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def waiting_for_page(session: Session, *, channel: str, address_hash: str, now: datetime,
                     limit: int) -> list[tuple[int, dict]]:
    """For a channel with no address to send to (the web chat): up to `limit` unexpired messages waiting
    for the contact with this address hash, oldest first, as (id, payload). Nothing is marked: an answer
    can be lost on the way, so a message stays pending until the page says it showed it
    (`acknowledge_shown`), and the page ignores an id it has already shown."""
    query = (
        select(OutboxMessage.id, OutboxMessage.payload)
        .where(OutboxMessage.contact_id.in_(_contact_with(channel, address_hash)), OutboxMessage.channel == channel,
               OutboxMessage.status == "pending", _not_expired(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [(message_id, dict(payload)) for message_id, payload in session.execute(query)]


def acknowledge_shown(session: Session, *, channel: str, address_hash: str, message_ids: Sequence[int],
                      now: datetime) -> int:
    """The page showed these messages: they are sent, their text dropped (as for any sent message).
    Only the contact's own pending messages change, so an id of someone else's message changes nothing
    (and saying so would reveal it exists). Acknowledging twice is harmless. Returns how many changed."""
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(message_ids)), OutboxMessage.channel == channel,
               OutboxMessage.contact_id.in_(_contact_with(channel, address_hash)),
               OutboxMessage.status == "pending")
        .values(status="sent", sent_at=now, payload={}, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _contact_with(channel: str, address_hash: str):
    return select(Contact.id).where(Contact.channel == channel, Contact.address_hash == address_hash)


def holds_claim(session: Session, *, message_id: int, claimer: str) -> bool:
    message = session.get(OutboxMessage, message_id)
    return message is not None and message.status == "sending" and message.claimed_by == claimer


def renew_claim(session: Session, *, message_id: int, claimer: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Extend a claim just before sending. False if it lapsed and another claim took the message over:
    then the caller must not send it (the other claimer will). False too if the message expired while
    it waited its turn: it is marked expired instead of sent late."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending",
               OutboxMessage.claimed_by == claimer, _not_expired(now))
        .values(lease_until=now + lease)
    )
    if result.rowcount == 1:
        return True
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending",
               OutboxMessage.claimed_by == claimer, OutboxMessage.expires_at <= now)
        .values(_EXPIRED)
    )
    return False


def mark_sent(session: Session, *, message_id: int, provider_message_id: str, segments: Optional[int], now: datetime) -> None:
    message = session.get(OutboxMessage, message_id)
    if message.payload.get(FORGET_ON_SEND):
        # An anonymous report's acknowledgement (or a forgotten resident's confirmation): once sent, no row stays
        # to say that a message went to this contact at this moment. A delivery report for it that comes later
        # is kept as an early one, without a contact, and dropped a day after (storage/retention.py).
        early = session.get(EarlyDeliveryReport, provider_message_id)
        if early is not None:
            session.delete(early)
        session.delete(message)
        return
    message.status = "sent"
    message.sent_at = now
    message.provider_message_id = provider_message_id
    message.segments = segments
    message.lease_until = None
    message.last_error = None
    # Delivered text is not kept: an acknowledgement holds a reference, and the contact is on this row.
    # WhatsApp may still report 63016 (window closed) after accepting a message, so its text is kept
    # until the delivery report says it arrived (record_delivery_status drops it then).
    if message.channel not in CHANNELS_REPORTING_LATE_REFUSALS:
        message.payload = {}
    early = session.get(EarlyDeliveryReport, provider_message_id)
    if early is not None:
        session.flush()
        _apply_delivery_report(session, message, status=early.status, error_code=early.error_code, effect=early.effect)
        session.delete(early)


def schedule_retry(session: Session, *, message_id: int, at: datetime, error: str, counts_as_try: bool = True) -> None:
    """Due again at `at`. A provider asking us to wait (429) is not a failed try (`counts_as_try`)."""
    message = session.get(OutboxMessage, message_id)
    if not counts_as_try:
        message.attempts -= 1
    message.status = "pending"
    message.next_attempt_at = at
    message.lease_until = None
    message.last_error = error[:255]


def mark_failed(session: Session, *, message_id: int, error: str) -> None:
    """Give up on a message; it stays visible to staff as failed. Its text is dropped too."""
    message = session.get(OutboxMessage, message_id)
    message.status = "failed"
    message.lease_until = None
    message.last_error = error[:255]
    message.payload = {}


def mark_held(session: Session, *, message_id: int, error: str) -> None:
    """Not deliverable now (WhatsApp window closed, no template): kept for when the resident writes."""
    message = session.get(OutboxMessage, message_id)
    message.status = "held"
    message.lease_until = None
    message.last_error = error[:255]


def release_held(session: Session, *, contact_id: int, now: datetime) -> list[int]:
    """The resident wrote again: their held messages are due now. Returns their ids, oldest first,
    so the caller sends them before (and so does not hold up) the reply to what they just wrote."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.contact_id == contact_id, OutboxMessage.status == "held", _not_expired(now))
        .order_by(OutboxMessage.id)
    )
    ids = list(session.execute(query).scalars())
    if ids:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(status="pending", next_attempt_at=now)
        )
    return ids


def hold_after_send(session: Session, *, message_id: int, error: str) -> None:
    """The provider accepted a message, then reported it could not deliver it for now (WhatsApp 63016):
    it goes back to held, with its text, to be sent when the resident next writes."""
    message = session.get(OutboxMessage, message_id)
    message.status = "held"
    message.provider_message_id = None
    message.delivery_status = None
    message.sent_at = None
    message.lease_until = None
    message.last_error = error[:255]


def message_by_provider_id(session: Session, *, provider_message_id: str) -> Optional[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id)
    return session.execute(query).scalar_one_or_none()


def mark_contact_unreachable(session: Session, *, contact_id: int, error: str) -> None:
    """Blocked or unsubscribed: the contact is marked and everything queued for them fails visibly."""
    session.get(Contact, contact_id).unreachable = True
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.contact_id == contact_id, OutboxMessage.status.in_(("pending", "sending", "held")))
        .values(status="failed", last_error=error[:255], lease_until=None, payload={})
    )


def record_delivery_status(session: Session, *, provider_message_id: str, status: str, error_code: Optional[int] = None) -> bool:
    """Apply a provider's delivery report if it moves the message forward. False if unknown or stale."""
    message = session.execute(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id).with_for_update()
    ).scalar_one_or_none()
    if message is None or status not in DELIVERY_ORDER:
        return False
    current = DELIVERY_ORDER.get(message.delivery_status or "", -1)
    if DELIVERY_ORDER[status] <= current:
        return False
    message.delivery_status = status
    if status in FINAL_DELIVERY_STATUSES:
        message.payload = {}
    if status in ("undelivered", "failed"):
        message.status = "failed"  # accepted, then not delivered: staff see it as failed
        message.last_error = (f"delivery report: {status}" + (f" (error {error_code})" if error_code else ""))[:255]
    return True


def counts_by_status(session: Session) -> dict[str, int]:
    """How many messages are pending, sending, sent, failed, held and expired: for /healthz and staff."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {status: count for status, count in session.execute(query)}


def contacts_of(session: Session, *, message_ids: Sequence[int]) -> list[int]:
    query = select(OutboxMessage.contact_id).where(OutboxMessage.id.in_(list(message_ids))).distinct()
    return list(session.execute(query).scalars())


def apply_delivery_report(
    session: Session, *, provider_message_id: str, status: str, error_code: Optional[int], effect: Optional[str],
    now: datetime,
) -> None:
    """A provider's report on a message: `effect` (decided by the channel from its error code) is
    "hold" (refused for now: send again when the resident writes), "unreachable" (blocked or
    unsubscribed) or None. A report for a message not yet recorded as sent is kept until it is."""
    message = message_by_provider_id(session, provider_message_id=provider_message_id)
    if message is not None:
        _apply_delivery_report(session, message, status=status, error_code=error_code, effect=effect)
        return
    early = session.get(EarlyDeliveryReport, provider_message_id)
    if early is None:
        session.add(EarlyDeliveryReport(provider_message_id=provider_message_id, status=status,
                                        error_code=error_code, effect=effect, received_at=now))
    elif DELIVERY_ORDER.get(status, -1) > DELIVERY_ORDER.get(early.status, -1) or effect:
        early.status, early.error_code, early.effect = status, error_code, effect or early.effect


def _apply_delivery_report(session: Session, message: OutboxMessage, *, status: str, error_code: Optional[int],
                           effect: Optional[str]) -> None:
    if effect == "hold":
        hold_after_send(session, message_id=message.id, error=f"error {error_code}: refused for now, held")
        return
    record_delivery_status(session, provider_message_id=message.provider_message_id, status=status, error_code=error_code)
    if effect == "unreachable":
        mark_contact_unreachable(session, contact_id=message.contact_id, error=f"error {error_code}: unsubscribed or blocked")
