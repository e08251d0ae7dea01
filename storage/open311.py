"""What Open311 GeoReport v2 may say about reports, and the reports council systems create through it.

Only what is safe to publish leaves here: the category, open or closed, the agencies, the ward's name,
times rounded down to the hour, the key of the latest standard reply (never an officer's own words) and
the public summary staff approved (never the resident's words). Spam and merged duplicates are left out,
as on the public pages. A request is known by its public id (`public_request_id`), not by its reference:
the reference is what lets its holder read the officers' replies and answer "was this sorted?", so it is
never published (docs/open311.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import func, or_, select
from sqlmodel import Session

from flows.working_days import add_working_days
from storage import reports
from storage.counting import counted_reports, dialect_of
from storage.models import Agency, CategoryRoute, Report, ReportAgency, ReportUpdate, Ward
from storage.references import new_reference
from storage.seed import CATEGORIES
from storage.types import hour_of

# The channel Report.channel records for reports a council system created through the API.
OPEN311_CHANNEL = "open311"
# Reports about harassment or hate are about what someone did to a person. Listed one by one with their
# ward and hour, they could tell the person responsible that they were reported, and when: they are counted
# in the public figures (suppressed under 5) but never listed here. A council system may still create one.
NOT_LISTED_CATEGORIES = ("harassment", "hate")
# The spec's default page: at most 1,000 requests a response.
PAGE_SIZE = 1000
DESCRIPTION_MAX_LENGTH = 2000  # the same limit residents have in every chat


# Row ids are PostgreSQL `integer`s (web/row_ids.py says the same for addresses).
LARGEST_ROW_ID = 2**31 - 1


def public_request_id(report_id: int) -> str:
    """The service_request_id of a report: its row id, which unlocks nothing (unlike its reference)."""
    return str(report_id)


def report_id_of(request_id: str) -> Optional[int]:
    """The row id a service_request_id names, or None if it cannot name one."""
    text = request_id.strip()
    if not re.fullmatch(r"[0-9]{1,12}", text):
        return None
    return int(text)


@dataclass(frozen=True)
class PublicRequest:
    """One report as Open311 shows it. Times are aware UTC, each on the hour."""

    request_id: str
    category: str
    closed: bool
    # The key of the latest public reply if it was a standard one (flows/staff_replies.py); None when the
    # latest reply was written freely (those may speak to the resident by name) or there is none.
    standard_reply: Optional[str]
    public_summary: Optional[str]  # only when approved by staff
    agency_names: tuple[dict, ...]  # Agency.names of each agency it is shared with, by slug
    requested_at: datetime
    updated_at: datetime
    expected_at: Optional[datetime]  # the earliest first-response deadline among its agencies
    ward_name: Optional[str]


def find_requests(
    session: Session,
    *,
    report_ids: Optional[Sequence[int]] = None,
    categories: Optional[Sequence[str]] = None,
    requested_from: Optional[datetime] = None,
    requested_to: Optional[datetime] = None,
    closed: Optional[bool] = None,
    page: int = 1,
) -> list[PublicRequest]:
    """Counted reports, newest first, a page of at most PAGE_SIZE.

    `requested_from` and `requested_to` bound the published requested time (created_at to the hour), both
    included, so a query cannot find a report's exact minute by narrowing the range: the bounds are
    widened to whole hours before they reach the database.
    """
    conditions = [*counted_reports(dialect_of(session)), Report.category.notin_(NOT_LISTED_CATEGORIES)]
    if report_ids is not None:
        # A number past PostgreSQL's `integer` names no report, and PostgreSQL refuses to compare with it.
        conditions.append(Report.id.in_([report_id for report_id in report_ids if 0 < report_id <= LARGEST_ROW_ID]))
    if categories is not None:
        conditions.append(Report.category.in_(list(categories)))
    if requested_from is not None:
        first_hour = hour_of(requested_from)
        if first_hour < requested_from:
            first_hour += timedelta(hours=1)  # the earliest hour not before the bound
        conditions.append(Report.created_at >= first_hour)
    if requested_to is not None:
        conditions.append(Report.created_at < hour_of(requested_to) + timedelta(hours=1))
    if closed is True:
        conditions.append(Report.status == "closed")
    elif closed is False:
        conditions.append(Report.status != "closed")
    rows = session.execute(
        select(Report.id, Report.category, Report.status, Report.public_summary, Report.public_summary_approved_at,
               Report.created_at, Report.updated_at, Ward.name)
        .outerjoin(Ward, Ward.id == Report.ward_id)
        .where(*conditions)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    ids = [row.id for row in rows]
    sharings = _sharings_of(session, ids)
    replies = _latest_standard_replies(session, ids)
    found = []
    for row in rows:
        shared = sharings.get(row.id, [])
        deadlines = [add_working_days(shared_at, target) for _names, shared_at, target in shared]
        found.append(PublicRequest(
            request_id=public_request_id(row.id),
            category=row.category,
            closed=row.status == "closed",
            standard_reply=replies.get(row.id),
            public_summary=row.public_summary if row.public_summary_approved_at is not None and row.public_summary
            else None,
            agency_names=tuple(names for names, _shared_at, _target in shared),
            requested_at=hour_of(row.created_at),
            updated_at=hour_of(max(row.updated_at, row.created_at)),
            expected_at=hour_of(min(deadlines)) if deadlines else None,
            ward_name=row.name,
        ))
    return found


def find_request(session: Session, *, request_id: str) -> Optional[PublicRequest]:
    report_id = report_id_of(request_id)
    if report_id is None:
        return None
    found = find_requests(session, report_ids=[report_id])
    return found[0] if found else None


def _sharings_of(session: Session, report_ids: list[int]) -> dict[int, list[tuple[dict, datetime, int]]]:
    """Per report: (agency names, when it was shared, the agency's target) in the order it was shared.
    Never the police: whether a resident chose to tell the police is theirs to know, and publishing it
    could put off the residents most wary of them (and the police see only what residents chose anyway)."""
    if not report_ids:
        return {}
    rows = session.execute(
        select(ReportAgency.report_id, Agency.names, ReportAgency.shared_at, Agency.target_working_days)
        .join(Agency, Agency.id == ReportAgency.agency_id)
        .where(ReportAgency.report_id.in_(report_ids), Agency.kind != "police")
        .order_by(ReportAgency.report_id, ReportAgency.shared_at, Agency.id)
    ).all()
    sharings: dict[int, list[tuple[dict, datetime, int]]] = {}
    for report_id, names, shared_at, target in rows:
        sharings.setdefault(report_id, []).append((names, shared_at, target))
    return sharings


def _latest_standard_replies(session: Session, report_ids: list[int]) -> dict[int, str]:
    """Per report, the key of its latest public reply when that reply was a standard one."""
    if not report_ids:
        return {}
    latest = (
        select(ReportUpdate.report_id, func.max(ReportUpdate.id).label("update_id"))
        .where(ReportUpdate.report_id.in_(report_ids),
               or_(ReportUpdate.public_message.is_not(None), ReportUpdate.standard_reply.is_not(None)))
        .group_by(ReportUpdate.report_id)
        .subquery()
    )
    rows = session.execute(
        select(ReportUpdate.report_id, ReportUpdate.standard_reply)
        .join(latest, latest.c.update_id == ReportUpdate.id)
    ).all()
    return {report_id: key for report_id, key in rows if key}


# --- creating reports (POST requests) ------------------------------------------------------------------


class UnknownService(LookupError):
    """A service_code that is not one of the report categories."""


def default_agency_slugs(session: Session, *, category: str) -> list[str]:
    """The agencies a category goes to by default (CategoryRoute), as the chat pre-ticks them."""
    return list(session.execute(
        select(Agency.slug).join(CategoryRoute, CategoryRoute.agency_id == Agency.id)
        .where(CategoryRoute.category == category, Agency.active.is_(True))
        .order_by(Agency.id)
    ).scalars())


def ward_slug_for_address(session: Session, *, address: Optional[str]) -> Optional[str]:
    """The ward an address string names, when its whole text or one comma-separated part is a ward's name
    or slug ("Weavers", "Bow East ward, London"); None otherwise: no guessing from street names."""
    if not address:
        return None
    wards = session.execute(select(Ward.slug, Ward.name)).all()
    by_words = {}
    for slug, name in wards:
        by_words[_words(name)] = slug
        by_words[_words(slug)] = slug
    for part in [address, *address.split(",")]:
        words = _words(part)
        if words.endswith(" ward"):
            words = words.removesuffix(" ward")
        if words in by_words:
            return by_words[words]
    return None


def _words(text: str) -> str:
    # As storage/seed.slugify reads names: apostrophes dropped, "&" (or "and") and hyphens between words.
    spaced = re.sub(r"[&\-]", " ", re.sub(r"['’]", "", text.lower()))
    return " ".join(word for word in spaced.split() if word != "and")


def create_open311_report(
    session: Session,
    *,
    category: str,
    description: str,
    language: str,
    now: datetime,
    latitude: Optional[float] = None,
    longitude: Optional[float] = None,
    address_string: Optional[str] = None,
    address_id: Optional[str] = None,
    fingerprint_keys: Sequence[str] = (),
    identical_within: timedelta = timedelta(hours=48),
) -> Report:
    """An anonymous report from a council system, to the category's default agencies.

    Nothing about the person who reported it is taken in: the API's personal fields never reach here. With
    `fingerprint_keys` a copy of a report received within `identical_within` is merged into it, as the chat's
    reports are (storage/identical_reports.py).
    """
    if category not in CATEGORIES:
        raise UnknownService(category)
    if not description or len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValueError("a description of 1 to 2,000 characters is needed")
    location_text = address_string or (f"Address id {address_id}" if address_id else None)
    while True:
        reference = new_reference()
        if not reports.reference_exists(session, reference=reference):
            break
    return reports.create_report(
        session,
        reference=reference,
        category=category,
        language=language,
        channel=OPEN311_CHANNEL,
        privacy="anonymous",
        agency_slugs=default_agency_slugs(session, category=category),
        description=description,
        received_at=now,
        ward_slug=ward_slug_for_address(session, address=address_string),
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        fingerprint_keys=fingerprint_keys,
        identical_within=identical_within,
    )
