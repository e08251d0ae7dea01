"""What the public "You said, we did" pages, their CSV and JSON downloads and the ward panel digest show:
counts, response times against agreed targets, satisfaction and night safety, for a ward or the borough.

Suppression happens here, not in the pages: a count under SUPPRESS_BELOW comes out as None (said as
"fewer than 5"), and so does any figure worked out from fewer than SUPPRESS_BELOW reports or answers (a
median of three response times, a share of four answers). No page, download or API can show a small number
it was never given. Reports staff marked as spam or merged as duplicates are never counted.

How the figures are worked out (docs/public-data.md says the same for readers of the downloads):

- The period is the `months` calendar months (Europe/London) up to and including the current one. A report
  belongs to the month of its London creation date; a sharing (first response, close, agency targets) to
  the month it reached the agency (ReportAgency.shared_at); an answer to "was this sorted?" to the month it
  was given (the latest answer per report only).
- Percentiles are nearest-rank: the p-th percentile of n values is the ceil(p * n / 100)-th smallest, so
  the median and the 90th percentile are always a time someone actually waited, in whole working days.
- Secondary suppression, one rule: wherever a shown total is the sum of parts, never exactly one of its
  parts is hidden. If one is, the smallest shown part (the first in key order on a tie) is hidden too, and
  this repeats across every such sum (a month's categories, a category's months, ...) until none is left
  with exactly one hidden part. Parts that are never published (reports with no ward, no time of day)
  count as hidden, because a reader cannot subtract them either.
- Each table is read once per page, by a GROUP BY returning a few thousand rows at most: the period's
  reports (counts and night safety), its sharings (agency times and every clock target) and its answers
  (satisfaction and the sorted targets), from covering indexes (migration 0014). Percentiles, suppression
  and each target's months are worked out here from those counts, so a page costs the same on a million
  reports as the queries themselves (bench/public.py measures it). public_figures_for_all counts every
  page from one such read of each table, grouped by ward as well: a ward's page from its own rows, the
  borough's from everyone's, by the same code as a single page.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Hashable, Iterable, Optional, Sequence

from sqlalchemy import and_, case, exists, func, or_, select, text
from sqlmodel import Session

from flows.working_days import LONDON, overdue_cutoff
from storage.counting import counted_reports, dialect_of
from storage.models import (TIMES_OF_DAY, Agency, PublicEntry, Report, ReportAgency, SortedCheck, SuccessTarget,
                            Ward)
from storage.reports import STATUSES
from storage.seed import CATEGORIES

log = logging.getLogger(__name__)
# Counts under this are never shown (design.md, "HTTP surface").
SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class MonthCounts:
    """Reports made in one calendar month (London), by category and by their status now."""

    month: date  # the first day of the month
    total: Optional[int]
    by_category: dict[str, Optional[int]] = field(default_factory=dict)  # category key -> count
    by_status: dict[str, Optional[int]] = field(default_factory=dict)  # status key -> count


@dataclass(frozen=True)
class AgencyTimes:
    """One agency's response and close times over the period, in working days, against its target."""

    agency_slug: str
    agency_names: dict[str, str]  # language code -> name ("en" always there)
    reports: Optional[int]  # reports shared with it in the period
    target_working_days: int  # the first-response target in force now
    responded: Optional[int] = None  # how many it has answered
    first_response_median: Optional[float] = None
    first_response_p90: Optional[float] = None
    within_target_percent: Optional[float] = None  # of those answered, the share answered within target
    closed: Optional[int] = None
    close_median: Optional[float] = None
    close_p90: Optional[float] = None


@dataclass(frozen=True)
class Satisfaction:
    """Answers to "was this sorted?" about reports closed in the period."""

    answers: Optional[int]
    yes: Optional[int] = None
    partly: Optional[int] = None
    no: Optional[int] = None


@dataclass(frozen=True)
class TargetPoint:
    month: date
    counted: Optional[int]  # reports (or answers) the month's figure is worked out from
    met_percent: Optional[float]  # the share meeting the target that month; None when suppressed


@dataclass(frozen=True)
class TargetSeries:
    """An agreed target or success measure (storage.models.SuccessTarget) and how it went month by month."""

    target_id: int
    measure: str  # one of storage.models.TARGET_MEASURES
    agency_slug: Optional[str]  # None: every agency
    agency_names: dict[str, str]
    ward_slug: Optional[str]  # None: the borough
    working_days: Optional[int]
    share_percent: Optional[int]
    agreed_with: str
    agreed_on: date
    effective_from: date
    retired_on: Optional[date]
    points: tuple[TargetPoint, ...] = ()


@dataclass(frozen=True)
class NightSafetyRow:
    """Unsafe-place reports in one ward (or the borough), by time of day, and those from residents who
    chose to say they are a woman or girl."""

    ward_slug: Optional[str]
    ward_name: Optional[str]
    by_time_of_day: dict[str, Optional[int]]  # storage.models.TIMES_OF_DAY key -> count
    women_and_girls_by_time_of_day: dict[str, Optional[int]]
    responded_percent: Optional[float] = None  # the share that had a response from an agency


@dataclass(frozen=True)
class PublishedEntry:
    """A published "You said, we did" entry, with its words in every language it has."""

    entry_id: int
    ward_slug: Optional[str]
    category: Optional[str]
    agency_slug: Optional[str]
    you_said: str  # as staff wrote it (English)
    we_did: str
    translations: dict[str, dict[str, str]]  # code -> {"you_said": ..., "we_did": ...}
    machine_translated: tuple[str, ...]
    published_at: datetime


@dataclass(frozen=True)
class PublicFigures:
    """Everything one public page shows, already suppressed."""

    ward_slug: Optional[str]  # None: the borough
    ward_name: Optional[str]
    period_start: date  # the first day of the first month counted
    period_end: date  # the last day counted
    counted_at: datetime
    total: Optional[int]
    by_category: dict[str, Optional[int]]
    by_status: dict[str, Optional[int]]
    months: tuple[MonthCounts, ...]
    agencies: tuple[AgencyTimes, ...]
    satisfaction: Satisfaction
    targets: tuple[TargetSeries, ...]
    night_safety: tuple[NightSafetyRow, ...]  # per ward on the borough page; one row on a ward page
    entries: tuple[PublishedEntry, ...]



# Shares (within target, met, responded) are given to one decimal place.
_PERCENT_PLACES = 1
# "Was this sorted?" answers a target of the `sorted` measure counts as met.
_SORTED_MET = ("yes", "partly")
ENTRIES_SHOWN = 50


def public_figures(session: Session, *, ward_slug: Optional[str], now: datetime, months: int = 12) -> PublicFigures:
    """The figures for one ward (by slug) or, for None, the borough, over the `months` calendar months up
    to and including the current one. Raises LookupError for a ward slug that does not exist."""
    if months < 1:
        raise ValueError("months must be at least 1")
    ward = None
    if ward_slug is not None:
        ward = session.execute(select(Ward).where(Ward.slug == ward_slug)).scalar_one_or_none()
        if ward is None:
            raise LookupError(f"unknown ward {ward_slug!r}")
    reads = _Reads.read(session, period=_Period.ending(now, months), now=now,
                        ward_id=ward.id if ward is not None else None, by_ward=False)
    return reads.figures(ward)


def public_figures_for_all(session: Session, *, now: datetime, months: int = 12) -> dict[Optional[str], PublicFigures]:
    """public_figures for the borough (key None) and every ward (key its slug), from one read of each table:
    the same GROUP BYs with the ward added, each page's figures worked out from its own wards' rows (the
    borough's from all of them, reports with no ward included). The same figures as 21 calls of
    public_figures, at about the cost of the borough's (bench/public.py)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    reads = _Reads.read(session, period=_Period.ending(now, months), now=now, ward_id=None, by_ward=True)
    return {None: reads.figures(None), **{ward.slug: reads.figures(ward) for ward in reads.wards.values()}}


@dataclass(frozen=True)
class _Reads:
    """What the figures are worked out from, read once: for one page (`by_ward` False: the rows of its
    reports, keyed by its ward id, None for the borough), or for every page (`by_ward`: each GROUP BY also
    by the report's ward, the rows keyed by it, None for reports with no ward). figures() works out one
    page from them, the same code whichever way they were read."""

    period: _Period
    now: datetime
    wards: dict[int, Ward]  # in name order
    agencies: dict[int, Agency]
    targets: tuple[SuccessTarget, ...]  # in force in the period, for every page read
    report_rows: dict[Optional[int], list[tuple]]
    sharings: _Sharings
    answers: dict[Optional[int], _Answers]  # agency id (None: every agency) -> its answers
    entries: tuple[PublicEntry, ...]  # newest first; enough for every page read

    @classmethod
    def read(cls, session: Session, *, period: _Period, now: datetime, ward_id: Optional[int],
             by_ward: bool) -> "_Reads":
        wards = {row.id: row for row in session.execute(select(Ward).order_by(Ward.name)).scalars()}
        agencies = {row.id: row for row in session.execute(select(Agency).order_by(Agency.id)).scalars()}
        targets = _targets_in_force(session, period=period, ward_id=ward_id, every_ward=by_ward)
        # A sorted target for one agency counts only answers about reports shared with it: read once per agency.
        answer_agencies = [None, *dict.fromkeys(target.agency_id for target in targets
                                                if target.measure == "sorted" and target.agency_id is not None)]
        # Each table is read once: one GROUP BY over the period's reports (counts and night safety), one over
        # its sharings (agency times and the clock targets), one over its answers (satisfaction and the
        # sorted targets); everything else is worked out here from their few thousand rows.
        with _planned_for_aggregates(session):
            report_rows = _report_rows(session, period=period, ward_id=ward_id, by_ward=by_ward)
            sharings = _Sharings.read(session, period=period, ward_id=ward_id, by_ward=by_ward, now=now,
                                      targets=targets)
            answers = {agency_id: _Answers.read(session, period=period, ward_id=ward_id, by_ward=by_ward,
                                                targets=targets, agency_id=agency_id)
                       for agency_id in answer_agencies}
        return cls(period=period, now=now, wards=wards, agencies=agencies, targets=tuple(targets),
                   report_rows=report_rows, sharings=sharings, answers=answers,
                   entries=_entry_rows(session, ward_id=ward_id, by_ward=by_ward))

    def figures(self, ward: Optional[Ward]) -> PublicFigures:
        """One page's figures: a ward's from its own rows, the borough's from everyone's."""
        ward_id = ward.id if ward is not None else None
        period = self.period
        report_rows = _rows_of(self.report_rows, ward_id)
        sharings = self.sharings.of(ward_id)
        answers = {agency_id: read.of(ward_id) for agency_id, read in self.answers.items()}
        targets = [target for target in self.targets if target.ward_id is None or target.ward_id == ward_id]
        totals, by_category, by_status, month_counts, unsafe_places = _report_counts(report_rows, period=period)
        return PublicFigures(
            ward_slug=ward.slug if ward else None,
            ward_name=ward.name if ward else None,
            period_start=period.first_day,
            period_end=period.last_day,
            counted_at=self.now,
            total=totals,
            by_category=by_category,
            by_status=by_status,
            months=month_counts,
            agencies=_agency_times(sharings, agencies=self.agencies),
            satisfaction=_satisfaction(answers[None]),
            targets=_targets(targets, period=period, now=self.now, sharings=sharings, answers=answers,
                             agencies=self.agencies, wards=self.wards),
            night_safety=_night_safety(report_rows, ward_id=ward_id, wards=self.wards, unsafe_places=unsafe_places),
            entries=_entries(self.entries, ward_id=ward_id, agencies=self.agencies, wards=self.wards),
        )


def _rows_of(rows_by_ward: dict[Optional[int], Sequence[tuple]], ward_id: Optional[int]) -> list[tuple]:
    """A page's GROUP BY rows (the count last) from rows keyed by ward: a ward's own; for the borough (None)
    every ward's and those of reports with no ward, rows alike in all but their count added up."""
    if ward_id is not None:
        return list(rows_by_ward.get(ward_id, ()))
    if len(rows_by_ward) <= 1:  # read for the borough alone
        return [row for rows in rows_by_ward.values() for row in rows]
    counts: dict[tuple, int] = {}
    for rows in rows_by_ward.values():
        for *key, count in rows:
            counts[tuple(key)] = counts.get(tuple(key), 0) + count
    return [(*key, count) for key, count in counts.items()]


def _split_by_ward(rows: Iterable[tuple], *, ward_id: Optional[int], by_ward: bool) -> dict[Optional[int], list[tuple]]:
    """GROUP BY rows keyed by ward: by their first column (the report's ward) when read `by_ward`, which
    is dropped; else all under the one page's `ward_id`."""
    if not by_ward:
        return {ward_id: [tuple(row) for row in rows]}
    split: dict[Optional[int], list[tuple]] = {}
    for row_ward, *rest in rows:
        split.setdefault(row_ward, []).append(tuple(rest))
    return split


@contextmanager
def _planned_for_aggregates(session: Session):
    """On PostgreSQL, for these queries only (set back as they were after, within the caller's transaction):
    JIT off, because the planner's estimates for a year of reports pass jit_above_cost and compiling took
    longer than the queries themselves (EXPLAIN ANALYZE at a million reports, bench/public.py: 1.4 s of
    JIT in 1.7 s for the report counts, which take 0.7 s without it)."""
    if dialect_of(session) != "postgresql":
        yield
        return
    settings = {"jit": "off"}
    was = {name: session.execute(text("SELECT current_setting(:name)"), {"name": name}).scalar_one()
           for name in settings}
    for name, value in settings.items():
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
    yield
    for name, value in was.items():
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


# --- the cache ---------------------------------------------------------------------------------------

CACHE_SECONDS = 60
_cache: dict[tuple, tuple[float, object, PublicFigures]] = {}
_cache_lock = threading.Lock()


def cached_public_figures(session: Session, *, ward_slug: Optional[str], now: datetime, months: int = 12,
                          clock: Callable[[], float] = time.monotonic) -> PublicFigures:
    """public_figures as the pages, downloads and digest show them: nothing older than 60 seconds, and
    almost never counted while a visitor waits.

    In order: this process's cache; else the page's snapshot (storage/public_snapshots.py: the worker counts
    every page every half minute, and every web process shares it) if it was counted at most 60 seconds
    before `now`; else the figures are counted here, and kept as the snapshot so other processes need not
    count them too (this commits `session`: give it one you only read with, as the pages and downloads do).

    Why this stays correct: design.md lets public pages be up to 60 seconds old, and every figure is an
    aggregate over months, so one more report or answer changing a number a minute late misleads no one.
    Nothing shown is older than 60 seconds: a snapshot older than that is never served, and one that is
    kept in this process is kept only until it turns 60 seconds old (its age counts from when it was
    counted, not from when this process read it). A cache entry is keyed by the database (the engine, held
    so its id cannot be reused while the entry lives), the ward, the months and the minute of `now`.
    Nothing personal is ever in either: only what the public pages show anyway. Raises LookupError for an
    unknown ward, as public_figures does (not cached: an unknown slug costs one indexed lookup).
    """
    # Imported here: storage.public_snapshots reads this module's dataclasses when it is imported.
    from storage import public_snapshots

    engine = session.get_bind()
    minute = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
    key = (id(engine), ward_slug, months, minute)
    moment = clock()
    with _cache_lock:
        held = _cache.get(key)
        if held is not None and moment - held[0] < CACHE_SECONDS:
            return held[2]
    figures = public_snapshots.fresh_snapshot(session, ward_slug=ward_slug, months=months, now=now,
                                              max_age=timedelta(seconds=CACHE_SECONDS))
    if figures is not None:
        counted = moment - (now - figures.counted_at).total_seconds()
    else:
        figures = public_figures(session, ward_slug=ward_slug, now=now, months=months)
        counted = moment
        _keep_snapshot(session, figures=figures, months=months)
    with _cache_lock:
        for stale in [k for k, (at, _e, _f) in _cache.items() if moment - at >= CACHE_SECONDS]:
            del _cache[stale]
        _cache[key] = (counted, engine, figures)
    return figures


def _keep_snapshot(session: Session, *, figures: PublicFigures, months: int) -> None:
    """Store figures counted inline as the page's snapshot; a failure only costs other processes a count,
    so the visitor still gets the page."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage import public_snapshots
    try:
        public_snapshots.store_snapshot(session, figures=figures, months=months)
        session.commit()
    except SQLAlchemyError:
        log.warning("could not keep the public figures of %s as a snapshot", figures.ward_slug or "the borough",
                    exc_info=True)
        session.rollback()


def clear_public_figures_cache() -> None:
    """Forget every cached figure (tests; an operator never needs it: entries expire within a minute)."""
    with _cache_lock:
        _cache.clear()


# --- the period --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Period:
    """Calendar months in London, with the UTC moment each begins (the last is the end of the period)."""

    firsts: tuple[date, ...]  # the first day of each month, oldest first
    bounds: tuple[datetime, ...]  # len(firsts) + 1 UTC instants
    last_day: date

    @classmethod
    def ending(cls, now: datetime, months: int) -> "_Period":
        today = now.astimezone(LONDON).date()
        firsts = [today.replace(day=1)]
        for _ in range(months - 1):
            firsts.insert(0, (firsts[0] - timedelta(days=1)).replace(day=1))
        following = (firsts[-1] + timedelta(days=32)).replace(day=1)
        bounds = tuple(_london_midnight(day) for day in (*firsts, following))
        return cls(firsts=tuple(firsts), bounds=bounds, last_day=today)

    @property
    def first_day(self) -> date:
        return self.firsts[0]

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]


def _london_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(timezone.utc)


def _month_index(column, bounds: Sequence[datetime]):
    """0, 1, ... for the interval of `bounds` the column falls in (the WHERE keeps it inside them)."""
    return case(*[(column < bound, index) for index, bound in enumerate(bounds[1:])], else_=len(bounds) - 2)


def _counted(ward_id: Optional[int], dialect: str) -> list:
    """Reports public figures count (storage/counting.py, as the partial index ix_report_public states
    them); in the ward, for a ward page."""
    conditions = counted_reports(dialect)
    if ward_id is not None:
        conditions.append(Report.ward_id == ward_id)
    return conditions


# --- suppression -------------------------------------------------------------------------------------

def shown(count: Optional[int]) -> Optional[int]:
    """A count as it may be published: None under SUPPRESS_BELOW (0 included)."""
    return count if count is not None and count >= SUPPRESS_BELOW else None


def suppress(values: dict[Hashable, int], sums: Iterable[tuple[Hashable, Sequence[Hashable]]],
             unpublished: Iterable[Hashable] = ()) -> dict[Hashable, Optional[int]]:
    """Primary and secondary suppression of related counts (the module docstring's rule).

    `values` holds every cell, `sums` says which cell is the total of which parts, `unpublished` names
    cells that are never shown (they count as hidden). Returns the published cells, hidden ones None."""
    sums = [(total, list(parts)) for total, parts in sums]
    hidden = {key for key, value in values.items() if value < SUPPRESS_BELOW} | set(unpublished)
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            hidden_parts = [part for part in parts if part in hidden]
            visible_parts = [part for part in parts if part not in hidden]
            if not visible_parts:
                continue
            # A shown total with one hidden part gives it away by subtraction; so does a hidden total whose
            # parts are all shown (by addition).
            if (total not in hidden and len(hidden_parts) == 1) or (total in hidden and not hidden_parts):
                hidden.add(min(visible_parts, key=lambda part: values[part]))
                changed = True
    unpublished = set(unpublished)
    return {key: (None if key in hidden else value) for key, value in values.items() if key not in unpublished}


def nearest_rank(counts: dict[int, int], percent: int) -> Optional[float]:
    """The `percent`-th percentile by nearest rank of values given as {value: how many}, or None when
    fewer than SUPPRESS_BELOW values are given."""
    size = sum(counts.values())
    if size < SUPPRESS_BELOW:
        return None
    rank = -(-percent * size // 100)  # ceil(percent * size / 100), in whole numbers
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return float(value)
    raise AssertionError("unreachable: rank <= size")


def share(part: int, whole: int) -> Optional[float]:
    """part / whole as a percentage, or None when worked out from fewer than SUPPRESS_BELOW items."""
    if whole < SUPPRESS_BELOW:
        return None
    return round(100 * part / whole, _PERCENT_PLACES)


# --- the figures -------------------------------------------------------------------------------------

def _report_rows(session: Session, *, period: _Period, ward_id: Optional[int],
                 by_ward: bool) -> dict[Optional[int], list[tuple]]:
    """The period's counted reports, grouped by month, category and status now and, for unsafe places only,
    by ward, time of day, woman or girl and whether an agency has responded: one read of the period's
    reports for the counts and the night-safety rows. The unsafe-place columns are NULL for the other
    categories, so they add no rows there, and the responded probe runs for unsafe places only. Keyed by
    ward (_split_by_ward)."""
    unsafe = Report.category == "unsafe_place"
    responded = exists(select(ReportAgency.report_id).where(ReportAgency.report_id == Report.id,
                                                            ReportAgency.responded_at.is_not(None)))
    inner = (select(*_ward_column(by_ward),
                    _month_index(Report.created_at, period.bounds).label("month"), Report.category, Report.status,
                    case((unsafe, Report.ward_id)).label("ward_id"),
                    case((unsafe, Report.time_of_day)).label("time_of_day"),
                    case((unsafe, Report.woman_or_girl)).label("woman_or_girl"),
                    case((unsafe, case((responded, 1), else_=0))).label("responded"))
             .where(*_counted(ward_id, dialect_of(session)), Report.created_at >= period.start,
                    Report.created_at < period.end)
             .subquery())
    return _split_by_ward(_grouped(session, inner), ward_id=ward_id, by_ward=by_ward)


def _ward_column(by_ward: bool) -> list:
    """The report's ward as the first grouping column, when every page is read at once."""
    return [Report.ward_id.label("report_ward")] if by_ward else []


def _grouped(session: Session, inner) -> list:
    """Each distinct row of the subquery `inner`, with how many times it occurs last."""
    columns = list(inner.c)
    return list(session.execute(select(*columns, func.count()).group_by(*columns)))


def _report_counts(rows: list[tuple], *, period: _Period):
    """Reports by month, category and status now, suppressed together; and the period's unsafe-place
    count (the night-safety rows are parts of it)."""
    categories = list(CATEGORIES) + sorted({row[1] for row in rows} - set(CATEGORIES))
    statuses = list(STATUSES) + sorted({row[2] for row in rows} - set(STATUSES))
    month_numbers = range(len(period.firsts))
    values: dict[tuple, int] = {("total",): 0}
    for key in categories:
        values[("category", key)] = 0
    for key in statuses:
        values[("status", key)] = 0
    for month in month_numbers:
        values[("month", month)] = 0
        for key in categories:
            values[("month", month, "category", key)] = 0
        for key in statuses:
            values[("month", month, "status", key)] = 0
    for month, category, status, *_night, count in rows:
        for cell in (("total",), ("category", category), ("status", status), ("month", month),
                     ("month", month, "category", category), ("month", month, "status", status)):
            values[cell] += count
    sums = [(("total",), [("category", key) for key in categories]),
            (("total",), [("status", key) for key in statuses]),
            (("total",), [("month", month) for month in month_numbers])]
    for month in month_numbers:
        sums.append((("month", month), [("month", month, "category", key) for key in categories]))
        sums.append((("month", month), [("month", month, "status", key) for key in statuses]))
    for key in categories:
        sums.append((("category", key), [("month", month, "category", key) for month in month_numbers]))
    for key in statuses:
        sums.append((("status", key), [("month", month, "status", key) for month in month_numbers]))
    published = suppress(values, sums)
    month_counts = tuple(
        MonthCounts(month=period.firsts[month], total=published[("month", month)],
                    by_category={key: published[("month", month, "category", key)] for key in categories},
                    by_status={key: published[("month", month, "status", key)] for key in statuses})
        for month in month_numbers)
    return (published[("total",)], {key: published[("category", key)] for key in categories},
            {key: published[("status", key)] for key in statuses}, month_counts,
            (values[("category", "unsafe_place")], published.get(("category", "unsafe_place"))))


def _stretches(period: _Period, moments: Iterable[datetime]) -> tuple[tuple[datetime, ...], tuple[int, ...]]:
    """The period's months cut again at each of `moments` inside it: the instants the stretches begin (and
    the period's end), and the month (index in the period) each stretch lies in. A target's window or
    deadline that is one of the moments never splits a stretch, so its figures are sums of whole ones."""
    cuts = sorted({*period.bounds, *(moment.astimezone(timezone.utc) for moment in moments
                                     if period.start < moment < period.end)})
    months = tuple(sum(1 for bound in period.bounds[1:-1] if bound <= begins) for begins in cuts[:-1])
    return tuple(cuts), months


def _target_window(target: SuccessTarget, period: _Period) -> tuple[datetime, datetime]:
    """From the London midnight the target took effect to the one it was retired (its first day no longer
    in force), or the period's end."""
    begins = _london_midnight(target.effective_from)
    return begins, _london_midnight(target.retired_on) if target.retired_on is not None else period.end


def _target_months(target: SuccessTarget, period: _Period) -> list[int]:
    """The months of the period the target was in force on at least one day."""
    begins, ends = _target_window(target, period)
    return [index for index in range(len(period.firsts))
            if period.bounds[index] < ends and period.bounds[index + 1] > begins]


def _missed_by(target: SuccessTarget, now: datetime) -> datetime:
    """Unstopped clocks started before this were not stopped within the target's working days (overdue by
    one more whole working day, flows/working_days.overdue_cutoff): a miss whatever happens next."""
    return overdue_cutoff(now, target.working_days + 1)


@dataclass(frozen=True)
class _Sharings:
    """The sharings of counted reports that reached an agency in the period, counted by agency, stretch
    (_stretches: cut at every target's window and deadline) and the two clocks in working days: one read of
    the period's sharings for the agencies' times and every first-response and close target's months."""

    cuts: tuple[datetime, ...]
    months: tuple[int, ...]
    rows: tuple[tuple[int, int, Optional[int], Optional[int], int], ...]  # agency, stretch, response, close, count

    rows_by_ward: dict[Optional[int], list[tuple]]  # _split_by_ward

    def of(self, ward_id: Optional[int]) -> "_Sharings":
        """One page's sharings (_rows_of)."""
        return _Sharings(cuts=self.cuts, months=self.months, rows=tuple(_rows_of(self.rows_by_ward, ward_id)),
                         rows_by_ward={})

    @classmethod
    def read(cls, session: Session, *, period: _Period, ward_id: Optional[int], by_ward: bool, now: datetime,
             targets: Sequence[SuccessTarget]) -> "_Sharings":
        moments = []
        for target in targets:
            if target.measure != "sorted" and target.working_days is not None:
                moments += [*_target_window(target, period), _missed_by(target, now)]
        cuts, months = _stretches(period, moments)
        inner = (select(*_ward_column(by_ward),
                        ReportAgency.agency_id, _month_index(ReportAgency.shared_at, cuts).label("stretch"),
                        ReportAgency.response_working_days, ReportAgency.close_working_days)
                 .join(Report, Report.id == ReportAgency.report_id)
                 .where(*_counted(ward_id, dialect_of(session)), ReportAgency.shared_at >= period.start,
                        ReportAgency.shared_at < period.end)
                 .subquery())
        rows_by_ward = _split_by_ward(_grouped(session, inner), ward_id=ward_id, by_ward=by_ward)
        return cls(cuts=cuts, months=months, rows=(), rows_by_ward=rows_by_ward)


def _agency_times(sharings: _Sharings, *, agencies: dict[int, Agency]) -> tuple[AgencyTimes, ...]:
    """Per agency: reports that reached it in the period, and its response and close times."""
    reports: dict[int, int] = {}
    responses: dict[int, dict[int, int]] = {}
    closings: dict[int, dict[int, int]] = {}
    for agency_id, _stretch, response_days, close_days, count in sharings.rows:
        reports[agency_id] = reports.get(agency_id, 0) + count
        if response_days is not None:
            counts = responses.setdefault(agency_id, {})
            counts[response_days] = counts.get(response_days, 0) + count
        if close_days is not None:
            counts = closings.setdefault(agency_id, {})
            counts[close_days] = counts.get(close_days, 0) + count
    shown_agencies = [agency for agency in agencies.values()
                      if agency.id in reports or (agency.active and agency.offered_to_residents)]
    result = []
    for agency in shown_agencies:
        answered = responses.get(agency.id, {})
        closed = closings.get(agency.id, {})
        responded = sum(answered.values())
        within = sum(count for days, count in answered.items() if days <= agency.target_working_days)
        result.append(AgencyTimes(
            agency_slug=agency.slug,
            agency_names=dict(agency.names),
            reports=shown(reports.get(agency.id, 0)),
            target_working_days=agency.target_working_days,
            responded=shown(responded),
            first_response_median=nearest_rank(answered, 50),
            first_response_p90=nearest_rank(answered, 90),
            within_target_percent=share(within, responded),
            closed=shown(sum(closed.values())),
            close_median=nearest_rank(closed, 50),
            close_p90=nearest_rank(closed, 90),
        ))
    return tuple(result)


_Answer = SortedCheck.__table__.alias("answer")


def _latest_answers_core(ward_id: Optional[int], dialect: str, start: datetime, end: datetime, *extra) -> list:
    """Conditions (on _Answer joined to Report) for the latest answer to "was this sorted?" of each counted
    report, when that answer was given in [start, end): a resident who said "no", saw it reopened and
    then said "yes" is counted once, as "yes"."""
    later = SortedCheck.__table__.alias("later")
    newer = select(later.c.id).where(
        later.c.report_id == _Answer.c.report_id, later.c.answer.is_not(None),
        or_(later.c.answered_at > _Answer.c.answered_at,
            and_(later.c.answered_at == _Answer.c.answered_at, later.c.id > _Answer.c.id)))
    return [_Answer.c.answer.is_not(None), _Answer.c.answered_at >= start, _Answer.c.answered_at < end,
            ~exists(newer), *_counted(ward_id, dialect), *extra]


@dataclass(frozen=True)
class _Answers:
    """The latest answers to "was this sorted?" given in the period about counted reports (those shared
    with one agency, when agency_id is given), counted by stretch (_stretches: cut at the sorted targets'
    windows) and answer: one read for the satisfaction figures and the sorted targets' months."""

    cuts: tuple[datetime, ...]
    months: tuple[int, ...]
    rows: tuple[tuple[int, str, int], ...]  # stretch, answer, count: one page's (of())
    rows_by_ward: dict[Optional[int], list[tuple]]  # _split_by_ward

    def of(self, ward_id: Optional[int]) -> "_Answers":
        """One page's answers (_rows_of)."""
        return _Answers(cuts=self.cuts, months=self.months, rows=tuple(_rows_of(self.rows_by_ward, ward_id)),
                        rows_by_ward={})

    @classmethod
    def read(cls, session: Session, *, period: _Period, ward_id: Optional[int], by_ward: bool,
             targets: Sequence[SuccessTarget], agency_id: Optional[int] = None) -> "_Answers":
        moments = [moment for target in targets if target.measure == "sorted" and target.agency_id == agency_id
                   for moment in _target_window(target, period)]
        cuts, months = _stretches(period, moments)
        extra = []
        if agency_id is not None:
            extra.append(exists(select(ReportAgency.report_id).where(
                ReportAgency.report_id == _Answer.c.report_id, ReportAgency.agency_id == agency_id)))
        inner = (select(*_ward_column(by_ward), _month_index(_Answer.c.answered_at, cuts).label("stretch"),
                        _Answer.c.answer)
                 .join(Report, Report.id == _Answer.c.report_id)
                 .where(*_latest_answers_core(ward_id, dialect_of(session), period.start, period.end, *extra))
                 .subquery())
        rows_by_ward = _split_by_ward(_grouped(session, inner), ward_id=ward_id, by_ward=by_ward)
        return cls(cuts=cuts, months=months, rows=(), rows_by_ward=rows_by_ward)


def _satisfaction(answers: _Answers) -> Satisfaction:
    counts: dict[str, int] = {}
    for _stretch, answer, count in answers.rows:
        counts[answer] = counts.get(answer, 0) + count
    values = {"answers": sum(counts.values()), **{answer: counts.get(answer, 0) for answer in ("yes", "partly", "no")}}
    published = suppress(values, [("answers", ["yes", "partly", "no"])])
    return Satisfaction(**published)


def _targets_in_force(session: Session, *, period: _Period, ward_id: Optional[int],
                      every_ward: bool = False) -> list[SuccessTarget]:
    """Each agreed target in force at some time in the period: the borough's, and the ward's own on a ward
    page (every ward's, for `every_ward`)."""
    in_scope = SuccessTarget.ward_id.is_(None)
    if every_ward:
        in_scope = True
    elif ward_id is not None:
        in_scope = or_(in_scope, SuccessTarget.ward_id == ward_id)
    return list(session.execute(
        select(SuccessTarget).where(in_scope, SuccessTarget.effective_from <= period.last_day,
                                    or_(SuccessTarget.retired_on.is_(None),
                                        SuccessTarget.retired_on > period.first_day))
        .order_by(SuccessTarget.ward_id.is_not(None), SuccessTarget.measure, SuccessTarget.effective_from,
                  SuccessTarget.id)
    ).scalars())


def _targets(targets: Sequence[SuccessTarget], *, period: _Period, now: datetime, sharings: _Sharings,
             answers: dict[Optional[int], _Answers], agencies: dict[int, Agency],
             wards: dict[int, Ward]) -> tuple[TargetSeries, ...]:
    """Each target month by month over the page's own reports (a sorted target of one agency over the
    answers about reports shared with it: `answers` by agency id)."""
    series = []
    for target in targets:
        agency = agencies.get(target.agency_id) if target.agency_id is not None else None
        ward = wards.get(target.ward_id) if target.ward_id is not None else None
        if target.measure == "sorted":
            points = _sorted_points(target, period=period, answers=answers[target.agency_id])
        else:
            points = _clock_points(target, period=period, sharings=sharings, now=now)
        series.append(TargetSeries(
            target_id=target.id, measure=target.measure,
            agency_slug=agency.slug if agency else None, agency_names=dict(agency.names) if agency else {},
            ward_slug=ward.slug if ward else None, working_days=target.working_days,
            share_percent=target.share_percent, agreed_with=target.agreed_with, agreed_on=target.agreed_on,
            effective_from=target.effective_from, retired_on=target.retired_on, points=points,
        ))
    return tuple(series)


def _points(target: SuccessTarget, *, period: _Period, met: dict[int, int],
            decided: dict[int, int]) -> tuple[TargetPoint, ...]:
    return tuple(TargetPoint(month=period.firsts[index], counted=shown(decided.get(index, 0)),
                             met_percent=share(met.get(index, 0), decided.get(index, 0)))
                 for index in _target_months(target, period))


def _clock_points(target: SuccessTarget, *, period: _Period, sharings: _Sharings,
                  now: datetime) -> tuple[TargetPoint, ...]:
    """The months of the period the target was in force (from effective_from, until retired_on), each
    counted over just those days: each sharing of a report with the agency (every agency, for a target of
    no agency) that reached it in the month, met when its clock stopped within `working_days`; missed when
    it stopped later, or has not stopped yet but already ran past (a target is not flattered by leaving the
    hardest reports unanswered); those still inside their time are not counted yet."""
    if target.working_days is None:
        return tuple(TargetPoint(month=period.firsts[index], counted=None, met_percent=None)
                     for index in _target_months(target, period))
    begins, ends = _target_window(target, period)
    missed_by = _missed_by(target, now)
    met: dict[int, int] = {}
    decided: dict[int, int] = {}
    for agency_id, stretch, response_days, close_days, count in sharings.rows:
        if target.agency_id is not None and agency_id != target.agency_id:
            continue
        starts = sharings.cuts[stretch]
        if not begins <= starts < ends:
            continue
        month = sharings.months[stretch]
        clock = response_days if target.measure == "first_response" else close_days
        if clock is not None and clock <= target.working_days:
            met[month] = met.get(month, 0) + count
        # missed_by is a cut (or outside the period), so a stretch starts before it only if it ends by it.
        if clock is not None or starts < missed_by:
            decided[month] = decided.get(month, 0) + count
    return _points(target, period=period, met=met, decided=decided)


def _sorted_points(target: SuccessTarget, *, period: _Period, answers: _Answers) -> tuple[TargetPoint, ...]:
    """The latest answers given in each month the target was in force (just those days): met when "yes" or
    "partly"."""
    begins, ends = _target_window(target, period)
    met: dict[int, int] = {}
    decided: dict[int, int] = {}
    for stretch, answer, count in answers.rows:
        if begins <= answers.cuts[stretch] < ends:
            month = answers.months[stretch]
            decided[month] = decided.get(month, 0) + count
            if answer in _SORTED_MET:
                met[month] = met.get(month, 0) + count
    return _points(target, period=period, met=met, decided=decided)


def _night_safety(report_rows: list[tuple], *, ward_id: Optional[int], wards: dict[int, Ward],
                  unsafe_places: tuple[int, Optional[int]]) -> tuple[NightSafetyRow, ...]:
    """Unsafe-place reports per ward and time of day, and the part from residents who chose to say they
    are a woman or girl, suppressed as parts of the page's unsafe-place count."""
    rows = [row[3:] for row in report_rows if row[1] == "unsafe_place"]
    row_wards = [ward_id] if ward_id is not None else list(wards)  # wards is in name order
    unknown_times = "not_said"  # a time of day the resident did not give (never published)
    values: dict[tuple, int] = {("unsafe_places",): unsafe_places[0]}
    unpublished: set[tuple] = set() if unsafe_places[1] is not None else {("unsafe_places",)}
    for row_ward in row_wards:
        for time_of_day in (*TIMES_OF_DAY, unknown_times):
            values[("all", row_ward, time_of_day)] = 0
            values[("women", row_ward, time_of_day)] = 0
        unpublished |= {("all", row_ward, unknown_times), ("women", row_ward, unknown_times)}
    values[("all", None, unknown_times)] = 0  # reports with no ward, on the borough page
    unpublished.add(("all", None, unknown_times))
    totals: dict[Optional[int], int] = {}
    answered: dict[Optional[int], int] = {}
    for report_ward, time_of_day, woman_or_girl, was_answered, count in rows:
        if report_ward not in row_wards:
            report_ward, time_of_day = None, unknown_times
        time_of_day = time_of_day if time_of_day in TIMES_OF_DAY else unknown_times
        values[("all", report_ward, time_of_day)] += count
        if woman_or_girl and report_ward is not None:
            values[("women", report_ward, time_of_day)] += count
        totals[report_ward] = totals.get(report_ward, 0) + count
        answered[report_ward] = answered.get(report_ward, 0) + (count if was_answered else 0)
    parts = [key for key in values if key[0] == "all"]
    published = suppress(values, [(("unsafe_places",), parts)], unpublished)
    return tuple(
        NightSafetyRow(
            ward_slug=wards[row_ward].slug, ward_name=wards[row_ward].name,
            by_time_of_day={key: published[("all", row_ward, key)] for key in TIMES_OF_DAY},
            women_and_girls_by_time_of_day={key: published[("women", row_ward, key)] for key in TIMES_OF_DAY},
            responded_percent=share(answered.get(row_ward, 0), totals.get(row_ward, 0)),
        )
        for row_ward in row_wards)


def _entry_rows(session: Session, *, ward_id: Optional[int], by_ward: bool) -> tuple[PublicEntry, ...]:
    """Published "You said, we did" entries, newest first, enough for the pages read: the newest
    ENTRIES_SHOWN of the page's own (the ward's and the borough-wide ones on a ward page), or, for every
    page (`by_ward`), the newest ENTRIES_SHOWN of each ward and of the borough-wide ones, among which are
    the newest ENTRIES_SHOWN of any page."""
    newest_first = (PublicEntry.published_at.desc(), PublicEntry.id.desc())
    published = (PublicEntry.state == "published", PublicEntry.published_at.is_not(None))
    if by_ward:
        ranked = (select(PublicEntry.id, func.row_number().over(partition_by=PublicEntry.ward_id,
                                                                order_by=newest_first).label("rank"))
                  .where(*published).subquery())
        query = select(PublicEntry).join(ranked, ranked.c.id == PublicEntry.id).where(ranked.c.rank <= ENTRIES_SHOWN)
    else:
        query = select(PublicEntry).where(*published)
        if ward_id is not None:
            query = query.where(or_(PublicEntry.ward_id == ward_id, PublicEntry.ward_id.is_(None)))
        query = query.limit(ENTRIES_SHOWN)
    return tuple(session.execute(query.order_by(*newest_first)).scalars())


def _entries(rows: Sequence[PublicEntry], *, ward_id: Optional[int], agencies: dict[int, Agency],
             wards: dict[int, Ward]) -> tuple[PublishedEntry, ...]:
    """Published "You said, we did" entries, newest first: all of them on the borough page; the ward's own
    and the borough-wide ones on a ward page."""
    entries = [entry for entry in rows if ward_id is None or entry.ward_id in (ward_id, None)][:ENTRIES_SHOWN]
    return tuple(
        published_entry(entry, ward_slug=wards[entry.ward_id].slug if entry.ward_id in wards else None,
                        agency_slug=agencies[entry.agency_id].slug if entry.agency_id in agencies else None)
        for entry in entries)


def published_entry(entry: PublicEntry, *, ward_slug: Optional[str], agency_slug: Optional[str]) -> PublishedEntry:
    """A published "You said, we did" row as the public pages and the ward panel digest show it: a copy, so
    nothing shown shares the row's JSON with the session."""
    return PublishedEntry(
        entry_id=entry.id, ward_slug=ward_slug, category=entry.category, agency_slug=agency_slug,
        you_said=entry.you_said, we_did=entry.we_did,
        translations={code: dict(words) for code, words in (entry.translations or {}).items()},
        machine_translated=tuple(entry.machine_translated or ()),
        published_at=entry.published_at,
    )
