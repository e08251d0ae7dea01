"""Events: find an upcoming meeting, say whether you are coming, and what you need to take part.

    menu:events → list ─event:<id>→ event ─rsvp:yes→ needs ─need:interpreter + done→ interp → thanks
                                           ─rsvp:no→ thanks        needs ─done→ thanks
    "RSVP <id>" or "/start event_<id>" opens an event from anywhere (after a language, for someone new).
"""
from __future__ import annotations

import re
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from flows import i18n
from flows.engine import TICKED, UNTICKED, Go, Miss, Question, Stay, Turn, ask
from flows.i18n import _N
from flows.types import Choice, EventInfo, SaveRsvp

LONDON = ZoneInfo("Europe/London")
EVENT_COMMAND = re.compile(r"^(?:/start\s+event_|rsvp\s+)(\d{1,9})$", re.IGNORECASE)

NEEDS = {
    # TRANSLATORS: what a resident needs to take part in a meeting.
    "need:interpreter": _N("An interpreter"),
    # TRANSLATORS: what a resident needs to take part in a meeting.
    "need:childcare": _N("Childcare"),
    # TRANSLATORS: what a resident needs to take part in a meeting: no steps (wheelchair, pram, walking aid).
    "need:step_free": _N("Step-free access"),
    # TRANSLATORS: what a resident needs to take part in a meeting: food (for example halal or vegetarian).
    "need:food": _N("Food"),
}
# Interpreter languages in their own names, so a resident recognises theirs; Sylheti is spoken, not
# written, which is why it is offered apart from Bengali.
INTERPRETER_LANGUAGES = (
    ("interp:bn", "বাংলা"), ("interp:syl", "Sylheti / সিলেটি"), ("interp:so", "Soomaali"),
    ("interp:ur", "اردو"), ("interp:ar", "العربية"), ("interp:tr", "Türkçe"), ("interp:pl", "Polski"),
    ("interp:lt", "Lietuvių"), ("interp:zh", "中文"),
)


def event_in_command(text: str) -> Optional[int]:
    """The event id in "RSVP 12" or "/start event_12", or None."""
    match = EVENT_COMMAND.match(" ".join(text.split()))
    return int(match.group(1)) if match else None


def describe(turn: Turn, event: EventInfo) -> str:
    return describe_event(turn.lang, event)


# TRANSLATORS: after an event's title or description that a machine translated from the organiser's words.
MACHINE_TRANSLATED = _N("(machine translated)")


def describe_event(lang: str, event: EventInfo) -> str:
    """One line a resident recognises the event by: title (in their language), day and London time, place."""
    when = format_datetime(event.starts_at.astimezone(LONDON), "EEEE d MMMM, HH:mm", locale=lang.replace("-", "_"))
    place = event.space_name or event.place or event.ward_name
    title = event.title_in(lang)
    if event.machine_translated_in(lang) and lang in event.titles:
        title = f"{title} {i18n.translations(lang).gettext(MACHINE_TRANSLATED)}"
    return i18n.localise_digits(f"{title} — {when}" + (f", {place}" if place else ""), lang)


def open_event(turn: Turn, event_id: int) -> None:
    """Show one event and ask whether they are coming, or say it cannot be found."""
    event = turn.ctx.lookup_event(event_id)
    if event is None or event.cancelled:
        # TRANSLATORS: "RSVP <number>" for an event that does not exist, has passed or was cancelled.
        turn.say(turn._("That event is not open for replies: it may have been cancelled or already happened."))
        turn.end_flow()
        return
    turn.state["draft"] = {"event_id": event_id}
    turn.go("events", "event")


# --- list ----------------------------------------------------------------------------------------

def list_prompt(turn: Turn) -> str:
    # TRANSLATORS: above the list of upcoming meetings and events.
    return turn._("Upcoming meetings and events. Choose one to see it and say if you are coming.")


def list_choices(turn: Turn) -> Sequence[Choice]:
    events = tuple(Choice(f"event:{event.event_id}", describe(turn, event)) for event in turn.ctx.upcoming_events())
    # TRANSLATORS: choice: go back to the main menu.
    return events + (Choice("menu", turn._("Main menu")),)


def on_list(turn: Turn, key: str) -> Stay:
    """An event chosen from the list: show it."""
    if key == "menu":
        turn.end_flow()
    else:
        open_event(turn, int(key.removeprefix("event:")))
    return Stay()


def show_list(turn: Turn) -> None:
    """menu:events: the upcoming events, or a note that none are listed."""
    if not turn.ctx.upcoming_events():
        turn.say(
            # TRANSLATORS: the resident asked for meetings, and none are listed yet.
            turn._(
                "There are no meetings or events listed yet. Ward panel meetings and community forums "
                "will appear here."
            )
        )
        turn.end_flow()
        return
    turn.state.pop("draft", None)
    turn.go("events", "list")


# --- one event -----------------------------------------------------------------------------------

def _event(turn: Turn) -> EventInfo:
    return turn.ctx.lookup_event(turn.draft["event_id"])


def event_prompt(turn: Turn) -> str:
    # TRANSLATORS: shown under an event's title, date and place.
    return describe(turn, _event(turn)) + "\n\n" + turn._("Are you coming?")


def event_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: answer to "are you coming?"
        Choice("rsvp:yes", turn._("Yes, I'm coming")),
        # TRANSLATORS: answer to "are you coming?"
        Choice("rsvp:no", turn._("No, I can't come")),
    )


def on_rsvp(turn: Turn, key: str) -> Go | Stay:
    """Coming → what they need; not coming → noted."""
    if key == "rsvp:yes":
        turn.draft["needs"] = []
        return Go("needs")
    turn.intents.append(SaveRsvp(event_id=turn.draft["event_id"], attending=False))
    # TRANSLATORS: after a resident says they cannot come to an event.
    turn.say(turn._("Thank you for letting us know."))
    turn.end_flow()
    return Stay()


# --- needs ---------------------------------------------------------------------------------------

def needs_prompt(turn: Turn) -> str:
    # TRANSLATORS: multi-select question. ☑ means chosen; choosing again removes it; "Done" finishes.
    return turn._(
        "Do you need anything to take part? Choose each thing you need, then choose \"Done\". "
        "If you need nothing, choose \"Nothing needed\"."
    )


def needs_choices(turn: Turn) -> Sequence[Choice]:
    ticked = turn.draft.get("needs", [])
    boxes = tuple(
        Choice(key, f"{TICKED if key.removeprefix('need:') in ticked else UNTICKED} {turn._(label)}")
        for key, label in NEEDS.items()
    )
    # TRANSLATORS: choice: the resident needs nothing to take part.
    return boxes + (Choice("need:none", turn._("Nothing needed")), Choice("done", turn._("Done")))


def on_need(turn: Turn, key: str) -> Go | Miss | Stay:
    """Tick or untick a need; "Nothing needed" or "Done" moves on."""
    ticked = turn.draft.setdefault("needs", [])
    if key == "need:none":
        ticked.clear()
        return _finish(turn)
    if key == "done":
        if not ticked:
            # TRANSLATORS: "Done" chosen with nothing ticked.
            return Miss(turn._("Please choose what you need, or \"Nothing needed\"."))
        return Go("interp") if "interpreter" in ticked else _finish(turn)
    need = key.removeprefix("need:")
    if need in ticked:
        ticked.remove(need)
    else:
        ticked.append(need)
    ask(turn)
    return Stay()


def interp_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking which language the interpreter should speak.
    return turn._("Which language should the interpreter speak?")


def interp_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(key, label) for key, label in INTERPRETER_LANGUAGES)


def on_interp(turn: Turn, key: str) -> Stay:
    """The interpreter's language: the RSVP is complete."""
    turn.draft["interpreter_language"] = key.removeprefix("interp:")
    return _finish(turn)


def _finish(turn: Turn) -> Stay:
    draft = turn.draft
    event = _event(turn)
    turn.intents.append(SaveRsvp(event_id=draft["event_id"], attending=True, needs=tuple(draft.get("needs", ())),
                                 interpreter_language=draft.get("interpreter_language")))
    turn.say(
        # TRANSLATORS: after a resident says they are coming. %(event)s is the title, date and place.
        turn._(
            "Thank you, you are on the list for: %(event)s. The organisers can see what you need.",
            event=describe(turn, event),
        )
        + "\n"
        + turn._(
            # TRANSLATORS: a link to a calendar file for the event; keep %(url)s as it is.
            "To add it to your phone's calendar, open %(url)s",
            url=turn.ctx.event_calendar_url(event.event_id),
        )
    )
    turn.end_flow()
    return Stay()


QUESTIONS = {
    "list": Question(prompt=list_prompt, choices=list_choices, on_choice=on_list),
    "event": Question(prompt=event_prompt, choices=event_choices, on_choice=on_rsvp),
    "needs": Question(prompt=needs_prompt, choices=needs_choices, on_choice=on_need),
    "interp": Question(prompt=interp_prompt, choices=interp_choices, on_choice=on_interp),
}
