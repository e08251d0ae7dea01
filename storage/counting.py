"""Which reports count: the conditions the inbox, the public figures, the ward panel digest, Open311 and
"was this sorted?" share, written once.

They are written with literal constants, exactly as the partial indexes state them: ix_report_open
(migration 0012: open and not merged) and ix_report_public (migration 0014: not spam and not merged). A
database uses a partial index only when the query's WHERE visibly implies the index's, and a bound
parameter (status != ?) proves nothing to SQLite. Change the spelling here only with those migrations.
"""
from __future__ import annotations

from sqlalchemy import func, literal_column

from storage.models import Report

_ZERO = literal_column("0")


def not_merged(dialect: str):
    """A report not merged into another (Report.duplicate_of_id unset), spelled for the backend `dialect`."""
    if dialect == "sqlite":
        # SQLite would take ix_report_duplicate_of_id for `IS NULL` (its statistics cannot tell that nearly
        # every report matches) and read the whole table through it; it cannot use an index for this form
        # (ids start at 1, so 0 is never a report). PostgreSQL knows the NULL fraction, and would misjudge
        # this form instead.
        return func.coalesce(Report.duplicate_of_id, _ZERO) == _ZERO
    return Report.duplicate_of_id.is_(None)


def is_open():
    """A report not closed (ix_report_open's own spelling)."""
    return Report.status != literal_column("'closed'")


def counted_reports(dialect: str) -> list:
    """The reports public figures count (design.md, "HTTP surface"): not marked spam, not merged into
    another. A list of conditions, for `.where(*counted_reports(dialect), ...)`."""
    return [Report.spam_at.is_(None), not_merged(dialect)]


def dialect_of(session) -> str:
    """The backend name `not_merged` and `counted_reports` want, of the session's database."""
    return session.get_bind().dialect.name
