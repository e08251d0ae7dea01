"""English beside residents' "have your say" items (issue 5), made once by the configured translator and kept.

Organisers read items in the residents' own words; with TRANSLATOR set, each item not in English also gets a
machine translation, stored on the item (storage/translations.py) so a second look asks the translator
nothing. A failed translation is not stored: the next look tries again.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine
from sqlmodel import Session

from bot.translator import Translation, Translator
from storage import translations
from storage.database import new_session
from storage.translations import Untranslated


def missing_translations(session: Session, translator: Translator, *, event_id: int) -> list[Untranslated]:
    """The meeting's items that want English (none with TRANSLATOR=none: nothing is to be sent)."""
    if not translator.enabled:
        return []
    return translations.untranslated_agenda_items(session, event_id=event_id)


def translate_items(translator: Translator, items: Sequence[Untranslated]) -> dict[int, Translation]:
    """Ask the translator for each item, one request each (each may wait up to its timeout), by item id; the
    failed are left out. No database here: call it with no transaction open, so a slow translator holds
    no connection and no lock."""
    made: dict[int, Translation] = {}
    for item in items:
        translation = translator.translate(item.text, source=item.language, target="en")
        if translation is not None:
            made[item.item_id] = translation
    return made


def keep_translations(session: Session, made: dict[int, Translation]) -> dict[int, Translation]:
    """Keep what `translate_items` made; answer those kept. An item translated meanwhile (two organisers at
    once) or gone keeps what it has. The caller commits."""
    return {item_id: translation for item_id, translation in made.items()
            if translations.keep_agenda_translation(session, item_id=item_id, translation=translation.text)}


def translate_missing(engine: Engine, translator: Translator, *, event_id: int) -> dict[int, Translation]:
    """Fill the translations the meeting's items lack (one request per item, never one for an item that has
    one) and answer those made now, by item id: read in one short transaction, translate with none open,
    keep them in a second. With TRANSLATOR=none nothing is sent."""
    with new_session(engine) as session:
        items = missing_translations(session, translator, event_id=event_id)
    if not items:
        return {}
    made = translate_items(translator, items)
    if not made:
        return {}
    with new_session(engine) as session:
        kept = keep_translations(session, made)
        session.commit()
    return kept
