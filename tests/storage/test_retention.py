"""Retention (storage/retention.py, run by bot/worker.py): what is past its time goes, what is not stays, one
second either side of each limit, on SQLite and PostgreSQL with a fixed clock."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.worker import RETENTION_EVERY, run_due_work, run_retention
from storage import agenda, contacts, events, outbox, reports, retention
from storage.crypto import Sealer
from storage.database import new_session
from storage.models import (AgendaBacking, AuditEntry, Contact, Conversation, OutboxMessage, Report, ReportAgency,
                            ReportLink, ReportMedia, ReportUpdate, SortedCheck)
from storage.public_figures import public_figures
from storage.report_clock import set_status
from storage.staff import record_audit

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
SEALER = Sealer("retention-test-secret-0123456789abcdef")
SETTINGS = Settings(secret_key="retention-test-secret-0123456789abcdef")


def _contact(session, name: str, *, wrote_at: datetime, channel: str = "telegram", sealed: bool = True,
             state: dict | None = None) -> Contact:
    """A contact who last wrote at `wrote_at` (their conversation last moved then too)."""
    contact = contacts.find_or_create_contact(session, channel=channel, address_hash=name.ljust(64, "0"),
                                              address_sealed=SEALER.seal(name) if sealed else None, now=wrote_at)
    contact.created_at = wrote_at
    contact.language = (state or {"lang": "bn"}).get("lang")
    if channel != "webchat":
        contacts.note_inbound(session, contact=contact, now=wrote_at)
    conversation = contacts.open_conversation(session, contact_id=contact.id, now=wrote_at)
    contacts.save_conversation_state(session, conversation=conversation, state=state or {"lang": "bn"}, now=wrote_at)
    session.flush()
    return contact


REFERENCES = iter(f"TH-{a}{b}{c}{d}-7K3M" for a in "ABCDEF" for b in "0123456789" for c in "GHJK" for d in "MNPQ")


def _report(session, *, received_at: datetime, contact: Contact | None = None, privacy: str = "private",
            closed_at: datetime | None = None, media: tuple[str, ...] = (), named: bool = False) -> Report:
    report = reports.create_report(
        session, reference=next(REFERENCES), category="unsafe_place", language="bn", channel="telegram",
        privacy=privacy if contact else "anonymous", agency_slugs=("council", "housing"),
        description="The stairwell light on Marker Street is broken", received_at=received_at, ward_slug="weavers",
        location_text="Block C, Marker Street", latitude=51.52, longitude=-0.07, when_kind="earlier",
        when_text="every night this week", sender_contact_id=contact.id if contact else None,
        reporter_name_sealed=SEALER.seal("Hodan Marker") if named else None,
        media=tuple((media_id, "photo") for media_id in media), time_of_day="night", woman_or_girl=True)
    if closed_at is not None:
        session.add(ReportUpdate(report_id=report.id, status="closed", action="status", created_at=closed_at,
                                 public_message="We fixed the light at Block C", internal_note="Spoke to the caretaker",
                                 reason="Repaired", author="officer@council.example"))
        set_status(session, report=report, status="closed", now=closed_at)
        session.add(SortedCheck(report_id=report.id, closed_at=closed_at, asked_at=closed_at, answer="partly",
                                comment="Still dark on the second floor", comment_language="en",
                                answered_at=closed_at))
    session.flush()
    return report


# --- drafts ----------------------------------------------------------------------------------------------

# What each flow, and the overlays around them, keep in a conversation (flows/*.py), and a key no flow has
# yet: retention keeps the language and nothing else, whatever is added later.
EVERY_KIND_OF_STATE = [
    {"flow": "report", "step": "what", "draft": {"category": "noise", "description": "Marker words",
                                                 "media": [["marker.jpg", "photo"]]}},
    {"flow": "events", "step": "needs", "draft": {"event_id": 3, "needs": ["food"]}, "open_event": 3},
    {"flow": "agenda", "step": "text", "draft": {"event_id": 3, "topic": "asb"}},
    {"flow": "feedback", "step": "comment", "draft": {"event_id": 3, "rating": 4}},
    {"flow": "sorted", "step": "answer", "draft": {"reference": "TH-AAAA-BBBB", "closed_at": "2027-01-01"}},
    {"flow": "spaces", "step": "list", "draft": {"ward": "weavers", "shown": 5}},
    {"flow": "home", "step": "menu", "pending": "idle", "resume": "report:where", "misses": 2,
     "last_seen": "2027-01-01T00:00:00+00:00"},
    {"flow": "home", "step": "menu", "some_future_key": {"reference": "TH-AAAA-BBBB"}},
]


@pytest.mark.parametrize("state", EVERY_KIND_OF_STATE, ids=lambda state: state["flow"] + "-" + "-".join(state)[:40])
def test_an_idle_conversation_keeps_only_its_language_whatever_it_held(engine, state):
    cutoff = NOW - SETTINGS.draft_retention
    with new_session(engine) as session:
        stale = _contact(session, "stale", wrote_at=cutoff - SECOND, state={"lang": "so", **state})
        fresh = _contact(session, "fresh", wrote_at=cutoff, state={"lang": "so", **state})
        clean = _contact(session, "clean", wrote_at=cutoff - DAY, state={"lang": "so"})
        session.commit()
        assert retention.purge_stale_drafts(session, older_than=cutoff) == 1
        session.commit()
        assert retention.purge_stale_drafts(session, older_than=cutoff) == 0  # idempotent
        assert contacts.load_conversation_state(session, contact_id=stale.id) == {"lang": "so"}
        assert contacts.load_conversation_state(session, contact_id=fresh.id) == {"lang": "so", **state}
        assert contacts.load_conversation_state(session, contact_id=clean.id) == {"lang": "so"}


def test_a_neutral_notice_still_waiting_stays_and_the_resident_s_1_still_shows_the_update(engine):
    """The notice is how a staff update reaches a phone without showing on its lock screen: an idle
    conversation keeps it (and its language) while the half-written report under it goes."""
    from dataclasses import replace

    from flows.report_notices import PENDING, update_notice, with_notice
    from flows.types import ReportStatus, ReportUpdateInfo
    from tests.flows.helpers import FIXED_NOW, Chat, make_context

    assert retention.WAITING_NOTICE == PENDING
    cutoff = NOW - SETTINGS.draft_retention
    mid_report = {"lang": "en", "flow": "report", "step": "what", "draft": {"description": "half-written words"}}
    waiting = with_notice(mid_report, update_notice(reference="TH-7K3M-9QXR", update_id=41))
    with new_session(engine) as session:
        contact = _contact(session, "notice", wrote_at=cutoff - SECOND, state=waiting)
        session.commit()
        assert retention.purge_stale_drafts(session, older_than=cutoff) == 1
        session.commit()
        assert retention.purge_stale_drafts(session, older_than=cutoff) == 0
        kept = contacts.load_conversation_state(session, contact_id=contact.id)
    assert kept == {"lang": "en", "pending": "notice", "notices": waiting["notices"]}

    update = ReportUpdateInfo(reference="TH-7K3M-9QXR", action="reply", status="action_taken",
                              public_message="We spoke to the caretaker", message_language="en")
    context = replace(make_context(reports={"TH-7K3M-9QXR": ReportStatus("TH-7K3M-9QXR", "action_taken", "en",
                                                                         FIXED_NOW)}),
                      lookup_update=lambda reference, update_id: update if update_id == 41 else None)
    chat = Chat(context=context, state=kept)
    shown = "\n".join(reply.text for reply in chat.send("1"))
    assert "We spoke to the caretaker" in shown and "half-written" not in repr(chat.state)


def test_drafts_are_purged_in_batches(engine):
    cutoff = NOW - SETTINGS.draft_retention
    with new_session(engine) as session:
        for n in range(5):
            _contact(session, f"draft{n}", wrote_at=cutoff - DAY, state={"lang": "en", "draft": {"n": n}})
        session.commit()
        assert [retention.purge_stale_drafts(session, older_than=cutoff, limit=2) for _ in range(4)] == [2, 2, 1, 0]
        session.commit()
        states = session.execute(select(Conversation.state)).scalars().all()
    assert states == [{"lang": "en"}] * 5


# --- delivery addresses ------------------------------------------------------------------------------------

def _addresses(engine) -> dict[str, bool]:
    with new_session(engine) as session:
        return {contact.address_hash.rstrip("0"): contact.address_sealed is not None
                for contact in session.execute(select(Contact)).scalars()}


def test_an_address_is_kept_while_anything_needs_it_and_cleared_after(engine):
    idle = NOW - SETTINGS.address_retention
    with new_session(engine) as session:
        _contact(session, "idle", wrote_at=idle - SECOND)
        _contact(session, "recent", wrote_at=idle + SECOND)
        _report(session, received_at=idle - DAY, contact=_contact(session, "openreport", wrote_at=idle - DAY))
        _report(session, received_at=idle - 9 * DAY, contact=_contact(session, "closedlong", wrote_at=idle - 9 * DAY),
                closed_at=idle - SECOND)
        _report(session, received_at=idle - 9 * DAY, contact=_contact(session, "closedlately", wrote_at=idle - 9 * DAY),
                closed_at=idle + SECOND)
        event = events.create_event(session, title="Weavers ward panel", starts_at=NOW + DAY, now=idle - 2 * DAY)
        rsvp = _contact(session, "rsvp", wrote_at=idle - DAY)
        events.save_rsvp(session, event_id=event.id, contact_id=rsvp.id, attending=True, needs=(),
                         interpreter_language=None, now=idle - DAY)
        pending = _contact(session, "pending", wrote_at=idle - DAY)
        outbox.enqueue(session, contact_id=pending.id, channel="telegram", payloads=[{"text": "update"}],
                       kind="status_update", language="en", now=idle - DAY)
        held = _contact(session, "held", wrote_at=idle - DAY)
        [held_id] = outbox.enqueue(session, contact_id=held.id, channel="telegram", payloads=[{"text": "update"}],
                                   kind="status_update", language="en", now=idle - DAY)
        outbox.mark_held(session, message_id=held_id, error="window closed")
        _contact(session, "webchat", wrote_at=idle - DAY, channel="webchat", sealed=False)
        session.commit()

        cleared = retention.clear_idle_addresses(session, idle_since=idle, closed_since=idle)
        session.commit()
        assert retention.clear_idle_addresses(session, idle_since=idle, closed_since=idle) == 0
    assert cleared == 3
    assert _addresses(engine) == {"idle": False, "recent": True, "openreport": True, "closedlong": False,
                                  "closedlately": True, "rsvp": True, "pending": True, "held": False,
                                  "webchat": False}
    with new_session(engine) as session:
        kept = session.execute(select(Contact).where(Contact.address_hash == "closedlong".ljust(64, "0"))).scalar_one()
        assert kept.language == "bn"
        assert session.execute(select(func.count()).select_from(ReportLink)
                               .where(ReportLink.contact_id == kept.id)).scalar_one() == 1


def test_writing_again_brings_a_cleared_address_back(engine):
    idle = NOW - SETTINGS.address_retention
    with new_session(engine) as session:
        contact = _contact(session, "returning", wrote_at=idle - DAY)
        session.commit()
        assert retention.clear_idle_addresses(session, idle_since=idle, closed_since=idle) == 1
        session.commit()
        again = contacts.find_or_create_contact(session, channel="telegram", address_hash="returning".ljust(64, "0"),
                                                address_sealed=SEALER.seal("returning"), now=NOW)
        session.commit()
        assert again.id == contact.id
        assert SEALER.open(session.get(Contact, contact.id).address_sealed) == "returning"


def test_a_resident_answered_at_sorted_after_keeps_their_address_until_then(engine):
    """The worker keeps an address at least SORTED_AFTER plus a day past the closing, however short
    ADDRESS_RETENTION_DAYS is set."""
    settings = SETTINGS.with_overrides(address_retention=timedelta(days=3), sorted_after=timedelta(days=14))
    with new_session(engine) as session:
        contact = _contact(session, "tobeasked", wrote_at=NOW - 30 * DAY)
        _report(session, received_at=NOW - 30 * DAY, contact=contact, closed_at=NOW - 10 * DAY)
        session.commit()
    counts, finished = run_retention(engine, settings, now=NOW)
    assert finished and counts["addresses_cleared"] == 0 and _addresses(engine)["tobeasked"]
    counts, _ = run_retention(engine, settings, now=NOW + 6 * DAY)
    assert counts["addresses_cleared"] == 1 and not _addresses(engine)["tobeasked"]


# --- contacts nothing needs ------------------------------------------------------------------------------

def test_an_idle_contact_with_nothing_linked_is_forgotten_and_one_with_links_is_not(engine):
    idle = NOW - SETTINGS.address_retention
    with new_session(engine) as session:
        _contact(session, "nothing", wrote_at=idle - SECOND, state={"lang": "bn", "draft": {"x": 1}})
        _contact(session, "webnothing", wrote_at=idle - SECOND, channel="webchat", sealed=False)
        _contact(session, "recent", wrote_at=idle + SECOND)
        _report(session, received_at=idle - 9 * DAY, contact=_contact(session, "closedreport", wrote_at=idle - 9 * DAY),
                closed_at=idle - 5 * DAY)
        past = events.create_event(session, title="Last year's forum", starts_at=idle - 3 * DAY, now=idle - 9 * DAY)
        coming = events.create_event(session, title="Next forum", starts_at=NOW + DAY, now=idle - 9 * DAY)
        author = _contact(session, "author", wrote_at=idle - 9 * DAY)
        backers = {}
        for name, event in (("backspast", past), ("backscoming", coming)):
            item = agenda.save_item(session, topic="asb", text="Lighting on the estate", language="en",
                                    now=idle - 8 * DAY, event_id=event.id, contact_id=author.id)
            agenda.approve_item(session, item_id=item.id, now=idle - 8 * DAY, as_written=True)
            backers[name] = _contact(session, name, wrote_at=idle - 7 * DAY)
            assert agenda.back_item(session, item_id=item.id, contact_id=backers[name].id, now=idle - 7 * DAY)
        session.commit()

        forgotten = retention.forget_idle_contacts(session, idle_since=idle, now=NOW)
        session.commit()
        assert retention.forget_idle_contacts(session, idle_since=idle, now=NOW) == 0
        remaining = {contact.address_hash.rstrip("0") for contact in session.execute(select(Contact)).scalars()}
        backings = session.execute(select(AgendaBacking.contact_id)).scalars().all()
        conversations = session.execute(select(func.count()).select_from(Conversation)).scalar_one()
    # The author's item for the coming meeting keeps them; their past meeting's item does not need them.
    assert forgotten == 3
    assert remaining == {"recent", "closedreport", "author", "backscoming"}
    assert backings == [backers["backscoming"].id]
    assert conversations == 4


def test_the_worker_forgets_idle_contacts_and_clears_addresses_on_its_pass(engine):
    idle = NOW - SETTINGS.address_retention
    with new_session(engine) as session:
        _contact(session, "nothing", wrote_at=idle - SECOND)
        _report(session, received_at=idle - 9 * DAY, contact=_contact(session, "closed", wrote_at=idle - 9 * DAY),
                closed_at=idle - 5 * DAY)
        session.commit()
    counts = run_due_work(engine, SETTINGS, {}, now=NOW)
    assert counts["contacts_forgotten"] == 1 and counts["addresses_cleared"] == 2
    assert _addresses(engine) == {"closed": False}


# --- the outbox --------------------------------------------------------------------------------------------

def test_finished_outbox_rows_go_after_their_time_and_unfinished_ones_stay(engine):
    cutoff = NOW - SETTINGS.outbox_retention
    with new_session(engine) as session:
        contact = _contact(session, "outbox", wrote_at=NOW)
        made = {}
        for name, status, finished in (("sent_old", "sent", cutoff - SECOND), ("sent_new", "sent", cutoff + SECOND),
                                       ("failed_old", "failed", None), ("expired_old", "expired", None),
                                       ("pending_old", "pending", None), ("held_old", "held", None),
                                       ("failed_new", "failed", "new")):
            created = cutoff + SECOND if finished == "new" else cutoff - DAY
            [message_id] = outbox.enqueue(session, contact_id=contact.id, channel="telegram",
                                          payloads=[{"text": name}], kind="reply", language="en", now=created)
            message = session.get(OutboxMessage, message_id)
            message.status = status
            if status == "sent":
                message.sent_at, message.payload = finished, {}
            made[name] = message_id
        session.commit()
        assert retention.purge_finished_outbox(session, older_than=cutoff, limit=2) == 2
        assert retention.purge_finished_outbox(session, older_than=cutoff, limit=2) == 1
        assert retention.purge_finished_outbox(session, older_than=cutoff) == 0
        session.commit()
        left = set(session.execute(select(OutboxMessage.id)).scalars())
    assert left == {made["sent_new"], made["pending_old"], made["held_old"], made["failed_new"]}


def test_a_web_chat_message_no_page_collected_goes_after_the_outbox_time_and_frees_its_contact(engine):
    """The web chat's messages wait for its page (POST /chat/api/updates), and the page's session lives only as
    long as its tab. One that no page collected within OUTBOX_RETENTION_DAYS never will be: it goes, words and
    row, like a finished one, instead of keeping a staff reply's words, and the contact, for ever."""
    from bot.notify import queue_notice
    from bot.report_notify import notify_resident
    from flows.types import Reply

    cutoff = NOW - SETTINGS.outbox_retention
    with new_session(engine) as session:
        closed_tab = _contact(session, "closedtab", wrote_at=cutoff - 2 * DAY, channel="webchat", sealed=False)
        report = _report(session, received_at=cutoff - 2 * DAY, contact=closed_tab)
        made = {}
        for name, at in (("old", cutoff - SECOND), ("new", cutoff + SECOND)):
            update = ReportUpdate(report_id=report.id, status="in_progress", action="status", created_at=at,
                                  public_message=f"Marker reply {name}: we are looking at Block C")
            session.add(update)
            session.flush()
            [made[name]] = notify_resident(session, channels={}, report=report, update=update, now=at)
        # Someone who only ever asked about a meeting, and was sent its digest link (no expiry: bot/digest_send.py).
        meeting_only = _contact(session, "meetingonly", wrote_at=NOW - SETTINGS.address_retention - DAY,
                                channel="webchat", sealed=False)
        queue_notice(session, channels={}, contact_id=meeting_only.id, channel="webchat",
                     replies=[Reply(text="Marker digest link", lang="bn")], kind="digest",
                     now=NOW - SETTINGS.address_retention - DAY)
        session.commit()
        assert retention.purge_finished_outbox(session, older_than=cutoff) == 2
        session.commit()
        assert set(session.execute(select(OutboxMessage.id)).scalars()) == {made["new"]}

    with new_session(engine) as session:
        queue_notice(session, channels={}, contact_id=meeting_only.id, channel="webchat",
                     replies=[Reply(text="Marker digest link", lang="bn")], kind="digest",
                     now=NOW - SETTINGS.address_retention - DAY)
        session.commit()
    counts, finished = run_retention(engine, SETTINGS, now=NOW)
    assert finished and counts["contacts_forgotten"] == 1
    with new_session(engine) as session:
        assert [contact.address_hash.rstrip("0") for contact in session.execute(select(Contact)).scalars()] == [
            "closedtab"]
        assert "Marker digest link" not in repr(session.execute(select(OutboxMessage.payload)).scalars().all())


def test_provider_receipts_go_after_seven_days_and_early_delivery_reports_after_one(engine):
    """docs/privacy.md's rows for `inboundreceipt` (7 days) and `earlydeliveryreport` (1 day), through the
    worker's pass: past its time each goes, and until then a redelivered message is still refused."""
    from storage.models import EarlyDeliveryReport, InboundReceipt

    with new_session(engine) as session:
        for sid, at in (("SMold", NOW - 7 * DAY - timedelta(hours=1)), ("SMnew", NOW - 7 * DAY + timedelta(hours=1))):
            assert outbox.record_inbound(session, channel="sms", provider_message_id=sid, now=at)
        for sid, at in (("SMlateold", NOW - DAY - SECOND), ("SMlatenew", NOW - DAY + SECOND)):
            outbox.apply_delivery_report(session, provider_message_id=sid, status="delivered", error_code=None,
                                         effect=None, now=at)
        session.commit()
    counts, finished = run_retention(engine, SETTINGS, now=NOW)
    assert finished and (counts["receipts_purged"], counts["early_reports_purged"]) == (1, 1)
    with new_session(engine) as session:
        assert list(session.execute(select(InboundReceipt.provider_message_id)).scalars()) == ["SMnew"]
        assert list(session.execute(select(EarlyDeliveryReport.provider_message_id)).scalars()) == ["SMlatenew"]
        assert not outbox.record_inbound(session, channel="sms", provider_message_id="SMnew", now=NOW)


# --- media ---------------------------------------------------------------------------------------------------

def test_media_of_reports_closed_long_ago_go_with_their_files(engine, tmp_path):
    cutoff = NOW - SETTINGS.media_retention
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    with new_session(engine) as session:
        contact = _contact(session, "photos", wrote_at=NOW)
        _report(session, received_at=cutoff - 9 * DAY, contact=contact, closed_at=cutoff - SECOND,
                media=("old-1.jpg", "old-2.ogg"))
        _report(session, received_at=cutoff - 9 * DAY, contact=contact, closed_at=cutoff + SECOND, media=("new.jpg",))
        _report(session, received_at=cutoff - 99 * DAY, contact=contact, media=("open.jpg",))
        reopened = _report(session, received_at=cutoff - 9 * DAY, contact=contact, closed_at=cutoff - DAY,
                           media=("reopened.jpg",))
        set_status(session, report=reopened, status="in_progress", now=NOW - DAY)
        session.commit()
    for name in ("old-1.jpg", "old-2.ogg", "new.jpg", "open.jpg", "reopened.jpg"):
        (media_dir / name).write_bytes(b"photo")
        # Written just now by the clock of the test, so the orphan sweep (a week) has no say in what goes.
        os.utime(media_dir / name, (NOW.timestamp(), NOW.timestamp()))
    settings = SETTINGS.with_overrides(media_dir=str(media_dir))
    counts, finished = run_retention(engine, settings, now=NOW)
    assert finished and counts["report_media_purged"] == 2
    assert sorted(path.name for path in media_dir.iterdir()) == ["new.jpg", "open.jpg", "reopened.jpg"]
    with new_session(engine) as session:
        assert sorted(session.execute(select(ReportMedia.media_id)).scalars()) == ["new.jpg", "open.jpg", "reopened.jpg"]
    counts, _ = run_retention(engine, settings, now=NOW)
    assert counts["report_media_purged"] == 0


# --- reports' words -------------------------------------------------------------------------------------

def _words(engine, report_id: int) -> dict:
    with new_session(engine) as session:
        report = session.get(Report, report_id)
        return {
            "report": (report.description, report.location_text, report.latitude, report.longitude, report.when_text,
                       report.translation, report.content_fingerprint),
            "updates": [(u.public_message, u.original_message, u.internal_note, u.reason)
                        for u in session.execute(select(ReportUpdate).where(ReportUpdate.report_id == report_id)
                                                 .order_by(ReportUpdate.id)).scalars()],
            "comments": session.execute(select(SortedCheck.comment).where(SortedCheck.report_id == report_id)).scalars().all(),
            "link": session.execute(select(ReportLink.contact_id).where(ReportLink.report_id == report_id)).all(),
            "kept": (report.category, report.ward_id, report.status, report.created_at, report.closed_at,
                     report.time_of_day, report.woman_or_girl, report.privacy, report.public_summary),
            "agencies": session.execute(select(ReportAgency.agency_id, ReportAgency.close_working_days)
                                        .where(ReportAgency.report_id == report_id)
                                        .order_by(ReportAgency.agency_id)).all(),
        }


def test_a_report_closed_longer_ago_than_its_retention_loses_its_words_and_keeps_its_counts(engine):
    cutoff = NOW - SETTINGS.report_retention
    with new_session(engine) as session:
        contact = _contact(session, "reporter", wrote_at=NOW)
        old = _report(session, received_at=cutoff - 30 * DAY, contact=contact, closed_at=cutoff - SECOND, named=True)
        old.translation, old.translation_engine = "English words", "libre"
        old.content_fingerprint = "f" * 64
        old.public_summary = "A broken light in a stairwell was repaired"
        boundary = _report(session, received_at=cutoff - 30 * DAY, contact=contact, closed_at=cutoff + SECOND)
        still_open = _report(session, received_at=cutoff - 300 * DAY, contact=contact)
        anonymous = _report(session, received_at=cutoff - 30 * DAY, closed_at=cutoff - DAY)
        session.commit()
        ids = (old.id, boundary.id, still_open.id, anonymous.id)
        figures_before = public_figures(session, ward_slug=None, now=NOW, months=120)
    before = {report_id: _words(engine, report_id) for report_id in ids}

    with new_session(engine) as session:
        assert retention.delete_closed_report_words(session, closed_before=cutoff) == 2
        session.commit()
        assert retention.delete_closed_report_words(session, closed_before=cutoff) == 0
        figures_after = public_figures(session, ward_slug=None, now=NOW, months=120)
    after = {report_id: _words(engine, report_id) for report_id in ids}

    for purged in (old.id, anonymous.id):
        assert after[purged]["report"] == ("", None, None, None, None, None, None)
        assert all(update == (None, None, None, None) for update in after[purged]["updates"])
        assert after[purged]["comments"] == [None]
        assert after[purged]["link"] == []
        assert after[purged]["kept"] == before[purged]["kept"]
        assert after[purged]["agencies"] == before[purged]["agencies"]
        assert len(after[purged]["updates"]) == len(before[purged]["updates"])
    assert after[old.id]["kept"][-1] == "A broken light in a stairwell was repaired"
    assert after[boundary.id] == before[boundary.id]
    assert after[still_open.id] == before[still_open.id]
    assert figures_after == figures_before
    with new_session(engine) as session:  # the contact stays: it wrote today
        assert session.get(Contact, contact.id) is not None


# --- the audit log ---------------------------------------------------------------------------------------

def test_audit_entries_older_than_their_retention_go(engine):
    cutoff = NOW - SETTINGS.audit_retention
    with new_session(engine) as session:
        for at in (cutoff - DAY, cutoff - SECOND, cutoff, cutoff + SECOND):
            record_audit(session, action="login", now=at)
        session.commit()
        assert retention.purge_audit_entries(session, older_than=cutoff) == 2
        session.commit()
        assert sorted(session.execute(select(AuditEntry.at)).scalars()) == [cutoff, cutoff + SECOND]


# --- the worker's schedule ------------------------------------------------------------------------------

def test_the_worker_runs_a_retention_pass_at_most_every_ten_minutes_and_once_always(engine):
    cutoff = NOW - SETTINGS.draft_retention

    def stale_draft(name: str) -> None:
        with new_session(engine) as session:
            _contact(session, name, wrote_at=cutoff - DAY, state={"lang": "en", "draft": {"x": 1}})
            session.commit()

    stale_draft("first")
    counts = run_due_work(engine, SETTINGS, {}, now=NOW, retention_every=RETENTION_EVERY)
    assert counts["drafts_purged"] == 1
    stale_draft("second")
    counts = run_due_work(engine, SETTINGS, {}, now=NOW + RETENTION_EVERY - SECOND, retention_every=RETENTION_EVERY)
    assert "drafts_purged" not in counts  # another pass began less than ten minutes ago
    counts = run_due_work(engine, SETTINGS, {}, now=NOW + RETENTION_EVERY, retention_every=RETENTION_EVERY)
    assert counts["drafts_purged"] == 1
    stale_draft("third")
    assert run_due_work(engine, SETTINGS, {}, now=NOW + RETENTION_EVERY + SECOND)["drafts_purged"] == 1  # --once


def test_a_pass_out_of_time_hands_the_rest_to_the_next_tick(engine):
    cutoff = NOW - SETTINGS.draft_retention
    with new_session(engine) as session:
        for n in range(retention.BATCH + 3):
            session.add(Contact(channel="webchat", address_hash=f"{n:064d}", created_at=NOW))
        session.flush()
        for contact_id in session.execute(select(Contact.id)).scalars().all():
            session.add(Conversation(contact_id=contact_id, state={"lang": "en", "draft": {}}, updated_at=cutoff - DAY))
        session.commit()
    counts = run_due_work(engine, SETTINGS, {}, now=NOW, retention_every=RETENTION_EVERY, retention_budget_seconds=0)
    assert counts["drafts_purged"] == retention.BATCH
    counts = run_due_work(engine, SETTINGS, {}, now=NOW + SECOND, retention_every=RETENTION_EVERY,
                          retention_budget_seconds=0)
    assert counts["drafts_purged"] == 3


def test_every_retention_setting_is_read_and_a_typo_stops_start_up():
    settings = Settings.from_env({"SECRET_KEY": "k", "DRAFT_RETENTION_DAYS": "3", "ADDRESS_RETENTION_DAYS": "60",
                                  "OUTBOX_RETENTION_DAYS": "14", "MEDIA_RETENTION_DAYS": "365",
                                  "AUDIT_RETENTION_DAYS": "1095", "REPORT_RETENTION_DAYS": "2555"})
    assert (settings.draft_retention, settings.address_retention, settings.outbox_retention, settings.media_retention,
            settings.audit_retention, settings.report_retention) == tuple(
        timedelta(days=days) for days in (3, 60, 14, 365, 1095, 2555))
    defaults = Settings.from_env({"SECRET_KEY": "k"})
    assert (defaults.address_retention, defaults.outbox_retention, defaults.media_retention, defaults.audit_retention,
            defaults.report_retention) == tuple(timedelta(days=days) for days in (90, 30, 90, 730, 2190))
    for name in ("DRAFT_RETENTION_DAYS", "ADDRESS_RETENTION_DAYS", "OUTBOX_RETENTION_DAYS", "MEDIA_RETENTION_DAYS",
                 "AUDIT_RETENTION_DAYS", "REPORT_RETENTION_DAYS"):
        for typo in ("0", "-1", "90d", "ninety", "1.5"):
            with pytest.raises(ValueError, match=name):
                Settings.from_env({"SECRET_KEY": "k", name: typo})
