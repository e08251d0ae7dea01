"""What residents are told outside a conversation about an event they answered: a reminder before it,
a notice when it moves or is cancelled, and one when a place opens for them on the waiting list. Pure,
like the flows: the caller queues the replies (bot/reminders.py, bot/notify.py) in the resident's language,
on their channel.
"""
from __future__ import annotations

from typing import Optional

from flows import bidi, i18n
from flows.events import CALENDAR_LINK, describe_event
from flows.types import EventInfo, Reply


class _Words:
    """The resident's catalogue, as `turn._` gives it inside a conversation."""

    def __init__(self, lang: str):
        self.lang = i18n.shipped_or_default(lang)

    def _(self, msgid: str, /, **params) -> str:
        text = i18n.translations(self.lang).gettext(msgid)
        return bidi.fill(text, params, self.lang) if params else bidi.as_written(text, self.lang)

    def reply(self, text: str) -> tuple[Reply, ...]:
        return (Reply(text=text, lang=self.lang),)


def _change_answer(words: _Words, event: EventInfo) -> str:
    # TRANSLATORS: the end of a reminder. Keep "RSVP" and %(number)s as they are: the resident types them.
    return words._("To change your answer, send RSVP %(number)s", number=event.event_id)


def reminder(lang: str, event: EventInfo) -> tuple[Reply, ...]:
    """A reminder before an event the resident has a place at: what, when (London time), where."""
    words = _Words(lang)
    # TRANSLATORS: a reminder sent before a meeting the resident said they are coming to.
    # %(event)s is the title, day, London time and place.
    text = words._("Reminder: you are coming to %(event)s. We look forward to seeing you.",
                   event=describe_event(words.lang, event))
    return words.reply(text + "\n" + _change_answer(words, event))


def moved(lang: str, event: EventInfo) -> tuple[Reply, ...]:
    """The event the resident answered has a new time or place; `event` holds the new ones."""
    words = _Words(lang)
    # TRANSLATORS: sent when a meeting the resident answered has changed time or place.
    # %(event)s is the title with the NEW day, London time and place.
    text = words._("A meeting you replied to has changed. It is now: %(event)s.", event=describe_event(words.lang, event))
    return words.reply(text + "\n" + _change_answer(words, event))


def cancelled(lang: str, event: EventInfo) -> tuple[Reply, ...]:
    """The event the resident answered will not happen."""
    words = _Words(lang)
    # TRANSLATORS: sent when a meeting the resident said they are coming to (or are waiting for a place
    # at) is cancelled. %(event)s is the title, day, London time and place it was going to have.
    text = words._("Sorry, this meeting has been cancelled: %(event)s. You do not need to do anything.",
                   event=describe_event(words.lang, event))
    return words.reply(text)


def place_offered_notice(lang: str, event: EventInfo, *, calendar_url: Optional[str] = None) -> str:
    """What someone moved up from the waiting list is sent (bot/notify.py queues it)."""
    words = _Words(lang)
    # TRANSLATORS: sent when someone on the waiting list is given a place that another person gave up.
    # %(event)s is the title, day, time and place; keep “RSVP %(id)s” as it is (it is what they send back).
    text = words._("Good news: a place has opened for you at %(event)s. You are on the list now. If you "
                   "can't come after all, send “RSVP %(id)s” to give your place to someone else.",
                   event=describe_event(words.lang, event), id=i18n.localise_digits(str(event.event_id), words.lang))
    if calendar_url:
        text += "\n" + words._(CALENDAR_LINK, url=calendar_url)
    return text
