"""Events: find an upcoming meeting, see what it offers, say whether you are coming and what you need,
and later change or cancel that answer.

    menu:events ─(more than a handful: ward:<slug> | all)→ list ─event:<id>→ event
    event ─rsvp:yes→ needs ─need:interpreter + done→ interp → thanks (a place, or the waiting list)
          ─rsvp:no→ noted (a place given back goes to the first on the waiting list)
          ─rsvp:needs→ needs (already answered: change what they need)   ─rsvp:keep→ nothing changes
          ─agenda→ agenda:topic (ward panels, TRA meetings and forums, when that flow is there)
    "RSVP <id>" or "/start event_<id>" opens an event from anywhere (after a language, for someone new).
"""
from __future__ import annotations

import re
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.lists import format_list

from flows import i18n
from flows.engine import TICKED, UNTICKED, Go, Miss, Question, Stay, Turn, ask
from flows.i18n import _N
from flows.types import Choice, EventInfo, SaveRsvp, WardInfo

LONDON = ZoneInfo("Europe/London")
EVENT_COMMAND = re.compile(r"^(?:/start\s+event_|rsvp\s+)(\d{1,9})$", re.IGNORECASE)
# Up to this many events are listed at once; with more, the resident first picks a ward or "all".
LIST_AT_ONCE = 6
# The longest list a numbered menu shows (the soonest first); an SMS of more is hard to read.
LIST_AT_MOST = 12

# The labels residents read for storage.models.EVENT_KINDS.
KINDS = {
    # TRANSLATORS: a kind of event: the ward panel, where residents, police and council set local priorities.
    "ward_panel": _N("Ward panel"),
    # TRANSLATORS: a kind of event: a meeting of a tenants' and residents' association (TRA).
    "tra_meeting": _N("Tenants' and residents' association (TRA) meeting"),
    # TRANSLATORS: a kind of event: an open meeting for everyone in the area.
    "community_forum": _N("Community forum"),
    # TRANSLATORS: a kind of event: a session run by young people themselves.
    "youth_led": _N("Youth-led session"),
    # TRANSLATORS: a kind of event: older and younger residents spending time together.
    "intergenerational": _N("Older and younger residents together"),
    # TRANSLATORS: a kind of event: an activity for families with children.
    "family": _N("Family activity"),
    # TRANSLATORS: a kind of event: a course that teaches a skill (for example first aid or English).
    "skills_training": _N("Skills training"),
    # TRANSLATORS: a kind of event: drop in for help with phones, computers and the internet.
    "digital_skills": _N("Digital skills drop-in"),
}
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


# Interpreter languages an event may offer, as residents recognise them (the codes of Event.offers).
INTERPRETER_NAMES = {key.removeprefix("interp:"): label for key, label in INTERPRETER_LANGUAGES} | {"bsl": "BSL"}
# TRANSLATORS: sent when someone on the waiting list is given a place that another person gave up.
# %(event)s is the title, day, time and place; keep “RSVP %(id)s” as it is (it is what they send back).
PLACE_OFFERED = _N("Good news: a place has opened for you at %(event)s. You are on the list now. If you "
                   "can't come after all, send “RSVP %(id)s” to give your place to someone else.")
# TRANSLATORS: a link to a calendar file for the event; keep %(url)s as it is.
CALENDAR_LINK = _N("To add it to your phone's calendar, open %(url)s")


def place_offered_notice(lang: str, event: EventInfo, *, calendar_url: Optional[str] = None) -> str:
    """What someone moved up from the waiting list is sent (bot/conversations.py queues it)."""
    catalogue = i18n.translations(lang)
    text = catalogue.gettext(PLACE_OFFERED) % {"event": describe_event(lang, event),
                                               "id": i18n.localise_digits(str(event.event_id), lang)}
    if calendar_url:
        text += "\n" + catalogue.gettext(CALENDAR_LINK) % {"url": calendar_url}
    return text


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


# --- which events: a ward, or all -----------------------------------------------------------------

def _wards_with_events(turn: Turn) -> list[tuple[WardInfo, int]]:
    """Wards that have upcoming events, in the order the context lists wards, with how many each has."""
    counts: dict[str, int] = {}
    for event in turn.ctx.upcoming_events():
        if event.ward_slug:
            counts[event.ward_slug] = counts.get(event.ward_slug, 0) + 1
    return [(ward, counts[ward.slug]) for ward in turn.ctx.wards if ward.slug in counts]


def where_prompt(turn: Turn) -> str:
    # TRANSLATORS: before the list of events, when there are many: choose an area, or see them all.
    return turn._("Where would you like to see meetings and events? Choose your ward, or all of them.")


def where_choices(turn: Turn) -> Sequence[Choice]:
    wards = tuple(
        # TRANSLATORS: a ward to choose, with how many events are coming up there, e.g. "Weavers (2)".
        Choice(f"ward:{ward.slug}", turn._("%(ward)s (%(count)s)", ward=ward.name, count=turn.number(count)))
        for ward, count in _wards_with_events(turn)
    )
    everything = len(turn.ctx.upcoming_events())
    # TRANSLATORS: choice: every upcoming event in the borough, with how many there are.
    return wards + (Choice("all", turn._("All events (%(count)s)", count=turn.number(everything))),
                    Choice("menu", turn._("Main menu")))


def on_where(turn: Turn, key: str) -> Go | Stay:
    """A ward, or all: the list of events there."""
    if key == "menu":
        turn.end_flow()
        return Stay()
    if key == "all":
        turn.draft.pop("ward", None)
    else:
        turn.draft["ward"] = key.removeprefix("ward:")
    return Go("list")


# --- list ----------------------------------------------------------------------------------------

def _listed(turn: Turn) -> tuple[EventInfo, ...]:
    ward = turn.draft.get("ward")
    events = tuple(event for event in turn.ctx.upcoming_events() if ward is None or event.ward_slug == ward)
    return events[:LIST_AT_MOST]


def list_prompt(turn: Turn) -> str:
    # TRANSLATORS: above the list of upcoming meetings and events.
    return turn._("Upcoming meetings and events. Choose one to see it and say if you are coming.")


def event_line(turn: Turn, event: EventInfo) -> str:
    """One event in the list: what kind of event, then its title, day, time and place."""
    # TRANSLATORS: one event in a list. %(kind)s is e.g. "Ward panel"; %(event)s its title, day, time and place.
    return turn._("%(kind)s: %(event)s", kind=kind_label(turn, event), event=describe(turn, event))


def list_choices(turn: Turn) -> Sequence[Choice]:
    events = tuple(Choice(f"event:{event.event_id}", event_line(turn, event)) for event in _listed(turn))
    back = ()
    if len(turn.ctx.upcoming_events()) > LIST_AT_ONCE:
        # TRANSLATORS: choice: go back and choose another ward (or all events).
        back = (Choice("where", turn._("Other areas")),)
    # TRANSLATORS: choice: go back to the main menu.
    return events + back + (Choice("menu", turn._("Main menu")),)


def on_list(turn: Turn, key: str) -> Go | Stay:
    """An event chosen from the list: show it."""
    if key == "menu":
        turn.end_flow()
    elif key == "where":
        return Go("where")
    else:
        open_event(turn, int(key.removeprefix("event:")))
    return Stay()


def show_list(turn: Turn) -> None:
    """menu:events: the upcoming events (by ward first when there are many), or a note that none are listed."""
    upcoming = turn.ctx.upcoming_events()
    if not upcoming:
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
    turn.go("events", "where" if len(upcoming) > LIST_AT_ONCE else "list")


# --- one event -----------------------------------------------------------------------------------

def _event(turn: Turn) -> EventInfo:
    return turn.ctx.lookup_event(turn.draft["event_id"])


def kind_label(turn: Turn, event: EventInfo) -> str:
    return turn._(KINDS[event.kind]) if event.kind in KINDS else turn._(KINDS["community_forum"])


def _when(turn: Turn, event: EventInfo) -> str:
    locale = turn.lang.replace("-", "_")
    starts = event.starts_at.astimezone(LONDON)
    text = format_datetime(starts, "EEEE d MMMM, HH:mm", locale=locale)
    if event.ends_at:
        ends = event.ends_at.astimezone(LONDON)
        same_day = ends.date() == starts.date()
        text += "–" + format_datetime(ends, "HH:mm" if same_day else "EEEE d MMMM, HH:mm", locale=locale)
    return i18n.localise_digits(text, turn.lang)


def _offered(turn: Turn, event: EventInfo) -> list[str]:
    """What the organisers offer so people can come (rec 4), each as a short phrase."""
    offers, said = event.offers, []
    languages = [INTERPRETER_NAMES.get(code, code) for code in offers.get("interpreters") or ()]
    if languages:
        # TRANSLATORS: offered at an event. %(languages)s lists the languages, e.g. "বাংলা, Soomaali".
        said.append(turn._("interpreters (%(languages)s)", languages=", ".join(languages)))
    if offers.get("food"):
        # TRANSLATORS: offered at an event.
        said.append(turn._("food"))
    if offers.get("childcare"):
        # TRANSLATORS: offered at an event.
        said.append(turn._("childcare"))
    if offers.get("step_free"):
        # TRANSLATORS: offered at an event: the venue has no steps (wheelchair, pram, walking aid).
        said.append(turn._("step-free access"))
    if offers.get("travel_costs"):
        # TRANSLATORS: offered at an event: the organisers pay back what it cost to get there.
        said.append(turn._("travel costs paid back"))
    if offers.get("voucher"):
        said.append(offers["voucher"])  # as the organiser wrote it, e.g. "£10 shopping voucher"
    return said


def _needs_said(turn: Turn, needs: Sequence[str], interpreter_language: Optional[str]) -> str:
    said = []
    for need in needs:
        label = turn._(NEEDS[f"need:{need}"]) if f"need:{need}" in NEEDS else need
        if need == "interpreter" and interpreter_language:
            label += f" ({INTERPRETER_NAMES.get(interpreter_language, interpreter_language)})"
        said.append(label)
    return format_list(said, locale=turn.lang.replace("-", "_"))


def _their_answer(turn: Turn, event: EventInfo) -> Optional[str]:
    """What they already told us, so they can keep or change it."""
    mine = event.my_rsvp
    if mine is None:
        return None
    if mine.status == "declined":
        # TRANSLATORS: shown on an event the resident said they cannot come to.
        return turn._("You told us you can't come.")
    if mine.status == "waiting" and mine.waiting_position:
        # TRANSLATORS: shown on a full event; %(position)s is their number in the waiting list (1 is next).
        said = turn._("You are on the waiting list: number %(position)s.", position=turn.number(mine.waiting_position))
    elif mine.status == "waiting":
        # TRANSLATORS: shown on a full event the resident asked to come to.
        said = turn._("You are on the waiting list.")
    else:
        # TRANSLATORS: shown on an event the resident has a place at.
        said = turn._("You have a place.")
    if mine.needs:
        # TRANSLATORS: %(needs)s lists what they asked for, e.g. "An interpreter (বাংলা) and Childcare".
        said += " " + turn._("You asked for: %(needs)s.", needs=_needs_said(turn, mine.needs, mine.interpreter_language))
    return said


def event_view(turn: Turn, event: EventInfo) -> str:
    """Everything a resident may want before deciding: what, when, where, what's offered, who listens."""
    machine = i18n.translations(turn.lang).gettext(MACHINE_TRANSLATED)
    title = event.title_in(turn.lang)
    if event.machine_translated_in(turn.lang) and turn.lang in event.titles:
        title += f" {machine}"
    lines = [title, kind_label(turn, event)]
    # TRANSLATORS: an event's day and time (London time), e.g. "When: Thursday 14 January, 18:30–20:00".
    lines.append(turn._("When: %(when)s", when=_when(turn, event)))
    venue = event.venue or event.ward_name
    if venue:
        # TRANSLATORS: an event's venue: a place's name and address.
        lines.append(turn._("Where: %(place)s", place=venue))
    description = event.description_in(turn.lang)
    if description:
        if event.machine_translated_in(turn.lang) and turn.lang in event.descriptions:
            description += f" {machine}"
        lines.append(description)
    offered = _offered(turn, event)
    if offered:
        # TRANSLATORS: what the organisers provide so people can come, e.g. "On offer: food, childcare".
        lines.append(turn._("On offer: %(offers)s", offers=", ".join(offered)))
    if event.decision_makers:
        # TRANSLATORS: who will be at the meeting to listen and answer, e.g. "Ward councillors, the local police team".
        lines.append(turn._("There to listen: %(people)s", people=", ".join(event.decision_makers)))
    if event.full:
        # TRANSLATORS: every place at the event is taken.
        lines.append(turn._("Full: you can join the waiting list."))
    elif event.places_left is not None:
        # TRANSLATORS: how many places are still free at an event.
        lines.append(turn.ngettext("%(n)s place left", "%(n)s places left", event.places_left,
                                    n=turn.number(event.places_left)))
    return "\n".join(lines)


def event_prompt(turn: Turn) -> str:
    event = _event(turn)
    answer = _their_answer(turn, event)
    if answer is None:
        # TRANSLATORS: the question under an event's details.
        question = turn._("Are you coming?")
    else:
        # TRANSLATORS: the question under an event the resident already answered.
        question = answer + "\n" + turn._("Would you like to change anything?")
    return event_view(turn, event).rstrip("\n") + "\n\n" + question


def _agenda_open() -> bool:
    """"Have your say" is offered only where the agenda flow is installed (flows/agenda.py)."""
    from flows.engine import _flows

    return "agenda" in _flows()


def event_choices(turn: Turn) -> Sequence[Choice]:
    event = _event(turn)
    mine = event.my_rsvp
    if mine is None or mine.status == "declined":
        choices = (
            # TRANSLATORS: answer to "are you coming?" for an event with a place free.
            Choice("rsvp:yes", turn._("Join the waiting list") if event.full else turn._("Yes, I'm coming")),
        )
        if mine is None:
            # TRANSLATORS: answer to "are you coming?"
            choices += (Choice("rsvp:no", turn._("No, I can't come")),)
        else:
            # TRANSLATORS: choice: they said they could not come, and that stays so.
            choices += (Choice("rsvp:keep", turn._("Keep it: I can't come")),)
    else:
        choices = (
            # TRANSLATORS: choice: change what they need to take part (interpreter, childcare, ...).
            Choice("rsvp:needs", turn._("Change what I need")),
            # TRANSLATORS: choice: give up their place (or leave the waiting list).
            Choice("rsvp:no", turn._("Cancel my place") if mine.status == "attending" else turn._("Leave the waiting list")),
            # TRANSLATORS: choice: change nothing.
            Choice("rsvp:keep", turn._("Keep it as it is")),
        )
    if event.accepts_agenda and _agenda_open():
        # TRANSLATORS: choice: suggest something for this meeting to discuss.
        choices += (Choice("agenda", turn._("Have your say: suggest a topic for this meeting")),)
    # TRANSLATORS: choice: go back to the main menu.
    return choices + (Choice("menu", turn._("Main menu")),)


def on_rsvp(turn: Turn, key: str) -> Go | Stay:
    """Coming → what they need; not coming → noted; already answered → change needs, cancel or keep."""
    event = _event(turn)
    mine = event.my_rsvp
    if key == "menu":
        turn.end_flow()
        return Stay()
    if key == "agenda":
        return Go("agenda:topic")
    if key == "rsvp:keep":
        # TRANSLATORS: the resident chose to keep their answer to an event as it was.
        turn.say(turn._("Nothing has changed."))
        turn.end_flow()
        return Stay()
    if key in ("rsvp:yes", "rsvp:needs"):
        answered = mine is not None and mine.status != "declined"
        turn.draft["needs"] = list(mine.needs) if answered else []
        if answered and mine.interpreter_language:
            turn.draft["interpreter_language"] = mine.interpreter_language
        return Go("needs")
    turn.intents.append(SaveRsvp(event_id=event.event_id, attending=False))
    if mine is not None and mine.status == "attending":
        # TRANSLATORS: after a resident gives up their place at an event.
        turn.say(turn._("Your place is cancelled. Thank you for telling us: it can go to someone else."))
    elif mine is not None and mine.status == "waiting":
        # TRANSLATORS: after a resident leaves an event's waiting list.
        turn.say(turn._("You have left the waiting list. Thank you for telling us."))
    else:
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
    """Save the answer. Someone new hears whether they got a place or joined the waiting list, and
    which one is decided by storage (bot/conversations.py), since the last place may go to someone else."""
    draft = turn.draft
    event = _event(turn)
    needs = tuple(draft.get("needs", ()))
    interpreter = draft.get("interpreter_language") if "interpreter" in needs else None
    described = describe(turn, event)
    mine = event.my_rsvp
    if mine is not None and mine.status != "declined":
        turn.intents.append(SaveRsvp(event_id=event.event_id, attending=True, needs=needs,
                                     interpreter_language=interpreter))
        # TRANSLATORS: after a resident changes what they need for an event. %(event)s is its title, date and place.
        turn.say(turn._("Thank you: what you need for %(event)s is updated. The organisers can see it.", event=described))
        turn.end_flow()
        return Stay()
    if_place = (
        # TRANSLATORS: after a resident says they are coming. %(event)s is the title, date and place.
        turn._("Thank you, you are on the list for: %(event)s. The organisers can see what you need.", event=described)
        + "\n"
        + turn._(CALENDAR_LINK, url=turn.ctx.event_calendar_url(event.event_id))
    )
    if_waiting = turn._(
        # TRANSLATORS: after a resident asks to come to a full event. %(event)s is the title, date and place.
        "%(event)s is full, so you are on the waiting list. If a place opens, it is yours and we will send "
        "you a message. The organisers can see what you need.",
        event=described,
    )
    turn.intents.append(SaveRsvp(event_id=event.event_id, attending=True, needs=needs,
                                 interpreter_language=interpreter, if_place=if_place, if_waiting=if_waiting))
    turn.say(if_waiting if event.full else if_place)
    turn.end_flow()
    return Stay()


QUESTIONS = {
    "where": Question(prompt=where_prompt, choices=where_choices, on_choice=on_where),
    "list": Question(prompt=list_prompt, choices=list_choices, on_choice=on_list),
    "event": Question(prompt=event_prompt, choices=event_choices, on_choice=on_rsvp),
    "needs": Question(prompt=needs_prompt, choices=needs_choices, on_choice=on_need),
    "interp": Question(prompt=interp_prompt, choices=interp_choices, on_choice=on_interp),
}
