"""The "You said, we did" form and the agreed targets page in a real browser (Debian's chromium) on a 320 px
screen: an officer writes an entry and publishes it; an admin records a target. Nothing scrolls sideways and
axe-core finds nothing serious. (The care-language prompt answers 400, which the browser fixture counts as a
console error: its flow is tests/web/test_staff_public.py's, its markup test_staff_care_browser.py's.)
Screenshots: tests/artifacts/."""
from __future__ import annotations

import pytest

from tests.web.browser_checks import PASSWORD, SMALL_PHONE, add_staff_account, serious_axe_violations

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, email) -> None:
    page.goto(f"{live_server}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server}/staff/")


def _fits_and_passes(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []


def test_an_officer_writes_and_publishes_an_entry_at_320px(new_context, live_server, live_database_url, artifacts):
    add_staff_account(live_database_url, "officer@council.example", "officer", "council")
    page = new_context(**SMALL_PHONE).new_page()
    _sign_in(page, live_server, "officer@council.example")
    page.get_by_role("link", name="You said, we did").click()
    page.get_by_role("link", name="Write a new entry").click()
    _fits_and_passes(page)
    page.get_by_label("Ward").select_option("weavers")
    page.get_by_label("You said (in English)").fill("The stairwell lights on the estate were out for weeks.")
    page.get_by_label("We did (in English)").fill("We replaced the lights and check them every month.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_selector("text=The draft was saved.")
    _fits_and_passes(page)
    page.screenshot(path=artifacts / "staff-public-entry-draft-320.png", full_page=True)
    page.get_by_role("button", name="Publish the entry").click()
    page.wait_for_selector("text=The entry is published: it shows on the public pages now.")
    _fits_and_passes(page)
    page.screenshot(path=artifacts / "staff-public-entry-published-320.png", full_page=True)


def test_an_admin_records_a_target_at_320px(new_context, live_server, live_database_url, artifacts):
    add_staff_account(live_database_url, "admin@example.org", "admin")
    page = new_context(**SMALL_PHONE).new_page()
    _sign_in(page, live_server, "admin@example.org")
    page.get_by_role("link", name="Agreed targets").click()
    _fits_and_passes(page)
    page.get_by_label("Working days").fill("3")
    page.locator("#target-agency").select_option("council")
    page.get_by_label("Agreed with").fill("Borough residents' forum")
    page.get_by_role("button", name="Record the target").click()
    page.wait_for_selector("text=The target was recorded.")
    assert page.get_by_text("the inbox's response clock now counts against 3 working days").count() == 1
    _fits_and_passes(page)
    page.screenshot(path=artifacts / "staff-targets-320.png", full_page=True)
