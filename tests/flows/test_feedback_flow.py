"""After an event: "how was it?", a comment, and what the next meeting should discuss (flows/feedback.py)."""
from datetime import datetime, timedelta, timezone

import pytest

from flows.engine import begin
from flows.feedback import draft_for
from flows.types import EventInfo, SaveAgendaItem, SaveFeedback
from tests.flows.helpers import FIXED_NOW, Chat, make_context

PANEL = EventInfo(event_id=12, title="Weavers ward panel", starts_at=datetime(2026, 12, 1, 18, 30, tzinfo=timezone.utc),
                  place="Weavers Community Centre", ward_name="Weavers", ward_slug="weavers",
                  titles={"bn": "উইভার্স ওয়ার্ড প্যানেল"})
FORUM = EventInfo(event_id=13, title="Borough youth forum", starts_at=datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc))
RATE_KEYS = ["rate:1", "rate:2", "rate:3", "rate:4", "rate:5", "absent"]


def _asked(lang="en", event=PANEL, state=None) -> Chat:
    """A resident who chose `lang` earlier, as the worker asks them."""
    chat = Chat()
    step = begin(state or {"lang": lang, "flow": "home", "step": "menu"}, chat.context, flow="feedback",
                 step="rating", draft=draft_for(event))
    chat.state, chat.last = step.state, step.replies
    return chat


def _saved(chat, kind):
    return [intent for intent in chat.intents if isinstance(intent, kind)]


def test_begin_asks_the_rating_and_makes_the_next_message_its_answer():
    chat = _asked()
    assert chat.keys == RATE_KEYS
    assert "How was Weavers ward panel — Tuesday 1 December, 18:30, Weavers Community Centre?" in chat.text
    assert "5 – very good" in chat.last[-1].choices[4].label
    assert chat.state["flow"] == "feedback" and "last_seen" not in chat.state
    chat.send("4", at=FIXED_NOW + timedelta(hours=20))  # hours later: an answer, not "welcome back"
    assert chat.state["step"] == "comment" and chat.keys == ["skip"]
    chat.send("The interpreter was a great help")
    assert _saved(chat, SaveFeedback) == [SaveFeedback(event_id=12, rating=4, comment="The interpreter was a great help",
                                                       language="en")]
    assert "What should the next meeting discuss?" in chat.text
    assert "If the organisers approve it, other residents may see it" in chat.text
    assert "do not include anyone's name or address" in chat.text
    chat.send("More lighting on the towpath")
    assert "If they approve it, others can back it." in chat.text
    assert _saved(chat, SaveAgendaItem) == [SaveAgendaItem(event_id=None, ward_slug="weavers", topic="other",
                                                           text="More lighting on the towpath", language="en")]
    assert chat.state["flow"] == "home" and "draft" not in chat.state and chat.keys[0] == "menu:report"


@pytest.mark.parametrize("typed", ["২", "٢", "2"])
def test_a_rating_typed_in_any_digits_counts(typed):
    chat = _asked("bn")
    assert "উইভার্স ওয়ার্ড প্যানেল" in chat.text and "১৮:৩০" in chat.text
    chat.send(typed)
    chat.send(choice="skip")
    chat.send(choice="skip")
    assert _saved(chat, SaveFeedback) == [SaveFeedback(event_id=12, rating=2, comment=None, language="bn")]
    assert _saved(chat, SaveAgendaItem) == []


def test_for_an_event_without_a_ward_the_next_item_stays_with_the_event():
    chat = _asked(event=FORUM)
    chat.send(choice="rate:5")
    chat.send("skip")
    chat.send("A session on job interviews")
    [item] = _saved(chat, SaveAgendaItem)
    assert (item.event_id, item.ward_slug) == (13, None)


def test_someone_who_could_not_go_is_thanked_and_nothing_is_saved():
    chat = _asked()
    chat.send(choice="absent")
    assert "hope to see you" in chat.text and chat.intents == [] and chat.state["flow"] == "home"


def test_a_rating_off_the_list_or_words_ask_again_and_save_nothing():
    chat = _asked()
    chat.send("9")
    assert "from 1 to 6" in chat.text and chat.state["step"] == "rating"
    chat.send("it was fine I suppose")
    assert chat.state["step"] == "rating" and chat.keys == RATE_KEYS and chat.intents == []


def test_menu_leaves_the_questions_without_saving_anything():
    chat = _asked()
    chat.send("menu")
    assert chat.state["flow"] == "home" and "draft" not in chat.state and chat.intents == []


def test_begin_leaves_what_they_were_doing_behind():
    state = {"lang": "so", "flow": "report", "step": "what", "draft": {"category": "noise"}, "pending": "idle",
             "last_seen": "2026-12-01T10:00:00+00:00", "misses": 2}
    chat = _asked(state=state)
    assert chat.state["draft"]["event_id"] == 12 and "category" not in chat.state["draft"]
    assert "pending" not in chat.state and chat.state["misses"] == 0 and chat.last[-1].lang == "so"
    assert state["flow"] == "report"  # the caller's state is not changed in place
