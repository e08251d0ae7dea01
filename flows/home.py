"""First contact, the language and main menus, help, and the words that work at any point."""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Callable, Optional, Sequence

from flows import audio_prompts, easy_read, forget, i18n
from flows.engine import Go, Question, Stay, Turn, ask, match_choice
from flows.i18n import LANGUAGES, _N
from flows.types import Choice, Reply

# The first five are design.md's, in its order, so a number typed on SMS means the same as it always did;
# later additions go after them.
MENU_KEYS = ("menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces",
             "menu:gethelp", "menu:easy")


# The words a resident can type at any point. English always works; each language adds its own.
COMMAND_WORDS = {
    # TRANSLATORS: a word a resident can type at any time to see the main menu. One lower-case word.
    "menu": _N("menu"),
    # TRANSLATORS: a word a resident can type at any time to get help. One lower-case word.
    "help": _N("help"),
    # TRANSLATORS: a word a resident can type at any time to stop what they are doing. One lower-case word.
    "stop": _N("stop"),
    # TRANSLATORS: a word a resident can type to start again from the beginning. One lower-case word.
    "start": _N("start"),
    # TRANSLATORS: a word a resident can type at any time to change language. One lower-case word.
    "language": _N("language"),
    # TRANSLATORS: the word a resident types before a reference code to check a report ("status TH-...").
    "status": _N("status"),
    # TRANSLATORS: the phrase a resident types at any time to have the service delete their contact details,
    # their conversation and every link to their reports. Short, lower case, easy to type on a phone.
    "forget": _N("forget me"),
}


@lru_cache(maxsize=None)
def _typed_commands() -> tuple[tuple[str, str, str], ...]:
    """(word as typed words are compared, command, language) for every command word in every shipped
    language, English first: worked out once, as every message is checked against it."""
    return tuple((i18n.matchable(i18n.translations(language.code).gettext(english)), command, language.code)
                 for language in LANGUAGES for command, english in COMMAND_WORDS.items())


def command_word(turn: Turn, text: str) -> Optional[str]:
    """The command a typed word means in English or in any shipped language ("/start" included)."""
    word = i18n.matchable(text.lstrip("/"))
    return next((command for typed, command, _language in _typed_commands() if typed == word), None)


def language_of_command(text: str) -> Optional[str]:
    """The shipped language in whose words `text` is a command word ("forget me" typed in Bengali: "bn"),
    English first; None if it is no command."""
    word = i18n.matchable(text.lstrip("/"))
    return next((language for typed, _command, language in _typed_commands() if typed == word), None)


def forget_at_first_contact(turn: Turn, text: str) -> None:
    """Someone new typed "forget me": asked in the language they wrote it in (or their channel's, for the
    English words), without the language menu first: what they asked for matters more."""
    typed_in = language_of_command(text)
    hinted = hinted_language(turn, text)
    turn.set_language(hinted if typed_in in (None, i18n.DEFAULT_LANGUAGE) and hinted else
                      typed_in or i18n.DEFAULT_LANGUAGE)
    forget.ask_to_forget(turn)


def languages_in_order(turn: Turn) -> tuple[i18n.Language, ...]:
    """Every shipped language, those hinted for someone new first (the state's "hinted", see ask_language), so
    a hinted language is choice 1, one tap to confirm, and every other one is still on the list."""
    hinted = tuple(i18n.BY_CODE[code] for code in turn.state.get("hinted", ()) if i18n.is_shipped(code))
    return hinted + tuple(language for language in LANGUAGES if language not in hinted)


def language_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(f"lang:{language.code}", language.endonym) for language in languages_in_order(turn))


def language_prompt(turn: Turn) -> tuple[Reply, ...]:
    """Someone who has not chosen may not read the current language, so every language asks at once, a hinted
    one first."""
    return tuple(
        # TRANSLATORS: shown to a new contact beside the same line in every other language.
        Reply(text=i18n.translations(language.code).gettext("Choose your language."), lang=language.code)
        for language in languages_in_order(turn)
    )


def on_language(turn: Turn, key: str) -> Go:
    """The resident picked a language: remember it; carry on where they were, or show the menu."""
    turn.set_language(key.removeprefix("lang:"))  # also puts the language list back in its usual order
    resume = turn.state.pop("resume", None)
    if resume:
        return Go(resume)
    turn.say(welcome_text(turn), audio_prompt=audio_prompts.WELCOME)
    if "open_event" in turn.state:  # they came from an event's link: show it now they have a language
        from flows import events

        events.open_event(turn, turn.state.pop("open_event"))
        return Stay()
    return Go("home:menu")


def welcome_text(turn: Turn) -> str:
    # TRANSLATORS: the first thing a resident reads after choosing a language.
    return turn._(
        "Welcome to Safer Homes. You can tell the council, your housing provider or the police about a "
        "safety worry or anti-social behaviour in your area, in your own language, and choose how private "
        "it is. If someone is in danger right now, call 999."
    )


def menu_prompt(turn: Turn) -> str:
    # TRANSLATORS: the main menu's question.
    return turn._("What would you like to do?")


def menu_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: main menu choice.
        Choice("menu:report", turn._("Report a safety concern")),
        # TRANSLATORS: main menu choice: look up a report by its reference code.
        Choice("menu:status", turn._("Check a report")),
        # TRANSLATORS: main menu choice: community forums and ward panel meetings.
        Choice("menu:events", turn._("Meetings and events")),
        # TRANSLATORS: main menu choice.
        Choice("menu:language", turn._("Change language")),
        # TRANSLATORS: main menu choice.
        Choice("menu:help", turn._("Help")),
        # TRANSLATORS: main menu choice: community centres, halls and rooms that cost little or nothing to use.
        Choice("menu:spaces", turn._("Find a free or low-cost space")),
        # TRANSLATORS: main menu choice: local and national services for families, young people, money, housing,
        # mental health, drugs and alcohol, victims of crime, and getting online.
        Choice("menu:gethelp", turn._("Get help and support")),
    ) + ((easy_read_choice(turn),) if easy_read.offered(turn.lang) else ())


def easy_read_choice(turn: Turn) -> Choice:
    """Easy words on or off; the label says which it does. Offered only where easy read is written."""
    if turn.easy_read:
        # TRANSLATORS: main menu choice, shown while easy read is on: go back to the usual wording.
        return Choice("menu:easy", turn._("Use usual words"))
    # TRANSLATORS: main menu choice: short messages, simple words, one question at a time, numbered choices.
    return Choice("menu:easy", turn._("Use easy words"))


def toggle_easy_read(turn: Turn) -> Go:
    """Easy words on or off, remembered with the conversation like its language; then the menu again."""
    if turn.easy_read:
        turn.state.pop("easy", None)
        # TRANSLATORS: after the resident turned easy read off.
        turn.say(turn._("Easy words are off."))
    else:
        turn.state["easy"] = True
        # TRANSLATORS: after the resident turned easy read on (said in easy read).
        turn.say(turn._("Easy words are on.\nI will send short messages with simple words."))
    return Go("home:menu")


def on_menu(turn: Turn, key: str) -> Go | Stay:
    """The resident chose from the main menu: start that flow."""
    if key == "menu:report":
        turn.state.pop("draft", None)  # every report starts empty
        return Go("report:danger")
    if key == "menu:status":
        return Go("status:reference")
    if key == "menu:language":
        return Go("home:language")
    if key == "menu:help":
        show_help(turn)
        return Stay()
    if key == "menu:spaces":
        from flows import spaces

        return spaces.show_spaces(turn)
    if key == "menu:easy":
        return toggle_easy_read(turn)
    if key == "menu:gethelp":
        from flows import get_help

        return get_help.start(turn)
    from flows import events

    events.show_list(turn)
    return Stay()


def help_text(turn: Turn) -> str:
    # TRANSLATORS: help text. Keep the phone numbers exactly as they are.
    return turn._(
        "Safer Homes passes your safety concerns to the council, your housing provider and, only if you "
        "choose, the police.\n"
        "• In an emergency, or if someone is in danger, call 999.\n"
        "• To talk to the police when it is not an emergency, call 101.\n"
        "• To tell Crimestoppers about a crime without giving your name, call 0800 555 111.\n"
        "You can type a number to choose. Type \"menu\" at any time to go back, \"language\" to change "
        "language, or \"stop\" to stop."
    ) + "\n" + turn._(
        # TRANSLATORS: a line of the help text. %(phrase)s is "forget me" in the resident's language,
        # the words they type.
        "Type \"%(phrase)s\" at any time to have us delete how to reach you and every link to your reports.",
        phrase=turn._(COMMAND_WORDS["forget"])) + "\n" + turn._(
        # TRANSLATORS: a line of the help text: where to find how to install Telegram or WhatsApp, or use the web
        # chat on a library computer. %(menu_choice)s and %(online_choice)s are the two menu choices to pick,
        # "Get help and support" and "Getting online: Wi-Fi, devices and skills" in the resident's language.
        "To learn how to install Telegram or WhatsApp, or use this chat on a library computer, choose "
        "\"%(menu_choice)s\" on the menu, then \"%(online_choice)s\".",
        menu_choice=turn._("Get help and support"), online_choice=turn._("Getting online: Wi-Fi, devices and skills"))


def show_help(turn: Turn) -> None:
    """Help at any point: what the service is, who to call, and the words that always work."""
    offer = "\n" + easy_read_help(turn) if easy_read.offered(turn.lang) else ""
    turn.say(help_text(turn) + offer)
    if turn.state.get("flow", "home") == "home":
        turn.go("home", "menu")
    else:
        # TRANSLATORS: after help, in the middle of a report or check, before asking the question again.
        turn.say(turn._("Let's carry on where you were."))
        ask(turn)


def easy_read_help(turn: Turn) -> str:
    """Help offers easy words (or the way back), by the menu choice's own label."""
    if turn.easy_read:
        # TRANSLATORS: a line of help while easy read is on. %(choice)s is the menu choice "Use usual words".
        return turn._("To go back, choose \"%(choice)s\" on the menu.",
                      choice=easy_read_choice(turn).label)
    # TRANSLATORS: a line of help. %(choice)s is the menu choice "Use easy words".
    return turn._("For short messages in simple words, choose \"%(choice)s\" on the menu.",
                  choice=easy_read_choice(turn).label)


def stop(turn: Turn) -> None:
    """The resident said stop: drop anything half-done and say how to come back."""
    had_draft = bool(turn.state.get("draft"))
    for key in ("flow", "step", "draft", "pending", "misses", "resume"):
        turn.state.pop(key, None)
    if had_draft:
        # TRANSLATORS: the resident typed "stop" in the middle of a report.
        turn.say(turn._("Stopped. Your unfinished report was deleted and nothing was sent."))
    # TRANSLATORS: after stopping.
    turn.say(turn._("Send any message when you want to start again."))


def start_again(turn: Turn) -> None:
    for key in ("draft", "pending", "resume"):
        turn.state.pop(key, None)
    turn.say(welcome_text(turn), audio_prompt=audio_prompts.WELCOME)
    turn.go("home", "menu")


def choose_language(turn: Turn) -> None:
    """Change language at any point; a half-finished report carries on afterwards in the new language."""
    if turn.state.get("flow") not in (None, "home"):
        turn.state["resume"] = f"{turn.state['flow']}:{turn.state['step']}"
    turn.go("home", "language")


def check_status(turn: Turn) -> None:
    """The word "status" alone: ask for the reference."""
    turn.state.pop("draft", None)
    turn.go("status", "reference")


GLOBAL_COMMANDS: dict[str, Callable[[Turn], None]] = {
    "menu": lambda turn: turn.end_flow(),
    "help": show_help,
    "stop": stop,
    "start": start_again,
    "language": choose_language,
    "status": check_status,
    "forget": forget.ask_to_forget,
}


def looks_bengali(text: str) -> bool:
    """Bengali script is a strong hint; anything subtler waits for a language detector."""
    letters = [char for char in text if char.isalpha()]
    bengali = [char for char in letters if "BENGALI" in unicodedata.name(char, "")]
    return bool(letters) and len(bengali) * 2 > len(letters)


def hinted_languages(turn: Turn, text: str) -> tuple[str, ...]:
    """The shipped languages suggested for someone new, likeliest first: those their message is written in (the
    caller's detector, Inbound.text_languages, or Bengali script), then their channel's or page's; () if none.
    The words come first: they are what the resident chose to write in, where an app's language often is not."""
    suggested = [code for code in turn.inbound.text_languages if i18n.is_shipped(code)]
    suggested += ["bn"] if looks_bengali(text) else []
    suggested.append(i18n.best_match(turn.inbound.language_hint))
    return tuple(dict.fromkeys(code for code in suggested if code))


def hinted_language(turn: Turn, text: str) -> Optional[str]:
    """The likeliest hinted language (hinted_languages), or None."""
    hinted = hinted_languages(turn, text)
    return hinted[0] if hinted else None


def ask_language(turn: Turn, hinted: Sequence[str]) -> None:
    """The language question for someone new, the hinted languages first. A hint never chooses for them: one
    tap (or "1") confirms it, and any other language is one tap too. The order is kept in the state, so the
    number they type next means what they saw."""
    if hinted:
        turn.state["hinted"] = list(hinted)
    else:
        turn.state.pop("hinted", None)
    turn.go("home", "language")


def first_contact(turn: Turn, text: str) -> None:
    """Someone new: a status check gets its answer at once; everyone else chooses a language first."""
    from flows import status

    reference = status.reference_in_command(text)
    if reference:
        found = turn.ctx.lookup_report(reference)
        language = found.language if found else hinted_language(turn, text)
        turn.set_language(language or i18n.DEFAULT_LANGUAGE)
        found = status.tell_status(turn, reference)
        if language:
            if not status.ask_whether_sorted(turn, found):
                turn.go("home", "menu")
        else:
            turn.state.pop("lang")  # nothing told us their language: ask, as for any first contact
            ask_language(turn, hinted_languages(turn, text))
        return
    from flows import events

    event_id = events.event_in_command(text) if text else None
    if event_id is not None:
        turn.state["open_event"] = event_id  # shown once they have chosen a language
    if turn.inbound.choice and turn.inbound.choice.startswith("lang:"):
        code = turn.inbound.choice.removeprefix("lang:")
        if i18n.is_shipped(code):
            turn.state.update(flow="home", step="language")
            answer_language(turn, turn.inbound.choice)
            return
    # A number means the language listed beside it, so only once the list has been shown: a "1" or "3" as the
    # very first message would otherwise choose a language the resident never saw (Telegram in Arabic, and
    # "1" made it English), where the list with the hinted ones first costs one tap.
    shown = turn.state.get("step") == "language"
    typed = match_choice(text, language_choices(turn)) if text and (shown or i18n.parse_number(text) is None) else None
    if typed:
        turn.state.update(flow="home", step="language")
        answer_language(turn, typed)
        return
    # A later message that suggests nothing (an emoji, a word every language shares) keeps the order shown.
    ask_language(turn, hinted_languages(turn, text) or turn.state.get("hinted", ()))


def answer_language(turn: Turn, key: str) -> None:
    """As if the resident had chosen `key` on the language menu (a first contact's shortcut)."""
    outcome = on_language(turn, key)
    if isinstance(outcome, Go):
        flow, _, step = outcome.step.rpartition(":")
        turn.go(flow, step)


def resume_after_idle(turn: Turn, text: str) -> None:
    """Back after a long gap in the middle of something: carry on, or start again."""
    choices = (
        # TRANSLATORS: the resident came back after a long gap; carry on with the unfinished report.
        Choice("idle:continue", turn._("Carry on where I was")),
        # TRANSLATORS: the resident came back after a long gap; drop the unfinished report.
        Choice("idle:restart", turn._("Start again")),
    )
    if turn.state.get("pending") == "idle":
        key = turn.inbound.choice or (match_choice(text, choices) if text else None)
        if key == "idle:continue":
            turn.state.pop("pending")
            ask(turn)
            return
        if key == "idle:restart":
            turn.end_flow()
            return
    turn.state["pending"] = "idle"
    turn.say(
        # TRANSLATORS: the resident came back after a long gap in the middle of a report or check.
        turn._("Welcome back. You were part way through. Would you like to carry on, or start again?"),
        choices,
    )


def after_three_misses(turn: Turn, text: str) -> None:
    """After "I still didn't understand": try again, menu or help; anything else is a new answer."""
    from flows.engine import answer, lost_choices, number_off_the_list

    key = turn.inbound.choice or (match_choice(text, lost_choices(turn)) if text else None)
    if key is None and i18n.parse_number(text) is not None:
        # Only "Try again", "Main menu" and "Help" are on screen; another number means nothing here.
        turn.say(number_off_the_list(turn, len(lost_choices(turn))), lost_choices(turn))
        return
    turn.state.pop("pending")
    if key == "retry":
        ask(turn)
    elif key in GLOBAL_COMMANDS:
        GLOBAL_COMMANDS[key](turn)
    else:
        answer(turn)


QUESTIONS = {
    "language": Question(prompt=language_prompt, choices=language_choices, on_choice=on_language),
    "menu": Question(prompt=menu_prompt, choices=menu_choices, on_choice=on_menu, audio_prompt=audio_prompts.MAIN_MENU),
}
