"""The standard public replies staff choose from: short, plain texts per status, translated in the catalogues
(so a resident reads an accurate reply in their own language, not a machine's guess).

A reply is stored by its key (ReportUpdate.standard_reply) and rendered in whoever reads it's language at
the time they read it: the resident's notice, the status check in the asker's language, the staff page in
English. Keys are stable: never rename one that has been sent (old updates still name it). Texts promise
only what staff can do (rec 8: careful, respectful language; no promises we cannot keep).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flows import bidi, i18n
from flows.i18n import _N


@dataclass(frozen=True)
class StandardReply:
    """One standard reply: its stable key, the status it suits, and its English text (the catalogue's msgid)."""

    key: str
    status: str
    text: str


STANDARD_REPLIES: dict[str, StandardReply] = {reply.key: reply for reply in (
    StandardReply("received.thanks", "received",
                  # TRANSLATORS: a standard reply from staff to a resident who made a report. Plain and warm.
                  _N("Thank you for telling us. Your report has reached us and someone will look at it.")),
    StandardReply("received.more_details", "received",
                  # TRANSLATORS: a standard reply from staff. "Write back" means reply in this same chat.
                  _N("Thank you for your report. If you can tell us more, such as the exact place or the time it "
                     "usually happens, please write back here.")),
    StandardReply("in_progress.looking", "in_progress",
                  # TRANSLATORS: a standard reply from staff: they have started looking into the report.
                  _N("We are looking into your report. We will tell you when there is news.")),
    StandardReply("in_progress.partners", "in_progress",
                  # TRANSLATORS: a standard reply from staff: they are working with other organisations on it.
                  _N("We are working on this with the other organisations involved. It may take some time.")),
    StandardReply("action_taken.visit", "action_taken",
                  # TRANSLATORS: a standard reply from staff: an officer has been to the place reported.
                  _N("An officer has visited the place you told us about.")),
    StandardReply("action_taken.repair", "action_taken",
                  # TRANSLATORS: a standard reply from staff: a repair was asked for (e.g. a light, a door, a lock).
                  _N("We have asked for a repair at the place you told us about.")),
    StandardReply("action_taken.patrols", "action_taken",
                  # TRANSLATORS: a standard reply from staff: officers will pass by the place more often.
                  _N("Officers will pass by the area more often for a while.")),
    StandardReply("referred.housing", "referred",
                  # TRANSLATORS: a standard reply from staff: the report went to the resident's housing provider.
                  _N("We have passed your report to the housing provider, who can act on it. Your reference "
                     "stays the same.")),
    StandardReply("referred.council", "referred",
                  # TRANSLATORS: a standard reply from staff: the report went to the council's team.
                  _N("We have passed your report to the council's team, who can act on it. Your reference stays "
                     "the same.")),
    StandardReply("closed.resolved", "closed",
                  # TRANSLATORS: a standard reply from staff when closing a report that has been dealt with.
                  _N("We have closed your report because the problem has been dealt with. Thank you for telling "
                     "us. If it happens again, please report it again.")),
    StandardReply("closed.no_action_possible", "closed",
                  # TRANSLATORS: a standard reply from staff when closing a report they could not act on.
                  # Honest, not dismissive.
                  _N("We have closed your report. We are sorry that we could not do more this time. If it "
                     "happens again, please report it again.")),
    StandardReply("closed.duplicate", "closed",
                  # TRANSLATORS: a standard reply from staff when a report is the same as one already made.
                  _N("We have closed your report because the same problem was already reported. We are dealing "
                     "with it there.")),
)}


def replies_for_status(status: str) -> list[StandardReply]:
    """The standard replies that suit `status`, in the order staff see them."""
    return [reply for reply in STANDARD_REPLIES.values() if reply.status == status]


def standard_reply_text(key: str, lang: str) -> Optional[str]:
    """The reply's text in `lang` (English for a language not shipped); None for an unknown key."""
    reply = STANDARD_REPLIES.get(key)
    if reply is None:
        return None
    return i18n.translations(i18n.shipped_or_default(lang)).gettext(reply.text)


def public_reply_for(lang: str, *, standard_reply: Optional[str], message: Optional[str],
                     message_language: Optional[str], machine_translated: bool) -> Optional[str]:
    """The public reply as a reader in `lang` sees it (the notice and the status check say it the same
    way): a standard reply in their language; free words as sent, with a note when a machine translated
    them or when they are in English and the reader's language is not."""
    lang = i18n.shipped_or_default(lang)
    catalogue = i18n.translations(lang)
    if standard_reply:
        text = standard_reply_text(standard_reply, lang)
        if text is not None:
            return text
    if not message:
        return None
    if machine_translated:
        # TRANSLATORS: added after a staff reply that a machine translated into the resident's language.
        return message + " " + catalogue.gettext("(This message was translated by a machine.)")
    if (message_language or "en") == "en" and lang != "en":
        # TRANSLATORS: added after a staff reply that is not in the resident's language.
        return bidi.fill(catalogue.gettext("%(message)s (written in English)"), {"message": message}, lang)
    return message
