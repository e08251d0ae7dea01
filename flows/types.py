"""The shapes that cross the boundary between the flows and their caller."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Optional

# A conversation's saved state is a plain JSON-able dict, so storage can keep it in one column and a
# test can write one by hand. Keys: "lang", "flow", "step", "draft", "misses", "last_seen", "pending", "hinted"
# (the languages listed first to someone new, until they choose: flows/home.ask_language), and
# "notices" (what a neutral notice will show when answered: flows/report_notices.py).
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
    # The shipped languages the message's words are written in, likeliest first (bot/language_hint.py); the
    # caller sets it only while the resident has no language. A hint only, like language_hint: the language
    # question lists them first (flows/home.ask_language).
    text_languages: tuple[str, ...] = ()
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
    # A recorded prompt this reply may go with (a key of flows/audio_prompts.AUDIO_PROMPTS): a channel that
    # has the recording in the reply's language plays it before the text, which is always sent too.
    audio_prompt: Optional[str] = None
    # The text already lists the choices as numbered lines (easy read: flows/engine.numbered), so a text
    # channel does not list them a second time.
    numbered: bool = False


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
class SpaceInfo:
    """A community space from the directory (rec 1), with its details as staff wrote them."""

    space_id: int
    name: str
    address: str
    cost: str  # "free" | "affordable" | "paid" (storage.models.SPACE_COSTS)
    ward_name: Optional[str] = None
    booking: Optional[str] = None  # how to book
    opening_hours: Optional[str] = None
    # What it offers, as storage.spaces.FEATURES names them: "step_free", "hearing_loop",
    # "accessible_toilet", "childcare_room", "kitchen", "prayer_space".
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class HelpServiceInfo:
    """A service from the "get help" directory (recs 3, 5-7), with its details as staff wrote them."""

    service_id: int
    name: str
    offer: str  # what it offers, in staff's English
    checked_on: date  # the day staff last confirmed its details
    # Keys of storage.models.HELP_CATEGORIES: "families", "young_people", "money", "housing", "mental_health",
    # "drugs_alcohol", "victims", "online_wifi", "online_devices", "online_skills".
    categories: tuple[str, ...] = ()
    offers: dict[str, str] = field(default_factory=dict)  # language code -> what it offers, as staff wrote it
    phone: Optional[str] = None
    website: Optional[str] = None
    address: Optional[str] = None
    ward_name: Optional[str] = None  # None: borough-wide or national
    opening_hours: Optional[str] = None
    cost: str = "free"  # "free" | "affordable" | "paid" (storage.models.SPACE_COSTS)
    languages: tuple[str, ...] = ()  # spoken there: storage.models.HELP_SPOKEN_LANGUAGES codes

    def offer_in(self, lang: str) -> Optional[str]:
        """What it offers in `lang` if staff gave it (English is `offer` itself), else None."""
        return self.offer if lang == "en" else self.offers.get(lang)


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
    # A standard reply's key (flows/staff_replies.py): told in the asker's language, not as stored.
    latest_standard_reply: Optional[str] = None
    latest_machine_translated: bool = False
    # When the report was closed, while it is closed; None while open, and for a report merged into another
    # or marked spam (there is nothing to ask "was this sorted?" about). The status check asks about it.
    closed_at: Optional[datetime] = None
    # The answer already given about this closing ("yes" | "partly" | "no"), so it is not asked again.
    sorted_answer: Optional[str] = None


@dataclass(frozen=True)
class ReportUpdateInfo:
    """One update staff made to a report, as its resident is told it when they answer a neutral notice
    (flows/report_notices.py): the same fields the notice was written from."""

    reference: str
    action: str  # "status" | "reply" | "referral" | "merge" (bot/report_notify.NOTIFIED_ACTIONS)
    status: str
    public_message: Optional[str] = None
    message_language: Optional[str] = None
    standard_reply: Optional[str] = None
    machine_translated: bool = False


@dataclass(frozen=True)
class RsvpInfo:
    """What this resident already answered for an event."""

    status: str  # "attending" | "waiting" | "declined"
    needs: tuple[str, ...] = ()  # "interpreter", "childcare", "step_free", "food"
    interpreter_language: Optional[str] = None
    # 1 for the first on the waiting list; None when not waiting (or not worth a query).
    waiting_position: Optional[int] = None


# The kinds of meeting where residents may suggest a topic for the agenda ("Have your say", rec 12).
AGENDA_KINDS = ("ward_panel", "tra_meeting", "community_forum")


@dataclass(frozen=True)
class EventInfo:
    """An upcoming event as a resident may see it (bot/event_info.py builds one from storage)."""

    event_id: int
    title: str  # as the organiser wrote it
    starts_at: datetime
    place: Optional[str] = None  # free-text venue, when it is not a space from the directory
    ward_name: Optional[str] = None
    cancelled: bool = False
    kind: str = "community_forum"  # one of storage.models.EVENT_KINDS
    description: Optional[str] = None  # as the organiser wrote it
    titles: dict[str, str] = field(default_factory=dict)  # language code -> title
    descriptions: dict[str, str] = field(default_factory=dict)  # language code -> description
    machine_translated: tuple[str, ...] = ()  # language codes whose title/description a machine wrote
    space_name: Optional[str] = None
    space_address: Optional[str] = None
    # As Event.offers: {"interpreters": ["bn"], "food": true, "childcare": true, "step_free": true,
    # "voucher": "£10 shopping voucher", "travel_costs": true}
    offers: dict = field(default_factory=dict)
    decision_makers: tuple[str, ...] = ()  # who will be there to listen, as the organiser wrote it
    capacity: Optional[int] = None
    places_left: Optional[int] = None  # None: no limit (or not counted)
    ends_at: Optional[datetime] = None
    ward_slug: Optional[str] = None
    my_rsvp: Optional[RsvpInfo] = None

    @property
    def accepts_agenda(self) -> bool:
        """Residents may suggest topics for ward panels, TRA meetings and community forums."""
        return self.kind in AGENDA_KINDS

    @property
    def full(self) -> bool:
        return self.places_left is not None and self.places_left <= 0

    def title_in(self, lang: str) -> str:
        """The title in `lang` if there is one, otherwise as the organiser wrote it."""
        return self.titles.get(lang) or self.title

    def description_in(self, lang: str) -> Optional[str]:
        """The description in `lang` if there is one, otherwise as the organiser wrote it."""
        return self.descriptions.get(lang) or self.description

    def machine_translated_in(self, lang: str) -> bool:
        """Whether the text shown in `lang` was written by a machine (residents are told)."""
        return lang in self.machine_translated and bool(self.titles.get(lang) or self.descriptions.get(lang))

    @property
    def venue(self) -> Optional[str]:
        """Where it is, in one line: the space and its address, or the free-text place."""
        if self.space_name:
            return f"{self.space_name}, {self.space_address}" if self.space_address else self.space_name
        return self.place


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
    # The free and low-cost spaces in a ward (by slug), or in the whole borough for None; cheapest first.
    find_spaces: Callable[[Optional[str]], tuple[SpaceInfo, ...]] = lambda ward_slug: ()
    # The "get help" services of one kind (a HELP_CATEGORIES key): for a ward slug, that ward's first, then the
    # borough-wide ones; for None, all of them.
    find_help_services: Callable[[str, Optional[str]], tuple[HelpServiceInfo, ...]] = lambda category, ward_slug: ()
    # The web chat's address as residents type it on a library computer (PUBLIC_BASE_URL + /chat).
    web_chat_url: str = "/chat"
    upcoming_events: Callable[[], tuple[EventInfo, ...]] = lambda: ()
    lookup_event: Callable[[int], Optional[EventInfo]] = lambda event_id: None
    # Where a resident can download an event's calendar file (the web service's public address).
    event_calendar_url: Callable[[int], str] = lambda event_id: f"/events/{event_id}.ics"
    # An event's "have your say" items (its own and its ward's "for the next meeting" ones) that an organiser
    # approved for residents to see, most backed first.
    agenda_items: Callable[[int], tuple["AgendaItemInfo", ...]] = lambda event_id: ()
    # One update of a report, by reference and update id, for showing what a neutral notice was about; None
    # when it is not (any more) an update of that report.
    lookup_update: Callable[[str, int], Optional[ReportUpdateInfo]] = lambda reference, update_id: None
    idle_after: timedelta = timedelta(minutes=30)
    max_text_length: int = 2000
    # What the resident's channel can send us besides text: "photo", "voice" (Media.kind). A capability of
    # the channel adapter (Telegram and WhatsApp both; SMS neither; the web chat "voice" only when the page
    # says its browser can record), so the questions invite only what can be sent.
    media_kinds: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AgendaItemInfo:
    """An agenda item as the resident reading the list sees it: approved by an organiser, in their wording
    when they gave one, else as it was sent."""

    item_id: int
    text: str
    language: Optional[str]  # None for an organiser's wording
    topic: str
    backers: int
    mine: bool = False  # they sent it: they cannot back it
    backed: bool = False  # they already backed it: once is enough


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
    # Unsafe places only (None otherwise): when it feels unsafe, one of "morning" | "afternoon" | "evening" |
    # "night"; and True only when the resident chose to say they are a woman or girl (never False: no "no").
    time_of_day: Optional[str] = None
    woman_or_girl: Optional[bool] = None


@dataclass(frozen=True)
class SaveRsvp:
    """The resident is coming (or not), with what they need to take part."""

    event_id: int
    attending: bool
    needs: tuple[str, ...] = ()  # "interpreter", "childcare", "step_free", "food"
    interpreter_language: Optional[str] = None
    # The flow cannot know whether the database will give a place (someone may take the last one a
    # moment earlier), so it writes both confirmations, says the one it expects, and the caller puts
    # the one that came true in place of whichever of the two the replies hold. `if_place` is what
    # is said when the answer is saved as given (for a no, or a change of needs, the thanks).
    if_place: Optional[str] = None
    if_waiting: Optional[str] = None
    # Said instead when storage refuses the answer: the event was cancelled or started meanwhile.
    if_closed: Optional[str] = None


@dataclass(frozen=True)
class SaveFeedback:
    """"How was it?": stored without who said it (EventFeedback has no contact), dated by the day only."""

    event_id: int
    rating: int  # 1 to 5
    comment: Optional[str]
    language: str


@dataclass(frozen=True)
class SaveAgendaItem:
    """Something to discuss: for an event (`event_id`), or for the next meeting in `ward_slug`."""

    event_id: Optional[int]
    ward_slug: Optional[str]
    topic: str  # a report category key: "asb", "drugs", ..., "other"
    text: str
    language: str


@dataclass(frozen=True)
class BackAgendaItem:
    """"Me too": the resident backs an item someone else sent."""

    item_id: int


@dataclass(frozen=True)
class SaveSortedAnswer:
    """"Was this sorted?" answered, about the closing at `closed_at` (an ISO 8601 string, as the draft keeps it).
    Saved the moment it is given, so a "no" reopens the report even if the resident never sends a comment."""

    reference: str
    answer: str  # "yes" | "partly" | "no" (the keys sorted:yes, sorted:partly, sorted:no)
    closed_at: Optional[str] = None
    via: str = "question"  # "question" (the worker asked) | "status_check"


@dataclass(frozen=True)
class AddSortedComment:
    """The optional comment after a "was this sorted?" answer: added to that answer (the same closing's row
    and the same history entry), never a second answer."""

    reference: str
    closed_at: str  # ISO 8601, as the draft keeps it
    comment: str
    language: str


@dataclass(frozen=True)
class RememberLanguage:
    language: str


@dataclass(frozen=True)
class ForgetContact:
    """"Forget me", confirmed: delete this contact, their conversation, names and every link to their reports
    (the reports stay, anonymous). The caller does it in the same transaction as the turn and still sends the
    turn's replies, the confirmation, though the contact is gone (bot/conversations.py says how)."""


Intent = (SubmitReport | RememberLanguage | SaveRsvp | SaveFeedback | SaveAgendaItem | BackAgendaItem | SaveSortedAnswer
          | AddSortedComment | ForgetContact)


@dataclass(frozen=True)
class Step:
    replies: tuple[Reply, ...]
    state: State
    intents: tuple[Intent, ...] = field(default=())
