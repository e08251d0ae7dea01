"""Events: find an upcoming meeting, see what it offers, say whether you are coming and what you need,
and later change or cancel that answer.

    menu:events ─(more than a handful: ward:<slug> | all)→ list ─event:<id>→ event
    event ─rsvp:yes→ needs ─need:interpreter + done→ interp → thanks (a place, or the waiting list)
          ─rsvp:no→ noted (a place given back goes to the first on the waiting list)
          ─rsvp:needs→ needs (already answered: change what they need)   ─rsvp:keep→ nothing changes
          ─agenda→ agenda:topic (ward panels, TRA meetings and forums)
    An event cancelled, started or gone between two messages ends the flow with "not open for replies".
    "RSVP <id>" or "/start event_<id>" opens an event from anywhere (after a language, for someone new).
"""
from __future__ import annotations

import re
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.lists import format_list

from flows import bidi, i18n
from flows.dates import london_day_and_time, london_time
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
    ("interp:lt", "Lietuvių"), ("interp:zh", "中文"), ("interp:es", "Español"), ("interp:pt", "Português"),
    ("interp:it", "Italiano"), ("interp:fr", "Français"),
)
# British Sign Language has no written name of its own, so it is named in the resident's language.
# TRANSLATORS: an interpreter language a resident can ask for: British Sign Language, used by Deaf people
# in the UK. Keep "BSL" as it is: it is what the sign language is called in the UK.
BSL = _N("British Sign Language (BSL)")


def event_in_command(text: str) -> Optional[int]:
    """The event id in "RSVP 12" or "/start event_12", or None."""
    match = EVENT_COMMAND.match(" ".join(text.split()))
    return int(match.group(1)) if match else None


def describe(turn: Turn, event: EventInfo) -> str:
    return describe_event(turn.lang, event)


# TRANSLATORS: an event's title or description that a machine translated from the organiser's words.
# %(text)s is that title or description.
MACHINE_TRANSLATED = _N("%(text)s (machine translated)")
# TRANSLATORS: one line that names an event: its title, its day and London time, and its place,
# e.g. "Weavers ward panel — Thursday 14 January, 18:30, Weavers Community Centre".
EVENT_LINE = _N("%(title)s — %(when)s, %(place)s")
# TRANSLATORS: one line that names an event with no place given: its title, then its day and London time,
# e.g. "Weavers ward panel — Thursday 14 January, 18:30".
EVENT_LINE_WITHOUT_PLACE = _N("%(title)s — %(when)s")
# TRANSLATORS: when an event starts and ends, e.g. "Thursday 14 January, 18:30–20:00". %(starts)s is the
# day and time it starts; %(ends)s the time it ends (with the day too when that is another day).
TIME_RANGE = _N("%(starts)s–%(ends)s")
# TRANSLATORS: one thing a resident needs, with the interpreter's language, e.g. "An interpreter (বাংলা)".
NEED_IN_LANGUAGE = _N("%(need)s (%(language)s)")


def _in(lang: str, msgid: str, **params) -> str:
    """`msgid` in the resident's catalogue, filled in (what `turn._` does, for text outside a turn)."""
    return bidi.fill(i18n.translations(lang).gettext(msgid), params, lang)


def london_datetime(lang: str, moment, pattern: str) -> str:
    """A London time in a fixed Babel pattern, for staff pages; what residents read goes through
    flows/dates.py, which follows each language's own order."""
    local = moment.astimezone(LONDON)
    return i18n.localise_digits(format_datetime(local, pattern, locale=i18n.babel_locale(lang)), lang)


def title_of(lang: str, event: EventInfo) -> str:
    """The title in `lang` (or as the organiser wrote it), marked when a machine translated it."""
    title = event.title_in(lang)
    if event.machine_translated_in(lang) and lang in event.titles:
        return _in(lang, MACHINE_TRANSLATED, text=title)
    return title


def describe_event(lang: str, event: EventInfo) -> str:
    """One line a resident recognises the event by: title (in their language), day and London time, place."""
    place = event.space_name or event.place or event.ward_name
    when = london_day_and_time(lang, event.starts_at)
    if place:
        return _in(lang, EVENT_LINE, title=title_of(lang, event), when=when, place=place)
    return _in(lang, EVENT_LINE_WITHOUT_PLACE, title=title_of(lang, event), when=when)


# Interpreter languages an event may offer, as residents recognise them (the codes of Event.offers).
INTERPRETER_NAMES = {key.removeprefix("interp:"): label for key, label in INTERPRETER_LANGUAGES} | {"bsl": "BSL"}
# TRANSLATORS: a link to a calendar file for the event; keep %(url)s as it is.
CALENDAR_LINK = _N("To add it to your phone's calendar, open %(url)s")


def not_open(turn: Turn) -> str:
    # TRANSLATORS: "RSVP <number>" for an event that does not exist, has passed or was cancelled
    # (also said when it was cancelled or started while the resident was answering).
    return turn._("That event is not open for replies: it may have been cancelled or already happened.")


def _say_not_open(turn: Turn) -> Stay:
    """The event was cancelled, started or removed: say so and go back to the main menu."""
    turn.say(not_open(turn))
    turn.end_flow()
    return Stay()


def open_event(turn: Turn, event_id: int) -> None:
    """Show one event and ask whether they are coming, or say it cannot be found."""
    event = turn.ctx.lookup_event(event_id)
    if event is None or event.cancelled:
        _say_not_open(turn)
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
    everywhere = Choice("all", turn._("All events (%(count)s)", count=turn.number(everything)))
    return wards + (everywhere, Choice("menu", turn._(MAIN_MENU)))


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
    return events + back + (Choice("menu", turn._(MAIN_MENU)),)


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

def _event(turn: Turn) -> Optional[EventInfo]:
    """The event being answered, or None once it is cancelled, has started or is gone: the lookup is asked
    afresh on every message, and between two messages any of those can happen."""
    event = turn.ctx.lookup_event(turn.draft["event_id"])
    return None if event is None or event.cancelled else event


def kind_label(turn: Turn, event: EventInfo) -> str:
    return turn._(KINDS[event.kind]) if event.kind in KINDS else turn._(KINDS["community_forum"])


def _when(turn: Turn, event: EventInfo) -> str:
    starts = london_day_and_time(turn.lang, event.starts_at)
    if not event.ends_at:
        return starts
    same_day = event.ends_at.astimezone(LONDON).date() == event.starts_at.astimezone(LONDON).date()
    ends = london_time(turn.lang, event.ends_at) if same_day else london_day_and_time(turn.lang, event.ends_at)
    return turn._(TIME_RANGE, starts=starts, ends=ends)


def _language_name(turn: Turn, code: str) -> str:
    """An interpreter language as the resident recognises it: its own name, or BSL in their language."""
    return turn._(BSL) if code == "bsl" else INTERPRETER_NAMES.get(code, code)


def _listed_as(turn: Turn, items: Sequence[str]) -> str:
    """Items joined as the resident's language lists things ("a, b and c")."""
    return format_list(list(items), locale=i18n.babel_locale(turn.lang))


def _offered(turn: Turn, event: EventInfo) -> list[str]:
    """What the organisers offer so people can come (rec 4), each as a short phrase."""
    offers, said = event.offers, []
    languages = [_language_name(turn, code) for code in offers.get("interpreters") or ()]
    if languages:
        # TRANSLATORS: offered at an event. %(languages)s lists the languages, e.g. "বাংলা and Soomaali".
        said.append(turn._("interpreters (%(languages)s)", languages=_listed_as(turn, languages)))
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
            label = turn._(NEED_IN_LANGUAGE, need=label, language=_language_name(turn, interpreter_language))
        said.append(label)
    return _listed_as(turn, said)


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
    lines = [title_of(turn.lang, event), kind_label(turn, event)]
    # TRANSLATORS: an event's day and time (London time), e.g. "When: Thursday 14 January, 18:30–20:00".
    lines.append(turn._("When: %(when)s", when=_when(turn, event)))
    venue = event.venue or event.ward_name
    if venue:
        # TRANSLATORS: an event's venue: a place's name and address.
        lines.append(turn._("Where: %(place)s", place=venue))
    description = event.description_in(turn.lang)
    if description:
        if event.machine_translated_in(turn.lang) and turn.lang in event.descriptions:
            description = turn._(MACHINE_TRANSLATED, text=description)
        lines.append(description)
    offered = _offered(turn, event)
    if offered:
        # TRANSLATORS: what the organisers provide so people can come, e.g. "On offer: food, childcare".
        lines.append(turn._("On offer: %(offers)s", offers=_listed_as(turn, offered)))
    if event.decision_makers:
        # TRANSLATORS: who will be at the meeting to listen and answer, e.g. "Ward councillors and the local police team".
        lines.append(turn._("There to listen: %(people)s", people=_listed_as(turn, event.decision_makers)))
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
    if event is None:
        # Asked again (after a miss) once the event has closed: every choice now leads to "not open".
        return not_open(turn)
    answer = _their_answer(turn, event)
    if answer is None:
        # TRANSLATORS: the question under an event's details.
        question = turn._("Are you coming?")
    else:
        # TRANSLATORS: the question under an event the resident already answered.
        question = answer + "\n" + turn._("Would you like to change anything?")
    return event_view(turn, event).rstrip("\n") + "\n\n" + question


# The event step's labels, used again when the event closes while the resident is answering.
# TRANSLATORS: choice: go back to the main menu.
MAIN_MENU = _N("Main menu")
# TRANSLATORS: answer to "are you coming?"
NOT_COMING = _N("No, I can't come")
# TRANSLATORS: choice: change what they need to take part (interpreter, childcare, ...).
CHANGE_NEEDS = _N("Change what I need")
# TRANSLATORS: choice: change nothing.
KEEP_IT = _N("Keep it as it is")
# TRANSLATORS: choice: suggest something for this meeting to discuss.
HAVE_YOUR_SAY = _N("Have your say: suggest a topic for this meeting")


def _closed_choices(turn: Turn) -> Sequence[Choice]:
    """Every key this step can have had, with its usual label: whichever the resident picks or types (a
    number on the list they saw, a label), once the event has closed, they are told so, never "I didn't
    understand"."""
    return (Choice("rsvp:yes", _coming(turn, full=False)), Choice("rsvp:no", turn._(NOT_COMING)),
            Choice("rsvp:needs", turn._(CHANGE_NEEDS)), Choice("rsvp:keep", turn._(KEEP_IT)),
            Choice("agenda", turn._(HAVE_YOUR_SAY)), Choice("menu", turn._(MAIN_MENU)))


def _coming(turn: Turn, *, full: bool) -> str:
    if full:
        # TRANSLATORS: answer to "are you coming?" for a full event: be given a place if one opens.
        return turn._("Join the waiting list")
    # TRANSLATORS: answer to "are you coming?" for an event with a place free.
    return turn._("Yes, I'm coming")


def event_choices(turn: Turn) -> Sequence[Choice]:
    event = _event(turn)
    if event is None:
        return _closed_choices(turn)
    mine = event.my_rsvp
    if mine is None or mine.status == "declined":
        choices = (Choice("rsvp:yes", _coming(turn, full=event.full)),)
        if mine is None:
            choices += (Choice("rsvp:no", turn._(NOT_COMING)),)
        else:
            # TRANSLATORS: choice: they said they could not come, and that stays so.
            choices += (Choice("rsvp:keep", turn._("Keep it: I can't come")),)
    else:
        if mine.status == "attending":
            # TRANSLATORS: choice: give up their place at the event.
            give_up = turn._("Cancel my place")
        else:
            # TRANSLATORS: choice: take their name off the event's waiting list.
            give_up = turn._("Leave the waiting list")
        choices = (Choice("rsvp:needs", turn._(CHANGE_NEEDS)), Choice("rsvp:no", give_up),
                   Choice("rsvp:keep", turn._(KEEP_IT)))
    if event.accepts_agenda:
        choices += (Choice("agenda", turn._(HAVE_YOUR_SAY)),)
    return choices + (Choice("menu", turn._(MAIN_MENU)),)


def on_rsvp(turn: Turn, key: str) -> Go | Stay:
    """Coming → what they need; not coming → noted; already answered → change needs, cancel or keep."""
    event = _event(turn)
    if event is None:
        return _say_not_open(turn)
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
    if mine is not None and mine.status == "attending":
        # TRANSLATORS: after a resident gives up their place at an event.
        said = turn._("Your place is cancelled. Thank you for telling us: it can go to someone else.")
    elif mine is not None and mine.status == "waiting":
        # TRANSLATORS: after a resident leaves an event's waiting list.
        said = turn._("You have left the waiting list. Thank you for telling us.")
    else:
        # TRANSLATORS: after a resident says they cannot come to an event.
        said = turn._("Thank you for letting us know.")
    turn.intents.append(SaveRsvp(event_id=event.event_id, attending=False, if_place=said, if_closed=not_open(turn)))
    turn.say(said)
    turn.end_flow()
    return Stay()


def on_event_text(turn: Turn, text: str) -> Miss | Stay:
    """Words that are none of the choices: asked again, unless the event has closed meanwhile."""
    return _say_not_open(turn) if _event(turn) is None else Miss()


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
    nothing = Choice("need:none", turn._("Nothing needed"))
    # TRANSLATORS: choice: finish a question where several answers can be chosen.
    return boxes + (nothing, Choice("done", turn._("Done")))


def on_need(turn: Turn, key: str) -> Go | Miss | Stay:
    """Tick or untick a need; "Nothing needed" or "Done" moves on."""
    if _event(turn) is None:
        return _say_not_open(turn)
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
    return tuple(Choice(key, label) for key, label in INTERPRETER_LANGUAGES) + (Choice("interp:bsl", turn._(BSL)),)


def on_interp(turn: Turn, key: str) -> Stay:
    """The interpreter's language: the RSVP is complete."""
    if _event(turn) is None:
        return _say_not_open(turn)
    turn.draft["interpreter_language"] = key.removeprefix("interp:")
    return _finish(turn)


def _finish(turn: Turn) -> Stay:
    """Save the answer. Someone new hears whether they got a place or joined the waiting list, and
    which one is decided by storage (bot/conversations.py), since the last place may go to someone else."""
    draft = turn.draft
    event = _event(turn)
    if event is None:
        return _say_not_open(turn)
    needs = tuple(draft.get("needs", ()))
    interpreter = draft.get("interpreter_language") if "interpreter" in needs else None
    described = describe(turn, event)
    mine = event.my_rsvp
    if mine is not None and mine.status != "declined":
        # TRANSLATORS: after a resident changes what they need for an event. %(event)s is its title, date and place.
        said = turn._("Thank you: what you need for %(event)s is updated. The organisers can see it.", event=described)
        turn.intents.append(SaveRsvp(event_id=event.event_id, attending=True, needs=needs,
                                     interpreter_language=interpreter, if_place=said, if_closed=not_open(turn)))
        turn.say(said)
        turn.end_flow()
        return Stay()
    if_place = (
        # TRANSLATORS: after a resident says they are coming. %(event)s is the title, date and place.
        turn._("Thank you, you are on the list for: %(event)s. The organisers can see what you need.", event=described)
        + "\n"
        + turn._(CALENDAR_LINK, url=turn.ctx.event_calendar_url(event.event_id))
    )
    # TRANSLATORS: after a resident asks to come to a full event. %(event)s is the title, date and place.
    if_waiting = turn._(
        "%(event)s is full, so you are on the waiting list. If a place opens, it is yours and we will send "
        "you a message. The organisers can see what you need.",
        event=described,
    )
    turn.intents.append(SaveRsvp(event_id=event.event_id, attending=True, needs=needs,
                                 interpreter_language=interpreter, if_place=if_place, if_waiting=if_waiting,
                                 if_closed=not_open(turn)))
    turn.say(if_waiting if event.full else if_place)
    turn.end_flow()
    return Stay()


QUESTIONS = {
    "where": Question(prompt=where_prompt, choices=where_choices, on_choice=on_where),
    "list": Question(prompt=list_prompt, choices=list_choices, on_choice=on_list),
    "event": Question(prompt=event_prompt, choices=event_choices, on_choice=on_rsvp, on_text=on_event_text),
    "needs": Question(prompt=needs_prompt, choices=needs_choices, on_choice=on_need),
    "interp": Question(prompt=interp_prompt, choices=interp_choices, on_choice=on_interp),
}
