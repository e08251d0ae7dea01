"""Reports, the agencies they are shared with, their updates, and the sealed link to the sender."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import select
from sqlmodel import Session

from storage.models import TIMES_OF_DAY, Agency, Report, ReportAgency, ReportLink, ReportMedia, ReportUpdate, Ward
from storage import identical_reports, sorted_checks
from storage.report_clock import set_status

PRIVACY_LEVELS = ("anonymous", "private", "named")
STATUSES = ("received", "in_progress", "action_taken", "referred", "closed")
# The one category whose reports carry the night-safety answers (flows/report.py asks them).
UNSAFE_PLACE = "unsafe_place"


class UnknownChoice(ValueError):
    """A ward or agency slug that is not in the database."""


def create_report(
    session: Session,
    *,
    reference: str,
    category: str,
    language: str,
    channel: str,
    privacy: str,
    agency_slugs: Sequence[str],
    description: str,
    received_at: datetime,
    danger_now: bool = False,
    ward_slug: Optional[str] = None,
    location_text: Optional[str] = None,
    latitude: Optional[float] = None,
    longitude: Optional[float] = None,
    when_kind: Optional[str] = None,
    when_text: Optional[str] = None,
    sender_contact_id: Optional[int] = None,
    reporter_name_sealed: Optional[str] = None,
    media: Sequence[tuple[str, str]] = (),
    time_of_day: Optional[str] = None,
    woman_or_girl: Optional[bool] = None,
    fingerprint_keys: Sequence[str] = (),
    identical_within: timedelta = timedelta(hours=48),
) -> Report:
    """Save a report with its first update and its sharing; link the sender unless it is anonymous.

    With `fingerprint_keys` (SECRET_KEY, then any previous keys still configured) a report identical to one
    received within `identical_within` is saved merged into it (storage/identical_reports.py); every path
    a resident's report arrives by passes them. Without them nothing is compared (test data, imports).

    `time_of_day` (one of TIMES_OF_DAY) and `woman_or_girl` belong to unsafe-place reports only; the latter
    is True when the resident chose to say so and None otherwise, never False (nobody is recorded as "not").
    """
    if privacy not in PRIVACY_LEVELS:
        raise ValueError(f"unknown privacy level {privacy!r}")
    if time_of_day is not None and time_of_day not in TIMES_OF_DAY:
        raise ValueError(f"unknown time of day {time_of_day!r}")
    if woman_or_girl not in (True, None):
        raise ValueError("woman_or_girl is True (the resident said so) or None, never False")
    if (time_of_day is not None or woman_or_girl is not None) and category != UNSAFE_PLACE:
        raise ValueError("time of day and woman or girl are asked about unsafe places only")
    if privacy == "anonymous" and (sender_contact_id is not None or reporter_name_sealed is not None):
        raise ValueError("an anonymous report keeps no link to its sender")
    if privacy != "anonymous" and sender_contact_id is None:
        raise ValueError("a private or named report needs its sender's contact for updates")
    if privacy == "anonymous":
        # No timestamp finer than an hour may link an anonymous report to a conversation.
        received_at = received_at.replace(minute=0, second=0, microsecond=0)

    ward_id = None
    if ward_slug:
        ward_id = session.execute(select(Ward.id).where(Ward.slug == ward_slug)).scalar_one_or_none()
        if ward_id is None:
            raise UnknownChoice(f"unknown ward {ward_slug!r}")
    agency_ids = dict(session.execute(select(Agency.slug, Agency.id).where(Agency.slug.in_(agency_slugs))).all())
    missing = set(agency_slugs) - set(agency_ids)
    if missing or not agency_slugs:
        raise UnknownChoice(f"unknown or no agencies {sorted(missing)!r}")

    fingerprint = identical_into = None
    if fingerprint_keys:
        fingerprints = [identical_reports.content_fingerprint(
            key, category=category, ward_slug=ward_slug, location_text=location_text, latitude=latitude,
            longitude=longitude, description=description, privacy=privacy, agency_slugs=agency_slugs)
            for key in fingerprint_keys]
        fingerprint = fingerprints[0]
        if fingerprint is not None:
            identical_reports.take_turns(session, fingerprint=fingerprint)
            identical_into = identical_reports.identical_report(session, fingerprints=fingerprints,
                                                                received_at=received_at, within=identical_within)

    report = Report(
        reference=reference,
        category=category,
        ward_id=ward_id,
        location_text=location_text,
        latitude=latitude,
        longitude=longitude,
        when_kind=when_kind,
        when_text=when_text,
        description=description,
        language=language,
        channel=channel,
        privacy=privacy,
        danger_now=danger_now,
        time_of_day=time_of_day,
        woman_or_girl=woman_or_girl,
        status="received",
        created_at=received_at,
        updated_at=received_at,
        content_fingerprint=fingerprint,
    )
    session.add(report)
    session.flush()
    for slug in agency_slugs:
        session.add(ReportAgency(report_id=report.id, agency_id=agency_ids[slug], shared_at=received_at))
    session.add(ReportUpdate(report_id=report.id, status="received", action="received", created_at=received_at))
    for media_id, kind in media:
        session.add(ReportMedia(report_id=report.id, media_id=media_id, kind=kind))
    if privacy != "anonymous":
        session.add(
            ReportLink(report_id=report.id, contact_id=sender_contact_id, reporter_name_sealed=reporter_name_sealed)
        )
    session.flush()
    if identical_into is not None:
        identical_reports.merge_on_arrival(session, report=report, into_report_id=identical_into)
    return report


def reference_exists(session: Session, *, reference: str) -> bool:
    return session.execute(select(Report.id).where(Report.reference == reference)).first() is not None


@dataclass(frozen=True)
class PublicStatus:
    reference: str
    status: str
    language: str
    received_at: datetime
    latest_message: Optional[str]
    latest_message_language: Optional[str]
    latest_update_at: Optional[datetime]
    latest_standard_reply: Optional[str] = None
    latest_machine_translated: bool = False
    # The closing "was this sorted?" may ask about (None while open, merged or spam) and its answer so far.
    closed_at: Optional[datetime] = None
    sorted_answer: Optional[str] = None


def public_status(session: Session, *, reference: str) -> Optional[PublicStatus]:
    """What anyone holding the reference may see: status and the latest public message, nothing else."""
    report = session.execute(select(Report).where(Report.reference == reference)).scalar_one_or_none()
    if report is None:
        return None
    latest = session.execute(
        select(ReportUpdate)
        .where(ReportUpdate.report_id == report.id, ReportUpdate.public_message.is_not(None))
        .order_by(ReportUpdate.created_at.desc(), ReportUpdate.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    # A merged or spam report is not asked "was this sorted?": staff act on the one it joined, or judged it
    # not genuine.
    askable = report.status == "closed" and report.duplicate_of_id is None and report.spam_at is None
    askable_closing = report.closed_at if askable else None
    return PublicStatus(
        reference=report.reference,
        status=report.status,
        language=report.language,
        received_at=report.created_at,
        latest_message=latest.public_message if latest else None,
        latest_message_language=latest.message_language if latest else None,
        latest_update_at=latest.created_at if latest else None,
        latest_standard_reply=latest.standard_reply if latest else None,
        latest_machine_translated=bool(latest and latest.machine_translated),
        closed_at=askable_closing,
        sorted_answer=sorted_checks.answer_of(session, report_id=report.id, closed_at=askable_closing),
    )


@dataclass(frozen=True)
class UpdateForResident:
    """One staff update as its resident was to be told it (bot/report_notify.py): what a neutral notice
    shows when they answer it."""

    reference: str
    action: str
    status: str
    public_message: Optional[str]
    message_language: Optional[str]
    standard_reply: Optional[str]
    machine_translated: bool


def update_for_resident(session: Session, *, reference: str, update_id: int) -> Optional[UpdateForResident]:
    """The update `update_id` of the report `reference`, or None if it is not one of that report's (any more)."""
    row = session.execute(
        select(ReportUpdate).join(Report, Report.id == ReportUpdate.report_id)
        .where(ReportUpdate.id == update_id, Report.reference == reference)
    ).scalar_one_or_none()
    if row is None:
        return None
    return UpdateForResident(reference=reference, action=row.action, status=row.status,
                             public_message=row.public_message, message_language=row.message_language,
                             standard_reply=row.standard_reply, machine_translated=bool(row.machine_translated))


def add_report_update(
    session: Session,
    *,
    reference: str,
    status: str,
    at: datetime,
    public_message: Optional[str] = None,
    message_language: Optional[str] = None,
    internal_note: Optional[str] = None,
    author: Optional[str] = None,
) -> ReportUpdate:
    """Record a status change with its public message and note; the report takes the new status."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
    update = ReportUpdate(
        report_id=report.id,
        status=status,
        public_message=public_message,
        message_language=message_language if public_message else None,
        internal_note=internal_note,
        author=author,
        created_at=at,
    )
    set_status(session, report=report, status=status, now=at)
    session.add(update)
    session.flush()
    return update
