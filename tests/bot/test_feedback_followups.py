""""How was it?" from the worker: once, after the end, never for a cancelled event, not later than three
days after, and never in the middle of something else (bot/followups.py), on SQLite and PostgreSQL."""
import secrets
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.followups import ask_how_it_went
from bot.settings import Settings
from bot.worker import run_due_work
from storage import contacts
from storage.database import make_engine, new_session
from storage.models import Contact, Conversation, Event, OutboxMessage, Rsvp
from tests.concurrency import hold_until_blocked_or_done, named_url

STARTS = datetime(2026, 12, 1, 18, 30, tzinfo=timezone.utc)
ENDS = STARTS + timedelta(hours=2, minutes=30)
SETTINGS = Settings(secret_key="x" * 32)


def _event_with(engine, *statuses, ends_at=ENDS, cancelled=False, state=None, channel="webchat") -> int:
    """An event and one resident per RSVP status, each with a conversation in `state` (the home menu)."""
    with new_session(engine) as session:
        event = Event(title="Weavers ward panel", starts_at=STARTS, ends_at=ends_at, created_at=STARTS - timedelta(days=9),
                      cancelled_at=STARTS if cancelled else None)
        session.add(event)
        session.flush()
        for n, status in enumerate(statuses):
            contact = contacts.find_or_create_contact(session, channel=channel, address_hash=f"hash-{n}",
                                                      address_sealed=None, now=STARTS)
            contact.language = "bn"
            session.flush()
            conversation = contacts.open_conversation(session, contact_id=contact.id, now=STARTS)
            conversation.state = dict(state or {"lang": "bn", "flow": "home", "step": "menu"})
            session.add(Rsvp(event_id=event.id, contact_id=contact.id, status=status, needs=[], created_at=STARTS,
                             updated_at=STARTS))
        session.commit()
        return event.id


def _ask(engine, at: datetime) -> int:
    return ask_how_it_went(engine, SETTINGS, {}, now=at)


def _outbox(engine):
    with new_session(engine) as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _states(engine):
    with new_session(engine) as session:
        return [conversation.state for conversation in session.execute(select(Conversation).order_by(Conversation.contact_id)).scalars()]


def test_asked_once_after_the_end_only_of_those_with_a_place(engine):
    event_id = _event_with(engine, "attending", "waiting", "declined")
    assert _ask(engine, ENDS - timedelta(minutes=1)) == 0  # not before the end
    assert _ask(engine, ENDS + timedelta(minutes=1)) == 1
    assert _ask(engine, ENDS + timedelta(minutes=2)) == 0  # once
    [message] = _outbox(engine)
    assert (message.kind, message.event_id, message.language) == ("feedback", event_id, "bn")
    assert message.expires_at == ENDS + timedelta(days=3)
    [reply] = message.payload["replies"]
    assert "Weavers ward panel" in reply["text"] and [c["key"] for c in reply["choices"]][:5] == [
        "rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]
    asked_state, *others = _states(engine)
    assert (asked_state["flow"], asked_state["step"], asked_state["draft"]["event_id"]) == ("feedback", "rating", event_id)
    assert all(state["flow"] == "home" for state in others)
    with new_session(engine) as session:
        asked = {rsvp.status: rsvp.feedback_asked_at for rsvp in session.execute(select(Rsvp)).scalars()}
    assert asked == {"attending": ENDS + timedelta(minutes=1), "waiting": None, "declined": None}


def test_without_an_end_time_the_event_is_taken_to_last_two_hours(engine):
    _event_with(engine, "attending", ends_at=None)
    assert _ask(engine, STARTS + timedelta(hours=1, minutes=59)) == 0
    assert _ask(engine, STARTS + timedelta(hours=2)) == 1


def test_never_for_a_cancelled_event(engine):
    _event_with(engine, "attending", cancelled=True)
    assert _ask(engine, ENDS + timedelta(hours=1)) == 0 and _outbox(engine) == []


def test_skipped_more_than_three_days_after(engine):
    _event_with(engine, "attending")
    assert _ask(engine, ENDS + timedelta(days=3, seconds=1)) == 0
    assert _outbox(engine) == [] and _states(engine)[0]["flow"] == "home"


def test_someone_in_the_middle_of_a_report_is_asked_once_they_have_gone_quiet(engine):
    last_seen = ENDS + timedelta(minutes=5)
    state = {"lang": "en", "flow": "report", "step": "what", "draft": {"category": "noise"},
             "last_seen": last_seen.isoformat()}
    _event_with(engine, "attending", state=state)
    assert _ask(engine, last_seen + timedelta(minutes=10)) == 0  # busy: not asked, not marked
    assert _outbox(engine) == [] and _states(engine)[0]["draft"] == {"category": "noise"}
    assert _ask(engine, last_seen + SETTINGS.conversation_idle_after + timedelta(minutes=1)) == 1
    assert _states(engine)[0]["flow"] == "feedback"


def test_an_unreachable_resident_is_not_sent_to_and_not_asked_again(engine):
    _event_with(engine, "attending")
    with new_session(engine) as session:
        rsvp = session.execute(select(Rsvp)).scalar_one()
        session.get(Contact, rsvp.contact_id).unreachable = True
        session.commit()
    assert _ask(engine, ENDS + timedelta(hours=1)) == 0 and _outbox(engine) == []
    assert _states(engine)[0]["flow"] == "home"
    with new_session(engine) as session:
        assert session.execute(select(Rsvp.feedback_asked_at)).scalar_one() is not None


class TextChannel:
    """Renders like a sending channel with credentials here (the delivery tests cover sending)."""

    def __init__(self, name):
        self.name = name

    def render(self, replies):
        return [{"text": reply.text} for reply in replies]


def test_a_resident_on_a_channel_without_credentials_is_not_marked_asked(engine):
    """Nothing could be queued, so they were not asked: not marked, their conversation untouched, and
    asked once the channel has credentials (within the three days)."""
    _event_with(engine, "attending", channel="sms")
    assert _ask(engine, ENDS + timedelta(hours=1)) == 0
    assert _outbox(engine) == [] and _states(engine)[0]["flow"] == "home"
    with new_session(engine) as session:
        assert session.execute(select(Rsvp.feedback_asked_at)).scalar_one() is None
    assert ask_how_it_went(engine, SETTINGS, {"sms": TextChannel("sms")}, now=ENDS + timedelta(hours=2)) == 1
    [message] = _outbox(engine)
    assert (message.channel, message.kind) == ("sms", "feedback") and "Weavers ward panel" in message.payload["text"]
    assert _states(engine)[0]["flow"] == "feedback"


def test_the_worker_asks_in_its_pass(engine):
    _event_with(engine, "attending")
    counts = run_due_work(engine, SETTINGS.with_overrides(media_dir="/nonexistent"), {}, now=ENDS + timedelta(hours=1))
    assert counts["feedback_asked"] == 1


def test_two_workers_at_once_ask_each_resident_once(engine, database_url, monkeypatch):
    """The first worker holds its transaction open once it has claimed a resident; the second asks the
    same residents meanwhile. On PostgreSQL the first commits only when the second is blocked on a lock,
    or has got past the claim without one (then both would ask): the claim's locks and its recheck of
    `feedback_asked_at` let exactly one ask. SQLite's writers take turns (BEGIN IMMEDIATE)."""
    _event_with(engine, "attending", "attending", "attending")
    second_name = f"second-worker-{secrets.token_hex(4)}"
    first_claimed, second_past_claim, second_done = threading.Event(), threading.Event(), threading.Event()
    asked, errors = {}, []
    real_open = contacts.open_conversation

    def open_after_claim(session, **kwargs):
        # Called by bot.followups right after claim_feedback_question locked the contact and the RSVP.
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
            asked[threading.current_thread().name] = _ask(own_engine, ENDS + timedelta(hours=1))
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            if threading.current_thread().name == "second":
                second_done.set()
            own_engine.dispose()

    second_url = named_url(database_url, second_name)
    threads = [threading.Thread(target=worker, args=(database_url,), name="first"),
               threading.Thread(target=worker, args=(second_url,), name="second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and first_claimed.is_set()
    assert sum(asked.values()) == 3 and len(_outbox(engine)) == 3
    with new_session(engine) as session:
        assert None not in session.execute(select(Rsvp.feedback_asked_at)).scalars().all()
