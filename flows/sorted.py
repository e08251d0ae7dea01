""""Was this sorted?" (rec 13): some time after a report closes, its resident says yes, partly or no.

    (the worker asks a private or named resident, through engine.begin; or the status check of a closed
    report asks whoever holds the reference, through `ask_after_status`)
    answer ─sorted:yes | sorted:partly | sorted:no→ comment (the answer is saved now) ─text or skip→ thanks
    comment ─text over COMMENT_MAX→ asked again, nothing more saved

The answer is saved the moment it is given (SaveSortedAnswer), with the closing it is about, so an answer
that arrives after staff closed the report again is not taken for the newer closing, and a resident who
says "no" and then goes quiet has still reopened the report and told its agencies
(storage/sorted_checks.py). The comment, when it comes, is added to that answer (AddSortedComment): the
same row and the same history entry. Keys are stable; docs/flows/sorted.md draws the same table.
"""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from flows.engine import Go, Miss, Question, Stay, Turn
from flows.status import spoken_date
from flows.types import AddSortedComment, Choice, ReportStatus, SaveSortedAnswer

ANSWERS = ("yes", "partly", "no")
# A few sentences: it is read by the officer beside the report, and the WhatsApp template around a
# message holds about a thousand characters.
COMMENT_MAX = 1000


def draft_for(reference: str, closed_at: datetime, *, via: str) -> dict:
    """What the question needs, as JSON the conversation can keep: the report and the closing it asks about."""
    return {"reference": reference, "closed_at": closed_at.isoformat(), "via": via}


def ask_after_status(turn: Turn, found: ReportStatus) -> bool:
    """After the status check told a closed report's status: ask about this closing unless it was answered
    already. Returns whether it asked (the caller otherwise goes back to the menu)."""
    if found.closed_at is None or found.sorted_answer is not None:
        return False
    turn.state["draft"] = draft_for(found.reference, found.closed_at, via="status_check")
    turn.go("sorted", "answer")
    return True


# --- answer --------------------------------------------------------------------------------------

def answer_prompt(turn: Turn) -> str:
    # TRANSLATORS: asked some time after a resident's report was closed. %(reference)s is its code
    # (TH-1234-ABCD), %(date)s the day it was closed. The answers are yes, partly and no.
    return turn._("Your report %(reference)s was closed on %(date)s. Was it sorted?",
                  reference=turn.draft["reference"],
                  date=spoken_date(turn, datetime.fromisoformat(turn.draft["closed_at"])))


def answer_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: answer to "was it sorted?" about a closed report.
        Choice("sorted:yes", turn._("Yes, it was sorted")),
        # TRANSLATORS: answer to "was it sorted?" about a closed report.
        Choice("sorted:partly", turn._("Partly")),
        # TRANSLATORS: answer to "was it sorted?" about a closed report.
        Choice("sorted:no", turn._("No, it was not sorted")),
    )


def on_answer(turn: Turn, key: str) -> Go:
    """Yes, partly or no: saved at once (a "no" reopens the report now, not after the comment), then an
    optional comment is asked for; the draft keeps the answer for the thanks."""
    draft = turn.draft
    draft["answer"] = key.removeprefix("sorted:")
    turn.intents.append(SaveSortedAnswer(reference=draft["reference"], answer=draft["answer"],
                                         closed_at=draft["closed_at"], via=draft.get("via", "question")))
    return Go("comment")


# --- comment -------------------------------------------------------------------------------------

def comment_prompt(turn: Turn) -> str:
    if turn.draft.get("answer") == "yes":
        # TRANSLATORS: after a resident said their closed report was sorted.
        return turn._("Thank you. Is there anything you would like to tell the team? Type it in your own "
                      "words, in any language, or choose \"Skip\".")
    if turn.draft.get("answer") == "no":
        # The report was reopened when they answered, so they are told now: one who goes quiet here
        # still knows. TRANSLATORS: after a resident said their closed report was not sorted.
        # %(reference)s is its code.
        return turn._("Thank you for telling us. We have reopened report %(reference)s and told the team. What "
                      "is still wrong? Type it in your own words, in any language, or choose \"Skip\".",
                      reference=turn.draft["reference"])
    # TRANSLATORS: after a resident said their closed report was only partly sorted.
    return turn._("Thank you for telling us. What is still wrong? Type it in your own words, in any "
                  "language, or choose \"Skip\".")


def comment_choices(turn: Turn) -> Sequence[Choice]:
    # TRANSLATORS: choice to pass an optional question.
    return (Choice("skip", turn._("Skip")),)


def on_comment_skipped(turn: Turn, key: str) -> Stay:
    """No comment: the answer was saved already; thanks."""
    return _thank(turn)


def on_comment(turn: Turn, text: str) -> Miss | Stay:
    """A comment: added to the answer saved a step ago. One too long is asked for again, shorter; nothing
    more is saved."""
    comment = text.strip()
    if len(comment) > COMMENT_MAX:
        # TRANSLATORS: the resident's comment about their report is longer than we keep.
        return Miss(turn._("Thank you. That is a little long for us to keep: please send it again in at most "
                           "%(limit)s characters.", limit=turn.number(COMMENT_MAX)))
    draft = turn.draft
    turn.intents.append(AddSortedComment(reference=draft["reference"], closed_at=draft["closed_at"],
                                         comment=comment, language=turn.lang))
    return _thank(turn)


def _thank(turn: Turn) -> Stay:
    draft = turn.draft
    answer = draft["answer"]
    if answer == "no":
        # TRANSLATORS: the last message after a resident said their closed report was not sorted (they were
        # told it was reopened a message earlier). %(reference)s is its code.
        turn.say(turn._("Thank you. You can check report %(reference)s at any time by sending "
                        "\"status %(reference)s\".", reference=draft["reference"]))
    elif answer == "partly":
        # TRANSLATORS: after a resident said their closed report was only partly sorted.
        turn.say(turn._("Thank you. We have passed your answer to the team, and it helps them see what still "
                        "needs doing."))
    else:
        # TRANSLATORS: after a resident said their closed report was sorted.
        turn.say(turn._("Thank you. We are glad it was sorted."))
    turn.end_flow()
    return Stay()


QUESTIONS = {
    "answer": Question(prompt=answer_prompt, choices=answer_choices, on_choice=on_answer),
    "comment": Question(prompt=comment_prompt, choices=comment_choices, on_choice=on_comment_skipped,
                        on_text=on_comment),
}
