"""What residents, and people pretending to be them, may send: shared hypothesis strategies."""
from __future__ import annotations

from hypothesis import strategies as st

from flows.types import Media
from flows import i18n
from flows.home import COMMAND_WORDS
from tests.properties.world import KNOWN_REFERENCES

LANGUAGE_CODES = tuple(language.code for language in i18n.LANGUAGES)
# Digits a resident may type a number in: Latin, Bengali, Arabic-Indic, Extended Arabic-Indic (Urdu).
DIGIT_SCRIPTS = ("0123456789", "০১২৩৪৫৬৭৮৯", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹")

# Pieces that have broken chat services before: direction and zero-width marks, NUL and other controls,
# markup, SQL, format strings, combining marks, emoji with modifiers, text in the scripts we serve.
HOSTILE_PIECES = (
    "\u200f", "\u200e", "\u202e", "\u2066", "\u200b", "\u200c", "\u200d", "\ufeff", "\x00", "\x1b[31m", "\r\n",
    "\t", "\x7f", "\u0085", "\u2028", "<b>", "</i>", "<script>alert(1)</script>", "&amp;", "&lt;", "<a href='x'>",
    "'; DROP TABLE report; --", "\" OR 1=1 --", "%(reference)s", "%s", "%", "{0}", "{{ 7*7 }}", "${x}", "\\",
    "e\u0301", "\u0301", "👍🏽", "👨‍👩‍👧", "🇬🇧", "মেনু", "আমার এলাকায়", "اللغة", "ٹھیک", "Joogso", "中文", "İ", "ß", "ﬀ",
    "ǅ", "\U0001d54f", "  ", "\n\n", "1", "১", "٣", "99", "0", "-1", "1.", "2)", "stop", "menu",
)

hostile_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=6), max_size=8).map("".join),
    st.text(alphabet=st.characters(categories=("Cf", "Mn", "Zs", "Zl", "Zp", "Cc")), max_size=12),
)
# Over the 2,000 characters a message may hold: refused, never stored.
too_long_text = st.builds(lambda piece, extra: (piece * 2100)[: 2001 + extra],
                          st.sampled_from(("a", "আ", "👍", "x\u200f", "\x00")), st.integers(0, 300))


def in_digits(number: int, digits: str) -> str:
    return "".join(digits[int(char)] for char in str(number))


def typed_number(number: int):
    """`number` as a resident might type it: in any script's digits, maybe with a dot or bracket after."""
    return st.builds(lambda digits, tail, pad: f"{pad}{in_digits(number, digits)}{tail}{pad}",
                     st.sampled_from(DIGIT_SCRIPTS), st.sampled_from(("", ".", ")")), st.sampled_from(("", " ")))


def command_words() -> list[str]:
    """Every command word in every shipped language, as a resident may type them."""
    words = set(COMMAND_WORDS.values())
    for code in LANGUAGE_CODES:
        words |= {i18n.translations(code).gettext(word) for word in COMMAND_WORDS.values()}
    return sorted(words)


typed_command = st.builds(lambda word, shape: shape(word), st.sampled_from(command_words()),
                          st.sampled_from((str, str.upper, str.title, lambda w: f"/{w}", lambda w: f"  {w}  ")))

# References as people type them: known and unknown, in any case, with or without the dashes, with the
# letters people confuse with digits, or not a reference at all.
_reference_body = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZILOUabc", min_size=8, max_size=8)
typed_reference = st.one_of(
    st.sampled_from(KNOWN_REFERENCES),
    st.builds(lambda ref: ref.lower().replace("-", " "), st.sampled_from(KNOWN_REFERENCES)),
    st.builds(lambda ref: ref.replace("-", "").replace("0", "O"), st.sampled_from(KNOWN_REFERENCES)),
    st.builds(lambda body, sep: f"TH{sep}{body[:4]}{sep}{body[4:]}", _reference_body, st.sampled_from(("-", " ", ""))),
    hostile_text,
)
status_command = st.builds(lambda word, ref: f"{word} {ref}", st.sampled_from(("status", "STATUS", "অবস্থা", "status")),
                           typed_reference)
event_command = st.builds(
    lambda form, number, digits: form.format(in_digits(number, digits)),
    st.sampled_from(("RSVP {}", "rsvp  {}", "/start event_{}", "/START EVENT_{}", "RSVP {} please")),
    st.integers(0, 12) | st.integers(0, 10**10), st.sampled_from(DIGIT_SCRIPTS),
)

# Shared locations, including what a broken or hostile client sends: NaN, infinities, out of range.
coordinates = st.floats() | st.sampled_from((90.0, -90.0, 180.0, -180.0, 90.000001, -180.5, 1e308, -0.0))

media_items = st.lists(
    st.builds(Media, media_id=st.text(alphabet="0123456789abcdef", min_size=1, max_size=32),
              kind=st.sampled_from(("photo", "voice", "video", "file"))),
    max_size=3,
).map(tuple)

language_hints = st.none() | st.sampled_from(("bn", "bn-BD", "so", "en_GB", "ar", "zh-Hans", "", "x" * 300)) | st.text(max_size=12)
