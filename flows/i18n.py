"""Shipped languages, their catalogues, and the digits and numbers residents read and type.

Catalogues are read straight from translations/<lang>/LC_MESSAGES/messages.po, so a clone needs no
compile step; a missing catalogue falls back to English text (and tests/test_translations.py fails).
"""
from __future__ import annotations

import gettext
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47, as in `lang:<code>` keys and ?lang=
    endonym: str  # the language's name in itself, which is how a resident recognises it
    rtl: bool = False
    digits: str = "0123456789"  # the digits residents read numbers in


# Adding a language: its catalogue under translations/ plus one line here (docs/translations.md).
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("bn", "বাংলা", digits="০১২৩৪৫৬৭৮৯"),
    Language("so", "Soomaali"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
DEFAULT_LANGUAGE = "en"


def _N(message: str) -> str:
    """Mark a string for extraction (`pybabel -k _N`); it is translated where it is shown."""
    return message


def is_shipped(code: str | None) -> bool:
    return code in BY_CODE


def shipped_or_default(code: str | None) -> str:
    """`code` if it is a shipped language, else the default: what a resident is written to in."""
    return code if is_shipped(code) else DEFAULT_LANGUAGE


def best_match(requested: str | None) -> str | None:
    """The shipped language for a hint like "so", "bn-BD" or "en_GB", or None."""
    if not requested:
        return None
    code = requested.replace("_", "-").strip()
    if code in BY_CODE:
        return code
    base = code.split("-")[0].lower()
    return base if base in BY_CODE else None


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext catalogue for a shipped language (English is the source text)."""
    po_path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang.replace("-", "_"))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def localise_digits(text: str, lang: str) -> str:
    """Write Latin digits in the language's own digits (Bengali readers see ১২৩)."""
    digits = BY_CODE.get(lang, BY_CODE[DEFAULT_LANGUAGE]).digits
    if digits == "0123456789":
        return text
    return text.translate(str.maketrans("0123456789", digits))


def parse_number(text: str) -> int | None:
    """A whole number typed in any script's digits (1, ১, ١, ۱), with an optional trailing dot."""
    cleaned = text.strip().rstrip(".)").strip()
    if not cleaned or len(cleaned) > 4:
        return None
    try:
        return int("".join(str(unicodedata.digit(char)) for char in cleaned))
    except (TypeError, ValueError):
        return None
