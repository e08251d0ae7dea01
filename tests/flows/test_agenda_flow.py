""""Have your say": an agenda item for a meeting, then backing what others sent (flows/agenda.py)."""
from datetime import datetime, timezone

from flows.engine import begin
from flows.types import AgendaItemInfo, BackAgendaItem, EventInfo, Media, SaveAgendaItem
from tests.flows.helpers import Chat, make_context

PANEL = EventInfo(event_id=12, title="Weavers ward panel", starts_at=datetime(2027, 1, 14, 18, 30, tzinfo=timezone.utc),
                  place="Weavers Community Centre", ward_name="Weavers", ward_slug="weavers", kind="ward_panel")
TOPIC_KEYS = ["topic:asb", "topic:drugs", "topic:harassment", "topic:hate", "topic:unsafe_place", "topic:noise",
              "topic:other"]


def _items(n_others=0, mine=False, backed=()):
    """As the context gives them (storage.agenda.items_for_meeting): most backed first."""
    others = [AgendaItemInfo(item_id=100 + n, text=f"Item {n}", language="bn" if n % 2 else "en", topic="drugs",
                             backers=n, backed=100 + n in backed) for n in reversed(range(n_others))]
    own = [AgendaItemInfo(item_id=99, text="My own item", language="en", topic="noise", backers=50, mine=True)]
    return tuple((own if mine else []) + others)


def _chat(items=(), lang="en") -> Chat:
    """A resident at the agenda's first step, as the event view's `agenda` choice (Go("agenda:topic")) sends them."""
    chat = Chat(context=make_context(lookup_event={12: PANEL}.get, agenda_items=lambda event_id: items))
    step = begin({"lang": lang, "flow": "events", "step": "event"}, chat.context, flow="agenda", step="topic",
                 draft={"event_id": 12})
    chat.state, chat.last = step.state, step.replies
    return chat


def _saved(chat, kind):
    return [intent for intent in chat.intents if isinstance(intent, kind)]


def test_an_item_with_nothing_else_sent_yet():
    chat = _chat()
    assert chat.keys == TOPIC_KEYS and "What would you like the meeting to discuss?" in chat.text
    chat.send("7")  # "Something else", by number
    # Before they type: who reads it, that others may see it once approved, and to leave out names.
    assert "The organisers read every item. If they approve it, other residents may see it" in chat.text
    assert "do not include anyone's name or address" in chat.text
    chat.send("Can the panel meet on Saturdays?")
    assert _saved(chat, SaveAgendaItem) == [SaveAgendaItem(event_id=12, ward_slug=None, topic="other",
                                                           text="Can the panel meet on Saturdays?", language="en")]
    assert "on the list for Weavers ward panel" in chat.text
    assert chat.state["flow"] == "home" and chat.keys[0] == "menu:report"


def test_backing_the_most_backed_of_what_others_sent_not_their_own_or_already_backed():
    chat = _chat(_items(n_others=8, mine=True, backed={107}))
    chat.send(choice="topic:drugs")
    chat.send("ভবনের সিঁড়িতে মাদক")
    # Up to five, most backed first; their own item (50 backers) and the one they already back are left out.
    assert chat.keys == ["back:106", "back:105", "back:104", "back:103", "back:102", "done", "skip"]
    labels = [choice.label for choice in chat.last[-1].choices]
    assert labels[0] == "☐ Item 6 (English)" and labels[1] == "☐ Item 5 (বাংলা)"
    chat.send(choice="back:105")
    chat.send("1")
    chat.send("1")  # unticks
    chat.send(choice="back:102")
    assert [label[0] for label in (c.label for c in chat.last[-1].choices[:5])] == ["☐", "☑", "☐", "☐", "☑"]
    chat.send(choice="done")
    assert _saved(chat, BackAgendaItem) == [BackAgendaItem(105), BackAgendaItem(102)]
    assert "Thank you for having your say." in chat.text and chat.state["flow"] == "home"


def test_done_with_nothing_ticked_asks_again_and_skip_backs_nothing():
    chat = _chat(_items(n_others=2))
    chat.send(choice="topic:noise")
    chat.send("Music from the car park at night")
    chat.send(choice="done")
    assert chat.state["step"] == "back" and "Please choose the items you agree with" in chat.text
    chat.send(choice="skip")
    assert _saved(chat, BackAgendaItem) == [] and chat.state["flow"] == "home"


def test_a_tap_on_an_item_not_offered_is_a_miss():
    chat = _chat(_items(n_others=2, mine=True))
    chat.send(choice="topic:noise")
    chat.send("Music at night")
    chat.send(choice="back:99")  # their own item is never offered, so a forged tap does nothing
    assert chat.state["step"] == "back" and _saved(chat, BackAgendaItem) == []


def test_item_labels_name_each_language_in_itself_as_the_language_menu_does():
    items = tuple(AgendaItemInfo(item_id=100 + n, text=f"Item {n}", language=code, topic="drugs", backers=9 - n)
                  for n, code in enumerate(["bn", "so", "en", "ur", "zh-Hans"]))
    for reader in ("bn", "en"):
        chat = _chat(items, lang=reader)
        chat.send(choice="topic:asb")
        chat.send("কিছু একটা")
        assert [choice.label for choice in chat.last[-1].choices[:5]] == [
            "☐ Item 0 (বাংলা)", "☐ Item 1 (Soomaali)", "☐ Item 2 (English)", "☐ Item 3 (اردو)", "☐ Item 4 (中文（简体）)"]


def test_a_photo_instead_of_words_asks_again():
    chat = _chat()
    chat.send(choice="topic:asb")
    chat.send(media=(Media("abc", "photo"),))
    assert chat.state["step"] == "item" and _saved(chat, SaveAgendaItem) == []


def test_an_organisers_wording_is_offered_without_claiming_a_residents_language():
    reworded = AgendaItemInfo(item_id=100, text="Drug dealing near the blocks", language=None, topic="drugs", backers=3)
    chat = _chat((reworded,), lang="bn")
    chat.send(choice="topic:drugs")
    chat.send("ভবনের সিঁড়িতে মাদক")
    assert [choice.label for choice in chat.last[-1].choices][0] == "☐ Drug dealing near the blocks"
