"""Finding an event and saying whether you are coming, with what you need to take part."""
import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows import i18n
from flows.events import MACHINE_TRANSLATED, describe_event
from flows.notices import place_offered_notice
from flows.types import Choice, EventInfo, RsvpInfo, SaveRsvp
from tests.flows.helpers import Chat, make_context

PANEL = EventInfo(event_id=12, title="Weavers ward panel", starts_at=datetime(2027, 1, 14, 18, 30, tzinfo=timezone.utc),
                  place="Weavers Community Centre", ward_name="Weavers")
CANCELLED = EventInfo(event_id=13, title="Bow forum", starts_at=datetime(2027, 1, 20, 18, 0, tzinfo=timezone.utc),
                      cancelled=True)
NEED_KEYS = ["need:interpreter", "need:childcare", "need:step_free", "need:food", "need:none", "done"]


def _chat(lang="en", events=(PANEL,)) -> Chat:
    known = {event.event_id: event for event in (PANEL, CANCELLED)}
    chat = Chat(context=make_context(upcoming_events=lambda: tuple(events), lookup_event=known.get))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat


def _bare(rsvp: SaveRsvp) -> SaveRsvp:
    """An RSVP without the confirmations it carries (tested on their own)."""
    return dataclasses.replace(rsvp, if_place=None, if_waiting=None, if_closed=None)


def _saved(chat) -> SaveRsvp:
    """The one RSVP saved, without its confirmations."""
    [rsvp] = [intent for intent in chat.intents if isinstance(intent, SaveRsvp)]
    return _bare(rsvp)


def test_the_menu_lists_upcoming_events_and_opens_one():
    chat = _chat()
    chat.send(choice="menu:events")
    assert chat.keys == ["event:12", "menu"]
    assert "Weavers ward panel — Thursday 14 January, 18:30, Weavers Community Centre" in chat.last[-1].choices[0].label
    chat.send("1")
    assert chat.keys[:2] == ["rsvp:yes", "rsvp:no"]


def test_with_no_events_the_menu_says_so():
    chat = _chat(events=())
    chat.send(choice="menu:events")
    assert "no meetings or events listed yet" in chat.text and chat.keys[0] == "menu:report"


def test_coming_with_an_interpreter_and_childcare():
    chat = _chat("bn")
    chat.send("RSVP 12")
    chat.send(choice="rsvp:yes")
    assert chat.keys == NEED_KEYS
    chat.send(choice="need:interpreter")
    chat.send("2")  # childcare, by number
    assert [choice.label[0] for choice in chat.last[-1].choices[:4]] == ["☑", "☑", "☐", "☐"]
    chat.send(choice="done")
    assert "interp:syl" in chat.keys
    chat.send(choice="interp:syl")
    assert _saved(chat) == SaveRsvp(event_id=12, attending=True, needs=("interpreter", "childcare"),
                                    interpreter_language="syl")
    assert "draft" not in chat.state and chat.keys[0] == "menu:report"
    assert "১৪" in chat.text  # the date in Bengali digits


def test_nothing_needed_and_not_coming():
    chat = _chat()
    chat.send("rsvp 12")
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:food")
    chat.send(choice="need:none")
    assert _saved(chat) == SaveRsvp(event_id=12, attending=True, needs=(), interpreter_language=None)
    chat.intents.clear()
    chat.send("RSVP 12")
    chat.send(choice="rsvp:no")
    assert _bare(chat.intents[-1]) == SaveRsvp(event_id=12, attending=False)


def test_done_with_nothing_ticked_asks_again():
    chat = _chat()
    chat.send("RSVP 12")
    chat.send(choice="rsvp:yes")
    chat.send(choice="done")
    assert chat.keys == NEED_KEYS and "Nothing needed" in chat.text


@pytest.mark.parametrize("text", ["RSVP 13", "RSVP 99"])
def test_a_cancelled_or_unknown_event_takes_no_reply(text):
    chat = _chat()
    chat.send(text)
    assert "not open for replies" in chat.text and not [i for i in chat.intents if isinstance(i, SaveRsvp)]


@pytest.mark.parametrize("first_message", ["/start event_12", "RSVP 12"])
def test_someone_new_from_an_event_link_chooses_a_language_then_sees_the_event(first_message):
    known = {12: PANEL}
    chat = Chat(context=make_context(lookup_event=known.get))
    chat.send(first_message)
    assert chat.keys[0] == "lang:en"
    chat.send(choice="lang:so")
    assert chat.keys[:2] == ["rsvp:yes", "rsvp:no"] and chat.last[-1].lang == "so"


def test_a_language_hint_with_an_event_link_asks_that_language_first_then_shows_the_event():
    chat = Chat(context=make_context(lookup_event={12: PANEL}.get))
    chat.send("/start event_12", language_hint="so")
    assert chat.keys[0] == "lang:so" and "lang" not in chat.state
    chat.send("1")
    assert chat.keys[:2] == ["rsvp:yes", "rsvp:no"] and chat.state["lang"] == "so"


# --- the event view, the waiting list, changing an answer -------------------------------------------

FORUM = EventInfo(
    event_id=20, title="Spitalfields community forum", kind="community_forum",
    starts_at=datetime(2027, 2, 3, 18, 0, tzinfo=timezone.utc), ends_at=datetime(2027, 2, 3, 19, 30, tzinfo=timezone.utc),
    description="Safety on Brick Lane at night.", titles={"bn": "স্পিটালফিল্ডস কমিউনিটি ফোরাম"},
    descriptions={"bn": "রাতে ব্রিক লেনের নিরাপত্তা।"}, machine_translated=("bn",),
    space_name="Osmani Centre", space_address="58 Vallance Road, E1 5BW", ward_name="Spitalfields & Banglatown",
    ward_slug="spitalfields-banglatown",
    offers={"interpreters": ["bn", "syl"], "food": True, "childcare": True, "step_free": True,
            "voucher": "£10 shopping voucher", "travel_costs": True},
    decision_makers=("Ward councillors", "Safer Neighbourhood team"), capacity=30, places_left=4,
)
FULL = dataclasses.replace(FORUM, event_id=21, places_left=0)
FAMILY = dataclasses.replace(FORUM, event_id=22, kind="family", title="Family fun day", titles={}, descriptions={},
                             machine_translated=())


def _with(*events, lang="en") -> Chat:
    known = {event.event_id: event for event in events}
    chat = Chat(context=make_context(upcoming_events=lambda: tuple(events), lookup_event=known.get))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat


def _rsvps(chat) -> list[SaveRsvp]:
    return [_bare(intent) for intent in chat.intents if isinstance(intent, SaveRsvp)]


def _bn(msgid: str, **params) -> str:
    return i18n.translations("bn").gettext(msgid) % params


def _mine(event, status, needs=(), interpreter=None, position=None) -> EventInfo:
    return dataclasses.replace(event, my_rsvp=RsvpInfo(status, tuple(needs), interpreter, position))


def test_the_event_shows_what_when_where_what_is_offered_and_who_listens():
    chat = _with(FORUM)
    chat.send("RSVP 20")
    for line in ("Spitalfields community forum", "Community forum", "When: Wednesday 3 February, 18:00–19:30",
                 "Where: Osmani Centre, 58 Vallance Road, E1 5BW", "Safety on Brick Lane at night.",
                 "On offer: interpreters (বাংলা and Sylheti / সিলেটি), food, childcare, step-free access, "
                 "travel costs paid back and £10 shopping voucher",
                 "There to listen: Ward councillors and Safer Neighbourhood team", "4 places left", "Are you coming?"):
        assert line in chat.text
    assert "machine translated" not in chat.text  # English is the organiser's own text


def test_in_bengali_the_title_and_description_are_theirs_and_marked_as_machine_translated():
    chat = _with(FORUM, lang="bn")
    chat.send("RSVP 20")
    assert _bn(MACHINE_TRANSLATED, text="স্পিটালফিল্ডস কমিউনিটি ফোরাম") in chat.text
    assert _bn(MACHINE_TRANSLATED, text="রাতে ব্রিক লেনের নিরাপত্তা।") in chat.text
    assert "রাতে ব্রিক লেনের নিরাপত্তা।" in chat.text and "Brick Lane" not in chat.text
    assert "৪" in chat.text  # places left in Bengali digits


def test_describe_event_uses_the_title_in_the_language_and_marks_a_machine_translation():
    assert describe_event("bn", FORUM).startswith(_bn(MACHINE_TRANSLATED, text="স্পিটালফিল্ডস কমিউনিটি ফোরাম"))
    assert describe_event("en", FORUM).startswith("Spitalfields community forum — Wednesday 3 February, 18:00, Osmani Centre")
    assert describe_event("so", FAMILY).startswith("Family fun day — ")  # no Somali title: the original


def test_a_full_event_offers_the_waiting_list_and_says_so_when_answered():
    chat = _with(FULL)
    chat.send("RSVP 21")
    assert "Full: you can join the waiting list." in chat.text
    assert chat.last[-1].choices[0] == Choice("rsvp:yes", "Join the waiting list")
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:none")
    [saved] = [intent for intent in chat.intents if isinstance(intent, SaveRsvp)]
    assert "waiting list" in chat.text and saved.if_waiting in chat.text and saved.if_place not in chat.text
    assert "/events/21.ics" in saved.if_place  # the calendar link goes with a place


def test_a_place_free_says_so_and_carries_the_waiting_list_text_in_case_the_last_place_goes():
    chat = _with(FORUM)
    chat.send("RSVP 20")
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:none")
    [saved] = [intent for intent in chat.intents if isinstance(intent, SaveRsvp)]
    assert saved.if_place in chat.text and "is full, so you are on the waiting list" in saved.if_waiting


def test_someone_with_a_place_sees_their_answer_and_can_change_what_they_need():
    chat = _with(_mine(FORUM, "attending", ["interpreter", "food"], "syl"))
    chat.send("RSVP 20")
    assert "You have a place. You asked for: An interpreter (Sylheti / সিলেটি) and Food." in chat.text
    assert chat.keys[:3] == ["rsvp:needs", "rsvp:no", "rsvp:keep"]
    chat.send(choice="rsvp:needs")
    assert [choice.label[0] for choice in chat.last[-1].choices[:4]] == ["☑", "☐", "☐", "☑"]
    chat.send(choice="need:interpreter")  # untick
    chat.send(choice="need:childcare")
    chat.send(choice="done")
    assert _saved(chat) == SaveRsvp(event_id=20, attending=True, needs=("food", "childcare"))
    assert "is updated" in chat.text and chat.keys[0] == "menu:report"


def test_cancelling_a_place_keeping_it_and_leaving_the_waiting_list():
    chat = _with(_mine(FORUM, "attending"))
    chat.send("RSVP 20")
    assert "Cancel my place" in chat.last[-1].choices[1].label
    chat.send(choice="rsvp:keep")
    assert "Nothing has changed." in chat.text and not _rsvps(chat)
    chat.send("RSVP 20")
    chat.send(choice="rsvp:no")
    assert _rsvps(chat) == [SaveRsvp(event_id=20, attending=False)] and "Your place is cancelled" in chat.text

    chat = _with(_mine(FULL, "waiting", position=2))
    chat.send("RSVP 21")
    assert "You are on the waiting list: number 2." in chat.text
    assert chat.last[-1].choices[1] == Choice("rsvp:no", "Leave the waiting list")
    chat.send(choice="rsvp:no")
    assert _rsvps(chat) == [SaveRsvp(event_id=21, attending=False)] and "left the waiting list" in chat.text


def test_someone_who_said_no_can_come_after_all():
    chat = _with(_mine(FORUM, "declined"))
    chat.send("RSVP 20")
    assert "You told us you can't come." in chat.text and chat.keys[:2] == ["rsvp:yes", "rsvp:keep"]
    chat.send(choice="rsvp:yes")
    assert chat.keys == NEED_KEYS and "☑" not in chat.text


def test_have_your_say_is_offered_for_meetings_and_leads_to_the_agenda_flow():
    chat = _with(FORUM, FAMILY)
    chat.send("RSVP 22")
    assert "agenda" not in chat.keys  # a family day has no agenda
    chat.send("RSVP 20")
    assert chat.keys == ["rsvp:yes", "rsvp:no", "agenda", "menu"]
    chat.send(choice="agenda")
    assert chat.state["flow"] == "agenda" and chat.state["draft"]["event_id"] == 20


def _many() -> list[EventInfo]:
    wards = ["weavers", "weavers", "bow-east", "bow-east", "bow-east", "shadwell", "shadwell"]
    return [dataclasses.replace(FAMILY, event_id=30 + n, title=f"Event {n}", ward_slug=slug, my_rsvp=None)
            for n, slug in enumerate(wards)]


def test_with_many_events_the_resident_picks_a_ward_or_all_first():
    chat = _with(*_many())
    chat.send(choice="menu:events")
    assert chat.keys == ["ward:bow-east", "ward:shadwell", "ward:weavers", "all", "menu"]
    assert "Weavers (2)" in [choice.label for choice in chat.last[-1].choices]
    chat.send(choice="ward:shadwell")
    assert chat.keys == ["event:35", "event:36", "where", "menu"]
    assert chat.last[-1].choices[0].label.startswith("Family activity: Event 5 — ")
    chat.send(choice="where")
    chat.send("4")  # all, by number
    assert chat.keys[:7] == [f"event:{30 + n}" for n in range(7)]


def test_a_handful_of_events_is_listed_at_once_with_their_kind():
    chat = _with(FORUM, FAMILY)
    chat.send(choice="menu:events")
    assert chat.keys == ["event:20", "event:22", "menu"]
    assert chat.last[-1].choices[0].label.startswith("Community forum: Spitalfields community forum — ")


def test_a_place_offered_from_the_waiting_list_is_told_in_their_language():
    text = place_offered_notice("bn", FORUM, calendar_url="https://example.org/events/20.ics")
    assert "স্পিটালফিল্ডস কমিউনিটি ফোরাম" in text and "২০" in text and "https://example.org/events/20.ics" in text
    assert "a place has opened for you at Family fun day" in place_offered_notice("en", FAMILY)


# --- an event that closes while the resident is answering ------------------------------------------

def _closing(event: EventInfo, lang="en") -> tuple[Chat, dict]:
    """A chat whose lookup answers from `known`, which a test changes between two messages."""
    known = {event.event_id: event}
    chat = Chat(context=make_context(upcoming_events=lambda: tuple(known.values()), lookup_event=known.get))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat, known


def _close(known: dict, event: EventInfo, how: str) -> None:
    if how == "cancelled":
        known[event.event_id] = dataclasses.replace(event, cancelled=True)
    else:  # started or removed: the lookup no longer answers
        del known[event.event_id]


# Each step of the RSVP, and the answers that can come to it once the event has closed.
AT_EACH_STEP = [
    ("event", [], dict(choice="rsvp:yes")),
    ("event", [], dict(choice="rsvp:no")),
    ("event", [], dict(choice="agenda")),
    ("event", [], dict(text="1")),
    ("event", [], dict(text="Yes, I'm coming")),
    ("event", [], dict(text="what time does it finish?")),
    ("needs", ["rsvp:yes"], dict(choice="need:childcare")),
    ("needs", ["rsvp:yes"], dict(choice="need:none")),
    ("needs", ["rsvp:yes", "need:food"], dict(choice="done")),
    ("interp", ["rsvp:yes", "need:interpreter", "done"], dict(choice="interp:bn")),
    ("interp", ["rsvp:yes", "need:interpreter", "done"], dict(text="2")),
]


@pytest.mark.parametrize("how", ["cancelled", "started or removed"])
@pytest.mark.parametrize(("step", "before", "answer"), AT_EACH_STEP)
def test_an_event_closed_between_two_messages_is_said_at_every_step_and_nothing_is_saved(step, before, answer, how):
    chat, known = _closing(FORUM)
    chat.send("RSVP 20")
    for key in before:
        chat.send(choice=key)
    assert chat.state["step"] == step
    _close(known, FORUM, how)
    chat.send(answer.get("text"), choice=answer.get("choice"))
    assert "That event is not open for replies" in chat.text
    assert chat.state["flow"] == "home" and "draft" not in chat.state and chat.keys[0] == "menu:report"
    assert not _rsvps(chat)


@pytest.mark.parametrize("how", ["cancelled", "started or removed"])
def test_someone_with_a_place_whose_event_closes_is_told_too(how):
    chat, known = _closing(_mine(FORUM, "attending"), lang="bn")
    chat.send("RSVP 20")
    _close(known, FORUM, how)
    chat.send(choice="rsvp:no")
    assert _bn("That event is not open for replies: it may have been cancelled or already happened.") in chat.text
    assert not _rsvps(chat) and chat.state["flow"] == "home"


def test_every_answer_carries_the_not_open_text_for_storage_to_say_instead():
    chat = _with(FORUM, _mine(FULL, "waiting"), lang="bn")
    not_open = _bn("That event is not open for replies: it may have been cancelled or already happened.")
    chat.send("RSVP 20")
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:none")
    chat.send("RSVP 21")
    chat.send(choice="rsvp:needs")
    chat.send(choice="need:food")
    chat.send(choice="done")
    needs_changed = chat.last[0].text
    chat.send("RSVP 21")
    chat.send(choice="rsvp:no")
    saved = [intent for intent in chat.intents if isinstance(intent, SaveRsvp)]
    assert len(saved) == 3 and all(intent.if_closed == not_open for intent in saved)
    # What is said for a change of needs and for a no is what storage swaps when it refuses them.
    assert saved[1].if_place == needs_changed
    assert saved[2].if_place == _bn("You have left the waiting list. Thank you for telling us.")


# --- sentences in the resident's language ------------------------------------------------------------

def test_an_event_with_no_place_is_described_without_one_and_a_long_event_shows_both_days():
    bare = EventInfo(event_id=40, title="Online forum 2", starts_at=datetime(2027, 1, 14, 18, 30, tzinfo=timezone.utc),
                     ends_at=datetime(2027, 1, 15, 10, 0, tzinfo=timezone.utc))
    assert describe_event("en", bare) == "Online forum 2 — Thursday 14 January, 18:30"
    assert describe_event("bn", bare).startswith("Online forum 2 — ")  # digits in a title stay as written
    chat = _with(bare)
    chat.send("RSVP 40")
    assert "When: Thursday 14 January, 18:30–Friday 15 January, 10:00" in chat.text


def test_bsl_can_be_asked_for_and_is_named_in_the_resident_s_language():
    chat = _with(dataclasses.replace(FORUM, offers={"interpreters": ["bn", "bsl"]}))
    chat.send("RSVP 20")
    assert "On offer: interpreters (বাংলা and British Sign Language (BSL))" in chat.text
    chat.send(choice="rsvp:yes")
    chat.send(choice="need:interpreter")
    chat.send(choice="done")
    assert chat.last[-1].choices[-1] == Choice("interp:bsl", "British Sign Language (BSL)")
    chat.send("British Sign Language (BSL)")
    assert _saved(chat) == SaveRsvp(event_id=20, attending=True, needs=("interpreter",), interpreter_language="bsl")
    chat = _with(_mine(FORUM, "attending", ["interpreter"], "bsl"))
    chat.send("RSVP 20")
    assert "You asked for: An interpreter (British Sign Language (BSL))." in chat.text


def test_every_string_in_the_event_flows_has_a_note_for_translators_on_the_line_above():
    """pybabel takes a TRANSLATORS: comment only from the line just before the call."""
    from babel.messages.extract import extract_from_file

    root = Path(__file__).resolve().parents[2]
    for name in ("flows/events.py", "flows/notices.py"):
        found = list(extract_from_file("python", root / name, keywords={"_": None, "_N": None, "ngettext": (1, 2)},
                                       comment_tags=("TRANSLATORS:",), strip_comment_tags=True))
        assert found
        missing = [(line, message) for line, message, comments, _ in found if not comments]
        assert not missing, name
