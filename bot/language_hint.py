"""Which shipped language a new resident's first message is written in: a hint that orders the language question
(that language first, one tap to confirm), never a choice made for them.

Script decides where it can: Bengali script is Bengali, and Chinese characters are simplified or traditional
Chinese by the characters only one of them writes (hanzidentifier). Everything else goes to
lingua-language-detector, restricted to the shipped languages and in its low-accuracy mode, the one the issue
asks for: its models of the 13 languages take about 26 MB once loaded (bench/language_hint.py), where the
high-accuracy mode's take about 300 MB and buy little on whole sentences. Lingua is unreliable on a word or
two ("salam" looks Turkish to it), and a wrong language first is worse than none, so a hint is given only when
its confidence is high; below that the resident sees the question as everyone does, English first.

Only bot/conversations.py calls this, and only for a conversation with no language yet, so residents who
have chosen pay nothing; the detector is built once per process, on the first such message.
"""
from __future__ import annotations

import threading
import unicodedata
from typing import TYPE_CHECKING, Optional, Sequence

from flows import i18n

if TYPE_CHECKING:  # imported where first needed: a process that meets nobody new pays not even the import
    from lingua import Language, LanguageDetector

    # A detector (None when lingua knows none of the languages) and the shipped codes each of its languages
    # stands for.
    Detector = tuple[Optional[LanguageDetector], dict[Language, tuple[str, ...]]]

# Lingua's confidence (its values over the shipped languages add up to 1) that the likeliest language must
# reach. Whole sentences reach 0.99 and more; what falls under this is mostly a word or two that several
# languages share ("ciao", "salam", "ni hao"), where no hint is the kind answer.
MIN_CONFIDENCE = 0.9
# Only the start of a long message is read: a first sentence says the language as well as a page does.
READ_AT_MOST = 300
# A script this share of the letters must have before it decides alone (a Bengali message with an English
# word or two in it is still Bengali; one Bengali word in an English sentence does not make it Bengali).
SCRIPT_MAJORITY = 0.5

_detector: Optional[Detector] = None
_building = threading.Lock()


def suggest(text: Optional[str]) -> tuple[str, ...]:
    """The shipped languages `text` is written in, likeliest first; () when it does not say clearly enough.

    Two only for Chinese written in characters both writings share ("你好"): simplified first, as more
    residents write it, and traditional second, each one tap."""
    if not text:
        return ()
    # A lone surrogate (a broken emoji) cannot cross into lingua's Rust; the hint must never break a turn.
    text = text[:READ_AT_MOST].encode("utf-8", "replace").decode("utf-8")
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return ()
    if _share(letters, "BENGALI") > SCRIPT_MAJORITY:
        return _shipped("bn")
    if _share(letters, "CJK") > SCRIPT_MAJORITY:
        return _chinese(text)
    detector, languages = _built()
    if detector is None:
        return ()
    values = detector.compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return ()
    suggested = languages.get(values[0].language, ())
    if "zh-Hans" in suggested or "zh-Hant" in suggested:  # Chinese in a mostly Latin message
        return _chinese(text)
    return suggested


def lingua_language(code: str) -> Optional[Language]:
    """Lingua's language for a shipped code ("zh-Hant": Chinese), or None when lingua has no model for it."""
    from lingua import IsoCode639_1, Language

    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code.split("-")[0].lower()))
    except ValueError:
        return None


def detector_languages() -> dict[Language, tuple[str, ...]]:
    """Each lingua language the detector chooses among, with the shipped codes it stands for."""
    return dict(_built()[1])


def build_detector(languages: Sequence[i18n.Language]) -> Detector:
    """A low-accuracy detector restricted to `languages` (those lingua has a model for), with the codes each
    of its languages stands for (Chinese: zh-Hans and zh-Hant); None when lingua knows none of them."""
    from lingua import LanguageDetectorBuilder

    codes: dict[Language, tuple[str, ...]] = {}
    for language in languages:
        found = lingua_language(language.code)
        if found is not None:
            codes[found] = codes.get(found, ()) + (language.code,)
    if not codes:
        return None, codes
    return LanguageDetectorBuilder.from_languages(*codes).with_low_accuracy_mode().build(), codes


def _built() -> Detector:
    """The detector for flows.i18n.LANGUAGES, built on first use, so a new language with a lingua model is
    detected from its line there alone. Under a lock, so two threads' first messages build it once."""
    global _detector
    with _building:
        if _detector is None:
            _detector = build_detector(i18n.LANGUAGES)
        return _detector


def _share(letters: list[str], script: str) -> float:
    """The share of `letters` whose Unicode name starts with `script` ("BENGALI", "CJK")."""
    return sum(unicodedata.name(char, "").startswith(script) for char in letters) / len(letters)


def _chinese(text: str) -> tuple[str, ...]:
    """Simplified or traditional by the characters only one of them writes; both, simplified first, when
    every character is shared by the two, or both kinds are there."""
    import hanzidentifier

    kind = hanzidentifier.identify(text)
    if kind == hanzidentifier.TRADITIONAL:
        return _shipped("zh-Hant")
    if kind == hanzidentifier.SIMPLIFIED:
        return _shipped("zh-Hans")
    return _shipped("zh-Hans", "zh-Hant")


def _shipped(*codes: str) -> tuple[str, ...]:
    return tuple(code for code in codes if i18n.is_shipped(code))
