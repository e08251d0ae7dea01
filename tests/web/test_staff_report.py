"""The staff report page and its media through the Flask client: who sees which report (by direct URL, with
the same 404 as for no report), named details and their audit, the labelled and cached machine translation,
photos and voice notes, the history (SQLite and PostgreSQL)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select

from bot.conversations import forget_reference_data
from storage import staff
from storage.crypto import Sealer
from storage.database import new_session
from storage.models import Agency, AuditEntry, Contact, Report, ReportAgency, ReportUpdate
from storage.reports import create_report
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.helpers import WebChat

NOW = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)  # a Thursday
PASSWORD = "a long enough passphrase"
NAME = "Amina Begum"
CHAT_ID = "555000111"
WORDS_BN = "রাতে সিঁড়িতে আলো নেই"
MISSING = "/staff/reports/TH-ZZZZ-ZZZZ"

# Each report: (reference, privacy, agencies the resident chose, agencies it was referred to).
REPORTS = {
    "everyone": ("TH-AAAA-0001", "anonymous", ("council", "housing", "police"), ()),
    "council": ("TH-AAAA-0002", "private", ("council",), ()),
    "named": ("TH-AAAA-0003", "named", ("council", "housing"), ()),
    "referred": ("TH-AAAA-0004", "named", ("council",), ("housing",)),
    "police": ("TH-AAAA-0005", "named", ("police",), ()),
}

# Every account: (email, role, agency).
ACCOUNTS = [
    ("admin@council.example", "admin", "council"),
    ("admin@service.example", "admin", None),
    ("officer@council.example", "officer", "council"),
    ("organiser@council.example", "organiser", "council"),
    ("viewer@council.example", "viewer", "council"),
    ("officer@housing.example", "officer", "housing"),
    ("viewer@housing.example", "viewer", "housing"),
    ("officer@police.example", "officer", "police"),
    ("viewer@police.example", "viewer", "police"),
]


def _app(database_url, tmp_path, **settings):
    from webhook import create_app

    forget_reference_data()
    media_dir = tmp_path / "media"
    media_dir.mkdir(exist_ok=True)
    app = create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
                      "media_dir": str(media_dir), **settings})
    app.extensions["safer_homes.clock"] = lambda: NOW
    return app


@pytest.fixture
def app(database_url, tmp_path):
    app = _app(database_url, tmp_path)
    yield app
    app.extensions["safer_homes.engine"].dispose()


def _account(app, email, role, agency=None) -> int:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        user = staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD, now=NOW)
        session.commit()
        return user.id


def _login(client, email):
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code


def _contact(session, address=CHAT_ID) -> Contact:
    sealer = Sealer(TEST_SECRET_KEY)
    contact = Contact(channel="telegram", address_hash=f"hash-of-{address}", address_sealed=sealer.seal(address),
                      language="bn")
    session.add(contact)
    session.flush()
    return contact


def _report(session, reference, privacy, chosen, *, referred=(), language="en", description="The stairwell light is out",
            media=(), received_at=NOW - timedelta(days=1)) -> Report:
    contact = None if privacy == "anonymous" else _contact(session, address=f"{CHAT_ID}{reference[-1]}")
    report = create_report(
        session, reference=reference, category="unsafe_place", language=language, channel="telegram",
        privacy=privacy, agency_slugs=list(chosen), description=description, received_at=received_at,
        ward_slug="weavers", location_text="Brick Lane", when_kind="today",
        sender_contact_id=contact.id if contact else None,
        reporter_name_sealed=Sealer(TEST_SECRET_KEY).seal(NAME) if privacy == "named" else None, media=media)
    agencies = dict(session.execute(select(Agency.slug, Agency.id)).all())
    for slug in referred:
        session.add(ReportAgency(report_id=report.id, agency_id=agencies[slug], shared_at=received_at + timedelta(hours=2),
                                 via="referral"))
        session.add(ReportUpdate(report_id=report.id, status="referred", action="referral", author=None,
                                 agency_id=agencies[chosen[0]], to_agency_id=agencies[slug],
                                 reason="Their estate", created_at=received_at + timedelta(hours=2)))
    session.flush()
    return report


def _every_report(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        for reference, privacy, chosen, referred in REPORTS.values():
            _report(session, reference, privacy, chosen, referred=referred)
        session.commit()


def _audit(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return [(entry.staff_user_id, entry.action, entry.report_id, entry.detail)
                for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def _report_id(app, reference):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return session.execute(select(Report.id).where(Report.reference == reference)).scalar_one()


# --- who sees what, by direct URL ---------------------------------------------------------------------

def _may_see(agency, report_key) -> bool:
    _reference, _privacy, chosen, referred = REPORTS[report_key]
    return agency is not None and agency in chosen + referred


def _may_see_name(role, agency, report_key) -> bool:
    _reference, privacy, chosen, _referred = REPORTS[report_key]
    return privacy == "named" and agency in chosen and role in ("officer", "admin")


def _as_not_found(response, path: str) -> str:
    """A 404 page's body with what differs between any two requests taken out: the CSP nonce and the
    sign-out form's CSRF token (new each response) and the page's own path (in the language links). What is left must be the same for a
    hidden report and one that does not exist."""
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    body = re.sub(r'nonce="[^"]*"', 'nonce=""', body)
    body = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', body)
    return body.replace(urlsplit(path).path, "{path}").replace(unquote(urlsplit(path).path), "{path}")


@pytest.mark.parametrize("email,role,agency", ACCOUNTS, ids=[account[0] for account in ACCOUNTS])
def test_each_account_sees_exactly_the_reports_shared_with_its_agency(app, email, role, agency):
    _every_report(app)
    user_id = _account(app, email, role, agency)
    client = app.test_client()
    _login(client, email)
    not_found = client.get(MISSING)
    assert not_found.status_code == 404
    for key, (reference, privacy, _chosen, _referred) in REPORTS.items():
        response = client.get(f"/staff/reports/{reference}")
        page = response.get_data(as_text=True)
        if _may_see(agency, key):
            assert response.status_code == 200, (key, response.status_code)
            assert reference in page and "The stairwell light is out" in page
            assert (NAME in page) == _may_see_name(role, agency, key), key
            # The media route keeps the same rule: a report's page visible, so its (missing) file is a plain 404.
        else:
            # The same answer as for a reference that does not exist: its existence is never revealed.
            assert response.status_code == 404, key
            assert _as_not_found(response, f"/staff/reports/{reference}") == _as_not_found(not_found, MISSING)
            media = f"/staff/reports/{reference}/media/anything.jpg"
            assert _as_not_found(client.get(media), media) == _as_not_found(client.get(MISSING + "/media/anything.jpg"),
                                                                              MISSING + "/media/anything.jpg")
    views = [(action, report_id, detail) for who, action, report_id, detail in _audit(app)
             if who == user_id and action == "report_viewed"]
    seen = [key for key in REPORTS if _may_see(agency, key)]
    assert [report_id for _action, report_id, _detail in views] == [_report_id(app, REPORTS[key][0]) for key in seen]
    assert [detail["named"] for _action, _report_id, detail in views] == [
        _may_see_name(role, agency, key) for key in seen]


def test_the_police_never_see_a_report_the_resident_did_not_share_with_them(app):
    _every_report(app)
    _account(app, "officer@police.example", "officer", "police")
    client = app.test_client()
    _login(client, "officer@police.example")
    # "referred" went to the council, then housing: staff may pass reports on, never to the police.
    for key in ("council", "named", "referred"):
        assert client.get(f"/staff/reports/{REPORTS[key][0]}").status_code == 404
    assert client.get(f"/staff/reports/{REPORTS['police'][0]}").status_code == 200


@pytest.mark.parametrize("path", ["/staff/reports/not-a-reference", "/staff/reports/TH-IIII-LLLL",
                                  "/staff/reports/TH-AAAA-00011", "/staff/reports/%00", "/staff/reports/..%2Fetc"])
def test_a_malformed_reference_gets_the_same_404(app, path):
    _every_report(app)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    expected = client.get(MISSING)
    response = client.get(path)
    assert _as_not_found(response, path) == _as_not_found(expected, MISSING)


def test_a_reference_typed_in_lower_case_opens_the_report(app):
    _every_report(app)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    assert client.get("/staff/reports/th-aaaa-0002").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(app):
    _every_report(app)
    response = app.test_client().get(f"/staff/reports/{REPORTS['everyone'][0]}")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


# --- named details ------------------------------------------------------------------------------------

def test_a_named_residents_name_is_shown_to_officers_of_chosen_agencies_and_each_view_is_audited(app):
    _every_report(app)
    officer = _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    reference = REPORTS["named"][0]
    for _ in range(2):
        page = client.get(f"/staff/reports/{reference}").get_data(as_text=True)
        assert NAME in page and "recorded in the audit log" in page
    named_views = [entry for entry in _audit(app) if entry[1] == "report_viewed"]
    assert named_views == [(officer, "report_viewed", _report_id(app, reference), {"named": True})] * 2
    # The audit detail never holds the name itself.
    assert NAME not in repr(_audit(app))


def test_an_agency_a_named_report_was_referred_to_never_sees_the_name(app):
    _every_report(app)
    _account(app, "officer@housing.example", "officer", "housing")
    client = app.test_client()
    _login(client, "officer@housing.example")
    page = client.get(f"/staff/reports/{REPORTS['referred'][0]}").get_data(as_text=True)
    assert NAME not in page
    assert "shared only with the agencies they chose" in page
    assert "referred by Tower Hamlets Council ASB team" in page
    assert "Referred to" in page and "Their estate" in page  # the history keeps the referral and its reason


def test_a_viewer_of_a_chosen_agency_is_told_only_officers_see_the_name(app):
    _every_report(app)
    _account(app, "viewer@council.example", "viewer", "council")
    client = app.test_client()
    _login(client, "viewer@council.example")
    page = client.get(f"/staff/reports/{REPORTS['named'][0]}").get_data(as_text=True)
    assert NAME not in page and "only officers and administrators see it" in page


def test_an_anonymous_report_made_in_the_web_chat_shows_nothing_that_leads_to_its_sender(app):
    chat = WebChat(app.test_client())
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:yes"),
                    dict(choice="continue:yes"), dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"),
                    dict(text="Loud music every night"), dict(choice="privacy:anonymous"), dict(choice="done"),
                    dict(choice="confirm:yes")]:
        chat.send(**message)
    reference = re.search(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}", " ".join(reply["text"] for reply in chat.replies)).group(0)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    page = client.get(f"/staff/reports/{reference}").get_data(as_text=True)
    assert "Loud music every night" in page and "Anonymous: nobody knows who sent this" in page
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact = session.execute(select(Contact)).scalar_one()
    for secret in (chat.session_id, contact.address_hash, f"contact {contact.id}", "contact_id"):
        assert secret not in page
    assert "Nobody on the staff side can see who sent this report." in page


def test_a_private_reports_page_shows_no_address_of_its_sender(app):
    _every_report(app)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    page = client.get(f"/staff/reports/{REPORTS['council'][0]}").get_data(as_text=True)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contacts = session.execute(select(Contact)).scalars().all()
    for contact in contacts:
        assert contact.address_hash not in page and contact.address_sealed not in page
    assert CHAT_ID not in page
    assert "Private: the service can send updates, but nobody sees who sent it." in page


# --- what the page shows ----------------------------------------------------------------------------

def test_the_page_shows_the_facts_sharing_clock_and_history(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        report = _report(session, "TH-AAAA-0009", "named", ("council",), referred=("housing",), language="bn",
                         description=WORDS_BN, received_at=NOW - timedelta(days=10))
        report.danger_now = True
        duplicate = _report(session, "TH-AAAA-0010", "anonymous", ("council",))
        duplicate.duplicate_of_id = report.id
        hidden_duplicate = _report(session, "TH-AAAA-0011", "anonymous", ("police",))
        hidden_duplicate.duplicate_of_id = report.id
        session.add(ReportUpdate(report_id=report.id, status="in_progress", action="status", reason="Visited the block",
                                 public_message="আমরা দেখছি", message_language="bn", machine_translated=True,
                                 original_message="We are looking into it", created_at=NOW - timedelta(days=1)))
        session.add(ReportUpdate(report_id=report.id, status="in_progress", action="note",
                                 internal_note="Caretaker says the bulb was stolen", created_at=NOW - timedelta(hours=1)))
        session.commit()
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    page = client.get("/staff/reports/TH-AAAA-0009?lang=en").get_data(as_text=True)
    assert "A place that feels unsafe" in page and "Weavers" in page and "Brick Lane" in page
    assert "Earlier today" in page and "someone was in danger" in page
    assert 'lang="bn"' in page and "বাংলা" in page and WORDS_BN in page
    assert "No machine translation is configured" in page  # TRANSLATOR=none
    assert "Telegram" in page
    assert "the resident&#39;s choice" in page and "referred by Tower Hamlets Council ASB team" in page
    assert "Overdue" in page  # ten days, target five working days, no response yet
    # History, oldest first: received, referral, the status change with its reply, the internal note.
    order = [page.index(text) for text in ("Report received", "Referred to", "Status changed from Referred to In progress",
                                           "Visited the block", "আমরা দেখছি", "We are looking into it",
                                           "Caretaker says the bulb was stolen")]
    assert order == sorted(order)
    assert "Machine-translated from:" in page and "Internal note (never sent)" in page
    # The duplicate shared with the council is linked; the one only the police have is neither named nor counted.
    assert 'href="/staff/reports/TH-AAAA-0010' in page
    assert "TH-AAAA-0011" not in page and "A report not shared with your agency" not in page
    headings = re.findall(r"<h([1-6])", page)
    assert headings[0] == "1" and all(int(later) - int(earlier) <= 1 for earlier, later in zip(headings, headings[1:]))
    assert "media-src 'self'" in client.get("/staff/reports/TH-AAAA-0009").headers["Content-Security-Policy"]


def test_an_agency_that_responded_is_not_overdue(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        report = _report(session, "TH-AAAA-0012", "private", ("council",), received_at=NOW - timedelta(days=20))
        share = session.execute(select(ReportAgency).where(ReportAgency.report_id == report.id)).scalar_one()
        share.responded_at = NOW - timedelta(days=19)
        _report(session, "TH-AAAA-0013", "private", ("council",), received_at=NOW - timedelta(days=1))
        session.commit()
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    assert "Overdue" not in client.get("/staff/reports/TH-AAAA-0012").get_data(as_text=True)
    assert "Overdue" not in client.get("/staff/reports/TH-AAAA-0013").get_data(as_text=True)


# --- machine translation ----------------------------------------------------------------------------

@pytest.fixture
def libretranslate():
    with FakeLibreTranslate() as server:
        yield server


@pytest.fixture
def translating_app(database_url, tmp_path, libretranslate):
    app = _app(database_url, tmp_path, translator="libre", libretranslate_url=libretranslate.url)
    yield app
    app.extensions["safer_homes.engine"].dispose()


def _bengali_report(app, reference="TH-AAAA-0020", language="bn", description=WORDS_BN):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        _report(session, reference, "private", ("council",), language=language, description=description)
        session.commit()
    return reference


def _translation_kept(app, reference):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        return report.translation, report.translation_engine


def test_the_translation_is_made_once_kept_and_always_labelled(translating_app, libretranslate):
    app = translating_app
    reference = _bengali_report(app)
    _account(app, "officer@council.example", "officer", "council")
    _account(app, "viewer@council.example", "viewer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    label = "Machine translation (LibreTranslate) — may be wrong"
    first = client.get(f"/staff/reports/{reference}").get_data(as_text=True)
    assert label in first and f"[en] {WORDS_BN}" in first and WORDS_BN in first
    assert len(libretranslate.requests) == 1 and libretranslate.requests[0]["source"] == "bn"
    assert _translation_kept(app, reference) == (f"[en] {WORDS_BN}", "LibreTranslate")
    again = client.get(f"/staff/reports/{reference}").get_data(as_text=True)
    other = app.test_client()
    _login(other, "viewer@council.example")
    by_someone_else = other.get(f"/staff/reports/{reference}").get_data(as_text=True)
    assert label in again and label in by_someone_else
    assert len(libretranslate.requests) == 1  # never sent to the engine again


def test_an_english_report_is_not_sent_to_the_translator(translating_app, libretranslate):
    app = translating_app
    reference = _bengali_report(app, language="en", description="The stairwell light is out")
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    page = client.get(f"/staff/reports/{reference}").get_data(as_text=True)
    assert "The stairwell light is out" in page and "Machine translation" not in page
    assert libretranslate.requests == [] and _translation_kept(app, reference) == (None, None)


def test_a_failed_translation_still_shows_the_page_and_keeps_nothing(translating_app, libretranslate):
    app = translating_app
    reference = _bengali_report(app)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    libretranslate.fail_next(1, status=500)
    response = client.get(f"/staff/reports/{reference}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and WORDS_BN in page and "Machine translation is unavailable" in page
    assert _translation_kept(app, reference) == (None, None)
    # The next view tries again, and keeps what it gets.
    assert f"[en] {WORDS_BN}" in client.get(f"/staff/reports/{reference}").get_data(as_text=True)
    assert len(libretranslate.requests) == 2 and _translation_kept(app, reference)[0] == f"[en] {WORDS_BN}"


def test_with_translator_none_the_page_says_no_translation_is_configured(app):
    reference = _bengali_report(app)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    page = client.get(f"/staff/reports/{reference}").get_data(as_text=True)
    assert "No machine translation is configured" in page and "Machine translation (" not in page
    assert _translation_kept(app, reference) == (None, None)


# --- photos and voice notes -------------------------------------------------------------------------

PHOTO = "a" * 32 + ".jpg"
VOICE = "b" * 32 + ".ogg"
OTHER = "c" * 32 + ".bin"
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 10
OGG = b"OggS" + b"voice" * 10


def _media_report(app):
    media_dir = app.extensions["safer_homes.settings"].media_dir
    for name, content in ((PHOTO, JPEG), (VOICE, OGG), (OTHER, b"other")):
        with open(f"{media_dir}/{name}", "wb") as kept:
            kept.write(content)
    with open(f"{media_dir}/../outside.txt", "w") as outside:
        outside.write("not a report's file")
    with new_session(app.extensions["safer_homes.engine"]) as session:
        _report(session, "TH-AAAA-0030", "private", ("council",), media=[(PHOTO, "photo"), (VOICE, "voice"),
                                                                         (OTHER, "file")])
        _report(session, "TH-AAAA-0031", "private", ("council",))
        _report(session, "TH-AAAA-0032", "private", ("housing",), media=[("d" * 32 + ".jpg", "photo")])
        session.commit()
    with open(f"{media_dir}/{'d' * 32}.jpg", "wb") as kept:
        kept.write(JPEG)


def test_photos_and_voice_notes_play_in_the_page_with_labels(app):
    _media_report(app)
    _account(app, "viewer@council.example", "viewer", "council")
    client = app.test_client()
    _login(client, "viewer@council.example")
    page = client.get("/staff/reports/TH-AAAA-0030").get_data(as_text=True)
    assert f'<img src="/staff/reports/TH-AAAA-0030/media/{PHOTO}" alt="Photo 1 sent by the resident">' in page
    assert f'<audio controls preload="none" src="/staff/reports/TH-AAAA-0030/media/{VOICE}"' in page
    assert 'aria-label="Voice note 2 sent by the resident"' in page
    assert f'href="/staff/reports/TH-AAAA-0030/media/{OTHER}" download' in page

    photo = client.get(f"/staff/reports/TH-AAAA-0030/media/{PHOTO}")
    assert photo.status_code == 200 and photo.data == JPEG and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store" and photo.headers["Content-Disposition"] == "inline"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    voice = client.get(f"/staff/reports/TH-AAAA-0030/media/{VOICE}")
    assert voice.data == OGG and voice.mimetype == "audio/ogg" and voice.headers["Content-Disposition"] == "inline"
    other = client.get(f"/staff/reports/TH-AAAA-0030/media/{OTHER}")
    assert other.mimetype == "application/octet-stream" and other.headers["Content-Disposition"].startswith("attachment")
    for response in (photo, voice, other):
        response.close()  # a file response holds its file open until closed


@pytest.mark.parametrize("trick", [
    "../outside.txt", "..%2Foutside.txt", "%2e%2e%2foutside.txt", "d" * 32 + ".jpg",  # another report's file
    "a" * 32 + ".JPG", ".", "..", "%00", "a" * 32,
])
def test_the_media_route_serves_only_the_reports_own_files(app, trick):
    _media_report(app)
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    not_found = _as_not_found(client.get(MISSING + "/media/x.jpg"), MISSING + "/media/x.jpg")
    response = client.get(f"/staff/reports/TH-AAAA-0030/media/{trick}")
    assert response.status_code == 404
    assert b"not a report's file" not in response.data and JPEG not in response.data
    # A report the agency may see, asked for another report's file: still nothing.
    assert client.get(f"/staff/reports/TH-AAAA-0031/media/{PHOTO}").status_code == 404
    # A report it may not see, asked for that report's own file: the same 404 as no report at all.
    hidden_path = f"/staff/reports/TH-AAAA-0032/media/{'d' * 32}.jpg"
    assert _as_not_found(client.get(hidden_path), hidden_path).replace("{path}", "") == not_found.replace("{path}", "")


def test_a_merged_report_names_the_report_it_went_into_only_to_agencies_that_see_that_one(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        root = _report(session, "TH-AAAA-0040", "private", ("council",))
        duplicate = _report(session, "TH-AAAA-0041", "private", ("council", "housing"))
        duplicate.duplicate_of_id, duplicate.status = root.id, "closed"
        session.add(ReportUpdate(report_id=duplicate.id, status="closed", action="merge", merged_into_id=root.id,
                                 created_at=NOW - timedelta(hours=1)))
        session.commit()
    _account(app, "officer@council.example", "officer", "council")
    _account(app, "officer@housing.example", "officer", "housing")
    council, housing = app.test_client(), app.test_client()
    _login(council, "officer@council.example")
    _login(housing, "officer@housing.example")
    seen_by_council = council.get("/staff/reports/TH-AAAA-0041").get_data(as_text=True)
    assert 'href="/staff/reports/TH-AAAA-0040' in seen_by_council
    seen_by_housing = housing.get("/staff/reports/TH-AAAA-0041").get_data(as_text=True)
    assert "TH-AAAA-0040" not in seen_by_housing
    assert "merged into another report that is not shared with your agency" in seen_by_housing
    assert "Merged as a duplicate" in seen_by_housing
    assert 'href="/staff/reports/TH-AAAA-0041' in council.get("/staff/reports/TH-AAAA-0040").get_data(as_text=True)
