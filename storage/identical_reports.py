"""Identical reports merged: a report the same as one received in the last IDENTICAL_REPORT_HOURS is
saved closed, merged into that one, as staff merge duplicates (storage/report_actions.py), so a flood of
copies of one report, or a resident pressing send on two channels, counts once in the public figures and
waits once in the inboxes. Nothing is thrown away: the copy keeps its words, its reference and its history.

"The same" is a keyed hash (storage/crypto.keyed_hash, under its own label) of everything the resident
chose and wrote, normalised: category, ward, place (words and a shared location to about ten metres),
description, privacy level and the agencies ticked. Normalising folds case, Unicode compatibility forms,
punctuation, symbols and runs of spaces, so "Loud music!!" and "loud  music" are one report while any
different word is another. A resident who sends again to add the police or to be kept informed has
changed their choices, so that report stands. The hash reveals nothing without SECRET_KEY.

Reports with little to compare (fewer than MIN_CHARACTERS letters and digits of place and words together)
get no fingerprint and are never merged: two residents who both chose "noise" in Weavers and wrote nothing
are two reports.

The resident is not told at once that their report joined another: the acknowledgement is the same, so
sending a copy is no way to learn whether someone already reported something. Their reference answers the
status check with the closing and the standard reply that the same problem was already reported
(flows/staff_replies.py "closed.duplicate"), which is what staff merges say too.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import select, text
from sqlmodel import Session

from flows.staff_replies import STANDARD_REPLIES
from storage.crypto import keyed_hash
from storage.models import Report, ReportUpdate
from storage.report_clock import set_status

# Letters and digits of place and words together below which a report is not compared at all.
MIN_CHARACTERS = 12
# pg_advisory_xact_lock(class, key): two identical reports at once take turns, so the second sees the first.
# The two-key form has a key space of its own (the merge lock in report_actions.py uses the one-key form).
LOCK_CLASS = 0x5AFE0017
# A shared location is compared to four decimal places: about ten metres in London.
COORDINATE_PLACES = 4
MERGED_REPLY = "closed.duplicate"
_LABEL = "report-content"


def normalise(value: Optional[str]) -> str:
    """Words as compared: NFKC, case folded, punctuation, symbols and control characters made spaces,
    invisible format characters dropped, spaces collapsed. Letters, digits and combining marks (a Bengali
    vowel sign) are kept as they are."""
    folded = unicodedata.normalize("NFKC", value or "").casefold()
    kept = "".join(_compared(char) for char in folded)
    return " ".join(kept.split())


def _compared(char: str) -> str:
    category = unicodedata.category(char)
    if category in ("Cf", "Cs", "Co", "Cn"):
        return ""  # invisible: a zero-width space must not make a copy look new
    if category[0] in "PSZC":
        return " "
    return char


def content_fingerprint(secret_key: str, *, category: str, ward_slug: Optional[str], location_text: Optional[str],
                        latitude: Optional[float], longitude: Optional[float], description: Optional[str],
                        privacy: str, agency_slugs: Sequence[str]) -> Optional[str]:
    """The keyed hash that identical reports share, or None for a report with too little to compare."""
    place, words = normalise(location_text), normalise(description)
    if len((place + words).replace(" ", "")) < MIN_CHARACTERS:
        return None
    point = ""
    if latitude is not None and longitude is not None:
        point = f"{round(latitude, COORDINATE_PLACES):.{COORDINATE_PLACES}f},{round(longitude, COORDINATE_PLACES):.{COORDINATE_PLACES}f}"
    canonical = json.dumps([category, ward_slug or "", place, point, words, privacy, sorted(set(agency_slugs))],
                           ensure_ascii=False, separators=(",", ":"))
    return keyed_hash(secret_key, _LABEL, canonical)


def take_turns(session: Session, *, fingerprint: str) -> None:
    """Hold the fingerprint's lock to commit, so of two identical reports saved at once the second finds the
    first. SQLite needs none: BEGIN IMMEDIATE (storage/database.py) already serialises writers."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(fingerprint.encode()).digest()[:4], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:class, :key)"), {"class": LOCK_CLASS, "key": key})


def identical_report(session: Session, *, fingerprints: Sequence[str], received_at: datetime,
                     within: timedelta) -> Optional[int]:
    """The id of the report an identical one received at `received_at` joins (the earliest within the
    window, or the report that one was itself merged into), or None. Identical reports share a privacy
    level, so an anonymous copy (its time kept to the hour) is only ever compared with anonymous reports,
    hour with hour."""
    since = received_at - within
    found = session.execute(
        select(Report.id, Report.duplicate_of_id)
        .where(Report.content_fingerprint.in_(list(fingerprints)), Report.created_at >= since)
        .order_by(Report.id).limit(1)
    ).first()
    if found is None:
        return None
    return found.duplicate_of_id or found.id


def merge_on_arrival(session: Session, *, report: Report, into_report_id: int) -> ReportUpdate:
    """Close the report just saved as a duplicate of `into_report_id`, at the time it was received (to the
    hour for an anonymous one), with the standard reply its status check reads. No agency responded, so no
    response clock stops; merged reports are left out of the figures and the open inbox."""
    at = report.created_at
    reply = STANDARD_REPLIES[MERGED_REPLY]
    entry = ReportUpdate(report_id=report.id, status="closed", action="merge", created_at=at,
                         merged_into_id=into_report_id, public_message=reply.text, message_language="en",
                         standard_reply=reply.key)
    session.add(entry)
    set_status(session, report=report, status="closed", now=at)
    report.duplicate_of_id = into_report_id
    session.flush()
    return entry
