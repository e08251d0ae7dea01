"""GET /events/<id>/poster: one printable page per language, with QR codes that encode the right links."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import segno

from flows import i18n
from storage import events
from storage.database import make_engine, new_session
from tests.conftest import TEST_SECRET_KEY

NOW = datetime(2099, 1, 10, 12, 0, tzinfo=timezone.utc)
CHANNELS = {"telegram_bot_username": "SaferHomesBot", "twilio_whatsapp_number": "+44 7700 900123",
            "twilio_sms_number": "+447700900456", "public_base_url": "https://saferhomes.example"}


def _add_event(database_url, **details) -> int:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        event = events.create_event(
            session, title="Weavers ward panel", starts_at=datetime(2099, 7, 14, 17, 30, tzinfo=timezone.utc),
            ends_at=datetime(2099, 7, 14, 19, 30, tzinfo=timezone.utc), now=NOW, ward_slug="weavers",
            place="Weavers Community Centre", kind="ward_panel",
            titles={"bn": "উইভার্স ওয়ার্ড প্যানেল", "so": "Guddiga xaafadda Weavers"}, machine_translated=["so"],
            offers={"interpreters": ["bn", "syl"], "food": True, "childcare": True, "voucher": "£10 voucher"},
            decision_makers=["Ward councillors"], **details)
        session.commit()
        event_id = event.id
    engine.dispose()
    return event_id


def _client(database_url, **settings):
    from bot.conversations import forget_reference_data
    from webhook import create_app

    forget_reference_data()
    app = create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True, **settings})
    return app


@pytest.fixture
def poster_app(database_url):
    app = _client(database_url, **CHANNELS)
    yield app
    app.extensions["safer_homes.engine"].dispose()


def _dark_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an inline segno SVG draws: its path is rows of horizontal runs ("M4 4.5h7m3 0h2…")."""
    path = re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            length = int(float(first))
            dark |= {(int(x) + step, int(y)) for step in range(length)}
            x += length
    return dark


def _qr_urls(page: str) -> list[str]:
    """The links printed under the QR codes, in order."""
    return [match for match in re.findall(r'<span class="url">([^<]+)</span>', page)]


def _encodes(svg: str, url: str) -> bool:
    matrix = segno.make(url, error="m", micro=False).matrix
    expected = {(column + 4, row + 4) for row, line in enumerate(matrix) for column, bit in enumerate(line) if bit}
    return _dark_modules(svg) == expected


def test_a_poster_page_per_language_with_qr_codes_for_telegram_and_whatsapp(poster_app, database_url):
    event_id = _add_event(database_url)
    response = poster_app.test_client().get(f"/events/{event_id}/poster?lang=en,bn,so")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    sections = re.findall(r'<section class="page" lang="([^"]+)" dir="ltr">(.*?)</section>', page, re.S)
    assert [lang for lang, _body in sections] == ["en", "bn", "so"]
    english, bengali, somali = (body for _lang, body in sections)
    assert "<h1>Weavers ward panel</h1>" in english and "machine translated" not in english
    assert "<h1>উইভার্স ওয়ার্ড প্যানেল</h1>" in bengali
    assert "<h1>Guddiga xaafadda Weavers</h1>" in somali and 'class="machine"' in somali
    # London time (18:30 BST), with the language's own digits and day names.
    assert "Tuesday 14 July 2099, 18:30 to 20:30" in english
    assert "১৮:৩০" in bengali and "২০৯৯" in bengali
    assert "বাংলা and Sylheti / সিলেটি" in english and "Ward councillors" in english and "£10 voucher" in english

    telegram = f"https://t.me/SaferHomesBot?start=event_{event_id}"
    whatsapp = f"https://wa.me/447700900123?text=RSVP%20{event_id}"
    for body in (english, bengali, somali):
        svgs = re.findall(r"<svg.*?</svg>", body, re.S)
        assert len(svgs) == 2
        assert _encodes(svgs[0], telegram) and _encodes(svgs[1], whatsapp)
        assert not _encodes(svgs[0], telegram.replace(f"event_{event_id}", f"event_{event_id + 1}"))
        assert _qr_urls(body) == [telegram, whatsapp]
        assert f'<span class="command">RSVP {event_id}</span>' in body
        assert '<span class="command">+447700900456</span>' in body
        assert '<span class="command">https://saferhomes.example/chat</span>' in body
    # Nothing is fetched from anywhere: no scripts, images, fonts or stylesheets by address.
    assert not re.search(r"<(script|img|link|iframe)\b|url\(", page)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_without_channels_the_poster_leaves_their_codes_out(database_url):
    app = _client(database_url)
    try:
        event_id = _add_event(database_url)
        page = app.test_client().get(f"/events/{event_id}/poster").get_data(as_text=True)
    finally:
        app.extensions["safer_homes.engine"].dispose()
    assert "<svg" not in page and "t.me" not in page and "wa.me" not in page and "By text message" not in page
    assert f"/chat</span> and write <span class=\"command\">RSVP {event_id}</span>" in page


def test_the_page_language_is_used_without_lang_and_a_cancelled_event_says_so(poster_app, database_url):
    event_id = _add_event(database_url)
    engine = make_engine(database_url)
    with new_session(engine) as session:
        events.cancel_event(session, event_id=event_id, now=NOW + timedelta(days=1))
        session.commit()
    engine.dispose()
    page = poster_app.test_client().get(f"/events/{event_id}/poster", headers={"Accept-Language": "bn-BD"}).get_data(as_text=True)
    assert page.count('<section class="page"') == 1 and '<section class="page" lang="bn"' in page
    assert 'class="cancelled"' in page


def test_an_unknown_event_is_404_and_an_unknown_language_400(poster_app, database_url):
    client = poster_app.test_client()
    assert client.get("/events/999/poster").status_code == 404
    event_id = _add_event(database_url)
    refused = client.get(f"/events/{event_id}/poster?lang=en,xx")
    assert refused.status_code == 400
    shipped = ", ".join(language.code for language in i18n.LANGUAGES)
    assert refused.get_data(as_text=True) == f"there is no poster text in 'xx' yet; choose from {shipped}\n"
