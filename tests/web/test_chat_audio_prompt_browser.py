"""A community recording of the main menu in the web chat, in Debian's chromium: a Bengali resident sees a
player above the menu's text (which is all still there), it loads and plays from the app's own /audio/
address under the page's Content-Security-Policy (a refusal would fail the test as a console error), axe
finds nothing serious, and a reload keeps it; an English resident, with no recording, gets no player."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot import audio_prompts
from flows import i18n
from flows.audio_prompts import MAIN_MENU
from tests import media_samples
from tests.web.browser_checks import serious_axe_violations
from tests.web.pentest_world import app_with_media
from tests.web.test_chat_browser import PHONE, bot_messages, open_chat, tap

MENU = media_samples.mp3(frames=120, tagged=False)  # about three seconds of silence: chromium plays MP3


@pytest.fixture
def live_app(live_database_url, tmp_path):
    # The browser tests' app, with its media (and so its recordings) in this test's own folder.
    yield from app_with_media(live_database_url, tmp_path)


def test_a_bengali_resident_hears_the_menu_above_its_text_and_an_english_one_sees_no_player(
        new_context, live_server, live_app, artifacts):
    kept = audio_prompts.save(live_app.extensions["safer_homes.settings"].media_dir, MAIN_MENU, "bn", MENU)
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:bn")
    player = page.locator("#log li.bot.audio audio")
    expect(player).to_have_count(1)
    assert player.get_attribute("src") == f"/audio/{kept.file_name}"
    assert player.get_attribute("aria-label") == i18n.translations("bn").gettext("Listen to this message")
    # Above the menu's text, which still shows its question; the buttons are all there.
    entries = page.locator("#log li.bot")
    audio_at = entries.evaluate_all("items => items.findIndex(item => item.classList.contains('audio'))")
    menu_at = entries.evaluate_all(
        "(items, q) => items.findIndex(item => item.textContent.includes(q))",
        i18n.translations("bn").gettext("What would you like to do?"))
    assert 0 <= audio_at < menu_at
    expect(page.locator('#choices button[data-key="menu:report"]')).to_have_count(1)
    # It loads and plays from our own address (media-src 'self'); a CSP refusal would be a console error.
    page.evaluate("document.querySelector('#log li.audio audio').muted = true")
    page.evaluate("document.querySelector('#log li.audio audio').play()")
    page.wait_for_function("document.querySelector('#log li.audio audio').currentTime > 0")
    assert page.evaluate("document.querySelector('#log li.audio audio').duration") > 1
    assert serious_axe_violations(page) == []
    page.screenshot(path=str(artifacts / "chat-audio-prompt-bn.png"), full_page=True)
    page.reload()
    expect(page.locator("#log li.bot.audio audio")).to_have_count(1)  # the tab's conversation keeps it

    english = new_context(**PHONE).new_page()
    open_chat(english, f"{live_server}/chat")
    tap(english, "lang:en")
    expect(bot_messages(english).last).to_contain_text("What would you like to do?")
    expect(english.locator("#log audio")).to_have_count(0)
