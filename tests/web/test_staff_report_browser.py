"""The staff report page in a real browser (Debian's chromium): on a 320 px screen a Bengali report with a
photo and a voice note fits without sideways scrolling, the photo loads under the staff CSP, the voice note
is a labelled player, the resident's words are marked as Bengali, and axe-core finds nothing serious.
Screenshot: tests/artifacts/staff-report-320.png."""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from storage import staff
from storage.crypto import Sealer
from storage.database import make_engine, new_session
from storage.models import Contact
from storage.reports import create_report
from tests.conftest import TEST_SECRET_KEY
from tests.web.browser_checks import PASSWORD, SMALL_PHONE, serious_axe_violations

pytestmark = pytest.mark.browser

WORDS = "রাতে সিঁড়িতে আলো নেই, বাচ্চারা ভয় পায়। " * 6


def _png(width: int = 800, height: int = 300) -> bytes:
    """A plain grey PNG wider than the screen: the page must shrink it, not scroll."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x90" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_bengali_report_with_a_photo_and_a_voice_note_at_320px(new_context, live_app, live_server,
                                                                 live_database_url, artifacts, tmp_path):
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    photo, voice = "a" * 32 + ".png", "b" * 32 + ".ogg"
    (media_dir / photo).write_bytes(_png())
    (media_dir / voice).write_bytes(b"OggS" + b"\x00" * 64)
    settings = live_app.extensions["safer_homes.settings"]
    live_app.extensions["safer_homes.settings"] = settings.with_overrides(media_dir=str(media_dir))
    now = datetime.now(timezone.utc)
    engine = make_engine(live_database_url)
    with new_session(engine) as session:
        staff.add_staff(session, email="officer@council.example", role="officer", agency_slug="council",
                        password=PASSWORD, now=now)
        contact = Contact(channel="telegram", address_hash="hash", address_sealed=Sealer(TEST_SECRET_KEY).seal("1"))
        session.add(contact)
        session.flush()
        create_report(session, reference="TH-BBBB-0001", category="unsafe_place", language="bn", channel="telegram",
                      privacy="private", agency_slugs=["council", "housing"], description=WORDS,
                      received_at=now - timedelta(days=9), ward_slug="spitalfields-banglatown",
                      location_text="ব্রিক লেনের পিছনের সিঁড়ি, " * 4, when_kind="earlier", sender_contact_id=contact.id,
                      media=[(photo, "photo"), (voice, "voice")], time_of_day="night", woman_or_girl=True)
        session.commit()
    engine.dispose()

    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#email", "officer@council.example")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/")
    page.goto(f"{live_server}/staff/reports/TH-BBBB-0001")
    page.wait_for_load_state("load")

    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling
    image = page.get_by_role("img", name="Photo 1 sent by the resident")
    assert image.evaluate("element => element.complete && element.naturalWidth") == 800  # loaded under the CSP
    assert image.evaluate("element => element.getBoundingClientRect().right") <= 320
    assert page.locator("audio[controls][aria-label='Voice note 2 sent by the resident']").count() == 1
    assert page.locator("div.words[lang=bn]").inner_text().strip() == WORDS.strip()
    assert "Overdue" in page.locator("main").inner_text()
    assert serious_axe_violations(page) == []
    page.screenshot(path=artifacts / "staff-report-320.png", full_page=True)

    # The public summary: typed beside the resident's words, approved, and shown as published.
    assert page.locator("#public-summary").input_value() == ""
    page.fill("#public-summary", "No lights on the stairs behind Brick Lane at night.")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url("**done=summary_approved*")
    assert "Published, approved on" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_axe_violations(page) == []
