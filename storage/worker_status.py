"""The worker's heartbeat, so /healthz can say whether scheduled work is running."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Session

from storage.models import WorkerHeartbeat


def record_heartbeat(session: Session, *, name: str, at: datetime) -> None:
    beat = session.get(WorkerHeartbeat, name)
    if beat is None:
        session.add(WorkerHeartbeat(name=name, beat_at=at))
    else:
        beat.beat_at = at


def last_heartbeat(session: Session, *, name: str) -> Optional[datetime]:
    beat = session.get(WorkerHeartbeat, name)
    return beat.beat_at if beat else None
