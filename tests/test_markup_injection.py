"""Nothing a user writes becomes markup (docs/security-tests.md lists each attempt and its result).

1. Telegram: every message goes with parse_mode HTML (design.md), so every outgoing path must escape what
   residents, staff and organisers wrote. The fake Bot API parses HTML as Telegram does and refuses what it
   cannot parse ("Bad Request: can't parse entities"), so a message that was not escaped either fails or
   arrives with its tags eaten; each path below checks the resident reads the hostile text exactly.
2. Staff pages and 3. public pages: Jinja autoescapes, translations are escaped too (web/i18n.py), and no
   template writes a user's words into an address; each page that shows such words is checked for the
   escaped text and for no live tag, handler or javascript: address, and every page carries a strict
   Content-Security-Policy. One chromium pass (tests/web/test_markup_injection_browser.py) checks that no
   script runs.
On SQLite and PostgreSQL."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, render_replies
from bot.conversations import forget_reference_data
from bot.delivery import Deliverer
from bot.digest_send import send_digest_link
from bot.flood import parse_flood_limits
from bot.reminders import plan_due_reminders, tell_residents
from bot.report_notify import notify_resident
from bot.settings import parse_reminder_offsets
from flows.types import Reply
from storage import agenda, events, report_actions, spaces
from storage.casework import StaffScope, shared_report
from storage.database import new_session
from storage.models import Event, Report
from storage import staff as staff_store
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import ApiError, FakeTelegramAPI, TelegramUser, parse_html
from webhook import create_app

TOKEN = "123:ABC"
SECRET = "markup-secret"
# What someone might type to break a page or a Telegram message: tags Telegram knows, tags it does not, an
# unbalanced tag, entities, a javascript: link, an attribute breaker.
HOSTILE = [
    '<b>bold</b> & <i>Co</i>',
    '<a href="javascript:alert(1)">click</a>',
    '<script>window.__xss=1</script>',
    '</i> unbalanced <b> tag',
    '" onmouseover="window.__xss=1" x="',
    "1 < 2 && 3 > 2 &amp; &lt;b&gt;",
    '<img src=x onerror="window.__xss=1">',
]
ALL_HOSTILE = " ¦ ".join(HOSTILE)


# --- 1. Telegram ----------------------------------------------------------------------------------

@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"'/ab =;#x\n")) | st.characters(exclude_categories=["Cs"]),
               min_size=1, max_size=600))
def test_whatever_the_text_telegram_parses_it_back_to_exactly_that_text(text):
    """Every Telegram payload is made by render_replies; what Telegram's HTML parser reads back is the text.
    (No lone surrogates: nothing stored can hold one, and the inbound path drops them.)"""
    if not text.strip():
        return
    payloads = render_replies([Reply(text=text, lang="en")])
    assert [parse_html(payload["text"]) for payload in payloads] == [text.strip()]
    assert all(payload["parse_mode"] == "HTML" for payload in payloads)


def test_the_fake_refuses_html_telegram_would_refuse():
    """The check above is only as good as the fake's parser: it must refuse what Telegram refuses."""
    for broken in ("<script>x</script>", "</i> unbalanced", "<b>open", "<a href='x'>never closed", "1 < 2"):
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(broken)
    assert parse_html("<b>bold</b> &amp; &lt;") == "bold & <"


class NoWait:
    def wait_turn(self, paces) -> float:
        return 0.0


@pytest.fixture
def api():
    with FakeTelegramAPI(TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram_app(database_url, api, tmp_path: Path):
    forget_reference_data()
    app = create_app({
        "database_url": database_url, "secret_key": TEST_SECRET_KEY, "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": SECRET, "telegram_api_base_url": api.url, "media_dir": str(tmp_path / "media"),
        # One resident walks every path here, faster than anyone types.
        "flood_limit_per_contact": parse_flood_limits("FLOOD_LIMIT_PER_CONTACT", "1000 per minute"),
        "TESTING": True,
    })
    app.extensions["safer_homes.deliverer"].pacer = NoWait()
    yield app
    app.extensions["safer_homes.deliverer"].channels["telegram"].close()
    app.extensions["safer_homes.engine"].dispose()


class Resident:
    def __init__(self, client, api, chat_id: int):
        self.client, self.api, self.chat_id = client, api, chat_id
        self.user = TelegramUser(chat_id, language_code="en")

    def _post(self, update: dict) -> list:
        before = len(self.api.messages_to(self.chat_id))
        response = self.client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
        return self.api.messages_to(self.chat_id)[before:]

    def says(self, text: str) -> list:
        return self._post(self.user.message(text))

    def taps(self, key: str) -> list:
        last = self.api.messages_to(self.chat_id)[-1]
        assert key in last.callback_data, (key, last.callback_data)
        return self._post(self.user.tap(key, message_id=last.message_id))

    @property
    def everything_read(self) -> str:
        return "\n".join(message.plain for message in self.api.messages_to(self.chat_id))


def _assert_escaped(messages, *expected: str) -> None:
    """Each message went as HTML the parser accepted (the fake refuses the rest), nothing in it is a tag,
    and the resident reads every expected text exactly as it was written."""
    assert messages, "nothing arrived"
    plain = "\n".join(message.plain for message in messages)
    for text in expected:
        assert text in plain, text
    for message in messages:
        assert message.parse_mode == "HTML"
        assert not re.search(r"<(?!/?(b|i|u|s|a|code|pre)\b)", message.text), message.text  # no raw tag at all
        assert "<b>" not in message.text and "<a " not in message.text and "<script" not in message.text


def test_every_path_to_a_telegram_resident_escapes_what_others_wrote(telegram_app, api, engine):
    client, deliverer = telegram_app.test_client(), telegram_app.extensions["safer_homes.deliverer"]
    channels = deliverer.channels
    now = utcnow()
    with new_session(engine) as session:
        space = spaces.add_space(session, name=HOSTILE[0], address=HOSTILE[1], now=now, ward_slug="weavers",
                                 booking=HOSTILE[2], opening_hours=HOSTILE[3])
        event = events.create_event(session, title=HOSTILE[4][:150], starts_at=now + timedelta(days=5), now=now,
                                    ward_slug="weavers", place=HOSTILE[5], description=HOSTILE[6],
                                    kind="ward_panel")
        item = agenda.save_item(session, topic="other", text=HOSTILE[1], language="en", now=now, event_id=event.id)
        agenda.approve_item(session, item_id=item.id, now=now, as_written=True)
        officer = staff_store.add_staff(session, email="officer@council.example", role="officer",
                                        agency_slug="council", password="a long enough passphrase", now=now)
        session.commit()
        event_id, space_name, officer_id, council_id = event.id, space.name, officer.id, officer.agency_id

    resident = Resident(client, api, 9100001)
    resident.says("hello")
    resident.says("1")  # English, asked first for its language_code

    # The community spaces directory: names, addresses, booking and hours written by staff.
    resident.says("menu")
    _assert_escaped(resident.taps("menu:spaces") + resident.taps("ward:weavers"), space_name, HOSTILE[1],
                    HOSTILE[2], HOSTILE[3])

    # An event an organiser wrote, then its agenda items as buttons (plain text, never parsed).
    shown = resident.says(f"RSVP {event_id}")
    _assert_escaped(shown, HOSTILE[4][:150], HOSTILE[5])
    resident.taps("rsvp:yes")
    resident.taps("need:none")
    resident.says(f"RSVP {event_id}")
    resident.taps("agenda")
    resident.taps("topic:other")
    offered = resident.says("More light on the stairs please")
    assert HOSTILE[1] in " ".join(label for label, _key in offered[-1].buttons)

    # A report in the resident's own hostile words: the summary and the acknowledgement.
    resident.says("menu")
    for key in ("menu:report", "danger:no", "cat:asb"):
        resident.taps(key)
    resident.says(HOSTILE[0])  # where
    resident.taps("when:now")
    resident.says(ALL_HOSTILE)  # what happened
    summary = resident.taps("privacy:private") + resident.taps("done")
    _assert_escaped(summary, HOSTILE[0], ALL_HOSTILE)
    resident.taps("confirm:yes")

    # An officer's public reply: the neutral notice, then the reply itself when the resident asks to see it.
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        shared = shared_report(session, reference=report.reference, scope=StaffScope(agency_id=council_id,
                                                                                      role="officer"))
        update = report_actions.change_status(session, shared=shared, status="in_progress", reason="visit",
                                              public_message=ALL_HOSTILE[:700], staff_user_id=officer_id,
                                              agency_id=council_id, now=utcnow())
        assert notify_resident(session, channels=channels, report=report, update=update, now=utcnow())
        session.commit()
    deliverer.deliver_due()
    notice = api.messages_to(resident.chat_id)[-1]
    _assert_escaped([notice])
    _assert_escaped(resident.taps(notice.callback_data[0]), ALL_HOSTILE[:700])

    # The reminder before the event, the digest link, and the notice when the event is cancelled.
    with new_session(engine) as session:
        session.get(Event, event_id).starts_at = utcnow() + timedelta(hours=2)
        session.commit()
    before = len(api.messages_to(resident.chat_id))
    # A minute on, when the reminder is due; sent before the cancellation, which drops reminders not yet sent.
    assert plan_due_reminders(engine, parse_reminder_offsets("2h"), channels,
                              now=utcnow() + timedelta(minutes=1)).queued == 1
    Deliverer(engine, deliverer.settings, channels, pacer=NoWait(),
              clock=lambda: utcnow() + timedelta(minutes=2)).deliver_due()
    with new_session(engine) as session:
        send_digest_link(session, event_id=event_id, staff_user_id=None, now=utcnow(), channels=channels,
                         base_url="https://saferhomes.example.org")
        events.cancel_event(session, event_id=event_id, now=utcnow())
        tell_residents(session, channels, event_id=event_id, now=utcnow())
        session.commit()
    deliverer.deliver_due()
    told = api.messages_to(resident.chat_id)[before:]
    assert len(told) >= 3, [message.plain for message in told]  # reminder, digest link, cancellation
    _assert_escaped(told, HOSTILE[4][:150])
    assert all(HOSTILE[4][:150] in message.plain for message in told)


# --- 2. staff pages and 3. public pages ----------------------------------------------------------

PASSWORD = "a long enough passphrase"
# An admin can give an account any address the form takes, tags included: it is shown in every history.
EVIL_EMAIL = '"><script>window.__xss=1</script><b>@evil.example'
ADMIN_EMAIL = "admin@council.example"
ORGANISER_EMAIL = "organiser@council.example"
# What must never be in a page as it is: each would run, or change the page, if it were.
LIVE = ["<script>window.__xss", "<img src=x", 'onmouseover="window', 'href="javascript:', "<b>bold</b>",
        "<i>Co</i>", "</i> unbalanced <b> tag", '<a href="javascript', "<b>@evil"]


def hostile_database(engine) -> dict:
    """Every field a resident, an officer, an organiser or an admin writes that a page shows, filled with
    HOSTILE text: reports (words, place, when, a named reporter's name), a reply, a reason and a note, a
    public summary, a "You said, we did" entry, an event with its agenda item, a care-language term, and a
    staff account whose address holds a script tag. Returns the ids and references the pages need."""
    from storage import care_language, contacts, public_entries, report_publishing
    from storage.crypto import Sealer
    from storage.models import CARE_GROUPS
    from storage.public_figures import clear_public_figures_cache
    from storage.reports import create_report

    now = utcnow()
    with new_session(engine) as session:
        evil = staff_store.add_staff(session, email=EVIL_EMAIL, role="officer", agency_slug="council",
                                     password=PASSWORD, now=now)
        staff_store.add_staff(session, email=ADMIN_EMAIL, role="admin", agency_slug="council", password=PASSWORD,
                              now=now)
        staff_store.add_staff(session, email=ORGANISER_EMAIL, role="organiser", agency_slug="council",
                              password=PASSWORD, now=now)
        contact = contacts.find_or_create_contact(session, channel="webchat", address_hash="x" * 64,
                                                  address_sealed=None, now=now)
        named = create_report(
            session, reference="TH-XSS0-0001", category="asb", language="en", channel="webchat", privacy="named",
            agency_slugs=["council"], description=ALL_HOSTILE, received_at=now - timedelta(days=1),
            ward_slug="weavers", location_text=HOSTILE[0], when_kind="earlier", when_text=HOSTILE[3],
            sender_contact_id=contact.id, reporter_name_sealed=Sealer(TEST_SECRET_KEY).seal(HOSTILE[2]))
        create_report(session, reference="TH-XSS0-0002", category="noise", language="en", channel="webchat",
                      privacy="anonymous", agency_slugs=["council", "housing"], description=HOSTILE[6],
                      received_at=now - timedelta(days=2), ward_slug="weavers", location_text=HOSTILE[4])
        scope = StaffScope(agency_id=evil.agency_id, role="officer")
        shared = shared_report(session, reference=named.reference, scope=scope)
        report_actions.change_status(session, shared=shared, status="in_progress", reason=HOSTILE[4],
                                     public_message=HOSTILE[1], internal_note=HOSTILE[5], staff_user_id=evil.id,
                                     agency_id=evil.agency_id, now=now)
        report_publishing.approve_public_summary(session, shared=shared_report(session, reference=named.reference,
                                                                               scope=scope),
                                                 text=HOSTILE[0] + " " + HOSTILE[2], staff_user_id=evil.id,
                                                 agency_id=evil.agency_id, now=now)
        entry = public_entries.create_entry(session, you_said=HOSTILE[2], we_did=HOSTILE[6], now=now,
                                            staff_user_id=evil.id, ward_slug="weavers", agency_id=evil.agency_id)
        public_entries.publish_entry(session, entry_id=entry.id, now=now)
        event = events.create_event(session, title=HOSTILE[4][:150], starts_at=now + timedelta(days=3), now=now,
                                    ward_slug="weavers", place=HOSTILE[5], description=HOSTILE[1], kind="ward_panel")
        item = agenda.save_item(session, topic="other", text=HOSTILE[2], language="en", now=now, event_id=event.id)
        agenda.approve_item(session, item_id=item.id, now=now, as_written=True)
        care_language.add_term(session, term="<b>yob</b>", suggestion=HOSTILE[6], group=CARE_GROUPS[0], now=now)
        session.commit()
        ids = {"named": named.reference, "anonymous": "TH-XSS0-0002", "entry": entry.id, "event": event.id}
    clear_public_figures_cache()
    return ids


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def assert_no_live_markup(page: str, where: str) -> None:
    for live in LIVE:
        assert live not in page, f"{where}: {live!r} is live in the page"


def assert_shown_escaped(page: str, where: str, *texts: str) -> None:
    from markupsafe import escape

    for text in texts:
        assert str(escape(text)) in page, f"{where}: {text!r} is not shown (escaped)"


def staff_pages(ids: dict) -> dict[str, list[str]]:
    """Who reads which pages: each account's pages that show what others wrote."""
    return {
        EVIL_EMAIL: ["/staff/", "/staff/reports", f"/staff/reports/{ids['named']}",
                     f"/staff/reports/{ids['anonymous']}", "/staff/reports?q=%3Cscript%3E",
                     "/staff/public/entries", f"/staff/public/entries/{ids['entry']}", "/staff/events",
                     f"/staff/events/{ids['event']}"],
        ORGANISER_EMAIL: ["/staff/events", f"/staff/events/{ids['event']}"],
        ADMIN_EMAIL: ["/staff/admin/users", "/staff/admin/audit", "/staff/admin/care-words", "/staff/admin/targets"],
    }


def test_staff_pages_show_what_anyone_wrote_as_text(app, engine):
    ids = hostile_database(engine)
    for email, paths in staff_pages(ids).items():
        client = signed_in(app, email)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (email, path, response.status_code)
            assert_no_live_markup(response.get_data(as_text=True), path)
    officer = signed_in(app, EVIL_EMAIL)
    report = officer.get(f"/staff/reports/{ids['named']}").get_data(as_text=True)
    # The resident's words, place and time, their typed name, the officer's reply, reason, note and address.
    assert_shown_escaped(report, "report page", ALL_HOSTILE, HOSTILE[0], HOSTILE[3], HOSTILE[2], HOSTILE[1],
                         HOSTILE[4], HOSTILE[5], EVIL_EMAIL)
    organiser = signed_in(app, ORGANISER_EMAIL).get(f"/staff/events/{ids['event']}").get_data(as_text=True)
    assert_shown_escaped(organiser, "event page", HOSTILE[4][:150], HOSTILE[5], HOSTILE[2])
    users = signed_in(app, ADMIN_EMAIL).get("/staff/admin/users").get_data(as_text=True)
    assert_shown_escaped(users, "accounts page", EVIL_EMAIL)


def test_a_hostile_filter_value_is_refused_or_echoed_as_text(app, engine):
    """What is typed into the inbox's filters comes back into the form: as text, never as markup."""
    ids = hostile_database(engine)
    officer = signed_in(app, EVIL_EMAIL)
    for query in ('ward="><script>window.__xss=1</script>', "language=%22%20onmouseover%3D%22window.__xss%3D1",
                  "status=<img src=x onerror=window.__xss=1>", "q=" + HOSTILE[1], "page_after=<b>bold</b>"):
        response = officer.get(f"/staff/reports?{query}")
        assert response.status_code in (200, 400), (query, response.status_code)
        assert_no_live_markup(response.get_data(as_text=True), query)
    assert ids


def public_pages(ids: dict) -> list[str]:
    return ["/public", "/public/wards/weavers", f"/public/wards/weavers/meetings/{ids['event']}",
            f"/events/{ids['event']}/poster", "/public/wards/%3Cscript%3Ewindow.__xss=1%3C%2Fscript%3E",
            "/public?lang=%22%3E%3Cscript%3Ewindow.__xss=1%3C/script%3E"]


def test_public_pages_show_what_staff_published_as_text(client, engine):
    ids = hostile_database(engine)
    for path in public_pages(ids):
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_no_live_markup(response.get_data(as_text=True), path)
    figures = client.get("/public/wards/weavers").get_data(as_text=True)
    assert_shown_escaped(figures, "ward page", HOSTILE[2], HOSTILE[6])  # the "You said, we did" entry
    digest = client.get(f"/public/wards/weavers/meetings/{ids['event']}").get_data(as_text=True)
    assert_shown_escaped(digest, "digest", HOSTILE[2])  # the approved agenda item
    poster = client.get(f"/events/{ids['event']}/poster").get_data(as_text=True)
    assert_shown_escaped(poster, "poster", HOSTILE[4][:150], HOSTILE[5])


def test_open311_answers_carry_the_public_summary_as_data(client, engine):
    """JSON escapes by its own rules and XML by its own: a reader gets the words back exactly."""
    import xml.etree.ElementTree as ET

    hostile_database(engine)
    summary = HOSTILE[0] + " " + HOSTILE[2]
    listed = client.get("/open311/v2/requests.json?service_code=asb").get_json()
    assert summary in [request.get("description") for request in listed]
    document = ET.fromstring(client.get("/open311/v2/requests.xml?service_code=asb").data)
    assert summary in [element.text for element in document.iter("description")]


HTML_PAGES_WITHOUT_SIGN_IN = ["/chat", "/public", "/public/wards/weavers", "/staff/login", "/staff/nowhere",
                              "/public/nowhere"]


def _check_policy(response, path: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.strip().split(" ")[0]: part.strip() for part in policy.split(";") if part.strip()}
    assert directives.get("default-src") == "default-src 'none'", (path, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
    assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy, (path, policy)
    script = directives.get("script-src", "")
    assert not script or re.fullmatch(r"script-src 'nonce-[A-Za-z0-9_-]{16,}'", script), (path, policy)


def test_every_page_carries_a_strict_content_security_policy(app, client, engine):
    ids = hostile_database(engine)
    for path in HTML_PAGES_WITHOUT_SIGN_IN + public_pages(ids):
        response = client.get(path)
        assert response.mimetype == "text/html", path
        _check_policy(response, path)
    for email, paths in staff_pages(ids).items():
        signed = signed_in(app, email)
        for path in paths:
            _check_policy(signed.get(path), path)
