"""Run every "forget me" script (forget_journeys.json) in every shipped language, through the web chat API, on
every backend: the phrase typed in the language, its confirmation, and what is left in the database."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.database import make_engine, new_session
from storage.models import Report
from tests.helpers import WebChat, row_counts
from tests.journeys.runner import EVERY_LANGUAGE, FIXED_NOW, REFERENCE, client, load_scripts, play  # noqa: F401

SCRIPTS = load_scripts("forget_journeys.json")


@pytest.mark.parametrize("lang", EVERY_LANGUAGE)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_forget_script(client, database_url, name, lang):  # noqa: F811
    reference = None
    for step in play(name, SCRIPTS[name], lang, client):
        line, where = step.line, step.where
        if line.get("expect_reference"):
            reference = REFERENCE.search(step.text).group(0)
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
