"""Run every "was this sorted?" script in every shipped language, through the web chat API, on every backend."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import i18n
from flows.sorted import COMMENT_MAX
from storage import reports
from storage.database import make_engine, new_session
from storage.models import Report, ReportUpdate, SortedCheck
from storage.report_clock import set_status
from tests.helpers import WebChat, scripted_keys
from tests.journeys.test_journeys import FIXED_NOW, client  # noqa: F401 - the web chat with the fixed clock

SCRIPTS = json.loads((Path(__file__).parent / "sorted_journeys.json").read_text())
SCRIPTS.pop("_about")
REFERENCE = "TH-7K3M-9QXR"
CLOSED_AT = FIXED_NOW - timedelta(days=3)


def _closed_anonymous_report(database_url: str, lang: str) -> None:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        report = reports.create_report(session, reference=REFERENCE, category="noise", language=lang, channel="webchat",
                                       privacy="anonymous", agency_slugs=("council",), description="Music all night",
                                       received_at=CLOSED_AT - timedelta(days=6))
        session.add(ReportUpdate(report_id=report.id, status="closed", action="status", created_at=CLOSED_AT,
                                 reason="Noise abatement notice served"))
        set_status(session, report=report, status="closed", now=CLOSED_AT)
        session.commit()
    engine.dispose()


def _sorted(database_url: str) -> list:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == REFERENCE)).scalar_one()
        checks = session.execute(select(SortedCheck)).scalars().all()
        answer = [checks[0].answer, checks[0].comment] if checks else [None, None]
        status = report.status
    engine.dispose()
    return [status, *answer]


def _history(database_url: str) -> list:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = session.execute(select(ReportUpdate.action, ReportUpdate.reason, ReportUpdate.internal_note)
                               .where(ReportUpdate.action.in_(("sorted", "reopen"))).order_by(ReportUpdate.id)).all()
    engine.dispose()
    return [list(row) for row in rows]


def _fill(text: str, lang: str) -> str:
    return text.replace("{reference}", REFERENCE).replace("{lang}", lang).replace("{too_long}", "x" * (COMMENT_MAX + 1))


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_sorted_script(client, database_url, name, lang):  # noqa: F811
    _closed_anonymous_report(database_url, lang)
    chat = WebChat(client)
    # A first message asking the status is answered in the report's language at once; "start" offers the
    # languages first (each in its own), so only what follows the choice is in the script's language.
    starts_with_languages = SCRIPTS[name][0]["send"].get("choice") == "start"
    translate = i18n.translations(lang).gettext
    for number, line in enumerate(SCRIPTS[name], 1):
        where = f"{name} [{lang}] line {number}"
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "choice" in send:
            chat.send(choice=_fill(send["choice"], lang))
        else:
            chat.send(_fill(send["text"], lang))
        if number > 2 or not starts_with_languages:
            assert all(reply["lang"] == lang for reply in chat.replies), where
        if "expect_keys" in line:
            assert chat.keys == scripted_keys(line["expect_keys"], lang), where
        for msgid in line.get("says", []):
            assert translate(msgid) in chat.text, f"{where}: missing {msgid!r}"
        labels = [choice["label"] for choice in chat.replies[-1]["choices"]]
        for msgid in line.get("labels", []):
            assert translate(msgid) in labels, f"{where}: no choice {msgid!r}"
        for literal in line.get("contains", []):
            assert _fill(literal, lang) in chat.text, f"{where}: missing {literal!r}"
        if "sorted" in line:
            assert _sorted(database_url) == line["sorted"], where
        if "history" in line:
            assert _history(database_url) == line["history"], where
