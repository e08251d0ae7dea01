"""The web chat in a real browser (Debian's chromium through Playwright), as residents use it.

A Somali resident on a small phone reports anonymously with buttons and typing, gets a reference and
checks it from a new session; the page is checked for language marking, 320px layout, tap targets,
keyboard use, the quick exit and axe-core's rules. Screenshots go to tests/artifacts/ (not committed).
"""
from __future__ import annotations

import gzip
import re

import pytest

from playwright.sync_api import Page, expect
from sqlmodel import Session, create_engine, select

from flows import i18n
from flows.status import STATUS_LABELS
from storage.models import Report
from tests.web.browser_checks import serious_axe_violations
from web.chat import QUICK_EXIT_URL

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
FIRST_CONTACT_LANGS = [language.code for language in i18n.LANGUAGES]
MIN_TAP_TARGET = 44  # px, WCAG 2.5.5 (AAA) and the GOV.UK / NHS guidance for touch


# --- helpers ---------------------------------------------------------------------------------------

def bot_messages(page: Page):
    return page.locator("#log li.bot")


def open_chat(page: Page, url: str) -> None:
    """Open the chat and wait for the language question (a first contact): one line per language."""
    page.goto(url)
    expect(bot_messages(page)).to_have_count(len(FIRST_CONTACT_LANGS))
    expect(page.locator("#choices button")).not_to_have_count(0)


def _wait_for_answer(page: Page, seen: int) -> None:
    page.wait_for_function(
        "seen => document.querySelectorAll('#log li.bot').length > seen "
        "&& document.getElementById('log').getAttribute('aria-busy') !== 'true'",
        arg=seen,
    )


def tap(page: Page, key: str) -> None:
    """Tap the choice button carrying `key` and wait for the bot's answer."""
    seen = bot_messages(page).count()
    page.locator(f'#choices button[data-key="{key}"]').tap()
    _wait_for_answer(page, seen)


def type_message(page: Page, text: str, *, with_enter: bool = False) -> None:
    """Type into the message box, send it (Send button, or Enter), and wait for the bot's answer."""
    seen = bot_messages(page).count()
    page.get_by_role("textbox").fill(text)
    if with_enter:
        page.get_by_role("textbox").press("Enter")
    else:
        page.locator("#send").tap()
    _wait_for_answer(page, seen)


def choice_keys(page: Page) -> list[str]:
    return page.locator("#choices button").evaluate_all("buttons => buttons.map(b => b.dataset.key)")


def last_bot_text(page: Page) -> str:
    return bot_messages(page).last.inner_text()


def check_layout(page: Page, width: int = 320) -> None:
    """No sideways scrolling at this width, and every visible button is big enough to tap."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width}px wide on a {width}px screen"
    for button in page.locator("button:visible").all():
        box = button.bounding_box()
        assert box is not None
        name = button.get_attribute("data-key") or button.get_attribute("id")
        assert box["height"] >= MIN_TAP_TARGET, f"button {name!r} is only {box['height']}px tall"
        assert box["width"] >= MIN_TAP_TARGET, f"button {name!r} is only {box['width']}px wide"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"button {name!r} leaves the screen"


def check_languages_marked(page: Page, expected: list[str]) -> None:
    """Each bot message says which language it is in (screen readers pick the voice from it)."""
    assert bot_messages(page).evaluate_all("items => items.map(i => i.lang)") == expected


# --- the Somali resident on a small phone -----------------------------------------------------------

@pytest.mark.browser
def test_somali_resident_reports_anonymously_on_a_small_phone(new_context, live_server, live_database_url, artifacts):
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    codes = [language.code for language in i18n.LANGUAGES]
    assert choice_keys(page) == [f"lang:{code}" for code in codes]
    # Each language's name is marked in that language, so "বাংলা" is not read out with an English voice.
    assert page.locator("#choices button").evaluate_all("bs => bs.map(b => b.lang)") == codes
    check_layout(page)
    page.screenshot(path=artifacts / "chat-first-contact.png")

    page.get_by_role("button", name=re.compile("Soomaali")).tap()
    _wait_for_answer(page, 1)
    assert choice_keys(page)[0] == "menu:report"
    check_languages_marked(page, FIRST_CONTACT_LANGS + ["so", "so"])
    expect(page.locator("#choices button").first).to_have_attribute("lang", "so")

    tap(page, "menu:report")
    assert choice_keys(page) == ["danger:yes", "danger:no"]
    type_message(page, "2")  # a number typed for a listed choice: 2 = "No"
    expect(page.locator("#log li.me").last).to_have_text("2")
    assert "cat:drugs" in choice_keys(page)
    check_layout(page)

    tap(page, "cat:drugs")
    assert choice_keys(page)[-1] == "skip" and "ward:weavers" in choice_keys(page)
    check_layout(page)  # twenty wards and "Skip", each one a full-size button
    place = "Jaranjarada Block B, Ocean Estate"
    type_message(page, place, with_enter=True)
    assert choice_keys(page) == ["when:now", "when:today", "when:earlier"]

    tap(page, "when:today")
    assert choice_keys(page) == []  # free text only: what happened
    description = "Dad ayaa daroogo ka iibiya jaranjarada habeen kasta, carruurtuna way ka baqaan."
    type_message(page, description)
    assert choice_keys(page) == ["privacy:anonymous", "privacy:private", "privacy:named"]
    check_layout(page)

    tap(page, "privacy:anonymous")
    assert choice_keys(page)[-1] == "done"
    tap(page, "done")
    assert choice_keys(page) == ["confirm:yes", "confirm:no"]
    summary = last_bot_text(page)
    assert place in summary and description in summary
    check_layout(page)

    tap(page, "confirm:yes")
    acknowledgement = next(
        text for text in bot_messages(page).all_inner_texts()[::-1] if REFERENCE.search(text)
    )
    reference = REFERENCE.search(acknowledgement).group(0)
    assert choice_keys(page)[0] == "menu:report"  # back at the menu
    total = bot_messages(page).count()
    check_languages_marked(page, FIRST_CONTACT_LANGS + ["so"] * (total - len(FIRST_CONTACT_LANGS)))
    check_layout(page)
    # The reference stands out and is never broken over two lines (it has hyphens in it).
    code = page.locator("#log li.bot .ref", has_text=reference).first
    assert code.evaluate("span => span.getClientRects().length") == 1
    page.locator("#log li.bot", has_text=reference).scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "chat-somali-report.png")
    page.screenshot(path=artifacts / "chat-somali-report-full.png", full_page=True)

    engine = create_engine(live_database_url)
    try:
        with Session(engine) as session:
            report = session.exec(select(Report).where(Report.reference == reference)).one()
            assert (report.language, report.privacy, report.channel) == ("so", "anonymous", "webchat")
            assert (report.category, report.location_text, report.when_kind) == ("drugs", place, "today")
            assert report.description == description
            assert report.danger_now is False
    finally:
        engine.dispose()

    # A new session (another phone, a library computer): the reference alone finds the report.
    other = new_context(**PHONE).new_page()
    open_chat(other, f"{live_server}/chat")
    type_message(other, f"status {reference}")
    answer = other.locator("#log li.bot", has_text=reference)
    expect(answer).to_have_count(1)
    expect(answer).to_have_attribute("lang", "so")  # the status comes in the report's language
    # ...and it is the status (not "couldn't find"), in Somali words once translated, English until then.
    expect(answer).to_contain_text(i18n.translations("so").gettext(STATUS_LABELS["received"]))
    check_layout(other)
    other.screenshot(path=artifacts / "chat-somali-status.png")


@pytest.mark.browser
def test_page_language_and_direction_follow_the_request(new_context, live_server):
    page = new_context(locale="so-SO").new_page()
    open_chat(page, f"{live_server}/chat")
    expect(page.locator("html")).to_have_attribute("lang", "so")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.goto(f"{live_server}/chat?lang=bn")
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


# --- keyboard only -----------------------------------------------------------------------------------

@pytest.mark.browser
def test_the_chat_works_with_the_keyboard_alone(new_context, live_server):
    page = new_context().new_page()
    open_chat(page, f"{live_server}/chat")
    page.evaluate("document.activeElement && document.activeElement.blur()")

    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.key") == "lang:so":
            break
    else:
        pytest.fail("Tab never reached the Soomaali button")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused button shows no focus outline"
    page.keyboard.press("Enter")
    _wait_for_answer(page, 1)
    check_languages_marked(page, FIRST_CONTACT_LANGS + ["so", "so"])

    # After an answer the focus is on the first new choice, so Enter goes on without reaching for a mouse.
    assert page.evaluate("document.activeElement.dataset.key") == "menu:report"
    seen = bot_messages(page).count()
    page.keyboard.press("Enter")
    _wait_for_answer(page, seen)
    assert choice_keys(page) == ["danger:yes", "danger:no"]

    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "text":
            break
    else:
        pytest.fail("Tab never reached the message box")
    seen = bot_messages(page).count()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    _wait_for_answer(page, seen)
    assert "cat:asb" in choice_keys(page)


# --- quick exit ------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("how", ["button", "escape"])
def test_quick_exit_leaves_nothing_behind(new_context, live_server, how):
    page = new_context(**PHONE).new_page()
    page.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(body="weather", content_type="text/plain"))
    page.goto(f"{live_server}/healthz")  # where the resident was before the chat
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:so")
    assert page.evaluate("sessionStorage.length") > 0

    if how == "button":
        page.locator("#quick-exit").tap()
    else:
        page.keyboard.press("Escape")
    page.wait_for_url(QUICK_EXIT_URL)
    expect(page.locator("body")).to_have_text("weather")

    # location.replace: Back goes to the page before the chat, never to the conversation.
    page.go_back()
    assert page.url == f"{live_server}/healthz"
    assert page.locator("#log").count() == 0
    # Same tab, same origin as the chat: its session storage was emptied.
    assert page.evaluate("sessionStorage.length") == 0

    # Opening the chat again starts afresh: nothing of the earlier conversation comes back.
    open_chat(page, f"{live_server}/chat")
    check_languages_marked(page, FIRST_CONTACT_LANGS)


@pytest.mark.browser
def test_a_reload_keeps_the_conversation_in_this_tab_only(new_context, live_server):
    context = new_context(**PHONE)
    page = context.new_page()
    open_chat(page, f"{live_server}/chat")
    tap(page, "lang:so")
    page.reload()
    expect(bot_messages(page)).to_have_count(len(FIRST_CONTACT_LANGS) + 2)
    check_languages_marked(page, FIRST_CONTACT_LANGS + ["so", "so"])
    tap(page, "menu:report")
    assert choice_keys(page) == ["danger:yes", "danger:no"]

    other_tab = context.new_page()
    open_chat(other_tab, f"{live_server}/chat")
    check_languages_marked(other_tab, FIRST_CONTACT_LANGS)


# --- accessibility -----------------------------------------------------------------------------------

@pytest.mark.browser
def test_axe_finds_no_serious_problems(new_context, live_server):
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    assert serious_axe_violations(page) == []

    tap(page, "lang:so")
    tap(page, "menu:report")
    tap(page, "danger:no")
    tap(page, "cat:noise")  # the longest list: twenty wards
    assert serious_axe_violations(page) == []
    type_message(page, "Mile End Road")
    tap(page, "when:now")
    assert serious_axe_violations(page) == []  # free-text step, no choices shown


@pytest.mark.browser
def test_controls_have_names_and_the_log_is_announced(new_context, live_server):
    page = new_context(**PHONE).new_page()
    open_chat(page, f"{live_server}/chat")
    expect(page.get_by_role("textbox", name="Your message")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.get_by_role("button", name="Quick exit")).to_be_visible()
    expect(page.locator("#log")).to_have_attribute("aria-live", "polite")
    for button in page.locator("#choices button").all():
        assert button.inner_text().strip()


# --- weight ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "bn", "so"])
def test_the_chat_page_is_light(live_app, lang, record_property):
    """Residents on pay-as-you-go data: the whole page (HTML, CSS, script) in one small response."""
    body = live_app.test_client().get(f"/chat?lang={lang}").get_data()
    compressed = len(gzip.compress(body, compresslevel=9))
    record_property("chat_page_bytes", len(body))
    record_property("chat_page_gzip_bytes", compressed)
    print(f"GET /chat?lang={lang}: {len(body)} bytes, {compressed} bytes gzip-compressed")
    assert len(body) < 16 * 1024
    assert compressed < 6 * 1024
