"""What a resident reads when their messages are not taken in because too many came at once (bot/flood.py
counts them): one kind, calm reply that says how long to wait and that 999 is there in an emergency.
Pure: the caller says which limit it was and how many seconds are left."""
from __future__ import annotations

import math

from flows import bidi, i18n
from flows.types import Reply

# Why the messages were not taken in: this contact sent too many, or too many came from their network (the
# web chat's per-address limit, which a whole library, refuge or mobile network may share).
CONTACT = "contact"
NETWORK = "network"


def flood_reply(lang: str, *, limit: str, retry_after_seconds: float) -> Reply:
    """The one reply to messages refused by a flood limit, in `lang`, with the wait in whole minutes."""
    lang = i18n.shipped_or_default(lang)
    catalogue = i18n.translations(lang)
    minutes = max(1, math.ceil(retry_after_seconds / 60))
    if limit == NETWORK:
        # TRANSLATORS: the web chat, when very many messages come from one internet connection at once (it may
        # be shared by a whole library, refuge or mobile network, so the resident did nothing wrong).
        # %(n)s is a number of minutes. Keep "999" as it is: the emergency number.
        text = catalogue.ngettext(
            "Very many messages are coming from your internet connection just now, so we could not take in "
            "what you just sent. Please wait %(n)s minute and try again. If someone is in danger, call 999.",
            "Very many messages are coming from your internet connection just now, so we could not take in "
            "what you just sent. Please wait %(n)s minutes and try again. If someone is in danger, call 999.",
            minutes)
    else:
        # TRANSLATORS: sent once when a resident sends many messages very quickly; the messages after it are
        # not read until the wait is over. Kind, not a telling-off. %(n)s is a number of minutes. Keep "999"
        # as it is: the emergency number.
        text = catalogue.ngettext(
            "You are sending messages faster than we can read them, so we could not take in what you just "
            "sent. Please wait %(n)s minute and try again. If someone is in danger, call 999.",
            "You are sending messages faster than we can read them, so we could not take in what you just "
            "sent. Please wait %(n)s minutes and try again. If someone is in danger, call 999.",
            minutes)
    return Reply(text=bidi.fill(text, {"n": i18n.localise_digits(str(minutes), lang)}, lang), lang=lang)
