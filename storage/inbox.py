"""The inbox query: the reports shared with one agency, filtered, newest first, a page at a time, each with
that agency's response clock (storage/casework.py's rule: a ReportAgency row for the agency, nothing else).

Pages are keyset pages, so page 50 costs what page 1 costs and a report arriving meanwhile never shifts
what the next page shows: on (created_at, id) descending, or for the overdue filter the most overdue
first, on the agency's (shared_at, report_id) ascending. "Overdue" is one range per agency (shared_at <
flows.working_days.overdue_cutoff(now, target)) so the database answers it from an index instead of
computing every report's deadline; tests/flows/test_working_days.py proves the two agree. Indexes that
make these queries fast on a million reports: migration 0012 (and bench/inbox.py measures).

A report its resident reopened ("was this sorted?" answered no) keeps its place in that order: it is
flagged on its row (InboxRow.reopened_at), counted in the header and listed alone by the "reopened" filter,
which walks the partial index ix_report_reopened (migration 0016) of the few reports that are, until staff
pick each up (storage/report_actions.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Optional

from sqlalchemy import and_, bindparam, case, exists, func, select, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session

from flows.working_days import LONDON, add_working_days, overdue_cutoff, working_days_between
# "Open" and "not merged" as the partial index ix_report_open states them (migration 0012).
from storage.counting import dialect_of, is_open, not_merged
from storage.models import Agency, Report, ReportAgency, Ward
from storage.reports import STATUSES

# Status filter values besides the statuses themselves: "open" (everything not closed, the default) and "all".
STATUS_FILTERS = ("open", "all") + STATUSES
AGE_FILTERS = ("today", "week", "month", "older")
# The channels residents report on (bot/channels and the web chat): the Report.channel values.
CHANNELS = ("telegram", "whatsapp", "sms", "webchat")
# How much of the resident's words the list shows: enough to tell reports apart, not the whole story.
EXCERPT_CHARACTERS = 80


@dataclass(frozen=True)
class InboxFilters:
    """What the officer asked to see; every field optional ("open" reports of any kind by default).
    Values are checked by the page against `inbox_options` before they get here."""

    ward: Optional[str] = None  # ward slug
    category: Optional[str] = None  # report category key ("noise")
    status: str = "open"  # one of STATUS_FILTERS
    also_shared_with: Optional[str] = None  # agency slug: reports this agency shares with that one too
    language: Optional[str] = None
    channel: Optional[str] = None
    age: Optional[str] = None  # one of AGE_FILTERS
    overdue: bool = False
    reopened: bool = False  # only reports a resident reopened that no officer has picked up since


@dataclass(frozen=True)
class InboxRow:
    """One report as the list shows it to one agency."""

    id: int
    reference: str
    category: str
    ward_name: Optional[str]
    created_at: datetime
    status: str
    language: str
    channel: str
    privacy: str
    danger_now: bool
    excerpt: str  # the start of the resident's words, in their language
    shared_at: datetime
    via: str
    responded_at: Optional[datetime]
    due_at: datetime
    overdue: bool
    working_days_elapsed: int  # since the clock started (to the response, if there was one)
    overdue_by: int  # whole working days past due_at (0 when not overdue or less than a day over)
    merged_into: Optional[str]  # the reference this report was merged into
    reopened_at: Optional[datetime]  # the resident said it is not sorted, and no officer has acted since


# Where a page ends, in the list's own order: (created_at, id) of its last row, or (shared_at, id) for the
# overdue filter. Pass it back as `after` for the next page.
Cursor = tuple[datetime, int]


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: Optional[Cursor]  # None on the last page


@dataclass(frozen=True)
class InboxSummary:
    open: int
    overdue: int
    reopened: int  # open reports a resident reopened that no officer has picked up since
    target_working_days: int


@dataclass(frozen=True)
class InboxOptions:
    """What the filter form offers, from the database: anything else is a bad filter value."""

    wards: list[tuple[str, str]]  # (slug, name)
    agencies: list[tuple[str, dict]]  # (slug, names by language), active ones
    languages: list[str]  # codes that appear in reports


def excerpt_of(description: str, limit: int = EXCERPT_CHARACTERS) -> str:
    """The first line of the resident's words, cut at a word near `limit` characters."""
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if len(first_line) <= limit:
        return first_line
    cut = first_line[:limit]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


# Built once: building a statement (and an alias's columns) costs more than running it on SQLite.
_TARGET = select(Agency.target_working_days).where(Agency.id == bindparam("agency_id"))
_MERGED_INTO = aliased(Report, name="merged_into")
_MERGED_TARGET_SHARING = aliased(ReportAgency, name="merged_target_sharing")
_ALSO_SHARED = aliased(ReportAgency, name="also_shared")


def _target(session: Session, agency_id: int) -> int:
    return session.connection().execute(_TARGET, {"agency_id": agency_id}).scalar_one()


def _age_bounds(age: str, now: datetime) -> tuple[Optional[datetime], Optional[datetime]]:
    """(from, until) of `created_at` for an age filter; "today" is London's today."""
    if age == "today":
        midnight = datetime.combine(now.astimezone(LONDON).date(), time(0), tzinfo=LONDON)
        return midnight, None
    if age == "week":
        return now - timedelta(days=7), None
    if age == "month":
        return now - timedelta(days=30), None
    return None, now - timedelta(days=30)


def overdue_sharing(*, now: datetime, target: int):
    """The inbox's overdue rule, for ReportAgency rows of an agency whose response target is `target` working
    days: not answered, and shared before flows.working_days.overdue_cutoff(now, target). One range on the
    agency's clock index (ix_reportagency_clock); the ward panel digest counts past-target reports with it."""
    return and_(ReportAgency.responded_at.is_(None), ReportAgency.shared_at < overdue_cutoff(now, target))


def _reopened_condition():
    # Written as the partial index ix_report_reopened states it (migration 0016), so both databases see
    # that it applies.
    return Report.reopened_at.is_not(None)


def _visible_conditions(*, dialect: str, agency_id: int, filters: InboxFilters, now: datetime,
                        target: int) -> list:
    conditions = [ReportAgency.agency_id == agency_id]
    if filters.status == "open":
        conditions.append(is_open())
    elif filters.status != "all":
        conditions.append(Report.status == filters.status)
    if filters.status not in ("closed", "all"):
        # A report merged into another lives on in that one; it shows only to someone asking for closed ones.
        conditions.append(not_merged(dialect))
    if filters.ward:
        conditions.append(Report.ward_id == select(Ward.id).where(Ward.slug == filters.ward).scalar_subquery())
    if filters.category:
        conditions.append(Report.category == filters.category)
    if filters.language:
        conditions.append(Report.language == filters.language)
    if filters.channel:
        conditions.append(Report.channel == filters.channel)
    if filters.also_shared_with:
        conditions.append(exists().where(
            _ALSO_SHARED.report_id == Report.id,
            _ALSO_SHARED.agency_id == select(Agency.id).where(Agency.slug == filters.also_shared_with)
            .scalar_subquery()))
    if filters.age:
        since, until = _age_bounds(filters.age, now)
        if since is not None:
            conditions.append(Report.created_at >= since)
        if until is not None:
            conditions.append(Report.created_at < until)
    if filters.overdue:
        conditions.append(overdue_sharing(now=now, target=target))
    if filters.reopened:
        conditions.append(_reopened_condition())
    return conditions


def inbox_page(session: Session, *, agency_id: int, filters: InboxFilters, now: datetime, page_size: int = 50,
               after: Optional[Cursor] = None) -> InboxPage:
    """One page of the reports shared with `agency_id`: newest first, or most overdue first with the overdue
    filter; the page that follows `after` (an earlier page's next_cursor) when given."""
    target = _target(session, agency_id)
    conditions = _visible_conditions(dialect=dialect_of(session), agency_id=agency_id,
                                     filters=filters, now=now, target=target)
    if filters.overdue:
        # The agency's clock index (agency_id, responded_at, shared_at, report_id) holds these in this
        # order. responded_at is NULL on every row here, so ordering by it changes nothing; it is spelled
        # out because PostgreSQL does not count an IS NULL column as constant and would sort otherwise.
        order = (ReportAgency.responded_at, ReportAgency.shared_at, ReportAgency.report_id)
        if after is not None:
            conditions.append(tuple_(ReportAgency.shared_at, ReportAgency.report_id) > tuple_(*after))
    else:
        order = (Report.created_at.desc(), Report.id.desc())
        if after is not None:
            conditions.append(tuple_(Report.created_at, Report.id) < tuple_(*after))
    query = (
        select(Report.id, Report.reference, Report.category, Ward.name, Report.created_at, Report.status,
               Report.language, Report.channel, Report.privacy, Report.danger_now,
               # Only the start is shown: no need to bring whole descriptions over the wire.
               func.substr(Report.description, 1, EXCERPT_CHARACTERS * 3),
               ReportAgency.shared_at, ReportAgency.via, ReportAgency.responded_at,
               # The report it was merged into is named only if this agency may see that one too: its
               # reference would otherwise tell that a report went to another agency (storage/casework.py).
               case((_merge_target_shared_with(agency_id), _MERGED_INTO.reference), else_=None),
               Report.reopened_at)
        .select_from(Report)
        .join(ReportAgency, ReportAgency.report_id == Report.id)
        .outerjoin(Ward, Ward.id == Report.ward_id)
        .outerjoin(_MERGED_INTO, _MERGED_INTO.id == Report.duplicate_of_id)
        .where(and_(*conditions))
        .order_by(*order)
        .limit(page_size + 1)
    )
    # Plain columns through the connection: the ORM's execution path adds nothing for tuples but time.
    fetched = session.connection().execute(query).all()
    rows = [_row(values, now=now, target=target) for values in fetched[:page_size]]
    next_cursor = None
    if len(fetched) > page_size:
        last = rows[-1]
        next_cursor = (last.shared_at, last.id) if filters.overdue else (last.created_at, last.id)
    return InboxPage(rows=rows, next_cursor=next_cursor)


def _merge_target_shared_with(agency_id: int):
    return exists().where(_MERGED_TARGET_SHARING.report_id == _MERGED_INTO.id,
                          _MERGED_TARGET_SHARING.agency_id == agency_id)


def _row(values, *, now: datetime, target: int) -> InboxRow:
    (report_id, reference, category, ward_name, created_at, status, language, channel, privacy, danger_now,
     description_start, shared_at, via, responded_at, merged_reference, reopened_at) = values
    due_at = add_working_days(shared_at, target)
    overdue = responded_at is None and now > due_at
    return InboxRow(
        id=report_id, reference=reference, category=category, ward_name=ward_name, created_at=created_at,
        status=status, language=language, channel=channel, privacy=privacy, danger_now=bool(danger_now),
        excerpt=excerpt_of(description_start or ""), shared_at=shared_at, via=via, responded_at=responded_at,
        due_at=due_at, overdue=overdue, working_days_elapsed=working_days_between(shared_at, responded_at or now),
        overdue_by=working_days_between(due_at, now) if overdue else 0, merged_into=merged_reference,
        reopened_at=reopened_at,
    )


def inbox_summary(session: Session, *, agency_id: int, now: datetime) -> InboxSummary:
    """How many open reports the agency has, how many of them are overdue, how many a resident reopened
    (ix_report_reopened: a few rows), and its target.

    Both counts read indexes only: the open, unmerged reports (the partial index ix_report_open, a tenth of
    the table) each checked against the agency's sharing, and the overdue ones from the agency's clock
    index. Counting open reports still costs in proportion to how many are open (tens of milliseconds for
    100,000 on SQLite, more on PostgreSQL), so the page keeps the result a short while (web/staff_inbox.py).
    """
    target = _target(session, agency_id)
    connection = session.connection()
    base = (select(func.count()).select_from(Report).join(ReportAgency, ReportAgency.report_id == Report.id)
            .where(ReportAgency.agency_id == agency_id, is_open(), not_merged(dialect_of(session))))
    open_count = connection.execute(base).scalar_one()
    overdue_count = connection.execute(base.where(overdue_sharing(now=now, target=target))).scalar_one()
    # From ix_report_reopened alone: a handful of rows, however many reports are open.
    reopened_count = connection.execute(base.where(_reopened_condition())).scalar_one()
    return InboxSummary(open=open_count, overdue=overdue_count, reopened=reopened_count,
                        target_working_days=target)


def inbox_options(session: Session, *, agency_id: Optional[int]) -> InboxOptions:
    """Wards, agencies and the languages of the reports shared with this agency, for the filter form.

    Only this agency's languages: a language nobody else writes in, offered because one report in it went
    to another agency, would tell this one that it exists."""
    wards = [(slug, name) for slug, name in session.execute(select(Ward.slug, Ward.name).order_by(Ward.name))]
    agencies = [(slug, names) for slug, names in
                session.execute(select(Agency.slug, Agency.names).where(Agency.active).order_by(Agency.slug))]
    languages = []
    if agency_id is not None:
        # Each language found in any report (a loose index scan), kept if one is shared with this agency:
        # one EXISTS per language, which stops at the first match along ix_report_language_created.
        for code in _languages_in_reports(session):
            shared = exists().where(ReportAgency.report_id == Report.id, ReportAgency.agency_id == agency_id)
            if session.execute(select(Report.id).where(Report.language == code, shared).limit(1)).first():
                languages.append(code)
    return InboxOptions(wards=wards, agencies=agencies, languages=languages)


def _languages_in_reports(session: Session) -> list[str]:
    """The distinct Report.language values, by hopping along ix_report_language_created (a loose index
    scan: one index probe per language, not a scan of a million rows; SQLite and PostgreSQL alike)."""
    seen = select(func.min(Report.language).label("code")).cte("seen", recursive=True)
    following = select(
        select(func.min(Report.language)).where(Report.language > seen.c.code).scalar_subquery()
    ).where(seen.c.code.is_not(None))
    seen = seen.union_all(following)
    return [code for code in session.execute(select(seen.c.code).where(seen.c.code.is_not(None))).scalars()]


__all__ = ["AGE_FILTERS", "CHANNELS", "STATUS_FILTERS", "Cursor", "InboxFilters", "InboxOptions", "InboxPage",
           "InboxRow", "InboxSummary", "excerpt_of", "inbox_options", "inbox_page", "inbox_summary"]
