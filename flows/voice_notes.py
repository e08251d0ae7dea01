"""What a resident reads when the web chat could not take the voice message they recorded (too long, or not a
recording we can keep). Pure: the caller says the language; nothing of the recording was kept."""
from __future__ import annotations

from flows import i18n
from flows.types import Reply


def recording_refused_reply(lang: str) -> Reply:
    """The one reply to a recording the web chat refused, in `lang`; the question on screen stays as it was."""
    lang = i18n.shipped_or_default(lang)
    # TRANSLATORS: the web chat, when a voice message the resident recorded could not be kept (too long, or
    # the browser made something we cannot play). Nothing was sent; they can record again or type.
    text = i18n.translations(lang).gettext("We could not keep that voice message. Please record a shorter one, or "
                                           "type instead.")
    return Reply(text=text, lang=lang)
