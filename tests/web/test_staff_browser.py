"""The staff login in a real browser (Debian's chromium): an officer on a 320 px screen signs in with the
keyboard alone and lands on their account page; axe-core finds nothing serious on the login, account and
admin pages. Screenshots: tests/artifacts/."""
from __future__ import annotations


import pytest
from playwright.sync_api import Page

from tests.web.browser_checks import PASSWORD, SMALL_PHONE, add_staff_account, serious_axe_violations

pytestmark = pytest.mark.browser



def _tab_to(page: Page, element_id: str, presses: int = 25) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", \
                f"#{element_id} shows no focus outline"
            return
    pytest.fail(f"Tab never reached #{element_id}")


def test_an_officer_signs_in_at_320px_with_the_keyboard_alone(new_context, live_server, live_database_url, artifacts):
    add_staff_account(live_database_url, "officer@police.example", "officer", "police")
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling
    assert page.get_by_label("Email address").count() == 1 and page.get_by_label("Password").count() == 1
    assert serious_axe_violations(page) == []

    _tab_to(page, "email")
    page.keyboard.type("officer@police.example")
    _tab_to(page, "password", presses=1)
    page.keyboard.type("a wrong guess")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=alert]")
    assert "did not work" in page.locator("[role=alert]").inner_text()
    assert page.input_value("#email") == "officer@police.example"  # kept, so only the password is typed again

    page.evaluate("document.activeElement && document.activeElement.blur()")
    _tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/")
    text = page.locator("main").inner_text()
    assert "officer@police.example" in text and "Officer" in text and "police" in text.lower()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []
    page.screenshot(path=artifacts / "staff-signed-in-320.png", full_page=True)

    # Signing out is a button in the header, reached by keyboard too.
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/login")


def test_the_admin_pages_have_no_serious_accessibility_problems(new_context, live_server, live_database_url,
                                                               artifacts):
    add_staff_account(live_database_url, "admin@example.org", "admin")
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login?lang=bn")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server}/staff/?lang=bn")
    assert page.locator("html").get_attribute("lang") == "bn"
    for path in ("/staff/admin/users", "/staff/admin/audit"):
        page.goto(f"{live_server}{path}")
        assert serious_axe_violations(page) == [], path
    page.goto(f"{live_server}/staff/admin/users")
    page.screenshot(path=artifacts / "staff-admin-users-320.png", full_page=True)
