"""The tables. A Report is what a resident told us; a ReportUpdate is each status change or public reply,
with who and when; a ReportLink is the sealed link to the sender that anonymous reports never get."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _when(**kwargs) -> Field:
    return Field(sa_type=UTCDateTime, **kwargs)


class Ward(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=128)


class Agency(SQLModel, table=True):
    """An organisation that acts on reports: the council's ASB team, a housing provider, the police."""

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    # "council" | "housing" | "police": what kind of body it is, for rules like "police only if chosen".
    kind: str = Field(max_length=16)
    # Language code -> name as residents read it; "en" is always present. Staff-entered, so a table,
    # not the catalogue (as FixMyStreet does for body names).
    names: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The response-time target agreed with residents, in working days.
    target_working_days: int = Field(default=5)
    offered_to_residents: bool = Field(default=True)
    active: bool = Field(default=True)


class CategoryRoute(SQLModel, table=True):
    """Which agencies a category goes to by default (the resident can change it)."""

    __table_args__ = (UniqueConstraint("category", "agency_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    category: str = Field(max_length=32)
    agency_id: int = Field(foreign_key="agency.id")


class Contact(SQLModel, table=True):
    """Someone who wrote to the service, known only by a keyed hash of their channel address."""

    __table_args__ = (UniqueConstraint("channel", "address_hash"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address_hash: str = Field(max_length=64)
    # Encrypted address, only for channels where we must send to it later (not the web chat).
    address_sealed: Optional[str] = Field(default=None, sa_type=Text)
    language: Optional[str] = Field(default=None, max_length=16)
    # Blocked us (Telegram 403) or unsubscribed (Twilio 21610, STOP): never sent to again until they write.
    unreachable: bool = Field(default=False)
    # WhatsApp allows free-form messages only within 24 hours of the resident's last message.
    last_inbound_at: Optional[datetime] = _when(default=None)
    created_at: datetime = _when(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True, ondelete="CASCADE")
    state: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _when(default_factory=utcnow)


class Report(SQLModel, table=True):
    __table_args__ = (Index("ix_report_status_created", "status", "created_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(max_length=12, unique=True)
    category: str = Field(max_length=32)
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    location_text: Optional[str] = Field(default=None, sa_type=Text)
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    when_kind: Optional[str] = Field(default=None, max_length=16)
    when_text: Optional[str] = Field(default=None, sa_type=Text)
    description: str = Field(default="", sa_type=Text)
    language: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    privacy: str = Field(max_length=16)
    danger_now: bool = Field(default=False)
    status: str = Field(default="received", max_length=16)
    # For anonymous reports this is rounded down to the hour, so no finer time links it to a chat.
    created_at: datetime = _when()
    updated_at: datetime = _when()


class ReportAgency(SQLModel, table=True):
    """The agencies a report is shared with: the resident's choice, later referrals add to it."""

    report_id: int = Field(foreign_key="report.id", primary_key=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)
    shared_at: datetime = _when()


class ReportUpdate(SQLModel, table=True):
    """One change to a report: a status, a public message, an internal note, by whom and when."""

    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    status: str = Field(max_length=16)
    public_message: Optional[str] = Field(default=None, sa_type=Text)
    message_language: Optional[str] = Field(default=None, max_length=16)
    internal_note: Optional[str] = Field(default=None, sa_type=Text)
    # None means the service itself (the report arriving); staff accounts come with the staff workspace.
    author: Optional[str] = Field(default=None, max_length=128)
    created_at: datetime = _when()


class ReportMedia(SQLModel, table=True):
    """A photo or voice note sent with a report; the file lives under MEDIA_DIR with a random name."""

    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    media_id: str = Field(max_length=128, unique=True)
    kind: str = Field(max_length=16)  # "photo" | "voice" | "video" | "file"


class ReportLink(SQLModel, table=True):
    """The sealed link from a private or named report to its sender. Anonymous reports have none."""

    report_id: int = Field(foreign_key="report.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    # Only for named reports: the name the resident typed, encrypted.
    reporter_name_sealed: Optional[str] = Field(default=None, sa_type=Text)


class WorkerHeartbeat(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=64)
    beat_at: datetime = _when()


class InboundReceipt(SQLModel, table=True):
    """One row per provider message id, so a redelivered webhook is answered once (a constraint, not a
    cache: it holds across restarts and processes). No contact id, and the time only to the hour."""

    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    provider_message_id: str = Field(max_length=64)
    received_hour: datetime = _when(index=True)


class OutboxMessage(SQLModel, table=True):
    """A message to a resident, written in the same transaction as the change that causes it.

    status: pending (due at next_attempt_at) -> sending (claimed until lease_until) -> sent | failed |
    held (WhatsApp outside the 24-hour window with no template: shown to staff, sent when they write).
    The payload is deleted once sent, so no delivered text (an acknowledgement's reference) stays here.
    """

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    # What it is for ("reply", "status_update", "reminder"...): picks a WhatsApp template when needed.
    kind: str = Field(default="reply", max_length=32)
    language: str = Field(default="en", max_length=16)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _when()
    lease_until: Optional[datetime] = _when(default=None)
    # Which claim holds the lease: a worker whose lease ran out must not send what another now holds.
    claimed_by: Optional[str] = Field(default=None, max_length=32)
    last_error: Optional[str] = Field(default=None, max_length=255)
    provider_message_id: Optional[str] = Field(default=None, max_length=64, unique=True)
    # The provider's delivery report (Twilio status callback), only ever moved forward.
    delivery_status: Optional[str] = Field(default=None, max_length=16)
    segments: Optional[int] = None
    created_at: datetime = _when()
    sent_at: Optional[datetime] = _when(default=None)


class EarlyDeliveryReport(SQLModel, table=True):
    """A provider's delivery report that arrived before we had recorded the message as sent (the
    provider answers the send, then reports; our commit can come after). Applied by mark_sent."""

    provider_message_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16)
    error_code: Optional[int] = None
    # What the error means for us, decided by the channel adapter: "hold", "unreachable" or None.
    effect: Optional[str] = Field(default=None, max_length=16)
    received_at: datetime = _when()


class Event(SQLModel, table=True):
    """A ward panel, forum or community event residents can find and say they are coming to."""

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    place: Optional[str] = Field(default=None, max_length=300)
    starts_at: datetime = _when(index=True)
    capacity: Optional[int] = None
    cancelled_at: Optional[datetime] = _when(default=None)
    created_at: datetime = _when()


class Rsvp(SQLModel, table=True):
    """A resident's answer to an event, with what they need to take part (one per person per event)."""

    __table_args__ = (UniqueConstraint("event_id", "contact_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    attending: bool
    # Subset of "interpreter", "childcare", "step_free", "food": what organisers plan for.
    needs: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    interpreter_language: Optional[str] = Field(default=None, max_length=16)
    updated_at: datetime = _when()
