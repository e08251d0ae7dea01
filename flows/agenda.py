""""Have your say" (recommendation 12): put something on a meeting's agenda, and back what others sent.

    event view ─agenda→ topic ─topic:<key>→ item ─text→ thanks (SaveAgendaItem)
                                                   └ others sent items → back ─back:<id> …, done→ thanks (BackAgendaItem each)
                                                                              ─skip→ thanks

Entered with Go("agenda:topic") and turn.draft["event_id"] set. Items are kept in the words and language the
resident wrote them; organisers see them all, grouped by topic and counted (`safer-homes events agenda ID`).
Other residents are offered only items an organiser approved, in the organiser's wording when given: the
context's `agenda_items` holds no others, and the prompt for an item says so. docs/flows/agenda.md draws the
same table.
"""
from __future__ import annotations

from typing import Sequence

from flows import i18n
from flows.engine import TICKED, UNTICKED, Go, Miss, Question, Stay, Turn, ask
from flows.events import INTERPRETER_NAMES, describe
from flows.report import CATEGORIES
from flows.types import AgendaItemInfo, BackAgendaItem, Choice, SaveAgendaItem

# Items shown to back: the most backed few, so a long list never buries the question.
MAX_SHOWN = 5
LABEL_MAX = 120


def topics(turn: Turn) -> Sequence[Choice]:
    """The report categories, as topics: organisers see items grouped the same way reports are."""
    return tuple(Choice(f"topic:{key.removeprefix('cat:')}", turn._(label)) for key, label in CATEGORIES.items())


# --- topic ---------------------------------------------------------------------------------------

def topic_prompt(turn: Turn) -> str:
    # TRANSLATORS: "have your say": a resident is adding something for a meeting to discuss.
    return turn._("What would you like the meeting to discuss? First, choose what it is about.")


def on_topic(turn: Turn, key: str) -> Go:
    """A topic: next, the item in their own words."""
    turn.draft["topic"] = key.removeprefix("topic:")
    return Go("item")


# --- the item ------------------------------------------------------------------------------------

def item_prompt(turn: Turn) -> str:
    # TRANSLATORS: "have your say": asking for the agenda item itself. Organisers read every item and show
    # other residents only those they approve; say plainly that names and addresses should be left out.
    return turn._("Please type what you would like the meeting to discuss, in your own words and in any "
                  "language. The organisers read every item. If they approve it, other residents may see it, "
                  "so please do not include anyone's name or address.")


def on_item(turn: Turn, text: str) -> Go | Stay:
    """The item: saved; then others' items for the same meeting to back, if there are any."""
    event_id = turn.draft["event_id"]
    turn.intents.append(SaveAgendaItem(event_id=event_id, ward_slug=None, topic=turn.draft["topic"],
                                       text=text.strip(), language=turn.lang))
    event = turn.ctx.lookup_event(event_id)
    if event is not None:
        # TRANSLATORS: after a resident sent an agenda item. %(event)s is the meeting's title, date and place.
        turn.say(turn._("Thank you. Your item is on the list for %(event)s. The organisers see every item.",
                        event=describe(turn, event)))
    else:
        # TRANSLATORS: after a resident sent an agenda item.
        turn.say(turn._("Thank you. Your item is on the list. The organisers see every item."))
    offered = [item.item_id for item in _others(turn, event_id)][:MAX_SHOWN]
    if not offered:
        turn.end_flow()
        return Stay()
    turn.draft.update(offered=offered, backing=[])
    return Go("back")


def _others(turn: Turn, event_id: int) -> list[AgendaItemInfo]:
    """Items others sent that this resident has not backed yet, most backed first (the context's order)."""
    return [item for item in turn.ctx.agenda_items(event_id) if not item.mine and not item.backed]


# --- backing others' items ("me too") ------------------------------------------------------------

def back_prompt(turn: Turn) -> str:
    # TRANSLATORS: multi-select. Other residents' agenda items, shown in the language they were written in.
    return turn._("Other residents have asked for these. Choose each one you agree with (\"me too\"), then "
                  "choose \"Done\". Or choose \"Skip\".")


def _offered(turn: Turn) -> list[AgendaItemInfo]:
    """The items shown when the step began, in that order, so the numbers keep meaning the same thing."""
    known = {item.item_id: item for item in turn.ctx.agenda_items(turn.draft["event_id"])}
    return [known[item_id] for item_id in turn.draft.get("offered", ()) if item_id in known]


def _language_name(code: str) -> str:
    """The item's language in its own name ("বাংলা", "Soomaali"), as the language menu and the interpreter
    choices name it, so a reader recognises a language they can read whatever language they chose."""
    if code in i18n.BY_CODE:
        return i18n.BY_CODE[code].endonym
    return INTERPRETER_NAMES.get(code) or INTERPRETER_NAMES.get(code.split("-")[0], code)


def _label(turn: Turn, item: AgendaItemInfo) -> str:
    text = " ".join(item.text.split())
    if len(text) > LABEL_MAX:
        text = text[: LABEL_MAX - 1].rstrip() + "…"
    box = TICKED if item.item_id in turn.draft.get("backing", ()) else UNTICKED
    if item.language is None:  # an organiser's wording: no resident's language to name
        return f"{box} {text}"
    return f"{box} {text} ({_language_name(item.language)})"


def back_choices(turn: Turn) -> Sequence[Choice]:
    items = tuple(Choice(f"back:{item.item_id}", _label(turn, item)) for item in _offered(turn))
    # TRANSLATORS: choice: finish choosing.
    return items + (Choice("done", turn._("Done")), Choice("skip", turn._("Skip")))


def on_back(turn: Turn, key: str) -> Miss | Stay:
    """Tick or untick an item; "Done" backs the ticked ones; "Skip" backs none."""
    backing = turn.draft.setdefault("backing", [])
    if key == "skip":
        return _thanks(turn)
    if key == "done":
        if not backing:
            # TRANSLATORS: "Done" chosen with nothing ticked.
            return Miss(turn._("Please choose the items you agree with, or \"Skip\"."))
        turn.intents.extend(BackAgendaItem(item_id) for item_id in backing)
        return _thanks(turn)
    item_id = int(key.removeprefix("back:"))
    if item_id in backing:
        backing.remove(item_id)
    else:
        backing.append(item_id)
    ask(turn)
    return Stay()


def _thanks(turn: Turn) -> Stay:
    # TRANSLATORS: the end of "have your say".
    turn.say(turn._("Thank you for having your say."))
    turn.end_flow()
    return Stay()


QUESTIONS = {
    "topic": Question(prompt=topic_prompt, choices=topics, on_choice=on_topic),
    "item": Question(prompt=item_prompt, on_text=on_item),
    "back": Question(prompt=back_prompt, choices=back_choices, on_choice=on_back),
}
