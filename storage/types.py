"""Column types shared by the tables."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and hands back aware UTC datetimes.

    SQLite has no time zones, so a plain DateTime would come back naive there and aware on PostgreSQL;
    one type makes both behave the same and keeps "times are stored in UTC" true by construction.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: pass an aware one")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hour_of(moment: datetime) -> datetime:
    """Rounded down to the hour: the only time kept of an anonymous report, and the finest one published."""
    return moment.replace(minute=0, second=0, microsecond=0)
