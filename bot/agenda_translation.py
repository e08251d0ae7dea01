"""English beside residents' "have your say" items (issue 5), made once by the configured translator and kept.

Organisers read items in the residents' own words; with TRANSLATOR set, each item not in English also gets a
machine translation, stored on the item (storage/translations.py) so a second look asks the translator
nothing. A failed translation is not stored: the next look tries again.
"""
from __future__ import annotations

from sqlmodel import Session

from bot.translator import Translation, Translator
from storage import translations


def translate_missing(session: Session, translator: Translator, *, event_id: int) -> dict[int, Translation]:
    """Fill the translations the meeting's items lack (one request per item, never one for an item that has
    one) and answer those made now, by item id. The caller commits. With TRANSLATOR=none nothing is sent."""
    if not translator.enabled:
        return {}
    made: dict[int, Translation] = {}
    for item in translations.untranslated_agenda_items(session, event_id=event_id):
        translation = translator.translate(item.text, source=item.language, target="en")
        if translation is None:
            continue
        if translations.keep_agenda_translation(session, item_id=item.item_id, translation=translation.text):
            made[item.item_id] = translation
    return made
