"""What a resident is sent when staff change their report: the new status in their language, the reply (a
standard one from the catalogue, or the officer's own words, labelled when a machine translated them or
when they stay in English), and how to check again. Pure: bot/report_notify.py queues it."""
from __future__ import annotations

from typing import Optional

from flows.notices import _Words
from flows.staff_replies import public_reply_for
from flows.status import STATUS_LABELS, STATUS_WORD


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
