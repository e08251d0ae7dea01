"""The outbox and the Deliverer against the Channel protocol: order, leases, retries, give-up, holds.

The channel here is a scripted stand-in for a provider (the real Telegram and Twilio adapters are
exercised end to end against fake provider servers in their own tests).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.channels.base import OutsideWindow, Pace, Rejected, RetryAfter, Sent, Transient, Unreachable
from bot.delivery import MAX_BACKOFF_SECONDS, Deliverer, Pacer, backoff_seconds
from bot.settings import Settings
from storage import contacts, outbox
from storage.crypto import Sealer, keyed_hash
from storage.database import new_session
from storage.models import Contact, OutboxMessage

SECRET = "delivery-test-secret-0123456789abcdef"
T0 = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


@dataclass
class ScriptedChannel:
    """Sends succeed unless `script` says otherwise for the next call (an exception to raise)."""

    name: str = "telegram"
    media_kinds: frozenset = frozenset()
    script: list = field(default_factory=list)
    sent: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def render(self, replies):
        return [{"text": reply.text} for reply in replies]

    def send(self, address, payload, *, kind, language, window_open):
        with self.lock:
            outcome = self.script.pop(0) if self.script else None
            if isinstance(outcome, Exception):
                raise outcome
            self.sent.append((address, payload["text"], window_open))
            return Sent(provider_message_id=f"p{len(self.sent)}")

    def paces(self, address):
        return [Pace("test", 1000)]


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def _contact(session, address="chat-1", channel="telegram", last_inbound_at=None) -> int:
    contact = contacts.find_or_create_contact(
        session, channel=channel, address_hash=keyed_hash(SECRET, channel, address),
        address_sealed=Sealer(SECRET).seal(address), now=T0,
    )
    contact.last_inbound_at = last_inbound_at
    session.flush()
    return contact.id


def _queue(engine, texts, address="chat-1", channel="telegram", kind="reply", last_inbound_at=T0):
    with new_session(engine) as session:
        contact_id = _contact(session, address, channel, last_inbound_at)
        ids = outbox.enqueue(session, contact_id=contact_id, channel=channel, payloads=[{"text": t} for t in texts],
                             kind=kind, language="en", now=T0)
        session.commit()
    return contact_id, ids


def _deliverer(engine, channel, clock, max_attempts=8):
    settings = Settings(secret_key=SECRET, delivery_max_attempts=max_attempts)
    return Deliverer(engine, settings, {channel.name: channel}, pacer=Pacer(), clock=clock, threads=4)


def _messages(engine):
    with new_session(engine) as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_messages_to_one_chat_go_in_order_and_leave_no_text_behind(engine):
    channel = ScriptedChannel()
    _queue(engine, ["one", "two", "three"])
    counts = _deliverer(engine, channel, Clock()).deliver_due()
    assert counts.sent == 3
    assert [text for _, text, _ in channel.sent] == ["one", "two", "three"]
    assert all(m.status == "sent" and m.payload == {} and m.provider_message_id for m in _messages(engine))


def test_deliver_now_sends_only_the_given_messages(engine):
    channel = ScriptedChannel()
    _queue(engine, ["old"], address="chat-2")
    _, ids = _queue(engine, ["fresh"])
    _deliverer(engine, channel, Clock()).deliver_now(ids)
    assert [text for _, text, _ in channel.sent] == ["fresh"]


def test_a_429_waits_as_told_and_holds_back_later_messages_to_that_chat(engine):
    channel = ScriptedChannel(script=[RetryAfter(7)])
    clock = Clock()
    deliverer = _deliverer(engine, channel, clock)
    _queue(engine, ["first", "second"])
    deliverer.deliver_due()
    assert channel.sent == []  # "second" must not overtake "first"
    first = _messages(engine)[0]
    assert first.status == "pending" and first.next_attempt_at == T0 + timedelta(seconds=7)
    clock.now = T0 + timedelta(seconds=6)
    deliverer.deliver_due()
    assert channel.sent == []
    clock.now = T0 + timedelta(seconds=7)
    deliverer.deliver_due()
    assert [text for _, text, _ in channel.sent] == ["first", "second"]


def test_transient_errors_back_off_then_recover(engine):
    channel = ScriptedChannel(script=[Transient("502"), Transient("timeout")])
    clock = Clock()
    deliverer = _deliverer(engine, channel, clock)
    _queue(engine, ["hello"])
    for _ in range(3):
        deliverer.deliver_due()
        message = _messages(engine)[0]
        if message.status == "sent":
            break
        assert message.next_attempt_at - clock.now <= timedelta(seconds=MAX_BACKOFF_SECONDS)
        clock.now = message.next_attempt_at
    assert _messages(engine)[0].status == "sent" and _messages(engine)[0].attempts == 3


def test_transient_errors_give_up_visibly_after_the_configured_tries(engine):
    channel = ScriptedChannel(script=[Transient("503")] * 10)
    clock = Clock()
    deliverer = _deliverer(engine, channel, clock, max_attempts=5)
    _queue(engine, ["hello"])
    for _ in range(10):
        deliverer.deliver_due()
        clock.now += timedelta(seconds=MAX_BACKOFF_SECONDS * 2)
    message = _messages(engine)[0]
    assert message.status == "failed" and message.attempts == 5
    assert "gave up after 5 tries" in message.last_error
    assert message.payload == {}


def test_a_blocked_contact_is_marked_and_never_retried(engine):
    channel = ScriptedChannel(script=[Unreachable("blocked")])
    contact_id, _ = _queue(engine, ["one", "two"])
    deliverer = _deliverer(engine, channel, Clock())
    assert deliverer.deliver_due().unreachable == 1
    deliverer.deliver_due()
    assert channel.sent == [] and channel.script == []
    assert [m.status for m in _messages(engine)] == ["failed", "failed"]
    with new_session(engine) as session:
        assert session.get(Contact, contact_id).unreachable is True


def test_outside_the_window_a_message_is_held_until_the_resident_writes(engine):
    channel = ScriptedChannel(name="whatsapp", script=[OutsideWindow("no template")])
    contact_id, _ = _queue(engine, ["update"], channel="whatsapp", last_inbound_at=T0 - timedelta(days=2))
    deliverer = _deliverer(engine, channel, Clock())
    assert deliverer.deliver_due().held == 1
    assert _messages(engine)[0].status == "held" and _messages(engine)[0].payload == {"text": "update"}
    deliverer.deliver_due()
    assert channel.sent == []
    with new_session(engine) as session:
        assert len(outbox.release_held(session, contact_id=contact_id, now=T0)) == 1
        session.commit()
    deliverer.deliver_due()
    assert [text for _, text, _ in channel.sent] == ["update"]


def test_the_window_flag_reflects_the_last_inbound_message(engine):
    channel = ScriptedChannel(name="whatsapp")
    _queue(engine, ["in"], address="a", channel="whatsapp", last_inbound_at=T0 - timedelta(hours=23))
    _queue(engine, ["out"], address="b", channel="whatsapp", last_inbound_at=T0 - timedelta(hours=25))
    _deliverer(engine, channel, Clock()).deliver_due()
    assert sorted((text, window) for _, text, window in channel.sent) == [("in", True), ("out", False)]


def test_other_refusals_fail_visibly_without_retry(engine):
    channel = ScriptedChannel(script=[Rejected("400 bad request")])
    _queue(engine, ["x"])
    deliverer = _deliverer(engine, channel, Clock())
    deliverer.deliver_due()
    deliverer.deliver_due()
    message = _messages(engine)[0]
    assert message.status == "failed" and message.attempts == 1


def test_a_lease_left_by_a_dead_worker_is_taken_again_after_it_ends(engine):
    _queue(engine, ["orphan"])
    with new_session(engine) as session:
        assert len(outbox.claim(session, now=T0, limit=10, claimer="dead-worker", channels=["telegram"])) == 1  # a worker claims, then dies
        session.commit()
    channel = ScriptedChannel()
    clock = Clock()
    deliverer = _deliverer(engine, channel, clock)
    deliverer.deliver_due()
    assert channel.sent == []  # still leased
    clock.now = T0 + outbox.LEASE
    deliverer.deliver_due()
    assert [text for _, text, _ in channel.sent] == ["orphan"]


def test_two_claimers_never_take_the_same_message(engine, backend):
    for n in range(20):
        _queue(engine, [f"m{n}"], address=f"chat-{n}")
    with new_session(engine) as first, new_session(engine) as second:
        taken_first = {m.id for m in outbox.claim(first, now=T0, limit=12, claimer="first", channels=["telegram"])}
        if backend == "postgresql":
            # With the first transaction still open, SKIP LOCKED hands the second the other rows.
            taken_second = {m.id for m in outbox.claim(second, now=T0, limit=12, claimer="second", channels=["telegram"])}
            first.commit()
            second.commit()
        else:  # SQLite serialises writers: the second claim waits and sees the first's result
            first.commit()
            taken_second = {m.id for m in outbox.claim(second, now=T0, limit=12, claimer="second", channels=["telegram"])}
            second.commit()
    assert taken_first and taken_second
    assert not taken_first & taken_second
    assert len(taken_first | taken_second) == 20


def test_delivery_reports_only_move_forward(engine):
    channel = ScriptedChannel()
    _queue(engine, ["x"])
    _deliverer(engine, channel, Clock()).deliver_due()
    provider_id = _messages(engine)[0].provider_message_id
    with new_session(engine) as session:
        assert outbox.record_delivery_status(session, provider_message_id=provider_id, status="delivered")
        assert not outbox.record_delivery_status(session, provider_message_id=provider_id, status="sent")
        assert not outbox.record_delivery_status(session, provider_message_id="unknown", status="read")
        session.commit()
    assert _messages(engine)[0].delivery_status == "delivered"


def test_inbound_receipts_refuse_a_redelivery(engine):
    with new_session(engine) as session:
        assert outbox.record_inbound(session, channel="telegram", provider_message_id="481516001", now=T0)
        assert not outbox.record_inbound(session, channel="telegram", provider_message_id="481516001", now=T0)
        assert outbox.record_inbound(session, channel="sms", provider_message_id="481516001", now=T0)
        session.commit()


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_grows_within_bounds(attempt):
    low, high = backoff_seconds(attempt, rng=lambda: 0.0), backoff_seconds(attempt, rng=lambda: 0.999)
    assert 0 < low <= high <= MAX_BACKOFF_SECONDS
    if attempt == 1:
        assert high < 10  # the first retry comes within ten seconds


def test_pacer_keeps_under_the_limit():
    import time

    pacer = Pacer()
    start = time.monotonic()
    for _ in range(25):
        pacer.wait_turn([Pace("burst", 10)])
    assert time.monotonic() - start >= 1.0  # 25 messages at 10/s cannot all go in the first second


def test_whatsapp_text_is_kept_until_the_delivery_report_then_dropped(engine):
    channel = ScriptedChannel(name="whatsapp")
    _queue(engine, ["your reference is TH-7K3M-9QXR"], channel="whatsapp")
    _deliverer(engine, channel, Clock()).deliver_due()
    message = _messages(engine)[0]
    assert message.status == "sent" and message.payload  # WhatsApp may still refuse it (63016)
    with new_session(engine) as session:
        outbox.record_delivery_status(session, provider_message_id=message.provider_message_id, status="delivered")
        session.commit()
    assert _messages(engine)[0].payload == {}


def test_a_refusal_after_sending_holds_the_message_with_its_text(engine):
    channel = ScriptedChannel(name="whatsapp")
    contact_id, _ = _queue(engine, ["a follow-up"], channel="whatsapp")
    deliverer = _deliverer(engine, channel, Clock())
    deliverer.deliver_due()
    with new_session(engine) as session:
        outbox.hold_after_send(session, message_id=_messages(engine)[0].id, error="63016")
        session.commit()
    assert _messages(engine)[0].status == "held"
    with new_session(engine) as session:
        released = outbox.release_held(session, contact_id=contact_id, now=T0)
        session.commit()
    deliverer.deliver_now(released)
    assert [text for _, text, _ in channel.sent] == ["a follow-up", "a follow-up"]


def test_pacers_in_two_processes_share_one_limit_through_redis():
    import secrets
    import time

    import redis

    url = "redis://127.0.0.1:6379/14"
    redis.Redis.from_url(url).ping()  # this machine and CI run Redis; no Redis is a failure, not a skip
    key = f"test-{secrets.token_hex(4)}"
    first, second = Pacer(url), Pacer(url)
    start = time.monotonic()
    for n in range(20):
        (first if n % 2 else second).wait_turn([Pace(key, 10)])
    # Twenty sends at 10/s, spaced evenly whichever process sends: the last leaves 1.9 s after the first.
    assert time.monotonic() - start >= 1.85


def test_a_worker_whose_lease_lapsed_does_not_send_what_another_now_holds(engine):
    _queue(engine, ["slow"])
    with new_session(engine) as session:
        [message] = outbox.claim(session, now=T0, limit=1, claimer="slow-worker", channels=["telegram"])
        session.commit()
    later = T0 + outbox.LEASE
    with new_session(engine) as session:
        [taken_over] = outbox.claim(session, now=later, limit=1, claimer="other-worker", channels=["telegram"])
        session.commit()
    assert taken_over.id == message.id
    with new_session(engine) as session:
        assert not outbox.renew_claim(session, message_id=message.id, claimer="slow-worker", now=later)
        assert outbox.renew_claim(session, message_id=message.id, claimer="other-worker", now=later)
        session.commit()
    channel = ScriptedChannel()
    deliverer = _deliverer(engine, channel, Clock(later))
    assert deliverer._send_one(message.id, "slow-worker").sent == 0
    assert channel.sent == []


def test_messages_for_a_channel_without_credentials_are_left_alone(engine):
    _queue(engine, ["by sms"], channel="sms")
    deliverer = _deliverer(engine, ScriptedChannel(name="telegram"), Clock())
    deliverer.deliver_due()
    message = _messages(engine)[0]
    assert message.status == "pending" and message.attempts == 0


# --- found in review: STOP, immediate replies, held messages, 429s, Redis slots, anonymity ----------

def _converse(engine, channel, text=None, *, choice=None, address="chat-1", now=T0, **options):
    import flows
    from bot.conversations import converse, forget_reference_data

    forget_reference_data()
    settings = Settings(secret_key=SECRET, database_url=str(engine.url))
    return converse(engine, settings, channel=channel.name, address=address, now=now, sender=channel,
                    inbound=flows.Inbound(text=text, choice=choice), **options)


def test_stop_fails_what_was_held_and_sends_only_the_confirmation(engine):
    channel = ScriptedChannel(name="whatsapp")
    _converse(engine, channel, "hello")
    contact_id = _messages(engine)[0].contact_id
    with new_session(engine) as session:
        [held] = outbox.enqueue(session, contact_id=contact_id, channel="whatsapp", payloads=[{"text": "HELD"}],
                                kind="status_update", language="en", now=T0)
        outbox.mark_held(session, message_id=held, error="63016")
        session.commit()
    answered = _converse(engine, channel, "STOP", opting_out=True)
    _deliverer(engine, channel, Clock()).deliver_now(answered.outbox_ids)
    sent_texts = [text for _, text, _ in channel.sent]
    assert "HELD" not in sent_texts and "Send any message" in sent_texts[-1]
    with new_session(engine) as session:
        assert session.get(Contact, contact_id).unreachable is True
        assert session.get(OutboxMessage, held).status == "failed"


def test_a_quiet_stop_queues_nothing(engine):
    channel = ScriptedChannel(name="sms")
    answered = _converse(engine, channel, "STOP", opting_out=True, quiet=True)
    assert answered.outbox_ids == () and _messages(engine) == []


def test_an_earlier_reply_that_did_not_go_is_sent_ahead_of_the_next_one(engine):
    channel = ScriptedChannel(name="telegram")
    deliverer = _deliverer(engine, channel, Clock())
    _converse(engine, channel, "hello")
    deliverer.deliver_due()  # the language question (a message per language here) went
    already = len(channel.sent)
    _converse(engine, channel, choice="lang:en")  # the web process died between its commit and sending
    third = _converse(engine, channel, choice="menu:help")
    deliverer.deliver_now(third.outbox_ids)
    texts = [text for _, text, _ in channel.sent[already:]]
    assert texts[0].startswith("Welcome to Safer Homes") and texts[1] == "What would you like to do?"
    assert texts[2].startswith("Safer Homes passes your safety concerns")
    assert {m.status for m in _messages(engine)} == {"sent"}


def test_a_held_message_does_not_hold_back_later_ones(engine):
    channel = ScriptedChannel(name="whatsapp", script=[OutsideWindow("no template")])
    _queue(engine, ["status update", "reminder"], channel="whatsapp", last_inbound_at=T0 - timedelta(days=2))
    _deliverer(engine, channel, Clock()).deliver_due()
    assert [m.status for m in _messages(engine)] == ["held", "sent"]


def test_a_429_is_not_counted_as_a_failed_try(engine):
    channel = ScriptedChannel(script=[RetryAfter(1)] * 7 + [Transient("503")])
    clock = Clock()
    deliverer = _deliverer(engine, channel, clock, max_attempts=5)
    _queue(engine, ["hello"])
    for _ in range(12):
        deliverer.deliver_due()
        clock.now += timedelta(seconds=MAX_BACKOFF_SECONDS)
    message = _messages(engine)[0]
    assert message.status == "sent" and message.attempts == 2  # one 503, then success


def test_the_redis_pacer_remembers_every_reserved_slot():
    import secrets
    import time

    url = "redis://127.0.0.1:6379/14"
    pacer = Pacer(url)
    pace = Pace(f"test-{secrets.token_hex(4)}", 2)  # a slot every half second
    for _ in range(8):
        pacer._reserve(pace)  # slots up to 3.5 s ahead, reserved without waiting
    time.sleep(1.6)
    assert pacer._reserve(pace) >= 2.3  # the ninth slot is 4 s after the first, not free now


def test_an_anonymous_acknowledgement_on_whatsapp_leaves_no_row_once_sent(engine):
    channel = ScriptedChannel(name="whatsapp")
    at = T0.replace(minute=37, second=12)
    deliverer = _deliverer(engine, channel, Clock(at))
    steps = [dict(text="hi"), dict(choice="lang:so"), dict(choice="menu:report"), dict(choice="danger:no"),
             dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text="Loud"),
             dict(choice="privacy:anonymous"), dict(choice="done"), dict(choice="confirm:yes")]
    for step in steps:
        last_turn = _converse(engine, channel, now=at, **step).outbox_ids
        deliverer.deliver_now(last_turn)
    assert last_turn and any("TH-" in text for _, text, _ in channel.sent)
    # Its text, its times and the row itself go the moment it is sent: no waiting for a delivery report, unlike
    # other WhatsApp text, and nothing left to say a message went to this contact then (docs/privacy.md).
    assert not [m for m in _messages(engine) if m.id in last_turn]
    earlier = _messages(engine)
    assert earlier
    assert all(m.payload for m in earlier)  # ordinary WhatsApp text waits for its delivery report


def test_a_final_failure_report_shows_the_message_as_failed(engine):
    channel = ScriptedChannel(name="whatsapp")
    _queue(engine, ["x"], channel="whatsapp")
    _deliverer(engine, channel, Clock()).deliver_due()
    provider_id = _messages(engine)[0].provider_message_id
    with new_session(engine) as session:
        assert outbox.record_delivery_status(session, provider_message_id=provider_id, status="undelivered", error_code=30003)
        session.commit()
    message = _messages(engine)[0]
    assert message.status == "failed" and "30003" in message.last_error and message.payload == {}


@pytest.mark.parametrize("status, effect, expected", [
    ("delivered", None, ("sent", "delivered")),
    ("undelivered", "hold", ("held", None)),
    ("undelivered", "unreachable", ("failed", "undelivered")),
])
def test_a_delivery_report_that_arrives_before_the_send_is_recorded_is_applied_after(engine, status, effect, expected):
    class ReportsFirst(ScriptedChannel):
        """The provider's callback lands while our send call has not returned yet."""

        def send(self, address, payload, *, kind, language, window_open):
            with new_session(engine) as session:
                outbox.apply_delivery_report(session, provider_message_id="p1", status=status, error_code=63016,
                                             effect=effect, now=T0)
                session.commit()
            return super().send(address, payload, kind=kind, language=language, window_open=window_open)

    channel = ReportsFirst(name="whatsapp")
    contact_id, _ = _queue(engine, ["hello"], channel="whatsapp")
    _deliverer(engine, channel, Clock()).deliver_due()
    message = _messages(engine)[0]
    assert (message.status, message.delivery_status) == expected
    with new_session(engine) as session:
        from storage.models import EarlyDeliveryReport

        assert session.execute(select(EarlyDeliveryReport)).first() is None
        assert session.get(Contact, contact_id).unreachable is (effect == "unreachable")


def test_a_failure_after_the_lease_passed_to_another_claim_is_not_recorded(engine):
    _queue(engine, ["slow"])

    class SlowThenTakenOver(ScriptedChannel):
        def send(self, address, payload, *, kind, language, window_open):
            with new_session(engine) as session:  # meanwhile the lease lapses and another worker claims it
                later = T0 + outbox.LEASE
                [taken] = outbox.claim(session, now=later, limit=1, claimer="other", channels=["telegram"])
                session.commit()
            raise Transient("timeout")

    _deliverer(engine, SlowThenTakenOver(), Clock()).deliver_due()
    message = _messages(engine)[0]
    assert message.status == "sending" and message.claimed_by == "other"  # left for the other claimer


@pytest.mark.parametrize("outcome", [None, Transient("timeout"), Unreachable("blocked"), OutsideWindow("closed"),
                                     Rejected("refused")], ids=["sent", "transient", "unreachable", "held", "rejected"])
def test_a_resident_forgotten_while_their_message_was_on_its_way_leaves_nothing_to_record(engine, outcome):
    """`forget me`, quick exit or a staff erasure deletes a message a worker has claimed and is sending:
    whatever the provider answered, there is no row left to record it on, and the rest of the batch goes."""
    from storage import forgetting

    contact_id, _ = _queue(engine, ["to be forgotten"])
    _queue(engine, ["someone else's"], address="chat-2")

    class ForgottenMeanwhile(ScriptedChannel):
        def send(self, address, payload, *, kind, language, window_open):
            if payload["text"] == "to be forgotten":
                with new_session(engine) as session:
                    forgetting.forget_contact(session, contact_id=contact_id, now=T0)
                    session.commit()
                if outcome is not None:
                    raise outcome
            return super().send(address, payload, kind=kind, language=language, window_open=window_open)

    channel = ForgottenMeanwhile()
    _deliverer(engine, channel, Clock()).deliver_due()
    assert sorted(text for _, text, _ in channel.sent) == (["someone else's"] + (["to be forgotten"] if outcome is None
                                                                                  else []))
    assert [(message.status, message.payload) for message in _messages(engine)] == [("sent", {})]
    with new_session(engine) as session:
        assert session.get(Contact, contact_id) is None
