"""Run every conversation script in every shipped language, through the web chat API, on every backend."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from flows import i18n
from storage.database import make_engine, new_session
from storage.models import Agency, Report, ReportAgency, ReportLink
from tests.helpers import WebChat
from tests.journeys.runner import EVERY_LANGUAGE, FIXED_NOW, REFERENCE, client, load_scripts, play  # noqa: F401

SCRIPTS = load_scripts("report_journeys.json")


@pytest.mark.parametrize("lang", EVERY_LANGUAGE)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_conversation_script(client, database_url, name, lang):  # noqa: F811
    for step in play(name, SCRIPTS[name], lang, client):
        if step.line.get("expect_reference"):
            found = REFERENCE.findall(step.text)
            assert found, step.where
            _check_report(database_url, found[0], lang, step.line["expect_report"], step.where)


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


@pytest.mark.parametrize("lang", EVERY_LANGUAGE)
def test_status_check_from_a_new_session_in_the_reports_language(client, lang):  # noqa: F811
    reporter = WebChat(client)
    for line in SCRIPTS["anonymous report by buttons and typed numbers"]:
        send = line["send"]
        if "number" in send:
            reporter.send(str(send["number"]))
        elif "choice" in send:
            reporter.send(choice=send["choice"].replace("{lang}", lang))
        else:
            reporter.send(send["text"])
    reference = REFERENCE.findall(reporter.text)[0]

    stranger = WebChat(client)  # another device: a brand new session that has never chosen a language
    stranger.send(f"status {reference.lower()}")
    assert reference in stranger.replies[0]["text"]
    assert stranger.replies[0]["lang"] == lang
    translate = i18n.translations(lang).gettext
    assert translate("received, waiting to be looked at") in stranger.text
