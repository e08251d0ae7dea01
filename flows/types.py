"""The shapes that cross the boundary between the flows and their caller."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Optional

# A conversation's saved state is a plain JSON-able dict, so storage can keep it in one column and a
# test can write one by hand. Keys: "lang", "flow", "step", "draft", "misses", "last_seen", "pending".
State = dict


@dataclass(frozen=True)
class Inbound:
    """One thing a resident sent: typed text, a tapped choice key, a shared location or media."""

    text: Optional[str] = None
    choice: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    media: tuple["Media", ...] = ()
    # A hint only (Telegram's language_code, the web page's ?lang=); never forces a language.
    language_hint: Optional[str] = None
    # The resident sent a file the adapter would not keep (too large, or a kind we do not accept).
    refused_media: bool = False


@dataclass(frozen=True)
class Media:
    """A photo or voice note the channel adapter has already stored; the flow only keeps its id."""

    media_id: str
    kind: str  # "photo" | "voice" | "video" | "file"


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


@dataclass(frozen=True)
class Reply:
    text: str
    lang: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class AgencyInfo:
    slug: str
    names: dict[str, str]  # language code -> name; "en" is always present
    target_working_days: int
    # The police see a report only if the resident ticks them, so they are never ticked for them.
    is_police: bool = False

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class WardInfo:
    slug: str
    name: str


@dataclass(frozen=True)
class ReportStatus:
    """What a status check may tell anyone who holds the reference."""

    reference: str
    status: str
    language: str
    received_at: datetime
    latest_message: Optional[str] = None
    latest_message_language: Optional[str] = None
    latest_update_at: Optional[datetime] = None


@dataclass(frozen=True)
class EventInfo:
    """An upcoming event as a resident may see it."""

    event_id: int
    title: str
    starts_at: datetime
    place: Optional[str] = None
    ward_name: Optional[str] = None
    cancelled: bool = False


@dataclass(frozen=True)
class Context:
    """Everything a flow may know about the world, supplied by the caller."""

    now: datetime
    wards: tuple[WardInfo, ...]
    agencies: tuple[AgencyInfo, ...]
    lookup_report: Callable[[str], Optional[ReportStatus]]
    new_reference: Callable[[], str]
    # category -> agency slugs ticked for the resident at the start (category routing, kept as data)
    default_agencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    upcoming_events: Callable[[], tuple[EventInfo, ...]] = lambda: ()
    lookup_event: Callable[[int], Optional[EventInfo]] = lambda event_id: None
    # Where a resident can download an event's calendar file (the web service's public address).
    event_calendar_url: Callable[[int], str] = lambda event_id: f"/events/{event_id}.ics"
    idle_after: timedelta = timedelta(minutes=30)
    max_text_length: int = 2000


# Intents: what the caller must persist. Flows never write anything themselves.
@dataclass(frozen=True)
class SubmitReport:
    reference: str
    language: str
    category: str
    privacy: str  # "anonymous" | "private" | "named"
    agencies: tuple[str, ...]
    description: str
    danger_now: bool
    ward_slug: Optional[str] = None
    location_text: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    when: Optional[str] = None  # "now" | "today" | "earlier" | None
    when_text: Optional[str] = None
    reporter_name: Optional[str] = None
    media: tuple[tuple[str, str], ...] = ()  # (media id, kind) of each photo or voice note


@dataclass(frozen=True)
class SaveRsvp:
    """The resident is coming (or not), with what they need to take part."""

    event_id: int
    attending: bool
    needs: tuple[str, ...] = ()  # "interpreter", "childcare", "step_free", "food"
    interpreter_language: Optional[str] = None


@dataclass(frozen=True)
class RememberLanguage:
    language: str


Intent = SubmitReport | RememberLanguage | SaveRsvp


@dataclass(frozen=True)
class Step:
    replies: tuple[Reply, ...]
    state: State
    intents: tuple[Intent, ...] = field(default=())
