"""Run every conversation script in every shipped language, through the web chat API, on every backend."""
from __future__ import annotations

import json
import re
from pathlib import Path

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from flows import i18n
from storage.database import make_engine, new_session
from storage.models import Agency, Report, ReportAgency, ReportLink
from tests.helpers import WebChat, scripted_keys

SCRIPTS = json.loads((Path(__file__).parent / "report_journeys.json").read_text())
SCRIPTS.pop("_about")
FIXED_NOW = datetime(2026, 12, 2, 18, 45, 7, tzinfo=timezone.utc)
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def client(app):
    """The web chat with the clock fixed, so a script reads the same on any day at any hour."""
    app.extensions["safer_homes.clock"] = lambda: FIXED_NOW
    return app.test_client()


def _fill(value, lang: str):
    if isinstance(value, str):
        return value.replace("{lang}", lang)
    return value


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_conversation_script(client, database_url, name, lang):
    chat = WebChat(client)
    translate = i18n.translations(lang).gettext
    for number, line in enumerate(SCRIPTS[name], 1):
        where = f"{name} [{lang}] line {number}"
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "choice" in send:
            chat.send(choice=_fill(send["choice"], lang))
        else:
            chat.send(send["text"])
        if number > 2:
            assert all(reply["lang"] == lang for reply in chat.replies), where
        if "expect_keys" in line:
            assert chat.keys == scripted_keys(line["expect_keys"], lang), where
        if "expect_last_key" in line:
            assert chat.keys[-1] == line["expect_last_key"], where
        for msgid in line.get("says", []):
            assert translate(msgid) in chat.text, f"{where}: missing {msgid!r}"
        for literal in line.get("contains", []):
            assert literal in chat.text, f"{where}: missing {literal!r}"
        if line.get("expect_reference"):
            found = REFERENCE.findall(chat.text)
            assert found, where
            _check_report(database_url, found[0], lang, line["expect_report"], where)


def _check_report(database_url: str, reference: str, lang: str, expected: dict, where: str) -> None:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        agencies = session.execute(
            select(Agency.slug).join(ReportAgency, ReportAgency.agency_id == Agency.id).where(ReportAgency.report_id == report.id)
        ).scalars().all()
        linked = session.execute(select(ReportLink).where(ReportLink.report_id == report.id)).first() is not None
    engine.dispose()
    assert report.language == lang, where
    assert report.channel == "webchat", where
    assert report.privacy == expected["privacy"], where
    assert report.category == expected["category"], where
    assert sorted(agencies) == sorted(expected["agencies"]), where
    assert linked is expected["linked"], where
    assert report.danger_now is expected.get("danger_now", False), where
    expected_time = FIXED_NOW.replace(minute=0, second=0) if report.privacy == "anonymous" else FIXED_NOW
    assert report.created_at == expected_time, where
    if "description" in expected:
        assert report.description == expected["description"], where
    # Only unsafe places carry the night-safety answers, and a skipped woman-or-girl question is nothing, not "no".
    assert report.time_of_day == expected.get("time_of_day"), where
    assert report.woman_or_girl is expected.get("woman_or_girl"), where


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_status_check_from_a_new_session_in_the_reports_language(client, lang):
    reporter = WebChat(client)
    for line in SCRIPTS["anonymous report by buttons and typed numbers"]:
        send = line["send"]
        if "number" in send:
            reporter.send(str(send["number"]))
        elif "choice" in send:
            reporter.send(choice=_fill(send["choice"], lang))
        else:
            reporter.send(send["text"])
    reference = REFERENCE.findall(reporter.text)[0]

    stranger = WebChat(client)  # another device: a brand new session that has never chosen a language
    stranger.send(f"status {reference.lower()}")
    assert reference in stranger.replies[0]["text"]
    assert stranger.replies[0]["lang"] == lang
    translate = i18n.translations(lang).gettext
    assert translate("received, waiting to be looked at") in stranger.text
