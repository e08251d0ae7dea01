"""The conversation engine: resolves what a resident sent against the question they were asked.

A flow is a module with a QUESTIONS table: step name -> Question. The engine handles what every step has
in common (first contact, the global words, idle resumption, text too long, numbered and typed answers,
three misses) so each flow's steps stay small.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Optional, Sequence

from flows import bidi, easy_read, i18n
from flows.types import Choice, Context, Inbound, Intent, RememberLanguage, Reply, State, Step

TICKED, UNTICKED = "☑", "☐"
MAX_MISSES = 3

# Reference codes are Crockford base32 (no I, L, O, U): see storage/references.py for how they are made.
REFERENCE_PATTERN = re.compile(r"\bTH[-\s]?([0-9A-Z]{4})[-\s]?([0-9A-Z]{4})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Go:
    """Move to another step of the same flow (or "flow:step" for another flow) and ask it."""

    step: str


@dataclass(frozen=True)
class Miss:
    """The answer fits nothing the step accepts; re-ask with a hint."""

    hint: Optional[str] = None


@dataclass(frozen=True)
class Stay:
    """The handler has said what it needs and set the state itself (for example a ticked box)."""


Outcome = Go | Miss | Stay


def _no_choices(turn: "Turn") -> Sequence[Choice]:
    return ()


@dataclass(frozen=True)
class Question:
    # A string in the resident's language, or a tuple of Replies each in its own language.
    prompt: Callable[["Turn"], str | tuple[Reply, ...]]
    choices: Callable[["Turn"], Sequence[Choice]] = _no_choices
    on_choice: Optional[Callable[["Turn", str], Outcome]] = None
    on_text: Optional[Callable[["Turn", str], Outcome]] = None
    on_location: Optional[Callable[["Turn", float, float], Outcome]] = None
    on_media: Optional[Callable[["Turn"], Outcome]] = None
    # The recorded prompt (flows/audio_prompts.py) the question may be played with, where one was uploaded.
    audio_prompt: Optional[str] = None


@dataclass
class Turn:
    """One resident message being answered: the state being changed and what will be said."""

    inbound: Inbound
    state: State
    ctx: Context
    replies: list[Reply] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.state.get("lang") or i18n.DEFAULT_LANGUAGE

    @property
    def draft(self) -> dict:
        return self.state.setdefault("draft", {})

    @property
    def easy_read(self) -> bool:
        """The resident chose easy words (menu:easy) and their language has them (flows/easy_read.py)."""
        return bool(self.state.get("easy")) and easy_read.offered(self.lang)

    # In a right-to-left language each filled-in value is isolated, and a phone number in the translation
    # kept left to right (flows/bidi.py), so a reference, a number or an English place name keeps its own
    # order; other languages get exactly what the catalogue and `%` give.
    def _(self, msgid: str, /, **params) -> str:
        text = (easy_read.words(self.lang, msgid) if self.easy_read else None) or i18n.translations(self.lang).gettext(msgid)
        return bidi.fill(text, params, self.lang) if params else bidi.as_written(text, self.lang)

    def ngettext(self, singular: str, plural: str, n: int, /, **params) -> str:
        text = i18n.translations(self.lang).ngettext(singular, plural, n)
        return bidi.fill(text, {"n": n, **params}, self.lang)

    def number(self, n: int) -> str:
        return i18n.localise_digits(str(n), self.lang)

    def say(self, text: str, choices: Sequence[Choice] = (), *, audio_prompt: Optional[str] = None) -> None:
        if self.easy_read:
            # Easy read: each paragraph its own message (one question a message), and the choices written
            # as numbered lines too, for someone who reads a number more easily than a button's words.
            *before, text = [part for part in text.split("\n\n") if part.strip()] or [text]
            self.replies.extend(Reply(text=part, lang=self.lang) for part in before)
            self.replies.append(numbered(Reply(text=text, lang=self.lang, choices=tuple(choices), audio_prompt=audio_prompt)))
            return
        self.replies.append(Reply(text=text, lang=self.lang, choices=tuple(choices), audio_prompt=audio_prompt))

    def set_language(self, code: str) -> None:
        self.state["lang"] = code
        # The first contact's hinted order (flows/home.ask_language) ends with a language however it was set
        # ("forget me" or a status check at first contact set one too): the menu is in its usual order after.
        self.state.pop("hinted", None)
        if not easy_read.offered(code):
            self.state.pop("easy", None)  # a language without easy words: off, quietly
        self.intents.append(RememberLanguage(code))

    def go(self, flow: str, step: str) -> None:
        """Enter a flow at a step and ask its question."""
        self.state.update(flow=flow, step=step, misses=0)
        ask(self)

    def end_flow(self) -> None:
        """Leave whatever flow was running; its draft is dropped so nothing lingers."""
        for key in ("draft", "pending", "resume"):
            self.state.pop(key, None)
        self.go("home", "menu")


def _flows() -> dict[str, dict[str, Question]]:
    # Imported here because the flows import this module for Question, Go, Miss and Turn.
    from flows import agenda, events, feedback, get_help, home, report, spaces, status
    from flows import sorted as sorted_flow  # not `sorted`: that name is Python's

    return {"home": home.QUESTIONS, "report": report.QUESTIONS, "status": status.QUESTIONS, "events": events.QUESTIONS,
            "feedback": feedback.QUESTIONS, "agenda": agenda.QUESTIONS, "spaces": spaces.QUESTIONS,
            "sorted": sorted_flow.QUESTIONS, "get_help": get_help.QUESTIONS}


def numbered(reply: Reply) -> Reply:
    """The reply with its choices also written as numbered lines in its text, in its language's digits, as a
    text channel numbers them (so it does not number them again: Reply.numbered)."""
    if not reply.choices:
        return reply
    lines = "\n".join(f"{i18n.localise_digits(str(number), reply.lang)}. {choice.label}"
                      for number, choice in enumerate(reply.choices, 1))
    return replace(reply, text=f"{reply.text.strip()}\n\n{lines}", numbered=True)


def current_question(turn: Turn) -> Question:
    return _flows()[turn.state["flow"]][turn.state["step"]]


def ask(turn: Turn, hint: Optional[str] = None) -> None:
    """Ask the current step's question, with its choices on the last message only."""
    # Asking the question again replaces any overlay (idle, three misses) whose numbers meant other things.
    turn.state.pop("pending", None)
    question = current_question(turn)
    prompt = question.prompt(turn)
    if isinstance(prompt, tuple):
        # Lines each in their own language (the first-contact language menu): one reply per language,
        # so every reply's `lang` is true; a text channel may join them into one message.
        if hint:
            turn.say(hint)
        *before, last = prompt
        turn.replies.extend(before)
        last = Reply(text=last.text, lang=last.lang, choices=tuple(question.choices(turn)))
        turn.replies.append(numbered(last) if turn.easy_read else last)
        return
    turn.say(f"{hint}\n\n{prompt}" if hint else prompt, question.choices(turn), audio_prompt=question.audio_prompt)


def handle(inbound: Inbound, state: Optional[State], ctx: Context) -> Step:
    """Answer one inbound message: the replies to send, the state to save, the intents to persist."""
    original = state or {}
    # Measured as sent, before the marks below come out: the limit is on the message, and a long one is
    # refused whole however many of its characters are invisible.
    too_long = inbound.text is not None and len(inbound.text) > ctx.max_text_length
    if inbound.text:
        # A number or reference copied out of one of our right-to-left messages carries invisible isolates
        # (flows/bidi.py), and some keyboards add direction marks: without them it matches as typed.
        inbound = replace(inbound, text=bidi.without_direction_controls(inbound.text))
    turn = Turn(inbound=inbound, state=copy.deepcopy(original), ctx=ctx)
    if too_long:
        # Not stored, not acted on: the state handed back is the one that came in. Someone new is
        # answered in the language their channel or script suggests.
        from flows import home

        turn.state.setdefault("lang", home.hinted_language(turn, inbound.text[:200]))
        turn.say(
            # TRANSLATORS: the resident sent more text than one message may hold.
            turn._(
                "That message is too long for me. Please send it again in shorter parts, "
                "at most %(limit)s characters each.",
                limit=turn.number(ctx.max_text_length),
            )
        )
        return Step(replies=tuple(turn.replies), state=original)

    _dispatch(turn)
    turn.state["last_seen"] = ctx.now.isoformat()
    return Step(replies=tuple(turn.replies), state=turn.state, intents=tuple(turn.intents))


def begin(state: Optional[State], ctx: Context, *, flow: str, step: str, draft: dict) -> Step:
    """Start a conversation from our side (the worker asking "how was it?"): the question to send and the
    state that makes the resident's next message its answer.

    Whatever they were doing is left behind, as `menu` would leave it; the caller decides when that is
    kind. `last_seen` goes too: they have not answered yet, so an answer hours later is not "welcome back".
    """
    turn = Turn(inbound=Inbound(), state=copy.deepcopy(state or {}), ctx=ctx)
    for key in ("pending", "resume", "last_seen", "open_event"):
        turn.state.pop(key, None)
    turn.state["draft"] = copy.deepcopy(draft)
    turn.go(flow, step)
    return Step(replies=tuple(turn.replies), state=turn.state, intents=tuple(turn.intents))


def _dispatch(turn: Turn) -> None:
    from flows import events, home, status

    text = (turn.inbound.text or "").strip()
    if turn.state.get("pending") == "notice":
        from flows import report_notices

        if report_notices.answer_to_notice(turn, text):
            return  # "1" showed what a neutral notice was about; anything else goes to the question it came over
    if turn.state.get("pending") == "forget":
        from flows import forget

        if forget.answer_to_forget(turn, text):
            return  # yes, no, or a number off the list; anything else is handled below as usual
    if not turn.state.get("lang"):
        if text and home.command_word(turn, text) == "stop":
            home.stop(turn)  # someone new saying stop is not offered a language menu
            return
        if text and home.command_word(turn, text) == "forget":
            home.forget_at_first_contact(turn, text)
            return
        home.first_contact(turn, text)
        return
    command = home.command_word(turn, text) if text else turn.inbound.choice
    if command in home.GLOBAL_COMMANDS:
        home.GLOBAL_COMMANDS[command](turn)
        return
    event_id = events.event_in_command(text) if text else None
    if event_id is not None:
        events.open_event(turn, event_id)
        return
    reference = status.reference_in_command(text)
    if reference:
        found = status.tell_status(turn, reference)
        if turn.state.get("flow") in (None, "home", "status", "sorted"):
            if not status.ask_whether_sorted(turn, found):
                turn.end_flow()
        else:  # a status check mid-report keeps the report: carry on where they were
            turn.say(turn._("Let's carry on where you were."))
            ask(turn)
        return
    if "flow" not in turn.state:
        turn.go("home", "menu")
        return
    if turn.inbound.refused_media:
        # TRANSLATORS: the resident sent a file we cannot keep (too big, or not a photo or voice message).
        turn.say(turn._("That file is too big, or of a kind we can't keep. Please send a photo or a short "
                        "voice message, or type instead."))
        nothing_else = not (text or turn.inbound.choice or turn.inbound.media or turn.inbound.latitude is not None)
        if nothing_else and "flow" in turn.state:
            ask(turn)  # not a miss: they did try to answer
            return
    if turn.state.get("pending") == "lost":
        home.after_three_misses(turn, text)
        return
    if turn.state.get("pending") == "idle" or _has_been_idle(turn):
        home.resume_after_idle(turn, text)
        return
    answer(turn)


def _has_been_idle(turn: Turn) -> bool:
    last_seen = turn.state.get("last_seen")
    in_progress = turn.state.get("flow") != "home"
    if not last_seen or not in_progress:
        return False
    return turn.ctx.now - datetime.fromisoformat(last_seen) > turn.ctx.idle_after


def answer(turn: Turn) -> None:
    """Match the message to the current question and act on the outcome."""
    question = current_question(turn)
    outcome = _resolve(turn, question)
    if isinstance(outcome, Go):
        flow, _, step = outcome.step.rpartition(":")
        turn.go(flow or turn.state["flow"], step)
    elif isinstance(outcome, Miss):
        _missed(turn, outcome.hint)
    else:
        turn.state["misses"] = 0


def _resolve(turn: Turn, question: Question) -> Outcome:
    inbound = turn.inbound
    choices = question.choices(turn)
    if inbound.choice is not None:
        if question.on_choice and any(choice.key == inbound.choice for choice in choices):
            return question.on_choice(turn, inbound.choice)
        return Miss()
    if inbound.latitude is not None and inbound.longitude is not None:
        if question.on_location:
            return question.on_location(turn, inbound.latitude, inbound.longitude)
        return Miss()
    text = (inbound.text or "").strip()
    key = match_choice(text, choices) if text else None
    if key and question.on_choice:
        return question.on_choice(turn, key)
    if choices and i18n.parse_number(text) is not None:
        # A number that is not on the list is a slip, not a place name or a description.
        return Miss(number_off_the_list(turn, len(choices)))
    if inbound.media and question.on_media:
        return question.on_media(turn)
    if text and question.on_text:
        return question.on_text(turn, text)
    return Miss()


def number_off_the_list(turn: Turn, count: int) -> str:
    """The hint for a typed number that is not one of the `count` choices on screen."""
    # TRANSLATORS: the resident typed a number that is not one of the choices.
    return turn._("Please choose a number from %(first)s to %(last)s.", first=turn.number(1), last=turn.number(count))


def match_choice(text: str, choices: Sequence[Choice]) -> Optional[str]:
    """The key a typed answer means: its number (any digits), its label, or the key itself."""
    number = i18n.parse_number(text)
    if number is not None:
        return choices[number - 1].key if 1 <= number <= len(choices) else None
    wanted = _comparable(text)
    for choice in choices:
        if wanted in (_comparable(choice.label), i18n.matchable(choice.key)):
            return choice.key
    return None


def _comparable(text: str) -> str:
    # A label with a filled-in value carries isolates in a right-to-left language; typed text has none.
    text = bidi.without_direction_controls(text)
    return i18n.matchable(text.replace(TICKED, "").replace(UNTICKED, ""))


def lost_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: choice after three misunderstood answers: ask the same question again.
        Choice("retry", turn._("Try again")),
        # TRANSLATORS: choice: go back to the main menu.
        Choice("menu", turn._("Main menu")),
        # TRANSLATORS: choice: read the help text.
        Choice("help", turn._("Help")),
    )


def _missed(turn: Turn, hint: Optional[str]) -> None:
    turn.state["misses"] = turn.state.get("misses", 0) + 1
    if turn.state["misses"] >= MAX_MISSES:
        turn.state["misses"] = 0
        turn.state["pending"] = "lost"
        turn.say(
            # TRANSLATORS: after three answers the bot could not understand.
            turn._(
                "Sorry, I still didn't understand. You can try this question again, go back to the "
                "menu, or read the help."
            ),
            lost_choices(turn),
        )
        return
    default_hint = (
        turn._("Please reply with the number of one of the choices.")
        if current_question(turn).choices(turn)
        else turn._("Sorry, I didn't understand that.")
    )
    ask(turn, hint or default_hint)
