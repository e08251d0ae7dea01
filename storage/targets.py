"""Targets and success measures agreed with residents (rec 10): recording one with when and with whom it was
agreed, retiring it, and which are in force; and keeping each agency's response clock (Agency.target_working_days,
which the inbox counts against) in step with the borough-wide first-response target residents agreed for it.

A target is in force on day `d` when `effective_from <= d` and (`retired_on` is None or `d < retired_on`):
`retired_on` is the first day it no longer applies. Targets are never edited: a new agreement for the same
measure, agency and ward retires the one in force on the day the new one takes effect, so the public pages
show each over its own time. Only admins record or retire them (web/staff_public.py says so).

Every function takes keyword-only arguments and an explicit session and never commits (callers commit).
Refusals raise TargetInputError with a `problem` code (and the `field` it is about) the pages translate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy import or_, select
from sqlmodel import Session

from flows.events import LONDON
from storage.models import TARGET_MEASURES, Agency, SuccessTarget, Ward

# Measures counted in working days; "sorted" is a share of residents' answers.
DAY_MEASURES = ("first_response", "close")
MIN_WORKING_DAYS, MAX_WORKING_DAYS = 1, 60
MIN_SHARE_PERCENT, MAX_SHARE_PERCENT = 1, 100
MAX_AGREED_WITH_LENGTH = 200
MAX_NOTE_LENGTH = 500
# Days a target can be agreed or take effect on. Nothing here was agreed before 2000, and an agreement
# further ahead than five years is a typing slip (year 9999), not a plan: the public pages chart every
# target over its own time, and a stray year would stretch them.
EARLIEST_DAY = date(2000, 1, 1)
MAX_YEARS_AHEAD = 5


class TargetInputError(ValueError):
    """What an admin gave that cannot become (or retire) a target: `problem` a code the page translates, `field`
    the form field it is about, or None."""

    def __init__(self, problem: str, *, field: Optional[str] = None):
        super().__init__(problem + (f" ({field})" if field else ""))
        self.problem = problem
        self.field = field


@dataclass(frozen=True)
class TargetRow:
    """A target as the admin page lists it, with its agency's and ward's names."""

    target: SuccessTarget
    agency_slug: Optional[str]
    agency_names: dict
    ward_slug: Optional[str]
    ward_name: Optional[str]


@dataclass(frozen=True)
class RecordedTarget:
    target: SuccessTarget
    retired: tuple[int, ...]  # ids of the targets the new agreement replaced
    agency_clocks: dict[str, int]  # agency slug -> its new Agency.target_working_days, for those that changed


def london_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def latest_effective_from(today: date) -> date:
    """The last day a target recorded `today` may take effect: the same day MAX_YEARS_AHEAD years on."""
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February, in a year without one
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def in_force_on(day: date):
    """The SQL condition "in force on `day`" (see the module's docstring)."""
    return (SuccessTarget.effective_from <= day) & or_(SuccessTarget.retired_on.is_(None),
                                                       SuccessTarget.retired_on > day)


def _whole(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise TargetInputError("out_of_range", field=field)
    return value


def record_target(
    session: Session, *, measure: str, agreed_with: str, agreed_on: date, effective_from: date, now: datetime,
    staff_user_id: Optional[int], working_days: Optional[int] = None, share_percent: Optional[int] = None,
    agency_slug: Optional[str] = None, ward_slug: Optional[str] = None, note: Optional[str] = None,
) -> RecordedTarget:
    """Record an agreed target. first_response and close need `working_days` (1-60), sorted needs `share_percent`
    (1-100) and takes no working days; `share_percent` is optional for the others. `agreed_on` is from
    EARLIEST_DAY to today (London), `effective_from` from EARLIEST_DAY to MAX_YEARS_AHEAD years after today
    ("date_out_of_range" otherwise); `agency_slug` None means every agency, `ward_slug` None the borough. The target in force for
    the same measure, agency and ward is retired from `effective_from`, and agencies' response clocks follow."""
    if measure not in TARGET_MEASURES:
        raise TargetInputError("unknown_measure", field="measure")
    if measure in DAY_MEASURES:
        if working_days is None:
            raise TargetInputError("working_days_missing", field="working_days")
        _whole(working_days, "working_days", MIN_WORKING_DAYS, MAX_WORKING_DAYS)
    elif working_days is not None:
        raise TargetInputError("working_days_not_counted", field="working_days")
    if share_percent is None and measure == "sorted":
        raise TargetInputError("share_missing", field="share_percent")
    if share_percent is not None:
        _whole(share_percent, "share_percent", MIN_SHARE_PERCENT, MAX_SHARE_PERCENT)
    agreed_with = (agreed_with or "").strip()
    if not agreed_with:
        raise TargetInputError("agreed_with_missing", field="agreed_with")
    if len(agreed_with) > MAX_AGREED_WITH_LENGTH:
        raise TargetInputError("agreed_with_too_long", field="agreed_with")
    today = london_today(now)
    if not isinstance(agreed_on, date) or agreed_on > today:
        raise TargetInputError("agreed_in_future", field="agreed_on")
    if agreed_on < EARLIEST_DAY:
        raise TargetInputError("date_out_of_range", field="agreed_on")
    if not isinstance(effective_from, date):
        raise TargetInputError("effective_from_missing", field="effective_from")
    if not EARLIEST_DAY <= effective_from <= latest_effective_from(today):
        raise TargetInputError("date_out_of_range", field="effective_from")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise TargetInputError("note_too_long", field="note")
    agency_id = ward_id = None
    if agency_slug:
        agency_id = session.execute(select(Agency.id).where(Agency.slug == agency_slug)).scalar_one_or_none()
        if agency_id is None:
            raise TargetInputError("unknown_agency", field="agency")
    if ward_slug:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == ward_slug)).scalar_one_or_none()
        if ward_id is None:
            raise TargetInputError("unknown_ward", field="ward")

    # The agreement it replaces: same measure, agency and ward, not yet retired by then. Locked, so two admins
    # recording at once do not both leave the old one in force.
    replaced = session.execute(
        select(SuccessTarget)
        .where(SuccessTarget.measure == measure, _same(SuccessTarget.agency_id, agency_id),
               _same(SuccessTarget.ward_id, ward_id),
               or_(SuccessTarget.retired_on.is_(None), SuccessTarget.retired_on > effective_from))
        .with_for_update()
    ).scalars().all()
    for old in replaced:
        # An old one that had not begun by then never applies (retired on its first day).
        old.retired_on = max(effective_from, old.effective_from)

    target = SuccessTarget(measure=measure, agency_id=agency_id, ward_id=ward_id, working_days=working_days,
                           share_percent=share_percent, agreed_with=agreed_with, agreed_on=agreed_on,
                           effective_from=effective_from, note=note, staff_user_id=staff_user_id, created_at=now)
    session.add(target)
    session.flush()
    clocks = apply_agency_targets(session, today=london_today(now))
    return RecordedTarget(target=target, retired=tuple(old.id for old in replaced), agency_clocks=clocks)


def _same(column, value):
    return column.is_(None) if value is None else column == value


def retire_target(session: Session, *, target_id: int, retired_on: date, now: datetime) -> tuple[SuccessTarget, dict]:
    """Retire a target from `retired_on` (the first day it no longer applies; not before it took effect).
    Answers the target and the agency clocks that changed (slug -> working days). LookupError for an unknown
    id; TargetInputError "already_retired" or "retired_before_effective"."""
    target = session.execute(select(SuccessTarget).where(SuccessTarget.id == target_id).with_for_update()
                             ).scalar_one_or_none()
    if target is None:
        raise LookupError(f"no target {target_id}")
    if target.retired_on is not None:
        raise TargetInputError("already_retired")
    if not isinstance(retired_on, date) or retired_on < target.effective_from:
        raise TargetInputError("retired_before_effective", field="retired_on")
    target.retired_on = retired_on
    session.flush()
    return target, apply_agency_targets(session, today=london_today(now))


def apply_agency_targets(session: Session, *, today: date) -> dict[str, int]:
    """Set each agency's response clock (Agency.target_working_days) to the borough-wide first-response target
    in force today: its own if it has one, else one agreed for every agency. An agency with neither keeps the
    number it has (the inbox always needs one). Answers the agencies changed: slug -> working days. Call it
    after recording or retiring, and daily for targets that take effect later (it is idempotent)."""
    in_force = session.execute(
        select(SuccessTarget.agency_id, SuccessTarget.working_days)
        .where(SuccessTarget.measure == "first_response", SuccessTarget.ward_id.is_(None), in_force_on(today))
        .order_by(SuccessTarget.effective_from, SuccessTarget.id)
    ).all()
    # The latest to take effect wins, should two overlap (one retired with a future date, say).
    by_agency = {agency_id: days for agency_id, days in in_force}
    every_agency = by_agency.pop(None, None)
    changed = {}
    for agency in session.execute(select(Agency).order_by(Agency.id)).scalars():
        wanted = by_agency.get(agency.id, every_agency)
        if wanted is not None and agency.target_working_days != wanted:
            agency.target_working_days = wanted
            changed[agency.slug] = wanted
    session.flush()
    return changed


def _rows(session: Session, query) -> list[TargetRow]:
    query = (query.add_columns(Agency.slug, Agency.names, Ward.slug, Ward.name)
             .outerjoin(Agency, Agency.id == SuccessTarget.agency_id)
             .outerjoin(Ward, Ward.id == SuccessTarget.ward_id))
    return [TargetRow(target=target, agency_slug=agency_slug, agency_names=names or {}, ward_slug=ward_slug,
                      ward_name=ward_name)
            for target, agency_slug, names, ward_slug, ward_name in session.execute(query).all()]


def targets_in_force(session: Session, *, today: date) -> list[TargetRow]:
    """The targets in force on `today`, by measure, then borough before wards, every agency before one."""
    query = (select(SuccessTarget).where(in_force_on(today))
             .order_by(SuccessTarget.measure, SuccessTarget.ward_id.is_not(None), SuccessTarget.ward_id,
                       SuccessTarget.agency_id.is_not(None), SuccessTarget.agency_id, SuccessTarget.id))
    return _rows(session, query)


def target_history(session: Session) -> list[TargetRow]:
    """Every target ever recorded, newest agreement first: the record of what was agreed, with whom and when."""
    query = select(SuccessTarget).order_by(SuccessTarget.effective_from.desc(), SuccessTarget.id.desc())
    return _rows(session, query)
