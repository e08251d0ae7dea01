"""The subject access page in a real browser (Debian's chromium) at 320 px: an admin looks a resident up, reads
what is held, is asked to confirm an erasure and confirms it; axe-core finds nothing serious on each step and
nothing scrolls sideways. Screenshots: tests/artifacts/."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from storage import contacts, reports
from storage.crypto import Sealer, keyed_hash
from storage.database import make_engine, new_session
from tests.conftest import TEST_SECRET_KEY
from tests.web.browser_checks import PASSWORD, SMALL_PHONE, add_staff_account, serious_axe_violations

pytestmark = pytest.mark.browser
NUMBER = "+447700900321"


def _resident_with_a_report(database_url: str) -> None:
    """An SMS resident as the Twilio webhook would have made them, with a private report."""
    engine = make_engine(database_url)
    now = datetime.now(timezone.utc)
    with new_session(engine) as session:
        contact = contacts.find_or_create_contact(session, channel="sms",
                                                  address_hash=keyed_hash(TEST_SECRET_KEY, "sms", NUMBER),
                                                  address_sealed=Sealer(TEST_SECRET_KEY).seal(NUMBER), now=now)
        reports.create_report(session, reference="TH-7K3M-9QXR", category="noise", language="bn", channel="sms",
                              privacy="private", agency_slugs=("council",), received_at=now,
                              description="রাত দুইটা পর্যন্ত খুব জোরে গান বাজছিল", sender_contact_id=contact.id)
        session.commit()
    engine.dispose()


def test_an_admin_answers_a_request_at_320px_with_nothing_serious_for_axe(new_context, live_server, live_database_url,
                                                                          artifacts):
    add_staff_account(live_database_url, "admin@example.org", "admin")
    _resident_with_a_report(live_database_url)
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server}/staff/")

    page.get_by_role("link", name="Subject access and erasure").click()
    page.wait_for_url(f"{live_server}/staff/admin/subjects")
    assert serious_axe_violations(page) == []
    page.select_option("#channel", "sms")
    page.get_by_label("Phone number or Telegram chat id").fill("07700 900321")
    page.get_by_role("button", name="Show what is held").click()
    page.wait_for_selector("#result-heading")
    main = page.locator("main").inner_text()
    assert "TH-7K3M-9QXR" in main and "রাত দুইটা" in main
    assert "Held for this address:" in main and "1 private or named report\n" in main
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []
    page.screenshot(path=artifacts / "staff-subject-access-320.png", full_page=True)

    page.get_by_role("button", name="Erase this person…").click()
    page.wait_for_selector("text=Yes, delete everything held")
    assert serious_axe_violations(page) == []
    page.get_by_role("button", name="Yes, delete everything held").click()
    page.wait_for_selector("text=Reports made anonymous: 1.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []
