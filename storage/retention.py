"""Deleting what we promised not to keep (docs/privacy.md says how long)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from sqlalchemy import delete

from storage.models import Conversation, EarlyDeliveryReport, InboundReceipt, ReportMedia

DRAFT_KEYS = ("flow", "step", "draft", "pending", "misses")


def purge_stale_drafts(session: Session, *, older_than: datetime) -> int:
    """Drop unfinished reports from conversations idle since `older_than`; keep only the language."""
    stale = session.execute(
        select(Conversation).where(Conversation.updated_at < older_than).with_for_update()
    ).scalars()
    purged = 0
    for conversation in stale:
        if "draft" in conversation.state:
            purged += 1
        if any(key in conversation.state for key in DRAFT_KEYS):
            conversation.state = {key: value for key, value in conversation.state.items() if key not in DRAFT_KEYS}
    session.flush()
    return purged


def purge_inbound_receipts(session: Session, *, older_than: datetime) -> int:
    """Providers redeliver within hours, so a week of receipts is plenty to refuse duplicates."""
    result = session.execute(delete(InboundReceipt).where(InboundReceipt.received_hour < older_than))
    return result.rowcount or 0


def referenced_media_ids(session: Session) -> set[str]:
    """Media files something still needs: a report's, or an unfinished draft's."""
    kept = set(session.execute(select(ReportMedia.media_id)).scalars())
    for state in session.execute(select(Conversation.state)).scalars():
        kept.update(item[0] for item in (state or {}).get("draft", {}).get("media", []))
    return kept


def purge_early_delivery_reports(session: Session, *, older_than: datetime) -> int:
    """A report whose message never got recorded as sent within a day never will be."""
    result = session.execute(delete(EarlyDeliveryReport).where(EarlyDeliveryReport.received_at < older_than))
    return result.rowcount or 0
