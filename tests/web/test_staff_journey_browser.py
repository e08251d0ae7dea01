"""The staff journey of issue 6 in a real browser (Debian's chromium): a council officer signs in with the
keyboard, filters the inbox to Somali, opens a private Somali report made over WhatsApp, sends a standard
reply with the status "In progress", and exactly one notice in Somali waits in the outbox for WhatsApp; a
report shared only with housing is the 404 page to them. Then the inbox, the report page (with its action
forms) and the events list in English, Bengali and Somali at 320 px: nothing serious for axe-core, no
sideways scrolling, every form control named; and the report's actions in a sensible Tab order with a
visible focus. Screenshots: tests/artifacts/staff-journey-*.png, staff-report-{bn,so}-320.png."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from bot.conversations import forget_reference_data
from flows.i18n import localise_digits
from flows.report_notices import neutral_notice, status_update_notice
from flows.staff_replies import STANDARD_REPLIES, standard_reply_text
from storage import staff
from storage.crypto import Sealer, keyed_hash
from storage.database import make_engine, new_session
from storage.models import Contact, Conversation, OutboxMessage, ReportUpdate
from storage.reports import create_report
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.twilio_api import FakeTwilio
from tests.web.browser_checks import PASSWORD, SMALL_PHONE, serious_axe_violations
from tests.web.test_staff_events_browser import _upcoming_event_with_an_item

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
OFFICER = "officer@council.example"
ACCOUNT_SID = "AC" + "d" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
HODAN = "+447700900456"

SOMALI = "TH-S0M1-0001"
BENGALI = "TH-B3N6-0002"
HOUSING_ONLY = "TH-H0SG-0003"
ENGLISH = "TH-EN61-0004"
REPLY = "in_progress.looking"
REASON = "Repair booked with the lighting contractor"

# The roles a form control has in the accessibility tree; each must have a name a screen reader can say.
CONTROL_ROLES = {"textbox", "combobox", "listbox", "radio", "checkbox", "button", "searchbox", "spinbutton",
                 "slider", "switch"}


@pytest.fixture
def live_app(live_database_url):
    """The real app with WhatsApp configured (a fake Twilio that nothing is sent to: the staff pages only
    queue; the worker sends), so a notice for a WhatsApp resident is queued as in production."""
    from webhook import create_app

    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        forget_reference_data()
        app = create_app({"database_url": live_database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
                          "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
                          "twilio_whatsapp_number": "+447700900100", "twilio_api_base_url": fake.url})
        yield app
        for channel in app.extensions["safer_homes.deliverer"].channels.values():
            channel.close()
        app.extensions["safer_homes.engine"].dispose()
        assert fake.attempts == [], "the staff pages only queue; the worker sends"


@pytest.fixture
def seeded(live_database_url) -> dict:
    """A council officer and four reports: a private Somali one over WhatsApp, a private Bengali one over
    Telegram (council and housing), an English one for the council, and one shared with housing only."""
    now = datetime.now(timezone.utc)
    sealer = Sealer(TEST_SECRET_KEY)
    engine = make_engine(live_database_url)
    with new_session(engine) as session:
        staff.add_staff(session, email=OFFICER, role="officer", agency_slug="council", password=PASSWORD, now=now)
        hodan = Contact(channel="whatsapp", address_hash=keyed_hash(TEST_SECRET_KEY, "whatsapp", HODAN),
                        address_sealed=sealer.seal(HODAN), language="so", last_inbound_at=now - timedelta(hours=1),
                        created_at=now - timedelta(hours=2))
        rahima = Contact(channel="telegram", address_hash=keyed_hash(TEST_SECRET_KEY, "telegram", "4242"),
                         address_sealed=sealer.seal("4242"), language="bn", created_at=now - timedelta(days=3))
        session.add_all([hodan, rahima])
        session.flush()
        create_report(session, reference=SOMALI, category="unsafe_place", language="so", channel="whatsapp",
                      privacy="private", agency_slugs=["council"],
                      description="Nalalka jaranjarada ayaa dansan toddobaadyo, carruurtu way baqayaan.",
                      received_at=now - timedelta(hours=1), ward_slug="spitalfields-banglatown",
                      location_text="Jaranjarada dhismaha B", when_kind="earlier", sender_contact_id=hodan.id)
        create_report(session, reference=BENGALI, category="unsafe_place", language="bn", channel="telegram",
                      privacy="private", agency_slugs=["council", "housing"],
                      description="রাতে সিঁড়িতে আলো নেই, বাচ্চারা ভয় পায়।", received_at=now - timedelta(days=3),
                      ward_slug="spitalfields-banglatown", location_text="ব্রিক লেনের পিছনের সিঁড়ি",
                      when_kind="earlier", sender_contact_id=rahima.id)
        create_report(session, reference=ENGLISH, category="noise", language="en", channel="webchat",
                      privacy="anonymous", agency_slugs=["council"], description="Loud music every night after 2am.",
                      received_at=now - timedelta(days=2), when_kind="earlier")
        create_report(session, reference=HOUSING_ONLY, category="asb", language="en", channel="webchat",
                      privacy="anonymous", agency_slugs=["housing"], description="The bin store door is broken.",
                      received_at=now - timedelta(days=1), when_kind="earlier")
        session.commit()
        ids = {"hodan": hodan.id}
    engine.dispose()
    return ids


def _tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until `selector` has the focus, which must then be visible."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            _assert_focus_visible(page)
            return
    pytest.fail(f"Tab never reached {selector}")


def _assert_focus_visible(page: Page) -> None:
    focused = page.evaluate("""() => {
        const element = document.activeElement, style = getComputedStyle(element);
        return {id: element.id || element.tagName, visible: element.matches(':focus-visible'),
                outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
    }""")
    assert focused["visible"], f"{focused['id']} has the focus but not :focus-visible"
    assert focused["outline"] != "none" and focused["width"] >= 2, f"{focused['id']} shows no focus outline: {focused}"


def _sign_in_with_the_keyboard(page: Page, base: str) -> None:
    page.goto(f"{base}/staff/login")
    _tab_to(page, "#email")
    page.keyboard.type(OFFICER)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)


def _no_sideways_scrolling(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def _unnamed_controls(page: Page) -> tuple[int, list[str]]:
    """How many form controls chromium's accessibility tree has, and those with no accessible name."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    unnamed, checked = [], 0
    for node in nodes:
        role = (node.get("role") or {}).get("value")
        if node.get("ignored") or role not in CONTROL_ROLES:
            continue
        checked += 1
        if not str((node.get("name") or {}).get("value") or "").strip():
            unnamed.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    # The same from the DOM, for controls the tree might fold away: each has a label, aria name or text.
    unnamed += page.evaluate("""() => Array.from(document.querySelectorAll(
            'input:not([type=hidden]), select, textarea, button'))
        .filter(control => {
            const byLabel = Array.from(control.labels || []).some(label => label.textContent.trim());
            const byAria = (control.getAttribute('aria-label') || '').trim()
                || (control.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
                    id => id && document.getElementById(id) && document.getElementById(id).textContent.trim());
            const byText = control.tagName === 'BUTTON' && control.textContent.trim();
            return !(byLabel || byAria || byText || (control.title || '').trim());
        })
        .map(control => control.outerHTML.slice(0, 120))""")
    return checked, unnamed


def _status_updates(database_url: str) -> list[OutboxMessage]:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        rows = list(session.execute(select(OutboxMessage).where(OutboxMessage.kind == "status_update")).scalars())
        everything = session.execute(select(OutboxMessage)).scalars().all()
        assert len(everything) == len(rows), "only the status update is queued"
        session.expunge_all()
    engine.dispose()
    return rows


# --- 1. the scenario ---------------------------------------------------------------------------------

def test_an_officer_filters_to_somali_and_sends_a_standard_reply_that_is_queued_in_somali(
        new_context, live_server, live_database_url, seeded, artifacts):
    page = new_context(**DESKTOP).new_page()
    _sign_in_with_the_keyboard(page, live_server)
    page.screenshot(path=artifacts / "staff-journey-1-login.png", full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/")

    # To the inbox by its link in the menu, with the keyboard.
    _tab_to(page, "nav.site a[href^='/staff/reports']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/reports")
    listed = page.locator("ol.reports > li h2").all_inner_texts()
    assert sorted(listed) == sorted([SOMALI, BENGALI, ENGLISH])  # never the housing-only report

    # Filter by language: Somali (the form's own select, sent with its button).
    page.select_option("#filter-language", "so")
    _tab_to(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/reports?*language=so*")
    assert page.locator("#filter-language").input_value() == "so"
    assert page.locator("ol.reports > li h2").all_inner_texts() == [SOMALI]
    assert "1 report shown" in page.locator("p[role=status]").inner_text()
    page.screenshot(path=artifacts / "staff-journey-2-inbox-filtered.png", full_page=True)

    # Open it, on a phone-sized screen.
    page.set_viewport_size({"width": 320, "height": 640})
    page.get_by_role("link", name=SOMALI).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/reports/{SOMALI}*")
    assert page.locator("h1").count() == 1 and SOMALI in page.locator("main").inner_text()
    assert page.locator("div.words[lang=so]").count() == 1
    assert _no_sideways_scrolling(page)
    page.screenshot(path=artifacts / "staff-journey-3-report-so.png", full_page=True)

    # A standard reply and the status "In progress", with a reason.
    page.select_option("#action-status", "in_progress")
    page.fill("#action-reason", REASON)
    reply = page.locator(f"[id='reply-{REPLY}']")
    reply.check()
    assert page.get_by_label(STANDARD_REPLIES[REPLY].text).is_checked()
    page.get_by_role("button", name="Send", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/reports/{SOMALI}?done=sent*")
    confirmation = page.locator(".report-actions [role=status]").inner_text()
    assert "The resident will be told on the channel they used" in confirmation
    history = page.locator("ol.history > li").last.inner_text()
    assert "Status changed from Received to In progress" in history
    assert REASON in history and STANDARD_REPLIES[REPLY].text in history
    assert "(standard reply)" in history
    assert page.locator("dl").first.locator("dd").nth(2).inner_text().strip() == "In progress"
    assert _no_sideways_scrolling(page)
    page.screenshot(path=artifacts / "staff-journey-4-reply-sent.png", full_page=True)
    page.set_viewport_size(DESKTOP["viewport"])
    page.screenshot(path=artifacts / "staff-journey-4-reply-sent-desktop.png", full_page=True)

    # Exactly one notice, queued for WhatsApp in Somali: the neutral one, since a phone's lock screen shows it.
    # The update itself, word for word what flows/ renders, is what her "1" shows (kept in her conversation).
    [queued] = _status_updates(live_database_url)
    expected = status_update_notice("so", reference=SOMALI, status="in_progress", standard_reply=REPLY)
    assert (queued.kind, queued.channel, queued.language, queued.status) == ("status_update", "whatsapp", "so", "pending")
    assert queued.contact_id == seeded["hodan"]
    neutral = neutral_notice("so")
    assert queued.payload == {"body": f"{neutral.text}\n\n{localise_digits('1', 'so')}. {neutral.choices[0].label}"}
    assert SOMALI not in queued.payload["body"] and standard_reply_text(REPLY, "so") not in queued.payload["body"]
    assert standard_reply_text(REPLY, "so") in expected and SOMALI in expected
    engine = make_engine(live_database_url)
    with new_session(engine) as session:
        [update] = session.execute(select(ReportUpdate).where(ReportUpdate.standard_reply == REPLY)).scalars()
        assert (update.status, update.reason) == ("in_progress", REASON)
        state = session.execute(select(Conversation.state).where(Conversation.contact_id == seeded["hodan"])).scalar_one()
        assert state["pending"] == "notice"
        assert state["notices"] == [{"kind": "update", "reference": SOMALI, "update_id": update.id}]
    engine.dispose()


# --- 2. another agency's report ------------------------------------------------------------------------------

def test_the_officer_gets_the_404_page_for_a_report_shared_only_with_housing(browser, live_server, seeded):
    # A context of its own: the guarded one fails on any console error, and chromium logs a 404 document as
    # one. Here every console error must be exactly those two 404s, and nothing may leave 127.0.0.1.
    context = browser.new_context(**DESKTOP)
    errors: list[str] = []
    context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    context.route("**/*", lambda route: route.fallback() if route.request.url.startswith(live_server)
                  else route.abort())
    try:
        page = context.new_page()
        _sign_in_with_the_keyboard(page, live_server)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}/staff/")

        hidden = page.goto(f"{live_server}/staff/reports/{HOUSING_ONLY}")
        assert hidden.status == 404
        hidden_text = page.locator("main").inner_text()
        assert HOUSING_ONLY not in hidden_text and "bin store" not in page.content()
        missing = page.goto(f"{live_server}/staff/reports/TH-ZZZZ-9999")
        assert missing.status == 404
        assert page.locator("main").inner_text() == hidden_text  # the same page as for no such report
        assert page.get_by_role("heading", level=1).count() == 1
        assert page.get_by_role("link", name="Reports").count() >= 1  # a way back
    finally:
        context.close()
    assert errors == ["Failed to load resource: the server responded with a status of 404 (NOT FOUND)"] * 2


# --- 3. accessibility in three languages ---------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "bn", "so"])
def test_the_staff_pages_at_320px_in_each_language(new_context, live_server, live_database_url, seeded,
                                                   artifacts, lang):
    _upcoming_event_with_an_item(live_database_url)
    page = new_context(**SMALL_PHONE).new_page()
    page.goto(f"{live_server}/staff/login?lang={lang}")
    page.fill("#email", OFFICER)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/?lang={lang}")

    report = BENGALI if lang == "bn" else SOMALI
    # With the least number of controls each has: the inbox's filters, the report's actions, sign out.
    for path, least_controls in (("/staff/reports", 10), (f"/staff/reports/{report}", 20), ("/staff/events", 1)):
        response = page.goto(f"{live_server}{path}?lang={lang}")
        where = f"{path}?lang={lang}"
        assert response.status == 200, where
        assert page.evaluate("document.documentElement.lang") == lang, where
        assert page.locator("h1").count() == 1, where
        assert _no_sideways_scrolling(page), where
        assert serious_axe_violations(page, also_failing_reviews=("aria-prohibited-attr",)) == [], where
        # The language menu offers every shipped language by its own name (a page's variables must not hide it).
        switcher = page.locator("nav.languages a")
        assert {link.get_attribute("hreflang") for link in switcher.all()} >= {"en", "bn", "so"}, where
        assert all(text.strip() for text in switcher.all_inner_texts()), where
        controls, unnamed = _unnamed_controls(page)
        assert unnamed == [], where
        assert controls >= least_controls, where  # the check saw the forms
        if path.startswith("/staff/reports/"):
            assert page.locator("#action-status").count() == 1, where  # the action forms are there
            assert page.locator(f"a[href*='lang={lang}']").count() > 0, where  # links keep the language
            if lang != "en":
                page.screenshot(path=artifacts / f"staff-report-{lang}-320.png", full_page=True)


# --- 4. the keyboard on the report page ---------------------------------------------------------------------

def test_tab_reaches_the_report_actions_in_order_with_a_visible_focus(new_context, live_server, seeded):
    page = new_context(**DESKTOP).new_page()
    _sign_in_with_the_keyboard(page, live_server)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/")
    page.goto(f"{live_server}/staff/reports/{SOMALI}")

    order: list[str] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const element = document.activeElement;
            return element.id || (element.tagName === 'BUTTON' ? 'button:' + element.textContent.trim()
                                  : element.tagName.toLowerCase());
        }""")
        _assert_focus_visible(page)
        order.append(focused)
        if focused == "button:Send":
            break
    else:
        pytest.fail(f"Tab never reached the Send button: {order}")

    def at(name: str) -> int:
        assert name in order, f"Tab never reached {name}: {order}"
        return order.index(name)

    # Status, its reason, the standard replies (one stop for the radio group), own reply, note, buttons.
    assert at("action-status") < at("action-reason") < at("reply-none") < at("action-message") \
        < at("action-note") < at("button:Preview") < at("button:Send")
    # Within the radio group the arrow keys move through the standard replies, each focusable and visible.
    page.locator("#reply-none").focus()
    page.keyboard.press("ArrowDown")
    first_reply = page.evaluate("document.activeElement.id")
    assert first_reply.startswith("reply-") and first_reply != "reply-none"
    assert page.evaluate("document.activeElement.checked")
    _assert_focus_visible(page)
    keys = [page.evaluate("document.activeElement.value")]
    for _ in range(3):
        page.keyboard.press("ArrowDown")
        keys.append(page.evaluate("document.activeElement.value"))
    assert len(set(keys)) == 4 and all(key in STANDARD_REPLIES for key in keys)
