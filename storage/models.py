"""The tables. A Report is what a resident told us; a ReportUpdate is each status change or public reply,
with who and when; a ReportLink is the sealed link to the sender that anonymous reports never get."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
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
    # The inbox (storage/inbox.py) walks these newest first and stops after a page (migration 0012).
    __table_args__ = (
        Index("ix_report_status_created", "status", "created_at"),
        Index("ix_report_created_id", "created_at", "id"),
        Index("ix_report_ward_created", "ward_id", "created_at", "id"),
        Index("ix_report_language_created", "language", "created_at", "id"),
        # Open, unmerged reports only (a tenth of the table): the default inbox walks it newest first and
        # the header counts them from it. The WHERE matches storage/inbox.py's conditions word for word.
        Index("ix_report_open", "created_at", "id", "status", "duplicate_of_id",
              sqlite_where=text("status != 'closed' AND coalesce(duplicate_of_id, 0) = 0"),
              postgresql_where=text("status <> 'closed' AND duplicate_of_id IS NULL")),
        # Counted reports only (not spam, not merged): public figures read a year of them from it alone
        # (migration 0014). The WHERE matches storage/public_figures.py's conditions word for word.
        Index("ix_report_public", "created_at", "category", "status", "ward_id", "time_of_day", "woman_or_girl",
              "spam_at", "duplicate_of_id",
              sqlite_where=text("spam_at IS NULL AND coalesce(duplicate_of_id, 0) = 0"),
              postgresql_where=text("spam_at IS NULL AND duplicate_of_id IS NULL")),
        # Reports a resident reopened that no officer has picked up yet (a few at any time): the inbox's
        # "Reopened by the resident" filter walks it newest first and the header counts them from it alone
        # (migration 0016). reopened_at is listed although the WHERE fixes it: SQLite counts an index as
        # covering only when it holds every column the query names.
        Index("ix_report_reopened", "created_at", "id", "status", "duplicate_of_id", "reopened_at",
              sqlite_where=text("reopened_at IS NOT NULL"), postgresql_where=text("reopened_at IS NOT NULL")),
        # A new report looks here for an identical one received in the last IDENTICAL_REPORT_HOURS
        # (storage/identical_reports.py, migration 0017). Reports too short to compare have no fingerprint.
        Index("ix_report_content_fingerprint", "content_fingerprint", "created_at",
              sqlite_where=text("content_fingerprint IS NOT NULL"),
              postgresql_where=text("content_fingerprint IS NOT NULL")),
    )
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
    # English from the configured TRANSLATOR, made the first time staff open the report and kept, so the
    # resident's words go to a translator once; always shown labelled as machine translation, by engine.
    translation: Optional[str] = Field(default=None, sa_type=Text)
    translation_engine: Optional[str] = Field(default=None, max_length=32)
    # Merged by staff into an earlier report about the same thing: this one is closed and points there.
    duplicate_of_id: Optional[int] = Field(default=None, foreign_key="report.id", index=True)
    # When it was last closed (None while open): the clock for time to close, and for "was this sorted?".
    closed_at: Optional[datetime] = _when(default=None)
    # When the resident answered "no" to "was this sorted?" and so reopened it (storage/sorted_checks.py);
    # cleared when staff of any agency change its status or reply to the resident (storage/report_actions.py),
    # as the team has then picked it up. Set, it flags the report in every inbox it is shared with.
    reopened_at: Optional[datetime] = _when(default=None)
    # Staff judged it not a genuine report (a test, nonsense, abuse): left out of every public figure, as
    # duplicates are (design.md, "HTTP surface").
    spam_at: Optional[datetime] = _when(default=None)
    # A keyed hash of what the resident chose and wrote (storage/identical_reports.py): a copy of a report
    # received shortly before is merged into it, so a flood of copies counts once. Reveals nothing without
    # SECRET_KEY; None for reports too short to compare and for those received before migration 0017.
    content_fingerprint: Optional[str] = Field(default=None, max_length=64)
    # Unsafe places (rec 10, a night-safety strategy co-designed with women): when the place feels unsafe,
    # one of TIMES_OF_DAY, and True only when the resident chose to say they are a woman or girl (None when
    # they did not say: never recorded as "no").
    time_of_day: Optional[str] = Field(default=None, max_length=16)
    woman_or_girl: Optional[bool] = Field(default=None)
    # Words about this report that may be published (public pages, Open311): staff write or redact them
    # from the resident's and approve them; nothing else a resident wrote is ever published.
    public_summary: Optional[str] = Field(default=None, sa_type=Text)
    public_summary_approved_at: Optional[datetime] = _when(default=None)
    public_summary_staff_id: Optional[int] = Field(default=None, foreign_key="staffuser.id")
    # For anonymous reports this is rounded down to the hour, so no finer time links it to a chat.
    created_at: datetime = _when()
    updated_at: datetime = _when()


class ReportAgency(SQLModel, table=True):
    """The agencies a report is shared with: the resident's choice, later referrals add to it."""

    # An agency's unanswered reports by when its clock started (most overdue first): the inbox's overdue
    # filter, its order and count; and the period's sharings with their clocks, which public figures read
    # from the index alone (migration 0014).
    __table_args__ = (Index("ix_reportagency_clock", "agency_id", "responded_at", "shared_at", "report_id"),
                      Index("ix_reportagency_shared", "shared_at", "agency_id", "report_id", "response_working_days",
                            "close_working_days"))
    report_id: int = Field(foreign_key="report.id", primary_key=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)
    shared_at: datetime = _when()
    # How it came: "resident" (their own choice: only these agencies see a named resident's details),
    # "referral" or "share" (staff of another agency passed it on; one of SHARE_ROUTES).
    via: str = Field(default="resident", max_length=16, sa_column_kwargs={"server_default": "resident"})
    # This agency's first response (a status change or a public reply by its staff): stops its clock
    # against Agency.target_working_days.
    responded_at: Optional[datetime] = _when(default=None)
    # Working days (flows/working_days.py) from shared_at to responded_at, and to the report's closing:
    # counted once when it happens (storage/report_clock.py), so public figures are small GROUP BYs.
    response_working_days: Optional[int] = None
    close_working_days: Optional[int] = None


class ReportUpdate(SQLModel, table=True):
    """One change to a report: a status, a public message, an internal note, by whom and when."""

    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    status: str = Field(max_length=16)
    public_message: Optional[str] = Field(default=None, sa_type=Text)
    message_language: Optional[str] = Field(default=None, max_length=16)
    internal_note: Optional[str] = Field(default=None, sa_type=Text)
    # None means the service itself (the report arriving) or the command line.
    author: Optional[str] = Field(default=None, max_length=128)
    created_at: datetime = _when()
    # What this update did, for the history staff read: one of UPDATE_ACTIONS.
    action: str = Field(default="status", max_length=16, sa_column_kwargs={"server_default": "status"})
    # The staff account and its agency at the time (the account may later move or be turned off).
    staff_user_id: Optional[int] = Field(default=None, foreign_key="staffuser.id", index=True)
    agency_id: Optional[int] = Field(default=None, foreign_key="agency.id")
    # Why the status changed, in the officer's words (staff pages only, never sent).
    reason: Optional[str] = Field(default=None, sa_type=Text)
    # A standard reply's key (flows/staff_replies.py): the resident and the status check read it from the
    # catalogue in their own language, so it is accurate. None for a reply written freely.
    standard_reply: Optional[str] = Field(default=None, max_length=64)
    # A free reply sent machine-translated: `public_message` is what the resident got (in
    # `message_language`), `original_message` what the officer wrote.
    original_message: Optional[str] = Field(default=None, sa_type=Text)
    machine_translated: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    # A referral or share: the agency it went to. A merge: the report this one was merged into.
    to_agency_id: Optional[int] = Field(default=None, foreign_key="agency.id")
    merged_into_id: Optional[int] = Field(default=None, foreign_key="report.id")


# What a ReportUpdate did. "received" is the report arriving; the rest are staff actions.
# "sorted" is the resident's answer to "was this sorted?"; "reopen" an answer of "no" reopening it; "spam"
# and "publish" staff marking it not genuine or approving its public summary.
UPDATE_ACTIONS = ("received", "status", "reply", "note", "referral", "share", "merge", "sorted", "reopen",
                  "spam", "publish")
# When an unsafe place feels unsafe (Report.time_of_day).
TIMES_OF_DAY = ("morning", "afternoon", "evening", "night")
# How a report reached an agency (ReportAgency.via).
SHARE_ROUTES = ("resident", "referral", "share")


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
    held (WhatsApp outside the 24-hour window with no template: shown to staff, sent when they write);
    pending or held -> expired once past expires_at (a reminder after its moment is never sent late).
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
    # The event a reminder or notice is about: a moved or cancelled event drops its unsent reminders.
    event_id: Optional[int] = Field(default=None, foreign_key="event.id", index=True, ondelete="CASCADE")
    # Past this moment the message is worthless (a reminder after its meeting): dropped, never sent late.
    expires_at: Optional[datetime] = _when(default=None)
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


# What kind of gathering an event is (recs 1, 2, 4, 6, 7, 9, 12). The labels residents read are in
# flows/events.py (translated); these keys are what storage, the CLI and the staff pages use.
EVENT_KINDS = ("ward_panel", "tra_meeting", "community_forum", "youth_led", "intergenerational", "family",
               "skills_training", "digital_skills")
# How much a community space costs to use (rec 1: residents asked for free and affordable spaces).
SPACE_COSTS = ("free", "affordable", "paid")
# An RSVP's status: coming with a place, on the waiting list, or not coming.
RSVP_STATUSES = ("attending", "waiting", "declined")


class Space(SQLModel, table=True):
    """A community space residents and groups can use: a community centre, a mosque's hall, a library room."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(max_length=300)
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    cost: str = Field(default="free", max_length=16)  # one of SPACE_COSTS
    # Free text from staff: who to ask and how ("ring 020 … or ask at reception").
    booking: Optional[str] = Field(default=None, max_length=500)
    opening_hours: Optional[str] = Field(default=None, max_length=300)
    step_free: bool = Field(default=False)
    hearing_loop: bool = Field(default=False)
    accessible_toilet: bool = Field(default=False)
    childcare_room: bool = Field(default=False)
    kitchen: bool = Field(default=False)
    prayer_space: bool = Field(default=False)
    created_at: datetime = _when()
    updated_at: datetime = _when()


# The kinds of support the "get help" directory lists (recs 3, 5-7). The labels residents read are in
# flows/get_help.py (translated); these keys are what storage, the CLI and the staff pages use.
HELP_CATEGORIES = ("families", "young_people", "money", "housing", "mental_health", "drugs_alcohol", "victims",
                   "online_wifi", "online_devices", "online_skills")
# The languages staff can say are spoken at a service, as codes (syl: Sylheti, bsl: British Sign Language).
HELP_SPOKEN_LANGUAGES = ("en", "bn", "syl", "so", "ur", "ar", "zh", "pl", "lt", "es", "pt", "it", "fr", "tr", "bsl")


class HelpService(SQLModel, table=True):
    """A local or national service residents can turn to for support: a helpline, an advice centre, a library
    with free Wi-Fi. Staff keep it current; `checked_on` is the day they last confirmed its details."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Keys of HELP_CATEGORIES, one or more: an Idea Store lends devices, has Wi-Fi and teaches skills. A JSON
    # list because the directory is small (tens of rows) and is filtered by category in Python.
    categories: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # What it offers, in staff's short English words; `offers` holds other languages staff entered (code ->
    # text), shown to residents of that language (FixMyStreet's table for staff content, not the catalogue).
    offer: str = Field(max_length=500)
    offers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    phone: Optional[str] = Field(default=None, max_length=64)
    website: Optional[str] = Field(default=None, max_length=300)
    address: Optional[str] = Field(default=None, max_length=300)
    # None: borough-wide or national (a helpline); shown whatever ward a resident chooses.
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    opening_hours: Optional[str] = Field(default=None, max_length=300)
    cost: str = Field(default="free", max_length=16)  # one of SPACE_COSTS
    languages: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # HELP_SPOKEN_LANGUAGES
    checked_on: date
    created_at: datetime = _when()
    updated_at: datetime = _when()


# An event with no end time is taken to last this long: ward panels and forums usually run about two
# hours. Its calendar file ends then, and "how was it?" is asked after it.
ASSUMED_EVENT_LENGTH = timedelta(hours=2)


def event_end(event: Event) -> datetime:
    """When `event` ends: its own end time, else ASSUMED_EVENT_LENGTH after it starts."""
    return event.ends_at or event.starts_at + ASSUMED_EVENT_LENGTH


class Event(SQLModel, table=True):
    """A ward panel, forum or community event residents can find and say they are coming to."""

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(default="community_forum", max_length=32)  # one of EVENT_KINDS
    # `title` and `description` are as the organiser wrote them (usually English); `titles` and
    # `descriptions` hold other languages (code -> text), and `machine_translated` the codes whose text
    # a machine wrote, so residents are told.
    title: str = Field(max_length=200)
    titles: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    description: Optional[str] = Field(default=None, sa_type=Text)
    descriptions: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    machine_translated: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    # The venue: a space from the directory, or free text (`place`) for anywhere else.
    space_id: Optional[int] = Field(default=None, foreign_key="space.id", index=True, ondelete="SET NULL")
    place: Optional[str] = Field(default=None, max_length=300)
    starts_at: datetime = _when(index=True)
    ends_at: Optional[datetime] = _when(default=None)
    capacity: Optional[int] = None
    # What is offered to make taking part possible (rec 4): {"interpreters": ["bn", "so"], "food": true,
    # "childcare": true, "step_free": true, "voucher": "£10 shopping voucher", "travel_costs": true}.
    offers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # Who will be there to listen and answer (rec 6), as the organiser writes them: "Ward councillors".
    decision_makers: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    cancelled_at: Optional[datetime] = _when(default=None)
    # When the time or place last changed: residents who answered were told once.
    moved_at: Optional[datetime] = _when(default=None)
    # Filled when the RSVPs are deleted after the event (retention): the totals organisers keep.
    rsvp_summary: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = _when()
    updated_at: Optional[datetime] = _when(default=None)


class Rsvp(SQLModel, table=True):
    """A resident's answer to an event, with what they need to take part (one per person per event)."""

    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        Index("ix_rsvp_event_status", "event_id", "status"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    status: str = Field(default="attending", max_length=16)  # one of RSVP_STATUSES
    # Subset of "interpreter", "childcare", "step_free", "food": what organisers plan for.
    needs: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    interpreter_language: Optional[str] = Field(default=None, max_length=16)
    created_at: datetime = _when()
    updated_at: datetime = _when()
    # When they got a place (at once, or promoted from the waiting list): no reminder is due before it.
    confirmed_at: Optional[datetime] = _when(default=None)
    # Their place in the waiting list: the earliest is promoted first.
    waiting_since: Optional[datetime] = _when(default=None)
    # When "how was it?" was asked, so it is asked once.
    feedback_asked_at: Optional[datetime] = _when(default=None)


class ReminderRun(SQLModel, table=True):
    """One reminder moment of one event, done: the marker that makes planning reminders exactly-once.

    Written in the same transaction as the reminders it queued; a second worker (or a restart) that
    tries the same moment hits the unique constraint and queues nothing. A moved event has a new
    `starts_at`, so its new moments are new runs."""

    __table_args__ = (UniqueConstraint("event_id", "offset_minutes", "starts_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    offset_minutes: int
    starts_at: datetime = _when()
    queued: int = Field(default=0)
    skipped: int = Field(default=0)
    ran_at: datetime = _when()


class EventFeedback(SQLModel, table=True):
    """"How was it?" after an event: a rating and an optional comment, kept without who gave it."""

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    rating: int  # 1 to 5
    comment: Optional[str] = Field(default=None, sa_type=Text)
    language: str = Field(max_length=16)
    created_on: datetime = _when()  # the day only


class AgendaItem(SQLModel, table=True):
    """"Have your say" (rec 12): something a resident wants a ward panel or forum to discuss.

    Tied to an event when sent for one; tied only to a ward when sent after a meeting for "the next one",
    and then shown for that ward's next meeting."""

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: Optional[int] = Field(default=None, foreign_key="event.id", index=True, ondelete="CASCADE")
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    # A report category key ("asb", "drugs", …, "other"): how organisers see items grouped.
    topic: str = Field(max_length=32)
    text: str = Field(sa_type=Text)
    language: str = Field(max_length=16)
    # English from the configured translator, labelled as machine translation wherever it is shown.
    translation: Optional[str] = Field(default=None, sa_type=Text)
    # Who sent it, so they cannot back their own item; gone when they ask us to forget them.
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True, ondelete="SET NULL")
    created_at: datetime = _when()
    # Residents' words may name people or places, so other residents see an item (and may back it) only
    # once an organiser approved it, in the organiser's wording when they gave one (`shown_text`).
    approved_at: Optional[datetime] = _when(default=None)
    shown_text: Optional[str] = Field(default=None, sa_type=Text)
    # An organiser decided other residents should not see it (kept for the organisers' own list).
    hidden_at: Optional[datetime] = _when(default=None)


class AgendaBacking(SQLModel, table=True):
    """A resident backing an agenda item someone else sent ("me too")."""

    item_id: int = Field(foreign_key="agendaitem.id", primary_key=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = _when()


# --- staff accounts (issue 6) ------------------------------------------------------------------------

STAFF_ROLES = ("admin", "officer", "organiser", "viewer")


class StaffUser(SQLModel, table=True):
    """A person who works in the staff pages. Every role but admin belongs to one agency, whose reports
    (the ones residents shared with it) are all that account may see. Never deleted: `active` turns an
    account off and keeps the audit log's "who" meaningful."""

    __table_args__ = (
        UniqueConstraint("email", name="uq_staffuser_email"),
        CheckConstraint("role IN ('admin', 'officer', 'organiser', 'viewer')", name="ck_staffuser_role"),
        CheckConstraint("role = 'admin' OR agency_id IS NOT NULL", name="ck_staffuser_agency_unless_admin"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)  # stored lower-cased: one account per address however it is typed
    password_hash: str = Field(sa_type=Text)  # argon2id, with its parameters (storage/staff.py)
    role: str = Field(max_length=16)
    agency_id: Optional[int] = Field(default=None, foreign_key="agency.id", index=True)
    active: bool = Field(default=True)
    # The lockout (design.md, "Staff access"): wrong passwords counted from the first one in a 15-minute window.
    failed_logins: int = Field(default=0)
    first_failed_at: Optional[datetime] = _when(default=None)
    locked_until: Optional[datetime] = _when(default=None)
    created_at: datetime = _when(default_factory=utcnow)
    last_login_at: Optional[datetime] = _when(default=None)
    # When the person last signed out: every session that began before it is over, on any computer (the
    # session is a signed cookie, so without this a copied cookie would outlive signing out).
    signed_out_at: Optional[datetime] = _when(default=None)
    # Set when an admin resets the password: the next sign-in must choose a new one first.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class AuditEntry(SQLModel, table=True):
    """One thing a staff account did or tried (logged in, failed to, added an account, viewed a named
    report, changed one). `detail` holds ids, roles and reasons, never a name, address, password or a
    resident's words: the audit log is read by admins and kept longer than the things it points to."""

    __table_args__ = (Index("ix_auditentry_staff_at", "staff_user_id", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    # None: the service itself, the command line, or a login attempt for an address with no account.
    staff_user_id: Optional[int] = Field(default=None, foreign_key="staffuser.id")
    action: str = Field(max_length=64)
    # A plain number, not a foreign key: the entry outlives the report it names.
    report_id: Optional[int] = Field(default=None, index=True)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CareTerm(SQLModel, table=True):
    """A word or phrase that stigmatises young people, people sleeping rough or people who use drugs or
    alcohol (rec 8), with the wording to use instead. Data an admin edits, not code: the staff pages flag
    a reply or public text that uses one before it is sent (flows/care_language.py)."""

    __table_args__ = (UniqueConstraint("term", name="uq_careterm_term"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    term: str = Field(max_length=100)  # lower-cased; matched as whole words, any case
    suggestion: str = Field(max_length=300)
    # Who the word hurts: one of CARE_GROUPS, so the flag can say why.
    group: str = Field(default="other", max_length=32)
    updated_at: datetime = _when(default_factory=utcnow)


CARE_GROUPS = ("young_people", "rough_sleeping", "addiction", "other")


# --- public accountability (issue 7) -----------------------------------------------------------------

SORTED_ANSWERS = ("yes", "partly", "no")


class SortedCheck(SQLModel, table=True):
    """"Was this sorted?" about one closing of a report (a report reopened and closed again is asked
    again). Asked by the worker for private and named reports; an anonymous resident answers through the
    status check, which makes the row when they answer. `comment` is the resident's words: staff read it,
    and it is never published."""

    __table_args__ = (UniqueConstraint("report_id", "closed_at", name="uq_sortedcheck_report_closed"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    closed_at: datetime = _when()  # the Report.closed_at it asks about
    asked_at: Optional[datetime] = _when(default=None)
    answer: Optional[str] = Field(default=None, max_length=8)  # one of SORTED_ANSWERS
    comment: Optional[str] = Field(default=None, sa_type=Text)
    comment_language: Optional[str] = Field(default=None, max_length=16)
    # To the hour: no finer time links an anonymous answer to a conversation.
    answered_at: Optional[datetime] = _when(default=None, index=True)
    via: Optional[str] = Field(default=None, max_length=16)  # "question" | "status_check"


PUBLIC_ENTRY_STATES = ("draft", "published", "withdrawn")


class PublicEntry(SQLModel, table=True):
    """A "You said, we did" entry: what residents raised and what was done, written by staff for the
    public pages (the care-language check applies). For a ward, or the whole borough when ward_id is None."""

    id: Optional[int] = Field(default=None, primary_key=True)
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)
    category: Optional[str] = Field(default=None, max_length=32)  # a report category key, when it is about one
    agency_id: Optional[int] = Field(default=None, foreign_key="agency.id")  # who acted
    # The report it is about, if one (never shown publicly unless its public summary is approved).
    report_id: Optional[int] = Field(default=None, foreign_key="report.id", ondelete="SET NULL")
    you_said: str = Field(sa_type=Text)  # as staff wrote it (English)
    we_did: str = Field(sa_type=Text)
    # Other languages: code -> {"you_said": ..., "we_did": ...}; `machine_translated` the codes a machine wrote.
    translations: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    machine_translated: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    state: str = Field(default="draft", max_length=16)  # one of PUBLIC_ENTRY_STATES
    published_at: Optional[datetime] = _when(default=None, index=True)
    staff_user_id: Optional[int] = Field(default=None, foreign_key="staffuser.id")
    created_at: datetime = _when()
    updated_at: datetime = _when()


# What a success measure counts (rec 10: measured against what residents agreed):
# first_response / close: reports answered / closed within `working_days`; sorted: residents answering
# "yes" or "partly" to "was this sorted?".
TARGET_MEASURES = ("first_response", "close", "sorted")


class SuccessTarget(SQLModel, table=True):
    """A target or success measure agreed with residents, with when and with whom ("first response within
    2 working days, agreed at the Weavers ward panel, March 2026"). Never edited in place once public:
    a new agreement retires the old one (`retired_on`), so the pages show each over its own time."""

    id: Optional[int] = Field(default=None, primary_key=True)
    measure: str = Field(max_length=32)  # one of TARGET_MEASURES
    agency_id: Optional[int] = Field(default=None, foreign_key="agency.id", index=True)  # None: every agency
    ward_id: Optional[int] = Field(default=None, foreign_key="ward.id", index=True)  # None: the borough
    working_days: Optional[int] = None  # for first_response and close
    share_percent: Optional[int] = None  # the share that should meet it (e.g. 90), if agreed
    agreed_with: str = Field(max_length=200)  # "Weavers ward panel"
    agreed_on: date
    effective_from: date
    retired_on: Optional[date] = None
    note: Optional[str] = Field(default=None, max_length=500)
    staff_user_id: Optional[int] = Field(default=None, foreign_key="staffuser.id")
    created_at: datetime = _when()


class DigestSend(SQLModel, table=True):
    """The ward panel digest's link, sent once to the residents who said they are coming to the meeting:
    the primary key makes a second send (a double click, two organisers, a retry) a no-op."""

    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    sent_at: datetime = _when()
    staff_user_id: Optional[int] = Field(default=None, foreign_key="staffuser.id")
    queued: int = Field(default=0)


class ApiKey(SQLModel, table=True):
    """A council system's key for Open311 POST requests. Only a hash is kept; the key is shown once."""

    __table_args__ = (UniqueConstraint("key_hash", name="uq_apikey_key_hash"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)  # whose system: "Council CRM"
    key_hash: str = Field(max_length=64)  # SHA-256 hex of the key (keys are long random strings)
    created_at: datetime = _when()
    revoked_at: Optional[datetime] = _when(default=None)
    last_used_at: Optional[datetime] = _when(default=None)


class PublicSnapshot(SQLModel, table=True):
    """The public figures of one page (storage.public_figures.PublicFigures, as storage/public_snapshots.py
    writes it), counted by the worker every half minute so no visitor waits for the aggregate and several
    web processes share one count. Served only while at most 60 seconds old (design.md)."""

    # The ward's slug, or "" for the borough: a primary key cannot hold NULL.
    ward_slug: str = Field(primary_key=True, max_length=64)
    months: int = Field(primary_key=True)
    computed_at: datetime = _when()  # the `now` the figures were counted at (their counted_at)
    figures: dict = Field(sa_column=Column(JSON, nullable=False))
