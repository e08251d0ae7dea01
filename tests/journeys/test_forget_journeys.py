"""Run every "forget me" script (forget_journeys.json) in every shipped language, through the web chat API, on
every backend: the phrase typed in the language, its confirmation, and what is left in the database."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import i18n
from flows.home import COMMAND_WORDS
from storage.database import make_engine, new_session
from storage.models import Report
from tests.helpers import WebChat, row_counts, scripted_keys

SCRIPTS = json.loads((Path(__file__).parent / "forget_journeys.json").read_text())
SCRIPTS.pop("_about")
FIXED_NOW = datetime(2026, 12, 2, 18, 45, 7, tzinfo=timezone.utc)
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def client(app):
    app.extensions["safer_homes.clock"] = lambda: FIXED_NOW
    return app.test_client()


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_forget_script(client, database_url, name, lang):
    chat = WebChat(client)
    translate = i18n.translations(lang).gettext
    reference = None
    for number, line in enumerate(SCRIPTS[name], 1):
        where = f"{name} [{lang}] line {number}"
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "command" in send:
            chat.send(translate(COMMAND_WORDS[send["command"]]))
        elif "choice" in send:
            chat.send(choice=send["choice"].replace("{lang}", lang))
        else:
            chat.send(send["text"])
        if number > 2 and not line.get("any_language"):
            assert all(reply["lang"] == lang for reply in chat.replies), where
        if "expect_keys" in line:
            assert chat.keys == scripted_keys(line["expect_keys"], lang), where
        if "expect_last_key" in line:
            assert chat.keys[-1] == line["expect_last_key"], where
        for msgid in line.get("says", []):
            assert translate(msgid) in chat.text, f"{where}: missing {msgid!r}"
        if line.get("expect_reference"):
            reference = REFERENCE.search(chat.text).group(0)
        counts = row_counts(database_url)
        for table, count in line.get("expect_rows", {}).items():
            assert counts[table] == count, f"{where}: {table} has {counts[table]} rows"
        if "expect_report" in line:
            engine = make_engine(database_url)
            with new_session(engine) as session:
                report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
            engine.dispose()
            assert report.privacy == line["expect_report"]["privacy"], where
            assert report.created_at == FIXED_NOW.replace(minute=0, second=0), where
        if line.get("status_from_new_session"):
            stranger = WebChat(client)
            stranger.send(f"status {reference}")
            assert reference in stranger.text and stranger.replies[0]["lang"] == lang, where
