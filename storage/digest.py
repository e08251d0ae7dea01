"""The ward panel digest (rec 12, 13): what one meeting of a ward needs on paper to set its agenda and hold
agencies to account, for a printable page and PDF (web/digest.py) anyone may open.

The period is "since the last meeting": from the start of the previous meeting of the same ward and kind
(or DEFAULT_LOOKBACK_MONTHS before this one, when there was none) to this meeting's start, or to now when
the meeting is still to come. Trends compare it with the equal-length period just before it.

Like the public pages, it holds no resident's free text, name or reference: agenda items only once an
organiser approved them (storage/agenda.py, in the organiser's wording when given), counts only (of reports,
and of the residents backing each agenda item), suppressed as the public pages are (storage.public_figures:
under SUPPRESS_BELOW given as None, "fewer than 5", and a total never giving a hidden part away), spam and
duplicates never counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session

from storage import agenda
from storage.counting import counted_reports, dialect_of, is_open
from storage.inbox import overdue_sharing
from storage.models import Agency, Event, PublicEntry, Report, ReportAgency, ReportUpdate, Space, Ward
from storage.public_figures import PublishedEntry, published_entry, shown, suppress
from storage.seed import CATEGORIES

# With no earlier meeting of its kind in the ward, the digest looks back this far (a ward panel usually
# meets every two or three months).
DEFAULT_LOOKBACK_MONTHS = 3
# The key of a column's total in _suppressed_table (no category is called this).
TOTAL = "*total"


@dataclass(frozen=True)
class DigestMeeting:
    """The meeting the digest is for, as the organiser described it (no RSVPs, no names)."""

    event_id: int
    kind: str  # one of storage.models.EVENT_KINDS
    title: str  # as the organiser wrote it
    titles: dict[str, str]  # other languages: code -> title
    starts_at: datetime
    ends_at: Optional[datetime]
    venue_name: Optional[str]  # a space from the directory, or the organiser's free-text place
    venue_address: Optional[str]
    ward_slug: str
    ward_name: str
    cancelled: bool

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.title


@dataclass(frozen=True)
class PreviousMeeting:
    event_id: int
    title: str
    titles: dict[str, str]
    starts_at: datetime

    def title_in(self, lang: str) -> str:
        return self.titles.get(lang) or self.title


@dataclass(frozen=True)
class DigestAgendaItem:
    """An approved "have your say" item, in the wording the organiser approved."""

    topic: str  # a report category key
    text: str
    language: Optional[str]  # the resident's language when shown as written; None for the organiser's wording
    # Residents who said "me too", as counts are published: None under SUPPRESS_BELOW ("fewer than 5"), so a
    # small item does not show how few stand behind it, or who. Items stay in most-backed-first order.
    backers: Optional[int]


@dataclass(frozen=True)
class CategoryTrend:
    """Reports in one category made in this period and in the period before it (None: fewer than 5)."""

    category: str
    this_period: Optional[int]
    previous_period: Optional[int]


@dataclass(frozen=True)
class Outstanding:
    """Reports in one category still open now, and how many of them wait past an agency's response target."""

    category: str
    open: Optional[int]
    past_target: Optional[int]


@dataclass(frozen=True)
class WardDigest:
    meeting: DigestMeeting
    previous_meeting: Optional[PreviousMeeting]
    period_start: datetime
    period_end: datetime
    previous_period_start: datetime  # the equal-length period before, ending at period_start
    agenda: tuple[DigestAgendaItem, ...]
    reports_this_period: Optional[int]
    reports_previous_period: Optional[int]
    trends: tuple[CategoryTrend, ...]  # every category, in CATEGORIES order
    action_taken: Optional[int]  # reports moved to "action taken" in the period
    closed: Optional[int]  # reports closed in the period
    entries: tuple[PublishedEntry, ...]  # the ward's "You said, we did" entries published in the period
    outstanding: tuple[Outstanding, ...]  # every category, in CATEGORIES order
    outstanding_total: Optional[int]
    outstanding_past_target: Optional[int]
    counted_at: datetime


def ward_digest(session: Session, *, event_id: int, now: datetime) -> WardDigest:
    """The digest of one meeting. Raises LookupError for an event that does not exist or has no ward.
    A cancelled meeting still has one (the page says it was cancelled)."""
    row = session.execute(
        select(Event, Ward).join(Ward, Ward.id == Event.ward_id).where(Event.id == event_id)
    ).first()
    if row is None:
        raise LookupError(f"there is no ward meeting {event_id}")
    event, ward = row
    previous = _previous_meeting(session, event)
    period_end = min(event.starts_at, now)
    period_start = previous.starts_at if previous else _months_before(event.starts_at, DEFAULT_LOOKBACK_MONTHS)
    period_end = max(period_end, period_start)  # a meeting far ahead whose predecessor is still to come
    previous_period_start = period_start - (period_end - period_start)

    this_counts = _reports_by_category(session, ward.id, period_start, period_end)
    before_counts = _reports_by_category(session, ward.id, previous_period_start, period_start)
    open_counts, past_target_counts = _outstanding(session, ward.id, now)
    trends = _suppressed_table(this_counts, before_counts)
    outstanding = _suppressed_table(open_counts, past_target_counts)
    return WardDigest(
        meeting=_meeting(session, event, ward),
        previous_meeting=previous,
        period_start=period_start,
        period_end=period_end,
        previous_period_start=previous_period_start,
        agenda=tuple(
            DigestAgendaItem(topic=item.topic, text=item.text, language=item.language, backers=shown(item.backers))
            # Approved items only, in the approved wording: the same list residents see in the chat.
            for item in agenda.items_for_meeting(session, event_id=event.id)
        ),
        reports_this_period=trends[0, TOTAL],
        reports_previous_period=trends[1, TOTAL],
        trends=tuple(CategoryTrend(category=category, this_period=trends[0, category],
                                   previous_period=trends[1, category])
                     for category in _categories(this_counts, before_counts)),
        action_taken=shown(_reports_moved_to(session, ward.id, "action_taken", period_start, period_end)),
        closed=shown(_reports_moved_to(session, ward.id, "closed", period_start, period_end)),
        entries=_published_entries(session, ward, period_start, period_end),
        outstanding=tuple(Outstanding(category=category, open=outstanding[0, category],
                                      past_target=outstanding[1, category])
                          for category in _categories(open_counts, past_target_counts)),
        outstanding_total=outstanding[0, TOTAL],
        outstanding_past_target=outstanding[1, TOTAL],
        counted_at=now,
    )


def _suppressed_table(*columns: dict[str, int]) -> dict[tuple[int, str], Optional[int]]:
    """Columns of counts by category, each with its total (TOTAL), suppressed as the public pages are:
    under SUPPRESS_BELOW hidden, and one more part hidden where a shown total would give a hidden part
    away by subtraction (storage.public_figures.suppress)."""
    categories = _categories(*columns)
    values = {(index, category): column.get(category, 0) for index, column in enumerate(columns) for category in categories}
    values.update({(index, TOTAL): sum(column.values()) for index, column in enumerate(columns)})
    sums = [((index, TOTAL), [(index, category) for category in categories]) for index in range(len(columns))]
    return suppress(values, sums)


def _categories(*counts: dict[str, int]) -> list[str]:
    """Every category residents can choose, then any other key found (an old category), so none is lost."""
    extra = sorted({key for found in counts for key in found} - set(CATEGORIES))
    return [*CATEGORIES, *extra]


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month_first = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month_first - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _previous_meeting(session: Session, event: Event) -> Optional[PreviousMeeting]:
    """The latest meeting of the same ward and kind that began before this one and was not cancelled."""
    found = session.execute(
        select(Event)
        .where(Event.ward_id == event.ward_id, Event.kind == event.kind, Event.starts_at < event.starts_at,
               Event.cancelled_at.is_(None), Event.id != event.id)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        return None
    return PreviousMeeting(event_id=found.id, title=found.title, titles=dict(found.titles or {}),
                           starts_at=found.starts_at)


def _meeting(session: Session, event: Event, ward: Ward) -> DigestMeeting:
    space = session.get(Space, event.space_id) if event.space_id else None
    return DigestMeeting(
        event_id=event.id, kind=event.kind, title=event.title, titles=dict(event.titles or {}),
        starts_at=event.starts_at, ends_at=event.ends_at,
        venue_name=space.name if space else event.place, venue_address=space.address if space else None,
        ward_slug=ward.slug, ward_name=ward.name, cancelled=event.cancelled_at is not None,
    )


def _counted(session: Session, ward_id: int):
    """The reports public figures count (storage/counting.py): in the ward, neither spam nor merged into
    another."""
    return and_(Report.ward_id == ward_id, *counted_reports(dialect_of(session)))


def _reports_by_category(session: Session, ward_id: int, start: datetime, end: datetime) -> dict[str, int]:
    if end <= start:
        return {}
    rows = session.execute(
        select(Report.category, func.count())
        .where(_counted(session, ward_id), Report.created_at >= start, Report.created_at < end)
        .group_by(Report.category)
    ).all()
    return {category: count for category, count in rows}


def _reports_moved_to(session: Session, ward_id: int, status: str, start: datetime, end: datetime) -> int:
    """How many reports an officer moved to `status` in the period (each counted once, however often)."""
    if end <= start:
        return 0
    return session.execute(
        select(func.count(func.distinct(ReportUpdate.report_id)))
        .join(Report, Report.id == ReportUpdate.report_id)
        # Only real status changes: a reply or a note also carries the status the report had then.
        .where(_counted(session, ward_id), ReportUpdate.action == "status", ReportUpdate.status == status,
               ReportUpdate.created_at >= start, ReportUpdate.created_at < end)
    ).scalar_one()


def _outstanding(session: Session, ward_id: int, now: datetime) -> tuple[dict[str, int], dict[str, int]]:
    """Open reports by category now, and those an agency they were shared with has not answered within its
    target (the staff inbox's overdue rule, storage.inbox.overdue_sharing, per agency)."""
    still_open = and_(_counted(session, ward_id), is_open())
    open_rows = session.execute(
        select(Report.category, func.count()).where(still_open).group_by(Report.category)
    ).all()
    agencies = session.execute(select(Agency.id, Agency.target_working_days)).all()
    past_target = or_(*(
        and_(ReportAgency.agency_id == agency_id, overdue_sharing(now=now, target=target))
        for agency_id, target in agencies
    )) if agencies else false()
    late_rows = session.execute(
        select(Report.category, func.count(func.distinct(Report.id)))
        .join(ReportAgency, ReportAgency.report_id == Report.id)
        .where(still_open, past_target)
        .group_by(Report.category)
    ).all()
    return {category: count for category, count in open_rows}, {category: count for category, count in late_rows}


def _published_entries(session: Session, ward: Ward, start: datetime, end: datetime) -> tuple[PublishedEntry, ...]:
    rows = session.execute(
        select(PublicEntry, Agency.slug)
        .outerjoin(Agency, Agency.id == PublicEntry.agency_id)
        .where(PublicEntry.ward_id == ward.id, PublicEntry.state == "published",
               PublicEntry.published_at >= start, PublicEntry.published_at < end)
        .order_by(PublicEntry.published_at, PublicEntry.id)
    ).all()
    return tuple(published_entry(entry, ward_slug=ward.slug, agency_slug=agency_slug) for entry, agency_slug in rows)
