"""The web chat's quick exit forgets the session on the server too (POST /chat/api/forget, sent as a beacon
while the page leaves), in a real browser (Debian's chromium through Playwright): after a private report and
quick exit, no contact, conversation or link to the report is left, the report stays (anonymous) and the
page is gone."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage.database import make_engine, new_session
from storage.models import Contact, Conversation, Report, ReportLink
from tests.web.test_chat_browser import PHONE, open_chat, tap, type_message
from web.chat import QUICK_EXIT_URL

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def _rows(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with new_session(engine) as session:
            return {model.__tablename__: len(session.execute(select(model)).all())
                    for model in (Contact, Conversation, ReportLink)}
    finally:
        engine.dispose()


def _report(database_url: str, reference: str) -> Report:
    engine = make_engine(database_url)
    try:
        with new_session(engine) as session:
            report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
            session.expunge(report)
            return report
    finally:
        engine.dispose()


@pytest.mark.browser
@pytest.mark.parametrize("how", ["button", "escape"])
def test_quick_exit_forgets_the_session_on_the_server(new_context, live_server, live_database_url, how):
    page = new_context(**PHONE).new_page()
    page.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(body="weather", content_type="text/plain"))
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:en")
    tap(page, "menu:report")
    tap(page, "danger:no")
    tap(page, "cat:noise")
    type_message(page, "Mile End Road")
    tap(page, "when:now")
    type_message(page, "Loud music through the wall every night")
    tap(page, "privacy:private")
    tap(page, "done")
    tap(page, "confirm:yes")
    reference = REFERENCE.search(page.locator("#log").inner_text()).group(0)
    assert _rows(live_database_url) == {"contact": 1, "conversation": 1, "reportlink": 1}

    if how == "button":
        page.locator("#quick-exit").tap()
    else:
        page.keyboard.press("Escape")
    page.wait_for_url(QUICK_EXIT_URL)
    expect(page.locator("body")).to_have_text("weather")

    # The beacon is sent as the page leaves; give the server a moment to act on it.
    deadline = time.monotonic() + 10
    while _rows(live_database_url) != {"contact": 0, "conversation": 0, "reportlink": 0}:
        assert time.monotonic() < deadline, f"still there after quick exit: {_rows(live_database_url)}"
        time.sleep(0.1)
    report = _report(live_database_url, reference)
    assert report.privacy == "anonymous"
    assert (report.created_at.minute, report.created_at.second) == (0, 0)
