"""The ward panel digest's page and PDF (web/digest.py), sending its link once (bot/digest_send.py) from the
staff event page and the command line (SQLite and PostgreSQL). The figures themselves are checked against
hand-computed ones in tests/storage/test_digest.py, on the same data."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.cli import main
from bot.delivery import Deliverer
from bot.digest_send import send_digest_link
from flows import i18n
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, DigestSend, Event, OutboxMessage, PublicEntry, Rsvp, Ward
from tests.storage.test_digest import MEETING_START, NOW, _event, _ids, agenda_data, weavers  # noqa: F401 (weavers is a fixture)
from tests.web.test_staff_pages import _account, _login

BENGALI_TITLE = "উইভার্স ওয়ার্ড প্যানেল"
# Resident and staff words that must never reach the digest (tests/storage/test_digest.py puts them there).
MARKERS = ("ORIGINAL-WORDS-MARKER", "UNAPPROVED-MARKER", "HIDDEN-MARKER", "HIDDEN-WORDING-MARKER", "NEXT-ORIGINAL-MARKER",
           "RESIDENT-DESCRIPTION-MARKER", "RESIDENT-LOCATION-MARKER", "STAFF-NOTE-MARKER", "TH-TEST", "DRAFT-ENTRY",
           "WITHDRAWN-ENTRY", "OTHER-WARD-ENTRY", "EARLIER-ENTRY")


class TextChannel:
    """Renders like a sending channel with credentials here (delivery itself is tests/bot's)."""

    def __init__(self, name):
        self.name = name

    def render(self, replies):
        return [{"text": reply.text} for reply in replies]


@pytest.fixture
def at_now(app):
    app.extensions["safer_homes.clock"] = lambda: NOW


@pytest.fixture
def with_agenda(engine, weavers):
    agenda_data(engine, weavers)
    return weavers


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _squeezed(text: str) -> str:
    # Shaped Bengali comes back from a PDF with spaces, tabs and control characters where glyph clusters join.
    return re.sub(r"[\s\x00-\x1f]+", "", text)


def test_the_page_shows_approved_items_and_figures_and_no_resident_words(client, at_now, with_agenda):
    response = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Weavers ward panel</h1>" in page and "Ward panel" in page
    assert "Drug dealing near the estate" in page and "Lighting on the canal path" in page
    assert "SHOWN-ENTRY said" in page and "SHOWN-ENTRY did" in page
    # asb 6 this period and 5 before; open asb 5 of which 5 past target; the totals 15 and 8, 12 and 9.
    assert re.search(r'<th scope="row">Anti-social behaviour</th><td class="number">6</td><td class="number">5</td>', page)
    assert re.search(r'<th scope="row">All reports</th><td class="number">12</td><td class="number">9</td>', page)
    assert "Reports where an agency took action: 5" in page and "Reports closed: 5" in page
    assert '<td class="number fewer">fewer than 5</td>' in page
    # Two residents back this item: a count under 5, not published.
    assert '<td class="">Drug dealing near the estate</td><td class="number fewer">fewer than 5</td>' in page
    for marker in MARKERS:
        assert marker not in page, marker
    assert "script" not in response.headers["Content-Security-Policy"] and "<script" not in page
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_the_pdf_says_the_same_words_as_the_page(client, at_now, with_agenda):
    page = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=en").get_data(as_text=True)
    response = client.get(f"/public/wards/weavers/meetings/{with_agenda}.pdf?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = _squeezed(_pdf_text(response.data))
    main_part = page.split('<main id="main" tabindex="-1">', 1)[1].split("</main>", 1)[0]
    for words in re.findall(r">([^<>]+)<", main_part):
        words = words.strip().replace("&amp;", "&")
        if words:
            assert _squeezed(words) in text, words
    for marker in MARKERS:
        assert marker not in text, marker


def test_in_bengali_the_page_and_the_pdf_carry_the_bengali_title(client, at_now, with_agenda):
    page = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=bn").get_data(as_text=True)
    assert '<html lang="bn"' in page and f"<h1>{BENGALI_TITLE}</h1>" in page
    response = client.get(f"/public/wards/weavers/meetings/{with_agenda}.pdf?lang=bn")
    assert response.data.startswith(b"%PDF")
    assert b"NotoSansBengali" in response.data  # the Bengali font is embedded (a subset of it)
    assert _squeezed(BENGALI_TITLE) in _squeezed(_pdf_text(response.data))


def test_entries_are_in_one_language_as_on_the_public_pages(client, engine, at_now, with_agenda):
    # Whole in Bengali: both fields in Bengali, noted as a machine's.
    bengali = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=bn").get_data(as_text=True)
    assert '<p lang="bn"><strong>আপনি বলেছেন</strong></p><p lang="bn">আমরা করেছি</p>' in bengali
    assert "SHOWN-ENTRY" not in bengali
    # No Somali: both fields in English, marked so, and said to be untranslated.
    somali = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=so").get_data(as_text=True)
    assert ('<p lang="en" dir="ltr"><strong>SHOWN-ENTRY said</strong></p>'
            '<p lang="en" dir="ltr">SHOWN-ENTRY did</p>') in somali
    # Half a Bengali translation is not mixed with English: the whole entry is English until both are done.
    with new_session(engine) as session:
        entry = session.execute(select(PublicEntry).where(PublicEntry.you_said == "SHOWN-ENTRY said")).scalar_one()
        entry.translations = {"bn": {"you_said": "HALF-DONE-বলেছেন", "we_did": ""}}
        session.commit()
    half = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=bn").get_data(as_text=True)
    assert "HALF-DONE" not in half
    assert ('<p lang="en" dir="ltr"><strong>SHOWN-ENTRY said</strong></p>'
            '<p lang="en" dir="ltr">SHOWN-ENTRY did</p>') in half


def test_the_language_links_keep_the_address_and_the_nonce_matches(client, at_now, with_agenda):
    response = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=en&from=poster&from=chat")
    page = response.get_data(as_text=True)
    # Repeated arguments survive (a copy of the helper kept only the last one).
    assert f'href="/public/wards/weavers/meetings/{with_agenda}?from=poster&amp;from=chat&amp;lang=so"' in page
    nonce = re.search(r"style-src 'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in page


def test_the_pdf_is_made_once_a_minute_per_language(app, client, at_now, with_agenda, monkeypatch):
    from web import digest as digest_pages

    digest_pages.clear_pdf_cache()
    made = []
    real_digest_pdf = digest_pages.digest_pdf
    monkeypatch.setattr(digest_pages, "digest_pdf",
                        lambda words, **options: made.append(words.lang) or real_digest_pdf(words, **options))
    path = f"/public/wards/weavers/meetings/{with_agenda}.pdf"
    english = client.get(path + "?lang=en")
    assert client.get(path + "?lang=en").data == english.data
    assert client.get(path + "?lang=bn").data != english.data
    assert made == ["en", "bn"]
    # Another minute, new figures: made again. A wrong ward is still 404, never the kept PDF.
    app.extensions["safer_homes.clock"] = lambda: NOW + timedelta(minutes=1)
    assert client.get(path + "?lang=en").status_code == 200 and made == ["en", "bn", "en"]
    assert client.get(f"/public/wards/bow-east/meetings/{with_agenda}.pdf?lang=en").status_code == 404
    assert english.headers["Cache-Control"] == "public, max-age=60"
    digest_pages.clear_pdf_cache()


def test_the_digest_tables_are_named_scrolling_regions(client, at_now, with_agenda):
    from tests.web.test_public_pages import _scrolling_tables_are_named_regions

    page = client.get(f"/public/wards/weavers/meetings/{with_agenda}?lang=bn").get_data(as_text=True)
    assert _scrolling_tables_are_named_regions(page) == 3


def test_unknown_ward_another_wards_meeting_or_no_ward_is_404(app, client, engine, at_now, weavers):
    with new_session(engine) as session:
        borough_wide = Event(title="Borough forum", starts_at=MEETING_START, created_at=NOW)
        session.add(borough_wide)
        session.commit()
        borough_wide_id = borough_wide.id
    for path in (f"/public/wards/nowhere/meetings/{weavers}", f"/public/wards/bow-east/meetings/{weavers}",
                 f"/public/wards/weavers/meetings/{borough_wide_id}", "/public/wards/weavers/meetings/987654"):
        assert client.get(path).status_code == 404, path
        assert client.get(path + ".pdf").status_code == 404, path
        # The public pages' own 404, in the reader's language, not Flask's English one.
        somali = client.get(path + "?lang=so")
        assert '<html lang="so"' in somali.get_data(as_text=True), path
        assert i18n.translations("so").gettext("Page not found") in somali.get_data(as_text=True), path
        assert "frame-ancestors 'none'" in somali.headers["Content-Security-Policy"]


def test_a_cancelled_meeting_still_renders_saying_so(client, engine, at_now):
    with new_session(engine) as session:
        meeting = _event(session, ward_id=_ids(session, Ward)["weavers"], starts_at=MEETING_START, cancelled=True)
        session.commit()
        meeting_id = meeting.id
    page = client.get(f"/public/wards/weavers/meetings/{meeting_id}?lang=en").get_data(as_text=True)
    assert "This meeting was cancelled." in page
    assert "This meeting was cancelled." in _pdf_text(client.get(f"/public/wards/weavers/meetings/{meeting_id}.pdf").data)


# --- sending the link -----------------------------------------------------------------------------------

def _answered(engine, event_id):
    """Coming (Bengali), waiting (Somali), not coming, and coming but unreachable: the link goes to two."""
    with new_session(engine) as session:
        for name, status, language, unreachable in (("a", "attending", "bn", False), ("b", "waiting", "so", False),
                                                    ("c", "declined", "en", False), ("d", "attending", "en", True)):
            contact = Contact(channel="telegram", address_hash=keyed_hash("k", "telegram", name), language=language,
                              unreachable=unreachable, created_at=NOW)
            session.add(contact)
            session.flush()
            session.add(Rsvp(event_id=event_id, contact_id=contact.id, status=status, needs=[], created_at=NOW,
                             updated_at=NOW, confirmed_at=NOW if status == "attending" else None,
                             waiting_since=NOW if status == "waiting" else None))
        session.commit()


def _digest_messages(engine):
    with new_session(engine) as session:
        return [(message.language, message.payload["text"]) for message in
                session.execute(select(OutboxMessage).where(OutboxMessage.kind == "digest")
                                .order_by(OutboxMessage.contact_id)).scalars()]


def test_the_link_goes_once_to_those_coming_or_waiting_in_their_language(engine, weavers):
    _answered(engine, weavers)
    channels = {"telegram": TextChannel("telegram")}
    with new_session(engine) as session:
        sent = send_digest_link(session, event_id=weavers, staff_user_id=None, now=NOW, channels=channels,
                                base_url="https://saferhomes.example/")
        session.commit()
    assert (sent.queued, sent.already_sent) == (2, False)
    messages = _digest_messages(engine)
    assert [language for language, _text in messages] == ["bn", "so"]
    assert "https://saferhomes.example/public/wards/weavers/meetings/%d?lang=bn" % weavers in messages[0][1]
    assert BENGALI_TITLE in messages[0][1]
    assert messages[1][1].endswith("/public/wards/weavers/meetings/%d?lang=so" % weavers)
    with new_session(engine) as session:
        again = send_digest_link(session, event_id=weavers, staff_user_id=None, now=NOW + timedelta(hours=1),
                                 channels=channels, base_url="https://saferhomes.example")
        session.commit()
        marker = session.get(DigestSend, weavers)
    assert (again.queued, again.already_sent, again.sent_at) == (0, True, NOW)
    assert marker.queued == 2 and len(_digest_messages(engine)) == 2


def _staff_page(client, event_id):
    response = client.get(f"/staff/events/{event_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_organisers_send_the_link_once_from_the_event_page(app, client, engine, at_now, weavers):
    _answered(engine, weavers)
    app.extensions["safer_homes.deliverer"] = Deliverer(engine, app.extensions["safer_homes.settings"],
                                                        {"telegram": TextChannel("telegram")})
    _account(app, "organiser@council.example", "organiser", "council")
    assert _login(client, "organiser@council.example").status_code == 302
    page, token = _staff_page(client, weavers)
    assert f"/public/wards/weavers/meetings/{weavers}" in page
    assert "Send the link to the 2 residents who are coming" in page
    path = f"/staff/events/{weavers}/digest"
    assert client.post(path, data={"confirmed": "yes", "csrf_token": "forged"}).status_code == 400
    assert client.post(path, data={"csrf_token": token}).status_code == 400  # not confirmed
    assert _digest_messages(engine) == []
    sent = client.post(path, data={"csrf_token": token, "confirmed": "yes"})
    assert sent.status_code == 303 and "done=digest_sent" in sent.headers["Location"]
    twice = client.post(path, data={"csrf_token": token, "confirmed": "yes"})
    assert "done=digest_already_sent" in twice.headers["Location"]
    assert len(_digest_messages(engine)) == 2
    page, _token = _staff_page(client, weavers)
    assert "The link was already sent on" in page and "Send the link to the" not in page


def test_officers_and_viewers_see_the_link_but_cannot_send_it(app, client, engine, at_now, weavers):
    _answered(engine, weavers)
    _account(app, "viewer@council.example", "viewer", "council")
    assert _login(client, "viewer@council.example").status_code == 302
    page, token = _staff_page(client, weavers)
    assert f"/public/wards/weavers/meetings/{weavers}" in page and "Send the link to the" not in page
    assert client.post(f"/staff/events/{weavers}/digest", data={"csrf_token": token, "confirmed": "yes"}).status_code == 403
    assert _digest_messages(engine) == []


def test_the_command_line_prints_the_address_and_sends_once(database_url, engine, weavers):
    _answered(engine, weavers)
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": "https://saferhomes.example"}
    shown = CliRunner().invoke(main, ["events", "digest", str(weavers)], env=env)
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == f"https://saferhomes.example/public/wards/weavers/meetings/{weavers}"
    # Telegram has no credentials here, so nobody on it can be sent anything: 0 queued, and still sent once.
    sent = CliRunner().invoke(main, ["events", "digest", str(weavers), "--send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "the link will be sent to 0 residents" in sent.output
    again = CliRunner().invoke(main, ["events", "digest", str(weavers), "--send"], env=env)
    assert "not sent again: the link was already sent on" in again.output
    with new_session(engine) as session:
        assert session.execute(select(func.count()).select_from(DigestSend)).scalar_one() == 1
    assert CliRunner().invoke(main, ["events", "digest", "987654"], env=env).exit_code != 0
