"""The English kept beside a report's own words: made once by the configured translator, then read from here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import update
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from storage.models import Report


@dataclass(frozen=True)
class CachedTranslation:
    text: str
    engine: str


def needs_translation(language: str) -> bool:
    """Whether words in `language` want English beside them (English and its variants do not)."""
    code = (language or "").lower()
    return not (code == "en" or code.startswith("en-"))


def cached_translation(session: Session, *, report_id: int) -> Optional[CachedTranslation]:
    """The report's kept translation, or None if it has none yet."""
    report = session.get(Report, report_id)
    if report is None or report.translation is None:
        return None
    return CachedTranslation(text=report.translation, engine=report.translation_engine or "")


def save_translation(session: Session, *, report_id: int, translation: str, engine: str) -> bool:
    """Keep a translation unless the report already has one; False (nothing changed) if it did. Two staff
    opening the report at once: the first translation stays. The caller commits."""
    kept = session.execute(
        update(Report)
        .where(Report.id == report_id, Report.translation.is_(None))
        .values(translation=translation, translation_engine=engine[:32])
        .execution_options(synchronize_session=False)
    )
    if kept.rowcount:
        loaded = session.identity_map.get(identity_key(Report, report_id))
        if loaded is not None:
            # A bulk UPDATE leaves a loaded row as it was; the page reads it straight after. Set as if
            # loaded, so the row is not written a second time.
            set_committed_value(loaded, "translation", translation)
            set_committed_value(loaded, "translation_engine", engine[:32])
    return bool(kept.rowcount)
