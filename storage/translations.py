"""Machine translations kept beside residents' own words (AgendaItem.translation), so each is made once.

The words themselves never change here: a translation is English added beside them, always shown labelled
as machine translation. Which translator made it is the caller's business (bot/translator.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage import agenda
from storage.models import AgendaItem


@dataclass(frozen=True)
class Untranslated:
    """An agenda item still without English: what to send, and from which language."""

    item_id: int
    text: str
    language: str


def untranslated_agenda_items(session: Session, *, event_id: int) -> list[Untranslated]:
    """The meeting's items (every one organisers see, as in `events agenda`) that are not in English and have
    no translation yet, in the resident's own words."""
    return [
        Untranslated(item_id=item.item_id, text=item.text, language=item.language)
        for item in agenda.review_items(session, event_id=event_id)
        if item.translation is None and not _is_english(item.language)
    ]


def keep_agenda_translation(session: Session, *, item_id: int, translation: str) -> bool:
    """Keep English beside an item. False, and nothing changed, if the item is gone or already has one (two
    organisers at once: the first translation stays, and nobody pays for a third)."""
    item = session.get(AgendaItem, item_id)
    if item is None or item.translation is not None:
        return False
    item.translation = translation
    session.flush()
    return True


def _is_english(language: str) -> bool:
    return language.lower() == "en" or language.lower().startswith("en-")
