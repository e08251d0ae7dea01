"""After an event: "how was it?" (1 to 5, then an optional comment) and "what should the next meeting discuss?".

    (the worker asks, through engine.begin) rating ─rate:<n>→ comment ─text or skip→ next ─text or skip→ thanks
    rating ─absent ("I could not go")→ thanks, nothing saved
    comment saves the feedback (SaveFeedback, kept without who gave it); next becomes an agenda item for the
    ward's next meeting (SaveAgendaItem with no event), or for the event itself when it had no ward.

The event has passed, so it is not looked up (lookups answer for upcoming events only): the worker puts what
the question needs to name it in the draft (`draft_for`). docs/flows/feedback.md draws the same table.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from flows.engine import Go, Question, Stay, Turn
from flows.events import describe_event
from flows.types import Choice, EventInfo, SaveAgendaItem, SaveFeedback

RATINGS = (1, 2, 3, 4, 5)
COMMENT_MAX = 2000


def draft_for(event: EventInfo) -> dict:
    """What the feedback flow needs to know about a finished event, as JSON the conversation can keep."""
    return {"event_id": event.event_id, "title": event.title, "titles": dict(event.titles),
            "machine_translated": list(event.machine_translated), "starts_at": event.starts_at.isoformat(),
            "place": event.space_name or event.place or event.ward_name, "ward_slug": event.ward_slug}


def _event_line(turn: Turn) -> str:
    draft = turn.draft
    event = EventInfo(event_id=draft["event_id"], title=draft["title"], titles=draft.get("titles", {}),
                      machine_translated=tuple(draft.get("machine_translated", ())),
                      starts_at=datetime.fromisoformat(draft["starts_at"]), place=draft.get("place"))
    return describe_event(turn.lang, event)


def _skip(turn: Turn) -> Choice:
    # TRANSLATORS: choice to pass an optional question.
    return Choice("skip", turn._("Skip"))


# --- rating --------------------------------------------------------------------------------------

def rating_prompt(turn: Turn) -> str:
    # TRANSLATORS: asked after a meeting the resident said they would come to. %(event)s is its title,
    # date and place. Answers are 1 (very poor) to 5 (very good).
    return turn._("How was %(event)s? Choose from 1 (very poor) to 5 (very good).", event=_event_line(turn))


def rating_choices(turn: Turn) -> Sequence[Choice]:
    labels = {
        # TRANSLATORS: a rating of a meeting; %(n)s is the number 1.
        1: turn._("%(n)s – very poor", n=turn.number(1)),
        # TRANSLATORS: a rating of a meeting; %(n)s is the number 2.
        2: turn._("%(n)s – poor", n=turn.number(2)),
        # TRANSLATORS: a rating of a meeting; %(n)s is the number 3.
        3: turn._("%(n)s – all right", n=turn.number(3)),
        # TRANSLATORS: a rating of a meeting; %(n)s is the number 4.
        4: turn._("%(n)s – good", n=turn.number(4)),
        # TRANSLATORS: a rating of a meeting; %(n)s is the number 5.
        5: turn._("%(n)s – very good", n=turn.number(5)),
    }
    # In this order, so that a typed "4" (in any script) is choice 4: rate:4.
    ratings = tuple(Choice(f"rate:{n}", labels[n]) for n in RATINGS)
    # TRANSLATORS: answer to "how was the meeting?" from someone who did not go after all.
    return ratings + (Choice("absent", turn._("I could not go")),)


def on_rating(turn: Turn, key: str) -> Go | Stay:
    """A rating: next, an optional comment. Someone who could not go is thanked and asked nothing more."""
    if key == "absent":
        # TRANSLATORS: after a resident says they could not go to a meeting.
        turn.say(turn._("Thank you for letting us know. We hope to see you at another meeting."))
        turn.end_flow()
        return Stay()
    turn.draft["rating"] = int(key.removeprefix("rate:"))
    return Go("comment")


# --- comment -------------------------------------------------------------------------------------

def comment_prompt(turn: Turn) -> str:
    # TRANSLATORS: after the resident rated a meeting.
    return turn._("Thank you. Is there anything you would like to tell the organisers about it? Type it in "
                  "your own words, in any language, or choose \"Skip\".")


def on_comment_skipped(turn: Turn, key: str) -> Go:
    """No comment: the rating is saved and we ask about the next meeting."""
    return _save_feedback(turn, None)


def on_comment(turn: Turn, text: str) -> Go:
    """A comment: saved with the rating, then we ask about the next meeting."""
    return _save_feedback(turn, text.strip()[:COMMENT_MAX])


def _save_feedback(turn: Turn, comment: Optional[str]) -> Go:
    turn.intents.append(SaveFeedback(event_id=turn.draft["event_id"], rating=turn.draft["rating"],
                                     comment=comment or None, language=turn.lang))
    return Go("next")


# --- what the next meeting should discuss ----------------------------------------------------------

def next_prompt(turn: Turn) -> str:
    # TRANSLATORS: after "how was it?". Residents' answers go on the agenda of their ward's next meeting;
    # organisers read every one and show other residents only those they approve.
    return turn._("Thank you, the organisers will read it. What should the next meeting discuss? Type it in "
                  "your own words, in any language, or choose \"Skip\". If the organisers approve it, other "
                  "residents may see it, so please do not include anyone's name or address.")


def on_next_skipped(turn: Turn, key: str) -> Stay:
    """Nothing for the next meeting: thank them and go back to the menu."""
    return _thanks(turn)


def on_next(turn: Turn, text: str) -> Stay:
    """An item for the next meeting: on the ward's list (or the event's own when it had no ward)."""
    ward_slug = turn.draft.get("ward_slug")
    turn.intents.append(SaveAgendaItem(event_id=None if ward_slug else turn.draft["event_id"], ward_slug=ward_slug,
                                       topic="other", text=text.strip(), language=turn.lang))
    # TRANSLATORS: after a resident suggested something for the next meeting to discuss.
    turn.say(turn._("Thank you. The organisers of the next meeting will see it. If they approve it, others can "
                    "back it."))
    return _thanks(turn)


def _thanks(turn: Turn) -> Stay:
    # TRANSLATORS: the end of the questions after a meeting.
    turn.say(turn._("Thank you for taking part."))
    turn.end_flow()
    return Stay()


QUESTIONS = {
    "rating": Question(prompt=rating_prompt, choices=rating_choices, on_choice=on_rating),
    "comment": Question(prompt=comment_prompt, choices=lambda turn: (_skip(turn),), on_choice=on_comment_skipped,
                        on_text=on_comment),
    "next": Question(prompt=next_prompt, choices=lambda turn: (_skip(turn),), on_choice=on_next_skipped,
                     on_text=on_next),
}
