"""Run every RSVP script in every shipped language, through the web chat API, on every backend."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import events
from storage.database import make_engine, new_session
from storage.models import OutboxMessage, Rsvp
from tests.journeys.runner import EVERY_LANGUAGE, FIXED_NOW, client, load_scripts, play  # noqa: F401 - client

SCRIPTS = load_scripts("rsvp_journeys.json")


def _add_event(database_url: str, options: dict) -> int:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        event = events.create_event(session, title="Bow community kitchen", starts_at=FIXED_NOW + timedelta(days=12),
                                    now=FIXED_NOW, ward_slug="bow-east", place="Bow Community Hall",
                                    capacity=options["capacity"])
        event.kind = options["kind"]
        session.commit()
        event_id = event.id
    engine.dispose()
    return event_id


def _rsvps(database_url: str) -> list[list]:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = [[r.status, r.needs, r.interpreter_language]
                for r in session.execute(select(Rsvp).order_by(Rsvp.contact_id)).scalars()]
        offered = len(session.execute(select(OutboxMessage).where(OutboxMessage.kind == "place_offered")).all())
    engine.dispose()
    return rows, offered


@pytest.mark.parametrize("lang", EVERY_LANGUAGE)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_rsvp_script(client, database_url, name, lang):  # noqa: F811
    script = SCRIPTS[name]
    event_id = _add_event(database_url, script["event"])
    # Several residents take turns, so no one line number starts every reply being in the language: not checked.
    for step in play(name, script["lines"], lang, client, placeholders={"event": str(event_id)},
                     same_language_from=None):
        if "rsvps" in step.line or "place_offered" in step.line:
            rsvps, offered = _rsvps(database_url)
            assert rsvps == step.line.get("rsvps", rsvps), step.where
            assert offered == step.line.get("place_offered", offered), step.where
