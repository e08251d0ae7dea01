"""The web chat page past a flood limit, in a real browser (Debian's chromium through Playwright): the 429's
polite reply is shown as the bot's, in the conversation's language, and the question's buttons stay so the
resident can go on once the wait is over."""
from __future__ import annotations

import pytest

from bot.conversations import forget_reference_data
from bot.flood import parse_flood_limits
from flows.flood import NETWORK, flood_reply
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.local_server import LocalServer
from webhook import create_app


@pytest.fixture
def crowded_server(live_database_url):
    """The app with a per-address limit of three requests a minute: the page's first message, the
    language, "report", and then no more."""
    forget_reference_data()
    app = create_app({"database_url": live_database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
                      "flood_limit_per_address": parse_flood_limits("FLOOD_LIMIT_PER_ADDRESS", "3 per minute")})
    server = LocalServer(app, name="crowded-server")
    try:
        yield server.url
    finally:
        server.close()
        app.extensions["safer_homes.engine"].dispose()


@pytest.mark.browser
def test_the_chat_shows_the_429s_polite_reply_and_keeps_the_buttons(browser, crowded_server):
    context = browser.new_context()
    console: list[str] = []
    context.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    try:
        page = context.new_page()
        page.goto(f"{crowded_server}/chat")  # its first message is the first request
        page.locator('#choices button[data-key="lang:bn"]').click()
        page.wait_for_selector('#choices button[data-key="menu:report"]')
        page.locator('#choices button[data-key="menu:report"]').click()
        page.wait_for_selector('#choices button[data-key="danger:no"]')
        # The fourth request from this address within the minute.
        bots = page.locator("#log li.bot").count()
        page.locator('#choices button[data-key="danger:no"]').click()
        page.wait_for_function("n => document.querySelectorAll('#log li.bot').length > n", arg=bots)

        shown = page.locator("#log li.bot").last
        expected = flood_reply("bn", limit=NETWORK, retry_after_seconds=60)
        assert shown.inner_text() == expected.text
        assert shown.get_attribute("lang") == "bn"
        # Nothing was taken in: the same question waits, its buttons still there.
        keys = page.locator("#choices button").evaluate_all("buttons => buttons.map(b => b.dataset.key)")
        assert keys == ["danger:yes", "danger:no"]
        assert page.evaluate("document.getElementById('log').getAttribute('aria-busy')") is None
    finally:
        context.close()
    # The browser reports the 429 itself as a failed load; nothing else went wrong.
    assert all("429" in line for line in console), console
