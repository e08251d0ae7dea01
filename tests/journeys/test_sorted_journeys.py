"""Run every "was this sorted?" script in every shipped language, through the web chat API, on every backend."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.sorted import COMMENT_MAX
from storage import reports
from storage.database import make_engine, new_session
from storage.models import Report, ReportUpdate, SortedCheck
from storage.report_clock import set_status
from tests.journeys.runner import EVERY_LANGUAGE, FIXED_NOW, client, load_scripts, play  # noqa: F401 - client

SCRIPTS = load_scripts("sorted_journeys.json")
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


@pytest.mark.parametrize("lang", EVERY_LANGUAGE)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_sorted_script(client, database_url, name, lang):  # noqa: F811
    _closed_anonymous_report(database_url, lang)
    # A first message asking the status is answered in the report's language at once; "start" offers the
    # languages first (each in its own), so only what follows the choice is in the script's language.
    starts_with_languages = SCRIPTS[name][0]["send"].get("choice") == "start"
    placeholders = {"reference": REFERENCE, "too_long": "x" * (COMMENT_MAX + 1)}
    for step in play(name, SCRIPTS[name], lang, client, placeholders=placeholders,
                     same_language_from=3 if starts_with_languages else 1):
        if "sorted" in step.line:
            assert _sorted(database_url) == step.line["sorted"], step.where
        if "history" in step.line:
            assert _history(database_url) == step.line["history"], step.where
