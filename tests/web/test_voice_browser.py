"""Voice messages as a new resident and a council officer meet them, in Debian's chromium.

WhatsApp: the fake Twilio serves an Ogg Opus voice note as the MediaUrl of a webhook signed as Twilio signs
it, sent over HTTP to the running app; the report completes; the officer signs in, the report page's audio
address answers 200 with an audio type, and the page's <audio> player loads it far enough to play.
Web chat: chromium with its fake microphone records at "what happened" by the microphone button, pressed
from the keyboard; the report completes; the officer plays that recording on the report page. The recording
Chrome made (WebM, Opus) is kept without its muxer names. Screenshot: tests/artifacts/chat-voice-recording.png.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.conversations import forget_reference_data
from flows import i18n
from tests import media_samples as samples
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.twilio_api import FakeTwilio, new_sid
from tests.web.browser_checks import PASSWORD, SMALL_PHONE, add_staff_account
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

ACCOUNT_SID = "AC" + "e" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
WHATSAPP_NUMBER = "+14155238886"
SIGNED_BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL's default: Twilio signs the address it was given
HODAN = "+447700900456"
OFFICER = "officer@council.example"
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
_ = i18n.translations("en").gettext


@pytest.fixture
def fake():
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def live_app(live_database_url, fake, tmp_path):
    """The real app with WhatsApp through the fake Twilio, keeping media under this test's own directory."""
    from webhook import create_app

    forget_reference_data()
    app = create_app({"database_url": live_database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
                      "twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN,
                      "twilio_whatsapp_number": WHATSAPP_NUMBER, "twilio_api_base_url": fake.url,
                      "twilio_messages_per_second": 200.0, "media_dir": str(tmp_path / "media")})
    yield app
    for channel in app.extensions["safer_homes.deliverer"].channels.values():
        channel.close()
    app.extensions["safer_homes.engine"].dispose()


@pytest.fixture(scope="module")
def microphone_browser(playwright):
    """Chromium with a fake microphone (a steady tone) that needs no one to allow it."""
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
    yield browser
    browser.close()


@pytest.fixture
def context(microphone_browser, live_server):
    """A fresh context that may use the microphone and reaches nothing but the live server; console errors
    and any other host fail the test."""
    context = microphone_browser.new_context(permissions=["microphone"], **SMALL_PHONE)
    own_host, strays, errors = urlsplit(live_server).netloc, [], []

    def refuse_strays(route) -> None:
        if urlsplit(route.request.url).netloc == own_host or route.request.url.startswith(("data:", "blob:")):
            route.fallback()
            return
        strays.append(route.request.url)
        route.abort()

    context.route("**/*", refuse_strays)
    context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    context.on("weberror", lambda web_error: errors.append(str(web_error.error)))
    yield context
    context.close()
    assert not strays and not errors, (strays, errors)


class WhatsAppResident:
    """Someone on WhatsApp: each message a webhook signed as Twilio signs it, posted to the running app."""

    def __init__(self, live_server: str, fake: FakeTwilio):
        self.url, self.fake = f"{live_server}/webhooks/twilio", fake

    def send(self, body: str = "", **extra) -> str:
        before = len(self.fake.messages_to(HODAN))
        sid = new_sid("SM")
        fields = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{HODAN}",
                  "To": f"whatsapp:{WHATSAPP_NUMBER}", "Body": body, "NumMedia": "0", "ProfileName": "Hodan",
                  "WaId": HODAN.lstrip("+"), "MessageType": "text", **extra}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(SIGNED_BASE + "/webhooks/twilio", fields)
        response = httpx.post(self.url, data=fields, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, response.text
        return "\n\n".join(message.body for message in self.fake.messages_to(HODAN)[before:])

    def choose(self, said: str, label: str) -> str:
        """Answer a numbered question with the number printed beside `label`."""
        for line in said.splitlines():
            number, dot, rest = line.partition(". ")
            if dot and rest.strip() == label:
                return self.send(number)
        raise AssertionError(f"no choice {label!r} in:\n{said}")


def sign_in_and_open(context, live_server: str, live_database_url: str, reference: str):
    add_staff_account(live_database_url, OFFICER, "officer", "council")
    page = context.new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#email", OFFICER)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/staff/")
    page.goto(f"{live_server}/staff/reports/{reference}")
    return page


def assert_the_player_plays(page, live_server: str) -> str:
    """The page's one voice note: its address answers 200 with an audio type to the signed-in officer, and
    the <audio> player has enough of it decoded to play. Returns the file's name."""
    player = page.locator("audio[controls]")
    assert player.count() == 1
    address = player.get_attribute("src")
    response = page.request.get(live_server + address if address.startswith("/") else address)
    assert response.status == 200 and response.headers["content-type"].startswith("audio/")
    ready, duration = player.evaluate("""player => new Promise((resolve, reject) => {
        player.oncanplay = () => resolve([player.readyState, player.duration]);
        player.onerror = () => reject(new Error("the player could not read it: " + (player.error && player.error.code)));
        player.preload = "auto";
        player.load();
    })""")
    assert ready >= 3 and duration > 0  # HAVE_FUTURE_DATA: sound decoded ahead of where it would play
    return Path(urlsplit(address).path).name


def test_a_whatsapp_voice_note_reaches_the_officer_playable(fake, live_server, live_database_url, context, tmp_path):
    resident = WhatsAppResident(live_server, fake)
    said = resident.send("hello")
    said = resident.choose(said, "English")
    said = resident.choose(said, _("Report a safety concern"))
    said = resident.choose(said, _("No"))
    said = resident.choose(said, _("Noise"))
    said = resident.send("Cheshire Street")
    said = resident.choose(said, _("It is happening now"))
    assert said.startswith(_("You can send a voice message."))
    voice_note = samples.ogg_opus(frames=100)  # two seconds, tagged with a title and an artist
    said = resident.send(NumMedia="1", MediaUrl0=fake.add_media(voice_note, "audio/ogg"),
                         MediaContentType0="audio/ogg", MessageType="audio")
    said = resident.choose(said, _("Private"))
    said = resident.choose(said, _("Done"))
    said = resident.choose(said, _("Yes, send it"))
    reference = REFERENCE.search(said).group(0)

    page = sign_in_and_open(context, live_server, live_database_url, reference)
    name = assert_the_player_plays(page, live_server)
    kept = (tmp_path / "media" / name).read_bytes()
    assert name.endswith(".ogg") and samples.MARKER not in kept


def test_a_voice_message_recorded_in_the_web_chat_reaches_the_officer_playable(live_server, live_database_url,
                                                                               context, tmp_path, artifacts):
    page = context.new_page()
    page.goto(f"{live_server}/chat")
    for key in ("lang:en", "menu:report", "danger:no", "cat:noise", "ward:weavers", "when:now"):
        page.click(f"#choices button[data-key='{key}']")
        page.wait_for_selector("#log:not([aria-busy])")
    assert page.locator("#log li.bot").last.inner_text().startswith(_("You can send a voice message."))

    assert page.locator("#record").is_visible()
    record = page.get_by_role("button", name=_("Record a voice message"))
    record.focus()
    page.keyboard.press("Enter")  # from the keyboard, as a screen reader or switch user would
    stop = page.get_by_role("button", name=_("Stop and send the voice message"))
    stop.wait_for()
    assert stop.get_attribute("aria-pressed") == "true"
    page.screenshot(path=artifacts / "chat-voice-recording.png", full_page=True)
    page.wait_for_timeout(1500)  # a second and a half of the fake microphone's tone
    page.keyboard.press("Enter")
    page.wait_for_selector("#choices button[data-key='privacy:private']")
    assert page.locator("#log li.me").last.inner_text() == _("Voice message")
    assert record.get_attribute("aria-pressed") == "false"
    for key in ("privacy:private", "done", "confirm:yes"):
        page.click(f"#choices button[data-key='{key}']")
        page.wait_for_selector("#log:not([aria-busy])")
    reference = REFERENCE.search(page.locator("#log").inner_text()).group(0)

    officer = sign_in_and_open(context, live_server, live_database_url, reference)
    name = assert_the_player_plays(officer, live_server)
    kept = (tmp_path / "media" / name).read_bytes()
    # Chrome's own recording, as it made it (WebM, Opus), with the names of its muxer blanked.
    assert name.endswith(".webm") and b"A_OPUS" in kept and b"Chrome" not in kept


def test_a_browser_that_cannot_record_shows_no_button_and_is_not_offered_a_voice_message(context, live_server):
    context.add_init_script("delete window.MediaRecorder;")  # as on an old phone's browser
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: fetched.append(urlsplit(request.url).path))
    page.goto(f"{live_server}/chat")
    for key in ("lang:en", "menu:report", "danger:no", "cat:noise", "ward:weavers", "when:now"):
        page.click(f"#choices button[data-key='{key}']")
        page.wait_for_selector("#log:not([aria-busy])")
    assert page.locator("#record").count() == 0 and "/chat/voice.js" not in fetched  # not a byte more to load
    assert page.locator("#log li.bot").last.inner_text() == _(
        "Please tell us what happened, in your own words and your own language.")
