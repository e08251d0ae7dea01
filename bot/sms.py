"""What an SMS costs: GSM-7 or UCS-2, how many segments, and the text swaps that keep it GSM-7.

A text that is all GSM-7 (the basic table, plus the extension table at two septets a character) goes
160 septets in one segment or 153 a segment when concatenated; one character outside it makes the
whole message UCS-2, 70 UTF-16 code units in one segment or 67 a segment. Bengali, Arabic, Urdu and
Chinese are always UCS-2 (the isolates around values in Arabic and Urdu cost one unit each); Somali and
English are GSM-7 unless a curly quote or a tick box sneaks in, which `gsm_friendly` swaps.

Written here rather than taken from a library: the packages that count segments (smspdu, gsm0338)
are unmaintained or only encode, and Twilio's own Smart Encoding happens on its side, after we must
already know the count to store and report it.
"""
from __future__ import annotations

from flows import bidi

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"  # each costs an escape septet plus its own
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7_SINGLE, GSM7_MULTI = 160, 153  # septets
UCS2_SINGLE, UCS2_MULTI = 70, 67  # UTF-16 code units

# Characters phones and translators type that GSM-7 lacks, and what they become (as Twilio's Smart
# Encoding does). The tick boxes of multi-select questions become [x] and [ ].
_SWAPS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
    "\u2611": "[x]", "\u2610": "[ ]",
    # Direction marks and isolates (flows/bidi.py) around values in Arabic and Urdu: that text is UCS-2
    # anyway and keeps them (1 UTF-16 unit each); only an all-Latin text, such as an untranslated line
    # shown in English to an Arabic reader, would otherwise pay for UCS-2 because of them.
    **dict.fromkeys(bidi.DIRECTION_CONTROLS, ""),
}
_SWAP_TABLE = str.maketrans(_SWAPS)


def is_gsm7(text: str) -> bool:
    return all(char in _BASIC or char in _EXTENSION for char in text)


def encoding(text: str) -> str:
    """"GSM-7" or "UCS-2": how a phone network would carry this text."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def gsm_friendly(text: str) -> str:
    """The text with typographic look-alikes swapped for GSM-7 ones, if that makes it all GSM-7.

    A text that needs UCS-2 anyway (Bengali) keeps its characters: they cost nothing more there.
    """
    swapped = text.translate(_SWAP_TABLE)
    return swapped if is_gsm7(swapped) else text


def _units(text: str) -> list[int]:
    """The cost of each character in its encoding's units (septets, or UTF-16 code units)."""
    if is_gsm7(text):
        return [2 if char in _EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def segments(text: str) -> int:
    """How many SMS segments the text is billed as (0 for no text)."""
    if not text:
        return 0
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if is_gsm7(text) else (UCS2_SINGLE, UCS2_MULTI)
    units = _units(text)
    if sum(units) <= single:
        return 1
    # An escape pair or a surrogate pair is never split between two segments.
    count, used = 1, 0
    for cost in units:
        if used + cost > multi:
            count, used = count + 1, 0
        used += cost
    return count

