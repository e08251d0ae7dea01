"""The ward panel digest in a real browser (Debian's chromium): in Bengali at A4 width its text is in Bengali
script, it fits the page without sideways scrolling, loads nothing from elsewhere and runs no script.
Screenshot: tests/artifacts/digest-bn.png."""
from __future__ import annotations

import pytest

from storage.database import make_engine
from tests.storage.test_digest import NOW, agenda_data, weavers_data
from tests.web.browser_checks import serious_axe_violations

pytestmark = pytest.mark.browser

A4 = {"width": 794, "height": 1123}  # CSS pixels at 96 dpi


def test_the_bengali_digest_at_a4_width(live_app, live_server, live_database_url, new_context, artifacts):
    live_app.extensions["safer_homes.clock"] = lambda: NOW
    engine = make_engine(live_database_url)
    meeting_id = weavers_data(engine)
    agenda_data(engine, meeting_id)
    engine.dispose()
    page = new_context(viewport=A4).new_page()
    page.goto(f"{live_server}/public/wards/weavers/meetings/{meeting_id}?lang=bn")
    assert page.locator("html").get_attribute("lang") == "bn"
    assert page.locator("h1").inner_text() == "উইভার্স ওয়ার্ড প্যানেল"
    # The Bengali title really renders (a missing font draws nothing or boxes) and the tables fit A4.
    assert page.locator("h1").bounding_box()["width"] > 150
    assert page.locator("table").count() == 3
    assert "৬" in page.locator("#trends ~ .table-wrap table").inner_text()  # asb this period, in Bengali digits
    assert serious_axe_violations(page) == []
    page.emulate_media(media="print")
    assert page.evaluate("document.documentElement.scrollWidth") <= A4["width"]
    page.screenshot(path=artifacts / "digest-bn.png", full_page=True)
