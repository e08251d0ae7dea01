"""The web chat and a ward's public page in chromium in Arabic and Urdu (right to left) and in Chinese.

Checked as a reader sees them: the page's lang and dir, the layout mirrored (the quick exit, the chat's
bubbles, tables, charts), values laid out in their own order inside right-to-left text (a place name's
phone number, a reference), each script drawn in its own font (chromium says which fonts it used, so
empty boxes cannot pass), numbers typed in Arabic-Indic, Urdu and full-width digits understood, and no
serious axe-core findings. Screenshots go to tests/artifacts/screenshots/ on every run (not committed);
script/screenshots runs these tests and copies the screen-sized ones to docs/screenshots/.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from flows import i18n
from storage import events
from storage.database import make_engine, new_session
from tests.web.browser_checks import SMALL_PHONE, serious_axe_violations
from tests.web.test_chat_browser import bot_messages, check_layout, choice_keys, open_chat, tap, type_message
from tests.web.test_public_browser import DESKTOP, seeded_weavers  # noqa: F401 (a fixture used below)

FSI, PDI = "\u2068", "\u2069"
# The font chromium must draw each language's own name in (docs/languages.md): fonts-noto-core and
# fonts-noto-cjk, which script/test installs.
FONTS = {"ar": "Noto Naskh Arabic", "ur": "Noto Nastaliq Urdu", "zh-Hans": "Noto Sans CJK SC",
         "zh-Hant": "Noto Sans CJK TC"}
PLACE = "Weavers Community Centre (E2)"


@pytest.fixture
def screenshots(artifacts) -> Path:
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def panel_id(live_database_url) -> int:
    """A ward panel at a place with an English name."""
    now = datetime.now(timezone.utc)
    engine = make_engine(live_database_url)
    with new_session(engine) as session:
        event = events.create_event(session, title="Weavers ward panel", starts_at=now + timedelta(days=6), now=now,
                                    ward_slug="weavers", place=PLACE)
        session.commit()
        event_id = event.id
    engine.dispose()
    return event_id


# --- what the browser drew ------------------------------------------------------------------------------

def fonts_drawn(page: Page, selector: str) -> set[str]:
    """The font families chromium used for the text of the first element matching `selector`."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"nothing matches {selector!r}"
        return {font["familyName"] for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
    finally:
        cdp.detach()


def character_boxes(page: Page, selector: str, needle: str) -> list[dict]:
    """Where each character of `needle` was drawn, in the last element matching `selector` that has it (in
    one text node)."""
    return page.evaluate(
        """([selector, needle]) => {
            const all = Array.from(document.querySelectorAll(selector)).reverse();
            for (const element of all) {
                const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    const at = node.data.indexOf(needle);
                    if (at < 0) { continue; }
                    return Array.from(needle, (_, i) => {
                        const range = document.createRange();
                        range.setStart(node, at + i);
                        range.setEnd(node, at + i + 1);
                        const box = range.getBoundingClientRect();
                        return {left: box.left, right: box.right, top: box.top};
                    });
                }
            }
            return [];
        }""",
        [selector, needle],
    )


def assert_reads_left_to_right(boxes: list[dict], what: str) -> None:
    """Each character drawn to the right of the one before it, on one line: the value kept its order."""
    assert boxes, f"{what} is not on the page"
    assert len({round(box["top"]) for box in boxes}) == 1, f"{what} is broken over lines: {boxes}"
    lefts = [box["left"] for box in boxes]
    assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts), f"{what} is out of order: {boxes}"


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, selector
    return found


def assert_mirrored_bubbles(page: Page, *, rtl: bool) -> None:
    """The bot's bubbles start at the start side (the right in Arabic and Urdu) and the resident's at the end."""
    mine, bot = box(page, "#log li.me"), bot_messages(page).last.bounding_box()
    mine_right, bot_right = mine["x"] + mine["width"], bot["x"] + bot["width"]
    if rtl:
        assert mine["x"] < bot["x"] and mine_right < bot_right, (mine, bot)
    else:
        assert mine["x"] > bot["x"] and mine_right > bot_right, (mine, bot)


def local_digits(number: int, digits: str) -> str:
    return "".join(digits[int(digit)] for digit in str(number))


def check_language_names_drawn_in_their_fonts(page: Page, selector: str) -> None:
    for code, font in FONTS.items():
        assert font in fonts_drawn(page, selector.format(code=code)), f"{code} is not drawn in {font}"


# --- the web chat -----------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("lang, digits", [("ar", "٠١٢٣٤٥٦٧٨٩"), ("ur", "۰۱۲۳۴۵۶۷۸۹")])
def test_the_chat_reads_right_to_left_in_arabic_and_urdu(new_context, live_server, panel_id, screenshots, lang, digits):
    page = new_context(**SMALL_PHONE).new_page()
    open_chat(page, f"{live_server}/chat?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    # The header is mirrored: the name at the right, the quick exit at the left, where the thumb is not.
    assert box(page, "#quick-exit")["x"] < box(page, "header h1")["x"]
    check_language_names_drawn_in_their_fonts(page, '#choices button[data-key="lang:{code}"]')
    expect(page.locator(f'#choices button[data-key="lang:{lang}"]')).to_have_attribute("dir", "rtl")
    expect(page.locator('#choices button[data-key="lang:en"]')).to_have_attribute("dir", "ltr")

    tap(page, f"lang:{lang}")
    assert choice_keys(page)[0] == "menu:report"
    reply = bot_messages(page).last
    expect(reply).to_have_attribute("lang", lang)
    expect(reply).to_have_attribute("dir", "rtl")

    # The event's number typed in the resident's own digits opens it.
    typed = f"RSVP {local_digits(panel_id, digits)}"
    type_message(page, typed)
    assert choice_keys(page)[:2] == ["rsvp:yes", "rsvp:no"]
    # What the resident typed reads in its own direction, in a bubble at the end side (the left).
    mine = page.locator("#log li.me").last
    expect(mine).to_have_attribute("dir", "auto")
    assert_mirrored_bubbles(page, rtl=True)
    # The place is a value filled into the sentence: isolated, so it keeps its own order.
    assert f"{FSI}{PLACE}{PDI}" in bot_messages(page).last.text_content()

    # The help's phone numbers, written into the translation, read left to right: without their isolate
    # an Arabic or Urdu line shows Crimestoppers' number as "111 555 0800".
    type_message(page, "help")
    expect(page.locator("#log li.bot .tel", has_text="0800 555 111").last).to_have_attribute("dir", "ltr")
    assert_reads_left_to_right(character_boxes(page, "#log li.bot", "0800 555 111"), "Crimestoppers' number")

    # A reference the resident is told about reads left to right, in an isolated left-to-right element.
    type_message(page, "status TH-7SQZ-YY3D")
    code = page.locator("#log li.bot .ref", has_text="TH-7SQZ-YY3D").last
    expect(code).to_have_attribute("dir", "ltr")
    assert code.evaluate("span => [getComputedStyle(span).direction, getComputedStyle(span).unicodeBidi]") == [
        "ltr", "isolate"]
    assert_reads_left_to_right(character_boxes(page, "#log li.bot .ref", "TH-7SQZ-YY3D"), "the reference")
    check_layout(page)
    assert serious_axe_violations(page) == []
    page.screenshot(path=screenshots / f"chat-{lang}.png")


@pytest.mark.browser
def test_the_chat_in_chinese_reads_left_to_right_and_takes_full_width_digits(new_context, live_server, screenshots):
    page = new_context(**SMALL_PHONE).new_page()
    open_chat(page, f"{live_server}/chat?lang=zh-Hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert box(page, "#quick-exit")["x"] > box(page, "header h1")["x"]
    check_language_names_drawn_in_their_fonts(page, '#choices button[data-key="lang:{code}"]')

    tap(page, "lang:zh-Hans")
    expect(bot_messages(page).last).to_have_attribute("dir", "ltr")
    assert choice_keys(page)[1] == "menu:status"
    type_message(page, "２")  # a Chinese keyboard's full-width 2: the second choice
    assert "menu:status" not in choice_keys(page)
    assert "TH-1234-ABCD" in bot_messages(page).last.inner_text()  # the status check asks for a reference
    assert_mirrored_bubbles(page, rtl=False)
    check_layout(page)
    assert serious_axe_violations(page) == []
    page.screenshot(path=screenshots / "chat-zh-Hans.png")


# --- a ward's public page ---------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ar", "ur", "zh-Hans"])
@pytest.mark.parametrize("size_name, size", [("320", SMALL_PHONE), ("desktop", DESKTOP)])
def test_a_ward_page_in_arabic_urdu_and_chinese(new_context, live_server, seeded_weavers, screenshots,  # noqa: F811
                                                lang, size_name, size):
    rtl = i18n.BY_CODE[lang].rtl
    page = new_context(**size).new_page()
    response = page.goto(f"{live_server}/public/wards/weavers?lang={lang}")
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if rtl else "ltr")

    # Tables mirror: the row's name at the start side (the right in Arabic and Urdu), its number after it.
    row_name, number = box(page, "table tbody tr th"), box(page, "table tbody tr td.number")
    assert (row_name["x"] > number["x"]) if rtl else (row_name["x"] < number["x"])
    # Every chart label stays inside its chart, at the mirrored side's anchor.
    outside = page.evaluate("""() => {
        const found = [];
        for (const svg of document.querySelectorAll("figure svg")) {
            const chart = svg.getBoundingClientRect();
            for (const text of svg.querySelectorAll("text")) {
                const drawn = text.getBoundingClientRect();
                if (drawn.width && (drawn.left < chart.left - 1 || drawn.right > chart.right + 1)) {
                    found.push([text.textContent, Math.round(drawn.left - chart.left), Math.round(chart.right - drawn.right)]);
                }
            }
        }
        return found;
    }""")
    assert outside == [], "labels past the chart's edge: [label, room at the left, room at the right]"
    # Values filled into the page's sentences are isolated in Arabic and Urdu, and only there.
    lead = page.locator("p.lead").nth(1).text_content()
    assert (FSI in lead) is rtl
    # Each language's own name in the list of languages, in its direction and its script's font.
    expect(page.locator('nav.languages a[hreflang="ar"]')).to_have_attribute("dir", "rtl")
    expect(page.locator('nav.languages a[hreflang="zh-Hans"]')).to_have_attribute("dir", "ltr")
    check_language_names_drawn_in_their_fonts(page, 'nav.languages a[hreflang="{code}"]')

    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_axe_violations(page) == []
    page.screenshot(path=screenshots / f"public-ward-{lang}-{size_name}.png")
    page.screenshot(path=screenshots / f"public-ward-{lang}-{size_name}-full.png", full_page=True)
