"""Values that keep their own order inside right-to-left sentences, and the invisible direction marks taken
back out of what residents type.

In an Arabic or Urdu sentence, a value filled into a placeholder (a reference TH-7SQZ-YY3D, a phone number
0800 555 111, an English place name "Weavers (E1)", a date) is wrapped in Unicode isolates: FSI (U+2068)
before it and PDI (U+2069) after. The isolate takes its direction from the value's own first strong letter
(a reference or an English name reads left to right, an Arabic name right to left; digits and spaces alone
read left to right), and nothing inside it is reordered with the sentence around it, so "0800 555 111" is
never shown as "111 555 0800" and a closing bracket stays with its name. A phone number written into the
translation itself ("call 0800 555 111") is wrapped in LRI (U+2066) … PDI, for the same reason. Every
channel carries these characters as text (Telegram, WhatsApp, SMS as UCS-2, the web chat, the pages).
Left-to-right languages get exactly the bytes `%` would give: nothing is added to English, Bengali or
Somali.

Written here, not taken from a library: python-bidi and Babel lay text out or format numbers, but neither
fills a gettext placeholder with an isolate.
"""
from __future__ import annotations

import re
from typing import Mapping

from flows import i18n

FSI, LRI, RLI, PDI = "\u2068", "\u2066", "\u2067", "\u2069"
# Invisible characters whose only job is text direction (marks, embeddings, overrides, isolates). Not ZWNJ
# or ZWJ (U+200C, U+200D): Urdu and Persian spelling needs those.
DIRECTION_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_STRIP_CONTROLS = str.maketrans(dict.fromkeys(DIRECTION_CONTROLS))

# Groups of digits (any script's) joined by spaces: a phone number such as 0800 555 111. Among
# right-to-left letters such groups are laid out right to left ("111 555 0800"); a single number is not.
# Not a hyphen: "2025-2026" is a range, which a right-to-left reader rightly reads from the right.
_GROUPED_NUMBER = re.compile(r"(?<![\w%])\+?\d+(?:[ \u00a0]\d+)+(?!\w)")
# One printf conversion as Python's `%` reads it: "%(name)s", "%(num)d", "%%" (and the unnamed "%s").
_CONVERSION = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<spec>[-#0 +]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa%])")


def is_rtl(lang: str | None) -> bool:
    language = i18n.BY_CODE.get(lang or "")
    return bool(language and language.rtl)


def isolate(value: str) -> str:
    """`value` between FSI and PDI; each line on its own, since a line break ends an isolate anyway."""
    return "\n".join(FSI + line + PDI if line.strip() else line for line in value.split("\n"))


def as_written(text: str, lang: str | None) -> str:
    """A translation with no placeholders to fill, as shown in `lang`: in a right-to-left language its
    phone numbers are kept left to right. The result is of the text's own type (Markup stays Markup)."""
    if not is_rtl(lang):
        return text
    return type(text)(_GROUPED_NUMBER.sub(lambda match: LRI + match[0] + PDI, text))


def fill(text: str, params: Mapping[str, object], lang: str | None) -> str:
    """`text % params`, with each filled-in value isolated when `lang` is written right to left (and the
    text's own phone numbers kept left to right, as `as_written` does).

    Each value is formatted with the text's own type, so a Markup text (a page's) escapes its values as
    Markup's own `%` does; the result is of that type too.
    """
    if not is_rtl(lang):
        return text % params
    kind = type(text)
    text = as_written(text, lang)

    def one(match: re.Match) -> str:
        if match["spec"] == "%":
            return "%"
        value = params if match["name"] is None else params[match["name"]]
        return isolate(kind("%" + match["spec"]) % (value,))

    return kind(_CONVERSION.sub(one, text))


def without_direction_controls(text: str) -> str:
    """What a resident typed without invisible direction marks: a number or reference copied out of one of
    our right-to-left messages carries isolates, and some keyboards add marks; they carry no words."""
    return text.translate(_STRIP_CONTROLS)
