"""Working days in England and the response clock: known bank holidays, substitutes, deadlines across
weekends and holidays, and the overdue cutoff that the inbox's SQL filter relies on."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.working_days import (LONDON, add_working_days, bank_holidays, easter_sunday, is_working_day,
                                overdue_cutoff, working_days_between)


def london(*parts) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def test_the_2026_bank_holidays():
    assert sorted(bank_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25),
        date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),  # Boxing Day is a Saturday: Monday 28th
    ]


def test_the_2027_bank_holidays_with_easter_on_28_march_and_both_christmas_substitutes():
    assert easter_sunday(2027) == date(2027, 3, 28)
    assert sorted(bank_holidays(2027)) == [
        date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3), date(2027, 5, 31),
        date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),  # Christmas Saturday, Boxing Day Sunday
    ]


@pytest.mark.parametrize("year, easter", [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                          (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))])
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_new_year_on_a_sunday_is_kept_on_monday_and_one_off_holidays_count():
    assert date(2023, 1, 2) in bank_holidays(2023) and date(2023, 1, 1) not in bank_holidays(2023)
    assert date(2023, 5, 8) in bank_holidays(2023)  # the coronation
    assert date(2022, 5, 30) not in bank_holidays(2022) and date(2022, 6, 2) in bank_holidays(2022)
    assert all(len(bank_holidays(year)) >= 8 for year in range(2000, 2100))


def test_a_deadline_skips_the_weekend_and_keeps_the_wall_clock_time():
    friday = london(2027, 1, 15, 16, 30)
    assert add_working_days(friday, 2) == london(2027, 1, 19, 16, 30)  # Tuesday


def test_a_deadline_skips_easter_and_crosses_the_clock_change():
    # Thursday 25 March 2027 (GMT) + 2 working days: Good Friday and Easter Monday are holidays and the
    # clocks go forward on Sunday 28th, so Wednesday 31st at the same London time (BST).
    start = london(2027, 3, 25, 10, 0)
    due = add_working_days(start, 2)
    assert due == london(2027, 3, 31, 10, 0)
    assert due.astimezone(timezone.utc).hour == 9


def test_a_report_shared_at_the_weekend_starts_its_clock_on_monday():
    assert add_working_days(london(2027, 1, 16, 11, 0), 1) == london(2027, 1, 19, 0, 0)  # end of Monday
    assert add_working_days(london(2027, 1, 16, 11, 0), 0) == london(2027, 1, 18, 0, 0)


def test_working_days_between():
    monday = london(2027, 1, 18, 9, 0)
    assert working_days_between(monday, london(2027, 1, 18, 17, 0)) == 0
    assert working_days_between(monday, london(2027, 1, 19, 9, 0)) == 1
    assert working_days_between(monday, london(2027, 1, 19, 8, 59)) == 0
    assert working_days_between(monday, london(2027, 1, 25, 9, 0)) == 5
    assert working_days_between(london(2026, 12, 24, 12, 0), london(2026, 12, 29, 12, 0)) == 1  # 25th, 28th off
    assert working_days_between(monday, monday - timedelta(days=3)) == 0


def test_naive_times_and_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime(2027, 1, 18, 9, 0), 1)
    with pytest.raises(ValueError):
        add_working_days(london(2027, 1, 18, 9, 0), -1)


moments = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2028, 1, 31),
                       timezones=st.just(timezone.utc))


@settings(max_examples=500, deadline=None)
@given(start=moments, now=moments, days=st.integers(min_value=0, max_value=12))
def test_the_overdue_cutoff_matches_the_per_report_rule(start, now, days):
    """The SQL filter `shared_at < cutoff` says overdue exactly when the clock rule does."""
    assert (now > add_working_days(start, days)) == (start < overdue_cutoff(now, days))


@settings(max_examples=300, deadline=None)
@given(start=moments, end=moments)
def test_working_days_between_is_the_inverse_of_adding(start, end):
    n = working_days_between(start, end)
    assert n == 0 or add_working_days(start, n) <= end
    assert add_working_days(start, n + 1) > end


@settings(max_examples=300, deadline=None)
@given(first=moments, second=moments, days=st.integers(min_value=0, max_value=12))
def test_a_later_start_never_has_an_earlier_deadline(first, second, days):
    early, late = sorted((first, second))
    assert add_working_days(early, days) <= add_working_days(late, days)


@pytest.mark.parametrize("moment", [london(2027, 1, 18, 0, 0), london(2027, 1, 16, 0, 0), london(2027, 3, 29, 0, 0),
                                    london(2027, 1, 19, 0, 0, 1)])
@pytest.mark.parametrize("days", [0, 1, 2, 5])
def test_the_cutoff_at_midnights_and_days_off(moment, days):
    cutoff = overdue_cutoff(moment, days)
    for offset_minutes in range(-4 * 24 * 60 * 3, 60, 37):
        start = cutoff + timedelta(minutes=offset_minutes)
        assert (moment > add_working_days(start, days)) == (start < cutoff)
    assert not is_working_day(date(2027, 3, 29))
