"""Browser fixtures: the app served for real on 127.0.0.1 (SQLite) and Debian's chromium via Playwright.

The browser never reaches the internet: every request that is not to the live server is answered or
refused by a route (see `guarded_context`), and the test fails if the page tried to load anything else.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import built_app
from tests.fakes.local_server import LocalServer

CHROMIUM = Path(os.environ.get("SAFER_HOMES_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture
def live_database_url(migrated_sqlite_template, tmp_path) -> str:
    """A migrated, seeded SQLite database of its own (browser tests need one backend only)."""
    path = tmp_path / "live.db"
    shutil.copyfile(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def live_app(live_database_url):
    yield from built_app(live_database_url)


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, served by werkzeug in a daemon thread; yields its base URL."""
    # No access log there either: nothing about who used the chat is written anywhere, in tests too.
    server = LocalServer(live_app, name="live-server")
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture(scope="session")
def playwright():
    """The one Playwright of the session: a second sync_playwright() in the same thread is refused ("Sync API
    inside the asyncio loop"), so every browser the tests launch comes from this one."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's chromium "
            "(script/test installs it, or run `apt-get install chromium fonts-noto-core fonts-noto-cjk`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's chromium, headless. Missing chromium is a failure, never a skip: script/test installs it."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """A factory of fresh browser contexts (a new context is a new chat session) kept on the machine.

    Any request off 127.0.0.1 is refused and recorded unless the test routes it itself (the quick-exit
    tests answer the exit page locally), and the test fails at teardown if there was one: the chat page
    loads no third parties. Console errors (a CSP refusal, a script error) fail the test the same way.
    """
    contexts = []
    strays: list[str] = []
    own_host = urlsplit(live_server).netloc

    def refuse_strays(route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own_host or url.startswith(("data:", "blob:", "about:")):
            route.fallback()
            return
        strays.append(url)
        route.abort()

    def make(**options):
        context = browser.new_context(**options)
        context.route("**/*", refuse_strays)
        context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        context.on("weberror", lambda web_error: errors.append(str(web_error.error)))
        contexts.append(context)
        return context

    errors: list[str] = []
    yield make
    for context in contexts:
        context.close()
    assert not strays, f"the page tried to reach other hosts: {strays}"
    assert not errors, f"errors in the browser console: {errors}"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
