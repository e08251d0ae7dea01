"""What the public "You said, we did" pages, their CSV and JSON downloads and the ward panel digest show:
counts, response times against agreed targets, satisfaction and night safety, for a ward or the borough.

Suppression happens here, not in the pages: a count under SUPPRESS_BELOW comes out as None (said as
"fewer than 5"), and so does any figure worked out from fewer than SUPPRESS_BELOW reports or answers (a
median of three response times, a share of four answers). No page, download or API can show a small number
it was never given. Reports staff marked as spam or merged as duplicates are never counted.

(Issue 7 skeleton: the dataclasses are the contract between storage, the pages, the downloads and the
digest; the functions are filled in by storage's owner.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

from sqlmodel import Session

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


def public_figures(session: Session, *, ward_slug: Optional[str], now: datetime, months: int = 12) -> PublicFigures:
    """The figures for one ward (by slug) or, for None, the borough, over the `months` calendar months up
    to and including the current one. Raises LookupError for a ward slug that does not exist."""
    raise NotImplementedError
