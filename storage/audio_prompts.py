"""Who uploaded each community recording of a prompt, and when: read from the staff audit log, which is
where an upload is recorded (the recordings themselves are files: bot/audio_prompts.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Collection, Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import AuditEntry, StaffUser

UPLOADED = "audio_prompt_uploaded"
REMOVED = "audio_prompt_removed"
# Uploads are a handful a year; the newest few hundred entries hold every recording still kept.
_LOOK_BACK = 500


def uploaders(session: Session, *, file_names: Collection[str]) -> dict[str, tuple[Optional[str], datetime]]:
    """For each recording kept now (by its file name, which names its bytes), the email of the account that
    uploaded it (None if that account is gone) and when; a recording whose entry the audit log no longer
    holds (kept two years) is left out."""
    wanted = set(file_names)
    if not wanted:
        return {}
    query = (select(AuditEntry, StaffUser.email)
             .outerjoin(StaffUser, StaffUser.id == AuditEntry.staff_user_id)
             .where(AuditEntry.action == UPLOADED)
             .order_by(AuditEntry.id.desc())
             .limit(_LOOK_BACK))
    found: dict[str, tuple[Optional[str], datetime]] = {}
    for entry, email in session.execute(query):
        name = (entry.detail or {}).get("recording")
        if name in wanted and name not in found:
            found[name] = (email, entry.at)
    return found
