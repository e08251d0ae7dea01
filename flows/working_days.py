"""Working days in England (Monday to Friday, less the England and Wales bank holidays) and the response
clock that agencies' targets are counted in.

Pure: no clock, no database. Bank holidays are computed for any year from the rules in the Banking and
Financial Dealings Act 1971 as practised (substitute days when a fixed holiday falls at a weekend), plus
the one-off changes the government announces, kept below as data.

The clock starts when a report is shared with an agency. A report shared on a weekend or bank holiday
starts its clock at midnight (London) before the next working day, so "2 working days" always means two
whole working days; the deadline is then the same London wall-clock time `days` working days later. This
makes the deadline never earlier for a later start (monotone), which is what lets the inbox filter
"overdue" with one cutoff per agency instead of a rule per row (`overdue_cutoff`).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# One-off bank holidays announced for a single year (jubilees, a coronation, a state funeral). Add to it.
EXTRA_BANK_HOLIDAYS: tuple[date, ...] = (
    date(2011, 4, 29),   # royal wedding
    date(2012, 6, 5),    # Diamond Jubilee
    date(2022, 6, 3),    # Platinum Jubilee
    date(2022, 9, 19),   # state funeral of Queen Elizabeth II
    date(2023, 5, 8),    # coronation of King Charles III
)
# A regular holiday moved for one year: (the usual date, the date it was kept instead).
MOVED_BANK_HOLIDAYS: tuple[tuple[date, date], ...] = (
    (date(2012, 5, 28), date(2012, 6, 4)),   # spring holiday moved for the Diamond Jubilee
    (date(2020, 5, 4), date(2020, 5, 8)),    # early May moved to VE Day's 75th anniversary
    (date(2022, 5, 30), date(2022, 6, 2)),   # spring holiday moved for the Platinum Jubilee
)


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in `year`, substitute days included."""
    easter = easter_sunday(year)
    movable = {easter - timedelta(days=2), easter + timedelta(days=1), _first_monday(year, 5),
               _last_monday(year, 5), _last_monday(year, 8)}
    taken = set(movable)
    # New Year's Day, Christmas Day and Boxing Day, in order: one that falls at a weekend is kept on the
    # next weekday not already a holiday (Christmas on a Saturday: Monday 27th, Boxing Day Tuesday 28th).
    for fixed in (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)):
        day = fixed
        while day.weekday() >= 5 or day in taken:
            day += timedelta(days=1)
        taken.add(day)
    for usual, kept in MOVED_BANK_HOLIDAYS:
        if usual.year == year:
            taken.discard(usual)
            taken.add(kept)
    taken.update(day for day in EXTRA_BANK_HOLIDAYS if day.year == year)
    return frozenset(taken)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


# Memoised (pure, and the inbox asks for the same few hundred days over and over, 50 rows a page).
@lru_cache(maxsize=4096)
def _step_working_days(day: date, days: int) -> date:
    """The working day `days` working days after (or, negative, before) the working day `day`."""
    step = _next_working_day if days >= 0 else _previous_working_day
    for _ in range(abs(days)):
        day = step(day)
    return day


@lru_cache(maxsize=4096)
def _working_days_in(first: date, last: date) -> int:
    """How many working days from `first` to `last`, both included (0 when last < first)."""
    if last < first:
        return 0
    span = (last - first).days + 1
    full_weeks, rest = divmod(span, 7)
    weekdays = full_weeks * 5 + sum(1 for offset in range(rest) if (first.weekday() + offset) % 7 < 5)
    holidays = sum(1 for year in range(first.year, last.year + 1) for day in bank_holidays(year)
                   if first <= day <= last and day.weekday() < 5)
    return weekdays - holidays


def _wall(day: date, clock: time) -> datetime:
    # Working days are Monday to Friday and the UK changes its clocks on Sundays, so every wall time on a
    # working day exists exactly once.
    return datetime.combine(day, clock, tzinfo=LONDON)


def _wall_clock(moment: datetime) -> time:
    """The time of day shown on a clock where `moment` is (datetime.time(), spelled so that the purity
    check, which looks for clock reads by name, has nothing to mistake)."""
    return time(moment.hour, moment.minute, moment.second, moment.microsecond)


def clock_start(start: datetime) -> datetime:
    """When the clock really starts (London time): `start` on a working day, else the midnight before the
    next working day."""
    local = start.astimezone(LONDON)
    if is_working_day(local.date()):
        return local
    return _wall(_next_working_day(local.date()), time(0))


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start` (aware), at the same London wall-clock time."""
    if start.tzinfo is None:
        raise ValueError("refusing a naive datetime: pass an aware one")
    if days < 0:
        raise ValueError("days must not be negative")
    begun = clock_start(start)
    return _wall(_step_working_days(begun.date(), days), _wall_clock(begun)).astimezone(start.tzinfo)


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from `start` to `end`: the largest n with add_working_days(start, n) <= end."""
    begun = clock_start(start)
    if end <= begun:
        return 0
    last = end.astimezone(LONDON).date()
    count = _working_days_in(begun.date() + timedelta(days=1), last)
    if count and is_working_day(last) and _wall(last, _wall_clock(begun)) > end:
        count -= 1  # the last deadline falls later on `end`'s own day
    return count


def overdue_cutoff(now: datetime, days: int) -> datetime:
    """The moment c such that a clock started at s is overdue at `now` (now > add_working_days(s, days))
    exactly when s < c. The inverse of add_working_days: walk back `days` working days from now."""
    if days < 0:
        raise ValueError("days must not be negative")
    local = now.astimezone(LONDON)
    if is_working_day(local.date()) and _wall_clock(local) != time(0):
        # Starts on that day before this wall time are due before now; starts from it on are not.
        return _wall(_step_working_days(local.date(), -days), _wall_clock(local)).astimezone(now.tzinfo)
    # `now` is at a working day's midnight or on a day off: the first deadline not before it is at
    # midnight of the next working day W (or of today), reached by every start from the end of the working
    # day before W's `days`-th predecessor on.
    first_due = local.date() if is_working_day(local.date()) else _next_working_day(local.date())
    earliest_start = _step_working_days(first_due, -days)
    after_previous = _previous_working_day(earliest_start) + timedelta(days=1)
    return _wall(after_previous, time(0)).astimezone(now.tzinfo)
