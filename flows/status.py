"""The status check: anyone holding a reference code can see where that report stands."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Optional

from flows import i18n
from flows.dates import DATE, london_day
from flows.engine import REFERENCE_PATTERN, Go, Miss, Question, Stay, Turn
from flows.i18n import _N
from flows.i18n import LANGUAGES
from flows.staff_replies import public_reply_for
from flows.types import ReportStatus

# The same alphabet as storage/references.py, which makes the codes (flows may not import storage).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Crockford decoding forgives the letters people confuse with digits.
_FORGIVEN = str.maketrans({"I": "1", "L": "1", "O": "0"})

STATUS_WORD = "status"  # marked for translation with the other command words in flows/home.py

STATUS_LABELS = {
    # TRANSLATORS: a report's status: it has arrived and is waiting to be looked at.
    "received": _N("received, waiting to be looked at"),
    # TRANSLATORS: a report's status.
    "in_progress": _N("being looked into"),
    # TRANSLATORS: a report's status.
    "action_taken": _N("action has been taken"),
    # TRANSLATORS: a report's status: passed to another organisation better placed to act.
    "referred": _N("passed to another organisation"),
    # TRANSLATORS: a report's status.
    "closed": _N("closed"),
}


def normalise_reference(raw: str) -> Optional[str]:
    """TH-XXXX-XXXX from what a resident typed (any case, spaces or none, O for 0, any script's digits,
    full-width letters from a Chinese keyboard); None if invalid."""
    # NFKC turns full-width forms into Latin ones; Arabic-Indic, Urdu and Bengali digits it leaves, so
    # each decimal digit is written as its Latin one.
    latin = "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char
                    for char in unicodedata.normalize("NFKC", raw))
    match = REFERENCE_PATTERN.search(latin.upper())
    if not match:
        return None
    body = (match.group(1) + match.group(2)).translate(_FORGIVEN)
    if any(char not in CROCKFORD for char in body):
        return None
    return f"TH-{body[:4]}-{body[4:]}"


@lru_cache(maxsize=None)
def _status_words() -> tuple[str, ...]:
    """The status word in English and every shipped language, as typed words are compared, longest first (so a
    word that starts another is tried after it): worked out once, as nearly every message is checked."""
    words = {STATUS_WORD} | {i18n.translations(language.code).gettext(STATUS_WORD) for language in LANGUAGES}
    return tuple(sorted({i18n.matchable(word) for word in words}, key=len, reverse=True))


def reference_in_command(text: str) -> Optional[str]:
    """The reference in "status TH-XXXX-XXXX" (the word in English or any shipped language)."""
    if not text:
        return None
    typed = i18n.matchable(unicodedata.normalize("NFKC", text))  # full-width ＴＨ from a Chinese keyboard
    for word in _status_words():
        rest = typed.removeprefix(word)
        # Chinese is written without spaces ("查询TH-…") and with a full-width one or colon ("查询：TH-…"), so
        # the word may be followed by a space of any kind, a colon, or the reference itself.
        if rest != typed and (not rest or rest[0].isspace() or rest[0] in ":：" or rest.startswith("th")):
            return normalise_reference(rest.lstrip(":：").strip())
    return None


def tell_status(turn: Turn, reference: str) -> Optional[ReportStatus]:
    """Say the report's status and latest public update, or that the reference is unknown; returns it."""
    found = turn.ctx.lookup_report(reference)
    if found is None:
        turn.say(
            # TRANSLATORS: a status check for a reference code that matches no report.
            turn._(
                "I couldn't find a report with the reference %(reference)s. Please check the code and "
                "try again.",
                reference=reference,
            )
        )
        return None
    lines = [
        # TRANSLATORS: status check answer. %(status)s is one of the report statuses.
        turn._(
            "Report %(reference)s, sent on %(date)s: %(status)s.",
            reference=reference,
            date=spoken_date(turn, found.received_at),
            status=turn._(STATUS_LABELS[found.status]),
        )
    ]
    # A standard reply reads in the asker's language (the catalogue's); free words as they were sent.
    reply = public_reply_for(turn.lang, standard_reply=found.latest_standard_reply, message=found.latest_message,
                             message_language=found.latest_message_language,
                             machine_translated=found.latest_machine_translated)
    if reply:
        lines.append(
            # TRANSLATORS: the latest public reply from the council, housing provider or police.
            turn._(
                "Latest update, %(date)s: %(message)s",
                date=spoken_date(turn, found.latest_update_at or found.received_at),
                message=reply,
            )
        )
    turn.say("\n".join(lines))
    return found


def ask_whether_sorted(turn: Turn, found: Optional[ReportStatus]) -> bool:
    """After the status of a closed report: whoever holds the reference is asked "was this sorted?" about
    this closing, unless it was answered already (flows/sorted.py). Returns whether it asked."""
    from flows import sorted as sorted_flow  # flows/sorted.py imports this module for spoken_date

    return found is not None and sorted_flow.ask_after_status(turn, found)


def spoken_date(turn: Turn, moment) -> str:
    """A day as the resident reads it: "3 March 2026" ("2026年3月3日") in their language and digits, London time."""
    return london_day(turn.lang, moment, DATE)


def reference_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking for a reference code; keep "TH-1234-ABCD" as it is.
    return turn._("Please type your report's reference. It looks like TH-1234-ABCD.")


def on_reference(turn: Turn, text: str) -> Go | Miss | Stay:
    """The resident typed a reference: tell them its status, then ask "was it sorted?" if it was closed
    and nobody answered yet, else show the menu."""
    reference = normalise_reference(re.sub(r"\s+", " ", text))
    if reference is None:
        # TRANSLATORS: the text typed does not look like a reference code.
        return Miss(turn._("That doesn't look like a reference code."))
    found = tell_status(turn, reference)
    if not ask_whether_sorted(turn, found):
        turn.end_flow()
    return Stay()


QUESTIONS = {"reference": Question(prompt=reference_prompt, on_text=on_reference)}
