""""Was this sorted?" from end to end, on SQLite and PostgreSQL: an anonymous resident answers through the web
chat's status check; a private Telegram resident is sent the neutral notice by the worker through the fake
Bot API, taps it to see the question in their language and answers "3" (no) with a comment; WhatsApp outside its window uses the sorted_question template;
two workers ask once; the agency sees the report open again with the resident's words in its history;
a "no" is kept the moment it is given, so a resident who then goes quiet has still reopened it, and a
comment sent later joins the same history entry; bad answers re-ask and change nothing."""
from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton
from sqlalchemy import select

from bot.channels.twilio import TwilioChannel
from bot.delivery import Deliverer, Pacer
from bot.settings import Settings
from bot.sorted_followups import ask_whether_sorted
from bot.worker import run_due_work
from flows.i18n import localise_digits
from flows.report_notices import neutral_notice
from storage import contacts, inbox, reports, sorted_checks, staff
from storage.crypto import Sealer, keyed_hash
from storage.database import make_engine, new_session
from storage.models import Agency, Contact, Conversation, OutboxMessage, Report, ReportUpdate, SortedCheck
from storage.report_clock import set_status
from storage.types import utcnow
from tests.bot.test_telegram_webhook import NoWait, Resident, _close, _telegram_app
from tests.concurrency import hold_until_blocked_or_done, named_url
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import WebChat

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
PASSWORD = "a long enough passphrase"
SORTED_KEYS = ["sorted:yes", "sorted:partly", "sorted:no"]


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _close_report(engine, reference: str, at: datetime) -> None:
    """Staff closed it at `at` (through set_status, as every status writer does)."""
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        session.add(ReportUpdate(report_id=report.id, status="closed", action="status", created_at=at,
                                 reason="Noise abatement notice served"))
        set_status(session, report=report, status="closed", now=at)
        session.commit()


def _report_state(engine, reference: str):
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        checks = session.execute(select(SortedCheck).where(SortedCheck.report_id == report.id)).scalars().all()
        history = session.execute(select(ReportUpdate.action, ReportUpdate.reason, ReportUpdate.internal_note)
                                  .where(ReportUpdate.report_id == report.id).order_by(ReportUpdate.id)).all()
        for check in checks:
            session.expunge(check)
        return report.status, report.closed_at, checks, history


def _staff_page(app, email, role, agency, reference) -> str:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD, now=utcnow())
        session.commit()
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed_in = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    response = client.get(f"/staff/reports/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- an anonymous resident, through the web chat's status check ----------------------------------------

def _anonymous_web_chat_report(client) -> tuple[WebChat, str]:
    chat = WebChat(client)
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"),
                    dict(text="Loud music every night"), dict(choice="privacy:anonymous"), dict(choice="done"),
                    dict(choice="confirm:yes")]:
        chat.send(**message)
    return chat, REFERENCE.search(chat.text).group(0)


def test_an_anonymous_resident_answers_no_through_the_status_check_and_the_agencies_see_it_open(app, client, engine):
    chat, reference = _anonymous_web_chat_report(client)
    closed_at = utcnow() - timedelta(days=3)
    _close_report(engine, reference, closed_at)

    later = WebChat(client)  # another day, another browser: the reference is all they hold
    later.send(f"status {reference}")
    assert f"Report {reference}" in later.text and "closed" in later.text
    assert "Was it sorted?" in later.replies[-1]["text"] and later.keys == SORTED_KEYS
    later.send("3")
    assert later.keys == ["skip"]
    assert f"We have reopened report {reference} and told the team." in later.text
    later.send("The music started again the next week")
    assert f"You can check report {reference} at any time" in later.text

    status, still_closed_at, [check], history = _report_state(engine, reference)
    assert (status, still_closed_at) == ("in_progress", None)
    assert (check.answer, check.comment, check.via, check.asked_at, check.closed_at) == (
        "no", "The music started again the next week", "status_check", None, closed_at)
    assert (check.answered_at.minute, check.answered_at.second, check.answered_at.microsecond) == (0, 0, 0)
    assert history[-2:] == [("sorted", "no", "The music started again the next week"), ("reopen", None, None)]

    # Both agencies it is shared with see it open again, with the resident's words labelled.
    for email, agency in (("officer@council.example", "council"), ("viewer@housing.example", "housing")):
        page = _staff_page(app, email, "officer" if agency == "council" else "viewer", agency, reference)
        assert "Resident says it is not sorted" in page and "In the resident&#39;s words:" in page
        assert "The music started again the next week" in page
        assert "Reopened: the resident says it is not sorted" in page
        with new_session(engine) as session:
            agency_id = session.execute(select(Agency.id).where(Agency.slug == agency)).scalar_one()
            rows = inbox.inbox_page(session, agency_id=agency_id, filters=inbox.InboxFilters(), now=utcnow()).rows
        assert [(row.reference, row.status) for row in rows] == [(reference, "in_progress")]

    # Asked once per closing: checked again, an open report asks nothing.
    later.send(f"status {reference}")
    assert "sorted:yes" not in later.keys


def test_bad_answers_re_ask_and_a_long_comment_is_refused_politely_changing_nothing(client, engine):
    _chat, reference = _anonymous_web_chat_report(client)
    _close_report(engine, reference, utcnow() - timedelta(days=1))
    before = _report_state(engine, reference)
    chat = WebChat(client)
    chat.send(f"status {reference}")
    for bad in ("7", "perhaps"):
        chat.send(bad)
        assert chat.keys == SORTED_KEYS and "Was it sorted?" in chat.text
    assert _report_state(engine, reference) == before  # still closed, no answer, no history
    chat.send(choice="sorted:no")
    answered = _report_state(engine, reference)
    assert (answered[0], answered[2][0].answer, answered[2][0].comment) == ("in_progress", "no", None)
    chat.send("x" * 1001)
    assert "at most 1000 characters" in chat.text and chat.keys == ["skip"]
    assert _report_state(engine, reference) == answered  # the answer stands; the long comment is not kept
    chat.send(choice="skip")
    assert _report_state(engine, reference) == answered


def test_no_then_silence_is_open_in_the_inbox_and_a_later_comment_joins_the_same_history_entry(app, client, engine):
    _chat, reference = _anonymous_web_chat_report(client)
    _close_report(engine, reference, utcnow() - timedelta(days=2))
    chat = WebChat(client)
    chat.send(f"status {reference}")
    chat.send(choice="sorted:no")
    assert f"We have reopened report {reference} and told the team." in chat.text  # told before going quiet
    chat.send(choice="sorted:no")  # a double tap: the comment step asks again, nothing more is saved
    assert chat.keys == ["skip"]
    # The resident goes quiet here. The report is open again already, and the agency sees it.
    status, closed_at, [check], history = _report_state(engine, reference)
    assert (status, closed_at, check.answer, check.comment) == ("in_progress", None, "no", None)
    assert history[-2:] == [("sorted", "no", None), ("reopen", None, None)]
    with new_session(engine) as session:
        council = session.execute(select(Agency.id).where(Agency.slug == "council")).scalar_one()
        rows = inbox.inbox_page(session, agency_id=council, filters=inbox.InboxFilters(), now=utcnow()).rows
    assert [(row.reference, row.status) for row in rows] == [(reference, "in_progress")]
    page = _staff_page(app, "officer@council.example", "officer", "council", reference)
    assert "Resident says it is not sorted" in page and "Reopened: the resident says it is not sorted" in page

    # Later (within the idle window) the comment comes: the same history entry holds it, nothing is added.
    chat.send("Still every Friday night")
    assert f"You can check report {reference} at any time" in chat.text
    status, _closed, [check], after = _report_state(engine, reference)
    assert (status, check.answer, check.comment, check.comment_language) == (
        "in_progress", "no", "Still every Friday night", "en")
    assert after == history[:-2] + [("sorted", "no", "Still every Friday night"), ("reopen", None, None)]
    assert [entry[0] for entry in after].count("reopen") == 1
    assert "Still every Friday night" in _staff_page(app, "viewer@housing.example", "viewer", "housing", reference)


def test_an_answered_closing_is_not_asked_again_in_the_status_check(client, engine):
    _chat, reference = _anonymous_web_chat_report(client)
    _close_report(engine, reference, utcnow() - timedelta(days=1))
    first = WebChat(client)
    first.send(f"status {reference}")
    first.send(choice="sorted:yes")
    first.send(choice="skip")
    assert "We are glad it was sorted." in first.text
    second = WebChat(client)
    second.send(f"status {reference}")
    assert "sorted:yes" not in second.keys
    with new_session(engine) as session:
        assert reports.public_status(session, reference=reference).sorted_answer == "yes"


# --- a private Telegram resident, asked by the worker ---------------------------------------------------

@pytest.fixture
def telegram(database_url, tmp_path):
    with FakeTelegramAPI("123:ABC") as api:
        app = _telegram_app(database_url, api, tmp_path / "media")
        app.extensions["safer_homes.deliverer"].pacer = NoWait()
        yield app, api
        _close(app)


def test_a_private_telegram_resident_is_asked_in_bengali_answers_3_with_a_comment_and_it_reopens(telegram):
    app, api = telegram
    engine = app.extensions["safer_homes.engine"]
    resident = Resident(app.test_client(), api, 6234567890, language_code="bn")
    resident.says("হ্যালো")
    for key in ("lang:bn", "menu:report", "danger:no", "cat:noise"):
        resident.taps_button(key)
    resident.says("ব্রিক লেন, ব্লক সি")
    resident.taps_button("when:today")
    resident.says("রাত দুইটা পর্যন্ত খুব জোরে গান বাজছিল")
    resident.taps_button("privacy:private")
    resident.taps_button("done")
    reference = REFERENCE.search("\n".join(m.plain for m in resident.taps_button("confirm:yes"))).group(0)
    # The deliverer keeps real time: the question is due now, two weeks and five minutes after the closing.
    closed_at = utcnow() - timedelta(days=14, minutes=5)
    _close_report(engine, reference, closed_at)
    # CLDR's Bengali date ("২১ নভেম্বর, ২০২৬"), in Bengali digits.
    day_in_bengali = localise_digits(format_skeleton("yMMMMd", closed_at.astimezone(ZoneInfo("Europe/London")),
                                                     locale="bn"), "bn")

    settings = app.extensions["safer_homes.settings"]
    deliverer = app.extensions["safer_homes.deliverer"]
    before = len(api.messages_to(resident.chat_id))
    counts = run_due_work(engine, settings.with_overrides(media_dir="/nonexistent"), deliverer.channels,
                          now=utcnow(), deliverer=deliverer)
    assert counts["sorted_asked"] == 1 and counts["sent"] >= 1
    # The phone gets the neutral notice: the lock screen shows nothing of the report.
    [notice] = api.messages_to(resident.chat_id)[before:]
    assert notice.plain == neutral_notice("bn").text and notice.callback_data == ["notice:show"]
    assert reference not in notice.plain and day_in_bengali not in notice.plain
    with new_session(engine) as session:
        [queued] = session.execute(select(OutboxMessage).where(OutboxMessage.kind == "sorted_question")).scalars()
        assert (queued.language, queued.status) == ("bn", "sent")
    # A second pass asks nothing more.
    assert run_due_work(engine, settings.with_overrides(media_dir="/nonexistent"), deliverer.channels,
                        now=utcnow(), deliverer=deliverer)["sorted_asked"] == 0

    # Their "1" (the button) asks the question itself.
    [question] = resident.taps_button("notice:show")
    assert reference in question.plain and day_in_bengali in question.plain and re.search("[০-৯]", day_in_bengali)
    assert question.callback_data == SORTED_KEYS
    resident.says("3")
    assert resident.last.callback_data == ["skip"]
    thanks = resident.says("গান আবার শুরু হয়েছে")
    assert any(reference in message.plain for message in thanks)
    status, still_closed_at, [check], history = _report_state(engine, reference)
    assert (status, still_closed_at) == ("in_progress", None)
    assert (check.answer, check.comment, check.comment_language, check.via) == (
        "no", "গান আবার শুরু হয়েছে", "bn", "question")
    assert check.asked_at is not None
    assert history[-2:] == [("sorted", "no", "গান আবার শুরু হয়েছে"), ("reopen", None, None)]


# --- WhatsApp outside its 24-hour window: the template for the kind --------------------------------------

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
WHATSAPP_NUMBER = "+14155238886"
HODAN = "+447700900456"
TEMPLATE_SID = "HX" + "d" * 32
CLOSED_AT = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)


def _private_report(engine, *, channel="whatsapp", address=HODAN, language="so", reference="TH-7K3M-9QXR",
                    state=None, last_inbound_at=None) -> int:
    """A private report made on `channel` by someone who last wrote long ago, closed at CLOSED_AT."""
    made = CLOSED_AT - timedelta(days=10)
    with new_session(engine) as session:
        contact = Contact(channel=channel, address_hash=keyed_hash(TEST_SECRET_KEY, channel, address),
                          address_sealed=Sealer(TEST_SECRET_KEY).seal(address), language=language,
                          last_inbound_at=last_inbound_at or made, created_at=made)
        session.add(contact)
        session.flush()
        conversation = contacts.open_conversation(session, contact_id=contact.id, now=made)
        conversation.state = dict(state or {"lang": language, "flow": "home", "step": "menu"})
        reports.create_report(session, reference=reference, category="noise", language=language, channel=channel,
                              privacy="private", agency_slugs=("council",), description="Muusik habeenkii",
                              received_at=made, sender_contact_id=contact.id)
        session.commit()
        contact_id = contact.id
    _close_report(engine, reference, CLOSED_AT)
    return contact_id


def test_whatsapp_outside_the_window_goes_as_the_sorted_question_template(engine, tmp_path):
    _private_report(engine)
    (tmp_path / "templates.json").write_text(json.dumps({"sorted_question": {"so": TEMPLATE_SID}}))
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        settings = Settings(secret_key=TEST_SECRET_KEY, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                            twilio_whatsapp_number=WHATSAPP_NUMBER, twilio_api_base_url=fake.url,
                            whatsapp_templates_file=str(tmp_path / "templates.json"), twilio_messages_per_second=50.0,
                            media_dir=str(tmp_path / "media"))
        channel = TwilioChannel(settings, "whatsapp")
        try:
            now = CLOSED_AT + timedelta(days=15)
            deliverer = Deliverer(engine, settings, {"whatsapp": channel}, pacer=Pacer(), clock=Clock(now), threads=2)
            counts = run_due_work(engine, settings, deliverer.channels, now=now, deliverer=deliverer)
            assert (counts["sorted_asked"], counts["sent"]) == (1, 1)
            [sent] = fake.messages
            assert sent.to.endswith(HODAN) and sent.content_sid == TEMPLATE_SID
            # The template carries the neutral notice: nothing of the report on the lock screen.
            variable = json.loads(sent.content_variables)["1"]
            assert variable.startswith(neutral_notice("so").text) and "TH-7K3M-9QXR" not in variable
        finally:
            channel.close()


# --- who is asked, and when ----------------------------------------------------------------------------

SETTINGS = Settings(secret_key=TEST_SECRET_KEY)


def _ask(engine, at: datetime) -> int:
    return ask_whether_sorted(engine, SETTINGS, {}, now=at)  # the web chat needs no credentials


def _states(engine):
    with new_session(engine) as session:
        return [c.state for c in session.execute(select(Conversation).order_by(Conversation.contact_id)).scalars()]


def test_asked_sorted_after_the_closing_once_and_never_late(engine):
    _private_report(engine, channel="webchat")
    assert _ask(engine, CLOSED_AT + timedelta(days=14) - timedelta(seconds=1)) == 0
    assert _ask(engine, CLOSED_AT + timedelta(days=14)) == 1
    assert _ask(engine, CLOSED_AT + timedelta(days=14, hours=1)) == 0
    [state] = _states(engine)
    assert (state["flow"], state["step"], state["draft"]["reference"]) == ("sorted", "answer", "TH-7K3M-9QXR")
    with new_session(engine) as session:
        [message] = session.execute(select(OutboxMessage)).scalars()
        assert (message.kind, message.language) == ("sorted_question", "so")
        assert message.expires_at == CLOSED_AT + timedelta(days=28)
        assert [c["key"] for c in message.payload["replies"][-1]["choices"]] == SORTED_KEYS


def test_a_closing_more_than_two_weeks_overdue_is_never_asked(engine):
    _private_report(engine, channel="webchat")
    assert _ask(engine, CLOSED_AT + timedelta(days=28)) == 0
    assert _states(engine)[0]["flow"] == "home"


def test_sorted_after_is_configurable():
    assert Settings.from_env({"SECRET_KEY": "x" * 32}).sorted_after == timedelta(days=14)
    assert Settings.from_env({"SECRET_KEY": "x" * 32, "SORTED_AFTER": "36h"}).sorted_after == timedelta(hours=36)
    with pytest.raises(ValueError, match="SORTED_AFTER"):
        Settings.from_env({"SECRET_KEY": "x" * 32, "SORTED_AFTER": "two weeks"})


def test_someone_busy_is_asked_once_they_have_gone_quiet_and_the_unreachable_are_marked(engine):
    now = CLOSED_AT + timedelta(days=14, hours=1)
    busy = {"lang": "so", "flow": "report", "step": "what", "draft": {"category": "noise"},
            "last_seen": (now - timedelta(minutes=5)).isoformat()}
    _private_report(engine, channel="webchat", state=busy)
    _private_report(engine, channel="webchat", address="someone-else", reference="TH-7K3M-9QXS")
    with new_session(engine) as session:
        session.execute(select(Contact).where(Contact.address_hash == keyed_hash(
            TEST_SECRET_KEY, "webchat", "someone-else"))).scalar_one().unreachable = True
        session.commit()
    assert _ask(engine, now) == 0
    with new_session(engine) as session:
        checks = session.execute(select(SortedCheck)).scalars().all()
        assert [(check.report_id, check.asked_at) for check in checks] == [(2, None)]  # marked, not asked
        assert session.execute(select(OutboxMessage)).first() is None
    assert _states(engine)[0]["draft"] == {"category": "noise"}
    assert _ask(engine, now + SETTINGS.conversation_idle_after) == 1
    assert _states(engine)[0]["flow"] == "sorted"


def test_a_tick_reads_a_bounded_number_of_closings_and_a_busy_resident_does_not_hold_up_the_rest(engine, monkeypatch):
    """One to ask a tick, read with a margin of one: the busy resident first is passed over and the next is
    asked; the tick after asks the third; the busy one is asked once they have gone quiet."""
    monkeypatch.setattr("bot.sorted_followups.MAX_PER_TICK", 1)
    monkeypatch.setattr("bot.sorted_followups.PASSED_OVER_MARGIN", 1)
    read = []
    due = sorted_checks.sorted_due

    def reading(session, **kwargs):
        read.append(due(session, **kwargs))
        return read[-1]

    monkeypatch.setattr(sorted_checks, "sorted_due", reading)
    now = CLOSED_AT + timedelta(days=14, hours=1)
    busy = {"lang": "so", "flow": "report", "step": "what", "draft": {"category": "noise"},
            "last_seen": (now - timedelta(minutes=5)).isoformat()}
    _private_report(engine, channel="webchat", state=busy)
    _private_report(engine, channel="webchat", address="second", reference="TH-7K3M-9QXS")
    _private_report(engine, channel="webchat", address="third", reference="TH-7K3M-9QXT")
    assert _ask(engine, now) == 1
    assert len(read[-1]) == 2  # three are due; the query itself stops at the tick's one and the margin's one
    assert [state["flow"] for state in _states(engine)] == ["report", "sorted", "home"]
    assert _ask(engine, now) == 1
    assert [state["flow"] for state in _states(engine)] == ["report", "sorted", "sorted"]
    assert _ask(engine, now) == 0  # the margin is all the busy resident, still busy
    assert _ask(engine, now + SETTINGS.conversation_idle_after) == 1
    assert [state["flow"] for state in _states(engine)] == ["sorted", "sorted", "sorted"]


def test_two_workers_at_once_ask_each_resident_once(engine, database_url, monkeypatch):
    """As for "how was it?": the first worker holds its transaction open once it has claimed a resident;
    on PostgreSQL it commits only when the second is blocked on a lock, or got past the claim without one."""
    for n in range(3):
        _private_report(engine, channel="webchat", address=f"resident-{n}", reference=f"TH-7K3M-9QX{n}")
    second_name = f"second-worker-{secrets.token_hex(4)}"
    first_claimed, second_past_claim, second_done = threading.Event(), threading.Event(), threading.Event()
    asked, errors = {}, []
    real_open = contacts.open_conversation

    def open_after_claim(session, **kwargs):
        # Called by bot.sorted_followups right after claim_question locked the contact and made the row.
        if threading.current_thread().name == "second":
            second_past_claim.set()
        elif not first_claimed.is_set():
            first_claimed.set()
            hold_until_blocked_or_done(database_url, second_done, second_name, also_done=(second_past_claim,))
        return real_open(session, **kwargs)

    monkeypatch.setattr(contacts, "open_conversation", open_after_claim)

    def worker(url):
        own_engine = make_engine(url)
        try:
            if threading.current_thread().name == "second":
                first_claimed.wait(20)
            asked[threading.current_thread().name] = _ask(own_engine, CLOSED_AT + timedelta(days=15))
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            if threading.current_thread().name == "second":
                second_done.set()
            own_engine.dispose()

    threads = [threading.Thread(target=worker, args=(database_url,), name="first"),
               threading.Thread(target=worker, args=(named_url(database_url, second_name),), name="second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and first_claimed.is_set()
    assert sum(asked.values()) == 3
    with new_session(engine) as session:
        assert len(session.execute(select(OutboxMessage)).all()) == 3
        assert len(session.execute(select(SortedCheck)).all()) == 3
