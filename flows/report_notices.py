"""What a resident is sent when staff change their report: the new status in their language, the reply (a
standard one from the catalogue, or the officer's own words, labelled when a machine translated them or
when they stay in English), and how to check again. Pure: bot/report_notify.py queues it.

On a phone (Telegram, WhatsApp, SMS) a message the resident did not just ask for shows on the lock screen,
so it must not reveal a report: what is sent is the neutral notice ("Safer Homes: there is an update for
you. Reply 1 to see it.", with a button on Telegram), and what it is about is kept in their conversation
state (`with_notice`: kinds, references and update ids, nothing more). Their answer shows it:

    any point ─neutral notice arrives→ pending "notice" over whatever they were doing
    notice:show (or 1) → each update told as it was written (status_update_notice, merged_notice); a "was this
                         sorted?" question is then asked itself (flows/sorted.py); else carry on where they were
    anything else      → the notice is dropped and the message handled as usual (by the question it came
                         over, if any: OVER); the update stays one `status TH-…` away

The web chat keeps the full text: it is a page the resident has open, with no lock screen to show it.
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Optional

from flows.engine import Turn, ask, match_choice
from flows.notices import _Words
from flows.staff_replies import public_reply_for
from flows.status import STATUS_LABELS, STATUS_WORD
from flows.types import Choice, Reply

PENDING = "notice"
SHOW = "notice:show"
# At most this many notices wait for one resident; older ones are still one status check away.
MAX_NOTICES = 10
# What a notice is about: a staff update (its ReportUpdate id) or a merge, or "was this sorted?" about a
# closing (ISO 8601, as the sorted flow's draft keeps it).
UPDATE, SORTED = "update", "sorted"
# The overlay a notice came over, still waiting for its answer ("Do you want us to forget you?", "Welcome
# back"): passing the notice over gives it back, so that question's buttons and words still answer it.
# Without it, "Yes, forget me" reached the step beneath, where at a report's last step the same key sends it.
OVER = "notice_over"


def status_update_notice(lang: str, *, reference: str, status: str, standard_reply: Optional[str] = None,
                         message: Optional[str] = None, message_language: Optional[str] = None,
                         machine_translated: bool = False) -> str:
    """The message a private or named resident gets when staff update their report."""
    words = _Words(lang)
    lines = [
        # TRANSLATORS: first line of a message to a resident when staff update their report.
        # %(status)s is one of the report statuses ("being looked into", ...). Keep %(reference)s as it is.
        words._("Update on your report %(reference)s: %(status)s.", reference=reference,
                status=words._(STATUS_LABELS[status])),
    ]
    reply = public_reply_for(words.lang, standard_reply=standard_reply, message=message,
                             message_language=message_language, machine_translated=machine_translated)
    if reply:
        lines.append(reply)
    lines.append(_check_again(words, reference))
    return "\n".join(lines)


def merged_notice(lang: str, *, reference: str) -> str:
    """The message a private or named resident gets when staff join their report with another about the
    same problem: nothing is lost and their reference still answers."""
    words = _Words(lang)
    return "\n".join([
        # TRANSLATORS: sent to a resident when staff join their report with another report about the same
        # problem. Keep %(reference)s as it is.
        words._("Your report %(reference)s is about the same problem as another report, so we have joined them "
                "and will deal with them together. Nothing you told us is lost.", reference=reference),
        _check_again(words, reference),
    ])


def _check_again(words: _Words, reference: str) -> str:
    # TRANSLATORS: the end of an update about a report. %(word)s is the command word "status" in the
    # resident's language and %(reference)s the report's code: the resident types both.
    return words._("To see the latest at any time, send: %(word)s %(reference)s", word=words._(STATUS_WORD),
                   reference=reference)


# --- the neutral notice ---------------------------------------------------------------------------

def show_choice(words) -> Choice:
    # TRANSLATORS: the button (or numbered choice) under "there is an update for you": show it now.
    return Choice(SHOW, words._("See the update"))


def neutral_notice(lang: str) -> Reply:
    """What a phone is sent instead of an update: nothing about a report, should someone else see the screen."""
    words = _Words(lang)
    # TRANSLATORS: sent to a resident's phone instead of an update about their report, so a lock screen or
    # someone holding the phone learns nothing. Keep "1": it is what they reply.
    text = words._("Safer Homes: there is an update for you. Reply 1 to see it.")
    return Reply(text=text, lang=words.lang, choices=(show_choice(words),))


def update_notice(*, reference: str, update_id: int) -> dict:
    """What the neutral notice for a staff update (or merge) will show: kept in the conversation state."""
    return {"kind": UPDATE, "reference": reference, "update_id": update_id}


def sorted_notice(*, reference: str, closed_at: datetime) -> dict:
    """What the neutral notice for "was this sorted?" will ask about."""
    return {"kind": SORTED, "reference": reference, "closed_at": closed_at.isoformat()}


def with_notice(state: Optional[dict], notice: dict) -> dict:
    """The conversation state with `notice` waiting to be shown on their next "1" (a new state; pure).

    Notices left from before an answer that dropped them are not shown again: only those since the last one
    the resident answered or passed over are kept, the newest MAX_NOTICES."""
    new = copy.deepcopy(state or {})
    waiting = list(new.get("notices", [])) if new.get("pending") == PENDING else []
    if new.get("pending") != PENDING:
        if new.get("pending"):
            new[OVER] = new["pending"]
        else:
            new.pop(OVER, None)
    if notice not in waiting:
        waiting.append(notice)
    new["notices"] = waiting[-MAX_NOTICES:]
    new["pending"] = PENDING
    return new


def answer_to_notice(turn: Turn, text: str) -> bool:
    """The resident's message after a neutral notice. "1" (or the button) shows what it was about and returns
    True; anything else drops the notice (the update stays one status check away) and returns False, for the
    caller to handle the message as it would have without it (the question it came over waits for it again).
    Shown, the question it came over is dropped: they answered the notice, and may ask again."""
    turn.state.pop("pending", None)
    notices = turn.state.pop("notices", [])
    over = turn.state.pop(OVER, None)
    if not asks_to_see(turn.lang, text=text, choice=turn.inbound.choice):
        if over:
            turn.state["pending"] = over
        return False
    if not notices:
        return False
    sorted_question = None
    for notice in notices:
        if not _well_formed(notice):
            continue  # a state written by hand or by an older version: nothing to show for it
        if notice["kind"] == SORTED:
            sorted_question = notice  # asked after the updates: a question must be the last message
        else:
            _tell_update(turn, notice)
    if sorted_question is not None:
        from flows import sorted as sorted_flow

        turn.state["draft"] = sorted_flow.draft_for(sorted_question["reference"],
                                                    datetime.fromisoformat(sorted_question["closed_at"]), via="question")
        turn.go("sorted", "answer")
        return True
    _carry_on(turn)
    return True


def _well_formed(notice) -> bool:
    if not isinstance(notice, dict) or not isinstance(notice.get("reference"), str):
        return False
    if notice.get("kind") == UPDATE:
        return type(notice.get("update_id")) is int
    if notice.get("kind") == SORTED:
        try:
            return datetime.fromisoformat(str(notice.get("closed_at"))).tzinfo is not None
        except ValueError:
            return False
    return False


def asks_to_see(lang: str, *, text: Optional[str], choice: Optional[str]) -> bool:
    """Whether a message answers the neutral notice: its button, "1" in any digits, or its label typed."""
    if choice is not None:
        return choice == SHOW
    return bool(text) and match_choice(text.strip(), (show_choice(_Words(lang)),)) == SHOW


def _tell_update(turn: Turn, notice: dict) -> None:
    reference = notice["reference"]
    found = turn.ctx.lookup_update(reference, notice["update_id"])
    if found is None:
        # Gone since (retention, or merged away): the status check says what there is, or that there is none.
        from flows import status

        status.tell_status(turn, reference)
        return
    if found.action == "merge":
        turn.say(merged_notice(turn.lang, reference=reference))
        return
    turn.say(status_update_notice(turn.lang, reference=reference, status=found.status,
                                  standard_reply=found.standard_reply, message=found.public_message,
                                  message_language=found.message_language,
                                  machine_translated=found.machine_translated))


def _carry_on(turn: Turn) -> None:
    """Back to what they were doing: the question they were on, or the menu."""
    flow = turn.state.get("flow")
    if flow is None:
        return  # nothing under way (they had said stop): the update is all
    if flow == "home":
        ask(turn)
        return
    # TRANSLATORS: after help, in the middle of a report or check, before asking the question again.
    turn.say(turn._("Let's carry on where you were."))
    ask(turn)
