"""Forgetting a resident: their contact and everything tied to it goes; their reports stay, as anonymous
reports are kept (no link, nothing finer than the hour); a second call finds nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import MetaData, select

from storage import agenda, contacts, events, forgetting, outbox, reports
from storage.crypto import Sealer, keyed_hash
from storage.database import make_engine, new_session
from storage.models import (AgendaItem, Contact, Report, ReportAgency, ReportLink, ReportUpdate, Rsvp)
from storage.types import utcnow
from tests.helpers import dump_every_table

SECRET = "test-secret-key-not-for-production-0123456789"
NOW = utcnow().replace(minute=37, second=12, microsecond=345000) - timedelta(days=1)
PHONE = "+447700900123"
NAME = "Marker Forgotten-Name"


def _resident(session, address=PHONE, channel="whatsapp", typing=NAME):
    sealer = Sealer(SECRET)
    contact = contacts.find_or_create_contact(session, channel=channel, address_hash=keyed_hash(SECRET, channel, address),
                                              address_sealed=sealer.seal(address), now=NOW)
    conversation = contacts.open_conversation(session, contact_id=contact.id, now=NOW)
    contacts.save_conversation_state(session, conversation=conversation,
                                     state={"lang": "so", "flow": "report", "step": "name", "draft": {"name": typing}},
                                     now=NOW)
    session.flush()
    return contact


def _report(session, reference, *, privacy, contact_id, name=None, media=()):
    return reports.create_report(
        session, reference=reference, category="noise", language="so", channel="whatsapp", privacy=privacy,
        agency_slugs=("council", "housing"), description="marker words", received_at=NOW,
        sender_contact_id=contact_id if privacy != "anonymous" else None,
        reporter_name_sealed=Sealer(SECRET).seal(name) if name else None, media=media)


def _everything(engine, database_url):
    """A resident with a named and a private report, a place at a full event (with someone waiting), an
    agenda item and a backing, and messages queued; plus another resident who must be left alone."""
    with new_session(engine) as session:
        contact = _resident(session)
        other = _resident(session, address="+447700900999", typing="Someone Else")
        named = _report(session, "TH-AAAA-1111", privacy="named", contact_id=contact.id, name=NAME,
                        media=[("photo-1.jpg", "photo")])
        private = _report(session, "TH-AAAA-2222", privacy="private", contact_id=contact.id)
        kept = _report(session, "TH-AAAA-3333", privacy="private", contact_id=other.id)
        reports.add_report_update(session, reference=private.reference, status="in_progress",
                                  at=NOW + timedelta(hours=3, minutes=5), public_message="We are looking")
        event = events.create_event(session, title="Ward panel", starts_at=NOW + timedelta(days=9), now=NOW,
                                    ward_slug="weavers", capacity=1)
        events.save_rsvp(session, event_id=event.id, contact_id=contact.id, attending=True, needs=("food",),
                         interpreter_language=None, now=NOW)
        events.save_rsvp(session, event_id=event.id, contact_id=other.id, attending=True, needs=(),
                         interpreter_language=None, now=NOW + timedelta(minutes=1))
        item = agenda.save_item(session, event_id=event.id, topic="noise", text="marker agenda", language="so",
                                contact_id=contact.id, now=NOW).id
        others_item = agenda.save_item(session, event_id=event.id, topic="noise", text="other item", language="so",
                                       contact_id=other.id, now=NOW).id
        agenda.approve_item(session, item_id=others_item, now=NOW)
        assert agenda.back_item(session, item_id=others_item, contact_id=contact.id, now=NOW)
        outbox.enqueue(session, contact_id=contact.id, channel="whatsapp", payloads=[{"text": "marker outbox"}],
                       kind="reply", language="so", now=NOW)
        session.commit()
        return contact.id, other.id, event.id, item, (named.id, private.id, kept.id)


def test_forgetting_deletes_the_contact_and_every_link_and_keeps_the_reports_anonymous(engine, database_url):
    contact_id, other_id, event_id, item_id, (named_id, private_id, kept_id) = _everything(engine, database_url)
    address_hash = keyed_hash(SECRET, "whatsapp", PHONE)
    with new_session(engine) as session:
        sealed = session.get(Contact, contact_id).address_sealed
        link_name = session.get(ReportLink, named_id).reporter_name_sealed
        result = forgetting.forget_contact(session, contact_id=contact_id, now=NOW + timedelta(hours=5))
        session.commit()

    assert (result.contacts, result.conversations, result.outbox_messages, result.rsvps, result.agenda_backings,
            result.agenda_items_unlinked, result.reports_made_anonymous) == (1, 1, 1, 1, 1, 1, 2)
    assert result.media_ids == ("photo-1.jpg",)
    # Their place went to the one waiting, to be told by the caller.
    [given] = result.places_given_back
    assert given.event_id == event_id and [p.contact_id for p in given.promoted] == [other_id]

    dump = repr(dump_every_table(database_url))
    for secret in (address_hash, sealed, link_name, NAME, "marker outbox"):
        assert secret not in dump
    # No row anywhere still points at the contact (every foreign key to contact.id, found by reflection).
    metadata = MetaData()
    metadata.reflect(engine)
    pointing = [column for table in metadata.tables.values() for column in table.columns
                if any(fk.column.table.name == "contact" for fk in column.foreign_keys)]
    assert len(pointing) >= 6
    with engine.connect() as connection:
        for column in pointing:
            assert not connection.execute(select(column).where(column == contact_id)).first(), column.table.name
    with new_session(engine) as session:
        assert session.get(Contact, contact_id) is None
        assert session.get(AgendaItem, item_id).contact_id is None
        assert session.get(AgendaItem, item_id).text == "marker agenda"  # the organisers keep the item
        assert session.execute(select(Rsvp.contact_id, Rsvp.status).where(Rsvp.event_id == event_id)).all() == [
            (other_id, "attending")]
        for report_id in (named_id, private_id):
            report = session.get(Report, report_id)
            assert report.privacy == "anonymous"
            assert (report.created_at.minute, report.created_at.second, report.created_at.microsecond) == (0, 0, 0)
            assert report.created_at == NOW.replace(minute=0, second=0, microsecond=0)
            received = session.execute(select(ReportUpdate.created_at).where(
                ReportUpdate.report_id == report_id, ReportUpdate.action == "received")).scalar_one()
            assert received == report.created_at
            shared = session.execute(select(ReportAgency.shared_at).where(ReportAgency.report_id == report_id)).scalars()
            assert set(shared) == {report.created_at}
            assert session.get(ReportLink, report_id) is None
        # A staff update keeps its own time: it is not a clock reading of the resident.
        staff_times = session.execute(select(ReportUpdate.created_at).where(
            ReportUpdate.report_id == private_id, ReportUpdate.action == "status")).scalars().all()
        assert staff_times == [NOW + timedelta(hours=3, minutes=5)]
        assert session.get(Report, private_id).updated_at == NOW + timedelta(hours=3, minutes=5)
        # Another resident's report and link are untouched.
        assert session.get(Report, kept_id).privacy == "private"
        assert session.get(ReportLink, kept_id).contact_id == other_id
        assert session.get(Contact, other_id) is not None
        # The reference still answers the status check.
        found = reports.public_status(session, reference="TH-AAAA-2222")
        assert (found.status, found.latest_message) == ("in_progress", "We are looking")

    # Idempotent: a second call finds nothing and changes nothing.
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        again = forgetting.forget_contact(session, contact_id=contact_id, now=NOW + timedelta(hours=6))
        session.commit()
    assert again == forgetting.ForgetResult()
    assert dump_every_table(database_url) == before


def test_a_place_at_a_past_or_cancelled_event_is_not_given_back_but_the_rsvp_still_goes(engine):
    with new_session(engine) as session:
        contact = _resident(session)
        waiting = _resident(session, address="+447700900555")
        event = events.create_event(session, title="Panel", starts_at=NOW + timedelta(days=1), now=NOW, capacity=1)
        events.save_rsvp(session, event_id=event.id, contact_id=contact.id, attending=True, needs=(),
                         interpreter_language=None, now=NOW)
        events.save_rsvp(session, event_id=event.id, contact_id=waiting.id, attending=True, needs=(),
                         interpreter_language=None, now=NOW)
        session.commit()
        ids = contact.id, waiting.id, event.id
    contact_id, waiting_id, event_id = ids
    with new_session(engine) as session:
        # The event has started by the time they are forgotten: nobody is moved up into a meeting under way.
        result = forgetting.forget_contact(session, contact_id=contact_id, now=NOW + timedelta(days=1, hours=1))
        session.commit()
        assert result.rsvps == 1 and result.places_given_back == ()
        assert session.execute(select(Rsvp.contact_id, Rsvp.status)).all() == [(waiting_id, "waiting")]


def test_the_confirmation_contact_goes_once_its_message_is_sent_or_can_no_longer_be(engine):
    with new_session(engine) as session:
        shell = contacts.find_or_create_contact(session, channel="sms", address_hash="h-1", address_sealed="s",
                                                now=NOW)
        failed = contacts.find_or_create_contact(session, channel="sms", address_hash="h-2", address_sealed="s",
                                                 now=NOW)
        wrote_again = contacts.find_or_create_contact(session, channel="sms", address_hash="h-3", address_sealed="s",
                                                      now=NOW)
        ids = {}
        for contact in (shell, failed, wrote_again):
            [ids[contact.id]] = outbox.enqueue(session, contact_id=contact.id, channel="sms", payloads=[{"text": "x"}],
                                               kind=forgetting.FORGOTTEN_CONFIRMATION, language="en", now=NOW)
        contacts.open_conversation(session, contact_id=wrote_again.id, now=NOW)
        session.commit()
        shell_id, failed_id, wrote_again_id = shell.id, failed.id, wrote_again.id
    with new_session(engine) as session:
        # Still waiting to go: nothing is swept.
        assert forgetting.purge_parted_contacts(session) == 0
        outbox.mark_failed(session, message_id=ids[failed_id], error="gave up")
        outbox.mark_failed(session, message_id=ids[wrote_again_id], error="gave up")
        session.commit()
    with new_session(engine) as session:
        assert forgetting.purge_parted_contacts(session) == 1
        session.commit()
        assert session.get(Contact, failed_id) is None
        assert session.get(Contact, wrote_again_id) is not None  # they wrote again: a contact like any other
        assert forgetting.drop_parted_contact(session, contact_id=shell_id)
        session.commit()
        assert session.get(Contact, shell_id) is None


def test_a_forgotten_residents_copy_merged_on_arrival_keeps_no_time_finer_than_the_hour(engine):
    """A private report identical to one received shortly before is saved closed and merged at the moment it
    arrived (storage/identical_reports.py). Once its sender is forgotten it is an anonymous report, so its
    closing and its merge entry, clock readings of the resident like its arrival, go to the hour too."""
    keys = ("fingerprint-key-0123456789abcdef0123456789",)
    with new_session(engine) as session:
        contact = _resident(session)
        first = reports.create_report(
            session, reference="TH-BBBB-1111", category="noise", language="so", channel="whatsapp",
            privacy="private", agency_slugs=("council",), description="marker words: loud music every night", received_at=NOW,
            sender_contact_id=contact.id, fingerprint_keys=keys)
        copy = reports.create_report(
            session, reference="TH-BBBB-2222", category="noise", language="so", channel="whatsapp",
            privacy="private", agency_slugs=("council",), description="marker words: loud music every night",
            received_at=NOW + timedelta(minutes=3, seconds=7), sender_contact_id=contact.id, fingerprint_keys=keys)
        assert copy.duplicate_of_id == first.id and copy.closed_at is not None  # merged on arrival
        session.commit()
        contact_id, copy_id = contact.id, copy.id
    with new_session(engine) as session:
        forgetting.forget_contact(session, contact_id=contact_id, now=NOW + timedelta(hours=2))
        session.commit()
    hour = NOW.replace(minute=0, second=0, microsecond=0)
    with new_session(engine) as session:
        report = session.get(Report, copy_id)
        assert report.privacy == "anonymous"
        assert (report.created_at, report.updated_at, report.closed_at) == (hour, hour, hour)
        times = session.execute(select(ReportUpdate.action, ReportUpdate.created_at)
                                .where(ReportUpdate.report_id == copy_id).order_by(ReportUpdate.id)).all()
        assert [tuple(row) for row in times] == [("received", hour), ("merge", hour)]
