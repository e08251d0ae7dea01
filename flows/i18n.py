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
    code: str  # BCP 47, as in `lang:<code>` keys and ?lang=, and the name of its folder under translations/
    endonym: str  # the language's name in itself, which is how a resident recognises it
    rtl: bool = False
    digits: str = "0123456789"  # the digits residents read numbers in (any script's digits are accepted typed)
    # The easy-read wording set (msgctxt "easy read") is written for these; elsewhere it is not offered.
    easy_read: bool = False
    # The staff workspace's own words are translated for these; staff pages offer only these languages.
    # Every resident-facing and public word is translated in every language.
    staff_pages: bool = False


# Adding a language: its catalogue under translations/ plus one line here (docs/translations.md).
# design.md's order: English and the two first languages, then the borough's other community languages.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", easy_read=True, staff_pages=True),
    Language("bn", "বাংলা", digits="০১২৩৪৫৬৭৮৯", easy_read=True, staff_pages=True),
    Language("so", "Soomaali", easy_read=True, staff_pages=True),
    Language("ur", "اردو", rtl=True),
    Language("ar", "العربية", rtl=True),
    Language("zh-Hans", "中文（简体）"),
    Language("zh-Hant", "中文（繁體）"),
    Language("pl", "Polski"),
    Language("lt", "Lietuvių"),
    Language("es", "Español"),
    Language("pt", "Português"),
    Language("it", "Italiano"),
    Language("fr", "Français"),
    Language("tr", "Türkçe"),
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


# Chinese is shipped by script, not by country: a hint names a region more often than a script.
_TRADITIONAL_CHINESE_REGIONS = {"tw", "hk", "mo"}


def best_match(requested: str | None) -> str | None:
    """The shipped language for a hint like "so", "bn-BD", "en_GB", "zh-hant" or "zh-TW", or None."""
    if not requested:
        return None
    code = requested.replace("_", "-").strip()
    if code in BY_CODE:
        return code
    parts = code.lower().split("-")
    if parts[0] == "zh":
        traditional = "hant" in parts or ("hans" not in parts and bool(_TRADITIONAL_CHINESE_REGIONS & set(parts)))
        return "zh-Hant" if traditional else "zh-Hans"
    return parts[0] if parts[0] in BY_CODE else None


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


def babel_locale(lang: str) -> str:
    """The Babel locale for dates, lists and numbers in `lang`; English here is British ("a, b and c",
    "Thursday 14 January")."""
    return "en_GB" if lang == DEFAULT_LANGUAGE else lang.replace("-", "_")


def parse_number(text: str) -> int | None:
    """A whole number typed in any script's digits (1, ১, ١, ۱), with an optional trailing dot."""
    cleaned = text.strip().rstrip(".)").strip()
    if not cleaned or len(cleaned) > 4:
        return None
    try:
        return int("".join(str(unicodedata.digit(char)) for char in cleaned))
    except (TypeError, ValueError):
        return None


# Letters a phone keyboard may not offer that do not come apart into a letter and an accent.
_PLAIN_LATIN = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def matchable(text: str) -> str:
    """`text` as typed words are compared with command words and labels: case-folded, with single spaces, and
    accents taken off Latin letters, because a resident with an English keyboard types "jezyk", "yardim" or
    "menu" for "język", "yardım" and "menú"; likewise Arabic script's vowel marks and hamza, which most people
    leave out when typing ("ابدا" for "ابدأ"). Marks on other scripts' letters (Bengali vowel signs) are kept:
    they change the word."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", " ".join(text.casefold().split())):
        if char == "\u0640":  # Arabic tatweel: stretches a word, means nothing
            continue
        if unicodedata.combining(char) and kept and (kept[-1].isascii() or "\u0600" <= kept[-1] <= "\u06ff"):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_PLAIN_LATIN)

