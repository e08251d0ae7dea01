"""Finding an event and saying whether you are coming, with what you need to take part."""
from datetime import datetime, timezone

import pytest

from flows.types import EventInfo, SaveRsvp
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


def _saved(chat) -> SaveRsvp:
    [rsvp] = [intent for intent in chat.intents if isinstance(intent, SaveRsvp)]
    return rsvp


def test_the_menu_lists_upcoming_events_and_opens_one():
    chat = _chat()
    chat.send(choice="menu:events")
    assert chat.keys == ["event:12", "menu"]
    assert "Weavers ward panel — Thursday 14 January, 18:30, Weavers Community Centre" in chat.last[-1].choices[0].label
    chat.send("1")
    assert chat.keys == ["rsvp:yes", "rsvp:no"]


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
    chat.send("RSVP 12")
    chat.send(choice="rsvp:no")
    assert chat.intents[-1] == SaveRsvp(event_id=12, attending=False)


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
    assert chat.keys == ["rsvp:yes", "rsvp:no"] and chat.last[-1].lang == "so"


def test_a_language_hint_with_an_event_link_goes_straight_to_the_event():
    chat = Chat(context=make_context(lookup_event={12: PANEL}.get))
    chat.send("/start event_12", language_hint="so")
    assert chat.keys == ["rsvp:yes", "rsvp:no"] and chat.state["lang"] == "so"
