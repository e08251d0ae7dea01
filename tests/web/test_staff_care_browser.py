"""The care-language page in a real browser (Debian's chromium) on a 320 px screen: an admin tries a
sentence, opens a word's change form and removes a word with the keyboard alone; nothing scrolls sideways
and axe-core finds nothing serious. Screenshots: tests/artifacts/."""
from __future__ import annotations

import pytest

from tests.web.browser_checks import PASSWORD, SMALL_PHONE, add_staff_account, serious_axe_violations

pytestmark = pytest.mark.browser



def _focus_reaches(page, selector: str, presses: int = 200) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", selector
            return
    pytest.fail(f"Tab never reached {selector}")


def test_an_admin_works_the_list_at_320px_with_the_keyboard(new_context, live_server, live_database_url, artifacts):
    add_staff_account(live_database_url, "admin@example.org", "admin")
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server}/staff/")

    page.goto(f"{live_server}/staff/admin/care-words")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []
    for label in ("Sentence to check", "Word or phrase to flag", "What to write instead", "Who it is about"):
        assert page.get_by_label(label).count() >= 1, label

    # The try box, by keyboard: type, then the Check button.
    _focus_reaches(page, "#try")
    page.keyboard.type("Some yobs and a Gang of Youths near the addiction service")
    _focus_reaches(page, "button", presses=2)
    page.keyboard.press("Enter")
    page.wait_for_selector(".care-flags")
    flags = page.locator(".care-flags li").all_inner_texts()
    assert flags == ["“yobs” — write “young people” instead (about young people)",
                     "“Gang of Youths” — write “group of young people” instead (about young people)"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []
    page.locator("#try-result").screenshot(path=artifacts / "staff-care-words-try-320.png")

    # A word's change form opens from the keyboard (a <details>), and saves.
    summary = page.locator("summary", has_text="Change “junkies”")
    summary.focus()
    page.keyboard.press("Enter")
    details = summary.locator("xpath=..")
    suggestion = details.get_by_label("What to write instead")
    assert suggestion.is_visible()
    suggestion.fill("people who use drugs (say what happened)")
    details.get_by_role("button", name="Save the change").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]:has-text('The word was changed.')")
    assert "“junkies” — write “people who use drugs (say what happened)” instead" in page.locator("main").inner_text()

    # Remove, by keyboard.
    page.get_by_role("button", name="Remove “winos”").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]:has-text('The word was removed from the list.')")
    assert page.get_by_role("button", name="Remove “winos”").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.screenshot(path=artifacts / "staff-care-words-320.png", full_page=True)
