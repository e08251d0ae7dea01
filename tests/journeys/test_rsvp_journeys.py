"""Run every RSVP script in every shipped language, through the web chat API, on every backend."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import i18n
from storage import events
from storage.database import make_engine, new_session
from storage.models import OutboxMessage, Rsvp
from tests.helpers import WebChat, scripted_keys
from tests.journeys.test_journeys import FIXED_NOW, client  # noqa: F401 - the web chat with the fixed clock

SCRIPTS = json.loads((Path(__file__).parent / "rsvp_journeys.json").read_text())
SCRIPTS.pop("_about")


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


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_rsvp_script(client, database_url, name, lang):  # noqa: F811
    script = SCRIPTS[name]
    event_id = _add_event(database_url, script["event"])
    residents: dict[str, WebChat] = {}
    translate = i18n.translations(lang).gettext
    for number, line in enumerate(script["lines"], 1):
        where = f"{name} [{lang}] line {number}"
        chat = residents.setdefault(line.get("as", "a"), WebChat(client))
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "choice" in send:
            chat.send(choice=send["choice"].replace("{lang}", lang))
        else:
            chat.send(send["text"].replace("{event}", str(event_id)))
        if "expect_keys" in line:
            assert chat.keys == scripted_keys(line["expect_keys"], lang), where
        for msgid in line.get("says", []):
            assert translate(msgid) in chat.text, f"{where}: missing {msgid!r}"
        labels = [choice["label"] for choice in chat.replies[-1]["choices"]]
        for msgid in line.get("labels", []):
            assert translate(msgid) in labels, f"{where}: no choice {msgid!r}"
        if "rsvps" in line or "place_offered" in line:
            rsvps, offered = _rsvps(database_url)
            assert rsvps == line.get("rsvps", rsvps), where
            assert offered == line.get("place_offered", offered), where
