"""GET /healthz: 200 while the database answers, with the age of the worker's last heartbeat."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from storage import outbox, worker_status
from storage.database import new_session
from storage.types import utcnow

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    engine = current_app.extensions["safer_homes.engine"]
    try:
        with new_session(engine) as session:
            beat = worker_status.last_heartbeat(session, name="worker")
            messages = outbox.counts_by_status(session)
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    age = round((utcnow() - beat).total_seconds()) if beat else None
    # A missing worker is reported, not a failure: the web chat works without one.
    return jsonify(
        status="ok",
        database="ok",
        worker={"running": age is not None and age < 120, "last_heartbeat_age_seconds": age},
        outbox={status: messages.get(status, 0) for status in ("pending", "sending", "failed", "held", "expired")},
    )
