"""Days and times residents read (flows/dates.py) follow each language's CLDR order and words: Chinese and
Lithuanian read "6月10日星期三" and "birželio 10 d., trečiadienis", not English's order in their words
("星期三 10 六月", which a fixed "EEEE d MMMM" wrote); English reads as it always has."""
from datetime import datetime, timezone

import pytest
from babel.dates import get_day_names

from flows import dates, i18n
from flows.events import describe_event
from tests.flows.test_events_flow import FORUM, _with
from tests.flows.test_sorted_flow import _asked

# Wednesday 10 June 2026, 19:00 in London (BST).
MOMENT = datetime(2026, 6, 10, 18, 0, tzinfo=timezone.utc)


def test_english_reads_as_it_always_has():
    assert dates.london_day_and_time("en", MOMENT) == "Wednesday 10 June, 19:00"
    assert dates.london_day("en", MOMENT, dates.WEEKDAY_AND_DATE) == "Wednesday 10 June 2026"
    assert dates.london_day_and_time("en", MOMENT, dates.WEEKDAY_AND_DATE) == "Wednesday 10 June 2026, 19:00"
    assert dates.london_day("en", MOMENT, dates.DATE) == "10 June 2026"
    assert dates.london_day_and_time("en", MOMENT, dates.DATE) == "10 June 2026, 19:00"
    assert dates.london_time("en", MOMENT) == "19:00"


@pytest.mark.parametrize("lang, day, date, day_and_time", [
    ("zh-Hans", "6月10日星期三", "2026年6月10日", "6月10日星期三 19:00"),
    ("zh-Hant", "6月10日星期三", "2026年6月10日", "6月10日星期三 19:00"),
    ("lt", "birželio 10 d., trečiadienis", "2026 m. birželio 10 d.", "birželio 10 d., trečiadienis 19:00"),
])
def test_chinese_and_lithuanian_days_are_in_cldr_order(lang, day, date, day_and_time):
    assert dates.london_day(lang, MOMENT) == day
    assert dates.london_day(lang, MOMENT, dates.DATE) == date
    assert dates.london_day_and_time(lang, MOMENT) == day_and_time
    for english_order in ("星期三 10", "10 六月", "10 6月", "trečiadienis 10", "10 birželio"):
        assert english_order not in dates.london_day_and_time(lang, MOMENT, dates.WEEKDAY_AND_DATE)


@pytest.mark.parametrize("lang, when, closed", [
    ("zh-Hans", "2月3日星期三 18:00", "2026年11月17日"),
    ("zh-Hant", "2月3日星期三 18:00", "2026年11月17日"),
    ("lt", "vasario 3 d., trečiadienis 18:00", "2026 m. lapkričio 17 d."),
])
def test_the_bot_says_events_and_closing_days_in_cldr_order(lang, when, closed):
    assert when in describe_event(lang, FORUM)
    chat = _with(FORUM, lang=lang)
    chat.send("RSVP 20")
    assert when in chat.text and "星期三 3" not in chat.text and "trečiadienis 3" not in chat.text
    assert closed in _asked(lang).text


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_every_language_says_the_whole_weekday_name(lang):
    # Babel matches "MMMMEEEEd" to the nearest skeleton a language has and kept its short weekday
    # ("6月10日周三", "mié, 10 de junio"); flows/dates.py widens it as CLDR means.
    wednesday = i18n.localise_digits(get_day_names("wide", locale=i18n.babel_locale(lang))[2], lang)
    assert wednesday in dates.london_day(lang, MOMENT)
    assert wednesday in dates.london_day(lang, MOMENT, dates.WEEKDAY_AND_DATE)
