"""Days and times as residents read them: London time, in the order, words and digits CLDR gives each
shipped language ("Wednesday 10 June, 19:00", "6月10日星期三 19:00", "birželio 10 d., trečiadienis 19:00").

Babel skeletons, not fixed patterns: a pattern such as "EEEE d MMMM" suits English but wrote "星期三 10 六月"
for Chinese. Public pages, posters, the ward panel digest and the bot all format through here; staff pages
keep their own patterns.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton, get_datetime_format, match_skeleton

from flows import i18n

LONDON = ZoneInfo("Europe/London")

# CLDR skeletons: which fields to show, in any order; each language's data gives the order and joins.
WEEKDAY_AND_DAY = "MMMMEEEEd"  # Wednesday 10 June
WEEKDAY_AND_DATE = "yMMMMEEEEd"  # Wednesday 10 June 2026
DATE = "yMMMMd"  # 10 June 2026
MONTH_AND_YEAR = "yMMMM"  # January 2027
TIME = "Hm"  # 19:00, the 24-hour clock in every language, as the service has always written times

# English keeps the GOV.UK style it has always had ("Wednesday 10 June 2026"); CLDR's en_GB puts a comma
# after the weekday here, though not in "Wednesday 10 June".
OWN_PATTERNS = {("en", WEEKDAY_AND_DATE): "EEEE d MMMM y"}

_QUOTED_OR_WEEKDAY = re.compile(r"'[^']*'|E+|c+")


@lru_cache(maxsize=None)
def pattern_for(lang: str, skeleton: str) -> str:
    """The CLDR pattern for `skeleton` in `lang`. Babel picks the nearest skeleton a language has but, unlike
    ICU, keeps that one's field widths: Chinese "MMMMEEEEd" came out "6月10日周三" (abbreviated). A wide
    weekday asked for is widened here, as ICU does, to "6月10日星期三"."""
    if (lang, skeleton) in OWN_PATTERNS:
        return OWN_PATTERNS[lang, skeleton]
    skeletons = Locale.parse(i18n.babel_locale(lang)).datetime_skeletons
    pattern = str(skeletons[skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)])
    if "EEEE" not in skeleton:
        return pattern
    return _QUOTED_OR_WEEKDAY.sub(lambda found: found[0] if found[0].startswith("'") else found[0][0] * 4,
                                  pattern)


def _formatted(lang: str, moment: datetime, skeleton: str) -> str:
    return format_datetime(moment.astimezone(LONDON), pattern_for(lang, skeleton),
                           locale=i18n.babel_locale(lang))


def london_day(lang: str, moment: datetime, skeleton: str = WEEKDAY_AND_DAY) -> str:
    """The London day of `moment` in `lang`'s words and digits ("Wednesday 10 June" by default)."""
    return i18n.localise_digits(_formatted(lang, moment, skeleton), lang)


def london_time(lang: str, moment: datetime) -> str:
    """The London time of `moment` ("19:00") in `lang`'s digits."""
    return i18n.localise_digits(_formatted(lang, moment, TIME), lang)


def london_day_and_time(lang: str, moment: datetime, skeleton: str = WEEKDAY_AND_DAY) -> str:
    """The day and London time joined as `lang` joins them ("Wednesday 10 June, 19:00", "6月10日星期三 19:00")."""
    joined = get_datetime_format(_join_width(skeleton), locale=i18n.babel_locale(lang)).replace("'", "")
    text = joined.replace("{0}", _formatted(lang, moment, TIME)).replace("{1}", _formatted(lang, moment, skeleton))
    return i18n.localise_digits(text, lang)


def _join_width(skeleton: str) -> str:
    """Which of CLDR's date-time joins fits the date (UTS #35: a wide month with a weekday is "full", a wide
    month "long", an abbreviated one "medium", else "short")."""
    if "MMMM" in skeleton:
        return "full" if "E" in skeleton else "long"
    return "medium" if "MMM" in skeleton else "short"


def month_and_year(lang: str, day) -> str:
    """"January 2027" in `lang` and its digits, in the order and form CLDR gives that language for a month and
    year ("2027年1月", "enero de 2027"); a fixed "LLLL y" wrote "一月 2027"."""
    return i18n.localise_digits(format_skeleton(MONTH_AND_YEAR, day, locale=i18n.babel_locale(lang)), lang)
