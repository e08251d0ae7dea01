"""A fixed world for the flow properties: every kind of thing a flow can be asked to show, each in a few
shapes (an open and a closed report, a full event and one already answered, a ward with spaces and one
without), with a fixed clock and references made one after another."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Optional

import flows
from flows.types import AgendaItemInfo, EventInfo, ReportStatus, ReportUpdateInfo, RsvpInfo, SpaceInfo
from storage.references import CROCKFORD
from storage.seed import DEFAULT_ROUTES
from tests.flows.helpers import AGENCY_INFOS, FIXED_NOW, WARDS

NOW = FIXED_NOW

OPEN_REPORT = "TH-7K3M-9QXR"
CLOSED_REPORT = "TH-C1CD-2222"
ANSWERED_REPORT = "TH-ANSW-3333"
REPLIED_REPORT = "TH-RPLY-4444"
KNOWN_REFERENCES = (OPEN_REPORT, CLOSED_REPORT, ANSWERED_REPORT, REPLIED_REPORT)

REPORTS = {
    OPEN_REPORT: ReportStatus(OPEN_REPORT, "in_progress", "en", NOW - timedelta(days=3)),
    CLOSED_REPORT: ReportStatus(CLOSED_REPORT, "closed", "bn", NOW - timedelta(days=40),
                                closed_at=NOW - timedelta(days=15)),
    ANSWERED_REPORT: ReportStatus(ANSWERED_REPORT, "closed", "so", NOW - timedelta(days=60),
                                  closed_at=NOW - timedelta(days=30), sorted_answer="partly"),
    # Staff words are shown as they were written: markup in them is text, never the reply's own.
    REPLIED_REPORT: ReportStatus(REPLIED_REPORT, "action_taken", "en", NOW - timedelta(days=9),
                                 latest_message="We fixed the <b>light</b> & the door %(reference)s",
                                 latest_message_language="en", latest_update_at=NOW - timedelta(days=1)),
}
REPORTS_WITH_STANDARD_REPLY = {
    **REPORTS,
    OPEN_REPORT: replace(REPORTS[OPEN_REPORT], latest_standard_reply="received.thanks",
                         latest_update_at=NOW - timedelta(days=2)),
}


def _event(event_id: int, ward: Optional[str], **fields) -> EventInfo:
    values = dict(event_id=event_id, title=f"Meeting {event_id}", starts_at=NOW + timedelta(days=event_id, hours=3),
                  ward_slug=ward, ward_name=next((w.name for w in WARDS if w.slug == ward), None),
                  kind="ward_panel")
    values.update(fields)
    return EventInfo(**values)


EVENTS = (
    _event(1, "weavers", capacity=30, places_left=12, offers={"interpreters": ["bn", "so", "bsl"], "food": True,
                                                          "childcare": True, "voucher": "£10 voucher"},
           decision_makers=("Ward councillors", "Safer Neighbourhood team"), ends_at=NOW + timedelta(days=1, hours=5)),
    _event(2, "weavers", kind="community_forum", capacity=10, places_left=0, place="Brady Centre"),
    _event(3, "bow-east", kind="tra_meeting", my_rsvp=RsvpInfo("attending", ("interpreter", "food"), "syl")),
    _event(4, "bow-east", kind="youth_led", my_rsvp=RsvpInfo("declined")),
    _event(5, "shadwell", kind="family", capacity=5, places_left=0, my_rsvp=RsvpInfo("waiting", (), None, 2)),
    _event(6, None, kind="digital_skills", titles={"bn": "ডিজিটাল"}, machine_translated=("bn",),
           description="Bring your phone", descriptions={"so": "Keen telefoonkaaga"}),
    _event(7, "spitalfields-banglatown", kind="skills_training", space_name="Oxford House", space_address="Derbyshire St"),
    _event(8, "weavers", kind="intergenerational", ends_at=NOW + timedelta(days=9, hours=30)),
)
CANCELLED_EVENT = _event(9, "weavers", cancelled=True)
EVENTS_BY_ID = {event.event_id: event for event in EVENTS + (CANCELLED_EVENT,)}

AGENDA = {
    1: (AgendaItemInfo(101, "More lighting on the estate path", "en", "unsafe_place", 7),
        AgendaItemInfo(102, "সিঁড়িতে আলো নেই", "bn", "unsafe_place", 3),
        AgendaItemInfo(103, "Organiser's wording of a topic " * 8, None, "asb", 2),
        AgendaItemInfo(104, "My own item", "so", "noise", 1, mine=True),
        AgendaItemInfo(105, "Already backed", "en", "other", 4, backed=True)),
    3: (AgendaItemInfo(301, "Bins", "tr", "other", 1),),
}

SPACES = {
    None: tuple(SpaceInfo(n, f"Space {n}", f"{n} Roman Road", cost, ward_name="Bow East", booking="Call 020",
                          opening_hours="9-5", features=("step_free", "kitchen", "prayer_space")[: n % 4])
                for n, cost in enumerate(("free", "affordable", "paid", "free", "weird-cost", "free", "free"), 1)),
    "bow-east": (SpaceInfo(20, "Bow Hall", "1 Bow Road", "free", features=("hearing_loop",)),),
}


# Staff updates a neutral notice may show (flows/report_notices.py), by reference and update id; others are gone.
UPDATES = {
    (OPEN_REPORT, 1): ReportUpdateInfo(OPEN_REPORT, "status", "in_progress", standard_reply="in_progress.looking"),
    (OPEN_REPORT, 2): ReportUpdateInfo(OPEN_REPORT, "reply", "in_progress", public_message="We <b>called</b> & wrote",
                                       message_language="en"),
    (REPLIED_REPORT, 3): ReportUpdateInfo(REPLIED_REPORT, "merge", "action_taken"),
    (CLOSED_REPORT, 4): ReportUpdateInfo(CLOSED_REPORT, "referral", "referred", machine_translated=True,
                                         public_message="Passed on", message_language="bn"),
}


def make_world(*, many_events: bool = True, standard_reply: bool = False) -> flows.Context:
    """The context every flow property runs in. References come one after another (TH-0000-0001, ...):
    each test's own counter, so a report's reference says which conversation it came from."""
    counter = itertools.count(1)
    events = EVENTS if many_events else EVENTS[:3]
    reports = REPORTS_WITH_STANDARD_REPLY if standard_reply else REPORTS

    def new_reference() -> str:
        number = next(counter)
        body = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -5, -5))
        return f"TH-{body[:4]}-{body[4:]}"

    return flows.Context(
        now=NOW,
        wards=WARDS,
        agencies=AGENCY_INFOS,
        default_agencies=DEFAULT_ROUTES,
        lookup_report=reports.get,
        new_reference=new_reference,
        find_spaces=lambda ward: SPACES.get(ward, ()),
        upcoming_events=lambda: events,
        lookup_event=EVENTS_BY_ID.get,
        event_calendar_url=lambda event_id: f"https://saferhomes.example.org/events/{event_id}.ics",
        agenda_items=lambda event_id: AGENDA.get(event_id, ()),
        lookup_update=lambda reference, update_id: UPDATES.get((reference, update_id)),
    )


def at(context: flows.Context, moment: datetime) -> flows.Context:
    return replace(context, now=moment)

