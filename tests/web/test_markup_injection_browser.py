"""No script a user wrote runs, in a real browser (Debian's chromium through Playwright): every HOSTILE text
of tests/test_markup_injection.py carries `window.__xss=1` (a script tag, an image's onerror, an attribute
breaker's onmouseover), and each page that shows them is loaded, every element hovered, and the flag read.
The fixture fails the test on any console error, so a script the Content-Security-Policy had to block
would fail it too: escaping, not the policy, must be what stops them."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page

from storage.database import make_engine
from tests.test_markup_injection import (ADMIN_EMAIL, ALL_HOSTILE, EVIL_EMAIL, HOSTILE, ORGANISER_EMAIL, PASSWORD,
                                         hostile_database, public_pages, staff_pages)

FLAG = "window.__xss === undefined"


def _nothing_ran(page: Page, where: str) -> None:
    # Hover everything, since an attribute breaker's handler waits for the mouse.
    page.evaluate("""() => document.querySelectorAll('body *').forEach(
        element => element.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))""")
    assert page.evaluate(FLAG), f"a script ran on {where}"
    assert page.locator("a[href^='javascript:' i]").count() == 0, where


def _sign_in(page: Page, server: str, email: str) -> None:
    page.goto(f"{server}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{server}/staff/")


@pytest.mark.browser
def test_no_script_anyone_wrote_runs_on_the_staff_or_public_pages(new_context, live_server, live_database_url):
    engine = make_engine(live_database_url)
    try:
        ids = hostile_database(engine)
    finally:
        engine.dispose()
    # The address that answers 404 is checked without a browser (tests/test_markup_injection.py): the
    # browser logs every 404 as a console error, which the fixture counts as a failure.
    for path in [path for path in public_pages(ids) if "/wards/%3C" not in path]:
        page = new_context().new_page()
        page.goto(f"{live_server}{path}")
        _nothing_ran(page, path)
    for email, paths in staff_pages(ids).items():
        page = new_context().new_page()
        _sign_in(page, live_server, email)
        for path in paths:
            page.goto(f"{live_server}{path}")
            _nothing_ran(page, path)
    # The officer reads the words as the resident wrote them.
    page = new_context().new_page()
    _sign_in(page, live_server, EVIL_EMAIL)
    page.goto(f"{live_server}/staff/reports/{ids['named']}")
    body = page.locator("body").inner_text()
    assert all(text in body for text in (HOSTILE[0], HOSTILE[2], HOSTILE[3], EVIL_EMAIL))
    assert ADMIN_EMAIL and ORGANISER_EMAIL  # their pages were read above


@pytest.mark.browser
def test_what_a_resident_types_in_the_web_chat_is_shown_as_text_and_stays_text_after_a_reload(
        new_context, live_server):
    page = new_context().new_page()
    page.goto(f"{live_server}/chat")
    page.locator('#choices button[data-key="lang:en"]').click()
    page.wait_for_selector('#choices button[data-key="menu:report"]')
    for key in ("menu:report", "danger:no", "cat:asb"):
        count = page.locator("#log li.bot").count()
        page.locator(f'#choices button[data-key="{key}"]').click()
        page.wait_for_function("n => document.querySelectorAll('#log li.bot').length > n", arg=count)
    count = page.locator("#log li.bot").count()
    page.get_by_role("textbox").fill(ALL_HOSTILE)
    page.locator("#send").click()
    page.wait_for_function("n => document.querySelectorAll('#log li.bot').length > n", arg=count)
    _nothing_ran(page, "the chat")
    assert ALL_HOSTILE in page.locator("#log li.me").last.inner_text()
    page.reload()  # the log comes back from the tab's storage: as the text it was
    page.wait_for_selector("#log li.me")
    _nothing_ran(page, "the chat after a reload")
    assert ALL_HOSTILE in page.locator("#log li.me").last.inner_text()
