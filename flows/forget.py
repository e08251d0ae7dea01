""""Forget me": a resident asks the service to forget them, is told plainly what that means, and confirms.

    any point ─"forget me" (or its translation)→ asked to confirm (pending "forget", over whatever they were
    doing)
    confirm:yes → ForgetContact (the caller deletes the contact, its conversation, names and every link to
                  its reports, in the same transaction) and the confirmation; the state is emptied
    confirm:no  → nothing deleted; carry on where they were (or the menu)
    anything else → the question is dropped and the message is handled as it would have been

The question is an overlay (`pending`, as "idle" and "lost" are in flows/engine.py) rather than a step, so
"no" returns to the very question they were on and a half-written report is not lost by asking.
"""
from __future__ import annotations

from typing import Optional, Sequence

from flows import i18n
from flows.engine import Turn, ask, match_choice, number_off_the_list
from flows.status import STATUS_WORD
from flows.types import Choice, ForgetContact, Reply

PENDING = "forget"


def confirm_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: answer to "Do you want us to forget you?": yes, delete everything about me.
        Choice("confirm:yes", turn._("Yes, forget me")),
        # TRANSLATORS: answer to "Do you want us to forget you?": no, change nothing.
        Choice("confirm:no", turn._("No, keep things as they are")),
    )


def ask_to_forget(turn: Turn) -> None:
    """The resident typed "forget me": say what will happen and ask them to confirm."""
    turn.state["pending"] = PENDING
    turn.say(
        # TRANSLATORS: asked when a resident types "forget me". %(word)s is the command word "status" in
        # their language (they type it before a reference code to check a report).
        turn._("Do you want us to forget you? If you say yes, we will delete how to reach you, this "
               "conversation, any name you gave us, your replies to meetings, and every link between you and "
               "your reports. Your reports stay with the teams dealing with them, with nothing that points to "
               "you, so you will not get updates about them any more. You can still check a report by sending "
               "%(word)s and its reference. Reports you sent anonymously are not affected. You can start again "
               "at any time.", word=turn._(STATUS_WORD)),
        confirm_choices(turn),
    )


def answer_to_forget(turn: Turn, text: str) -> bool:
    """The message after "Do you want us to forget you?". Returns False when it answers something else:
    the question is then dropped and the caller handles the message as it would have without it."""
    choices = confirm_choices(turn)
    key = turn.inbound.choice or (match_choice(text, choices) if text else None)
    if key is None and text and i18n.parse_number(text) is not None:
        # Only yes and no are on screen: another number means nothing here, so nothing is deleted.
        turn.say(number_off_the_list(turn, len(choices)), choices)
        return True
    if key not in ("confirm:yes", "confirm:no"):
        turn.state.pop("pending", None)
        return False
    if key == "confirm:no":
        turn.state.pop("pending", None)
        # TRANSLATORS: the resident answered no to "Do you want us to forget you?".
        turn.say(turn._("Nothing has been deleted."))
        _carry_on(turn)
        return True
    turn.intents.append(ForgetContact())
    word = turn._(STATUS_WORD)
    confirmation = turn._(
        # TRANSLATORS: the last message after a resident confirmed "forget me"; everything about them has
        # been deleted. %(word)s is the command word "status" in their language.
        "Done. We have deleted how to reach you, our conversation and every link between you and your "
        "reports. Your reports are still being dealt with, without your details, and their references still "
        "work: send %(word)s and the reference. Send any message if you want to start again.", word=word)
    language = turn.lang
    turn.state.clear()  # the caller deletes the conversation; nothing of it is kept, not even the language
    turn.replies.append(Reply(text=confirmation, lang=language))
    return True


def _carry_on(turn: Turn) -> None:
    if turn.state.get("flow") in (None, "home"):
        turn.go("home", "menu")
        return
    # TRANSLATORS: after help, in the middle of a report or check, before asking the question again.
    turn.say(turn._("Let's carry on where you were."))
    ask(turn)
