"""storage/subject_access.py on SQLite and PostgreSQL: a subject access request finds only what is about the
person asking, found by their own address; never who reported them, never another resident, never staff."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from storage import agenda, contacts, events, outbox, reports, subject_access
from storage.crypto import Sealer, keyed_hash
from storage.database import new_session
from storage.models import ReportUpdate, SortedCheck
from storage.report_clock import set_status
from storage.staff import add_staff

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
KEY = "subject-access-test-secret-0123456789abcdef"
SEALER = Sealer(KEY)
REPORTED = "+447700900111"  # the neighbour someone reported; they ask what is held about them
REPORTER = "+447700900222"


def _contact(session, number: str):
    contact = contacts.find_or_create_contact(session, channel="sms", address_hash=keyed_hash(KEY, "sms", number),
                                              address_sealed=SEALER.seal(number), now=NOW)
    contacts.set_contact_language(session, contact_id=contact.id, language="en")
    conversation = contacts.open_conversation(session, contact_id=contact.id, now=NOW)
    contacts.save_conversation_state(session, conversation=conversation, state={"lang": "en"}, now=NOW)
    session.flush()
    return contact


def _find(session, number: str):
    hashes = (keyed_hash(KEY, "sms", number), keyed_hash("an older key, rotated away 0123456789", "sms", number))
    return subject_access.find_subject(session, channel="sms", address_hashes=hashes)


def _record(session, number: str, **options) -> dict:
    return subject_access.subject_record(session, contact_id=_find(session, number), open_sealed=SEALER.open,
                                         **options)


def _setup(session):
    reported, reporter = _contact(session, REPORTED), _contact(session, REPORTER)
    about_them = reports.create_report(
        session, reference="TH-AAAA-1111", category="noise", language="en", channel="sms", privacy="named",
        agency_slugs=("council",), description="Loud music from the marker neighbour at number 5",
        received_at=NOW, sender_contact_id=reporter.id, reporter_name_sealed=SEALER.seal("Reporter Marker"))
    reports.create_report(
        session, reference="TH-BBBB-2222", category="asb", language="en", channel="sms", privacy="anonymous",
        agency_slugs=("council",), description="Anonymous marker words about number 5", received_at=NOW)
    own = reports.create_report(
        session, reference="TH-CCCC-3333", category="unsafe_place", language="en", channel="sms", privacy="private",
        agency_slugs=("council", "housing"), description="The neighbour's own report: a dark stairwell",
        received_at=NOW, sender_contact_id=reported.id, ward_slug="weavers", location_text="Block C")
    officer = add_staff(session, email="officer.marker@council.example", role="officer", agency_slug="council",
                        password="a long enough passphrase", now=NOW)
    session.add(ReportUpdate(report_id=own.id, status="closed", action="status", created_at=NOW,
                             public_message="The light was fixed", internal_note="Officer marker note about them",
                             reason="Repaired", author=officer.email, staff_user_id=officer.id))
    set_status(session, report=own, status="closed", now=NOW)
    session.add(SortedCheck(report_id=own.id, closed_at=NOW, answer="yes", comment="Thanks", answered_at=NOW))
    event = events.create_event(session, title="Weavers ward panel", starts_at=datetime(2027, 4, 1, 18, tzinfo=timezone.utc),
                                now=NOW)
    events.save_rsvp(session, event_id=event.id, contact_id=reported.id, attending=True, needs=("interpreter",),
                     interpreter_language="bn", now=NOW)
    item = agenda.save_item(session, topic="asb", text="Their own agenda words", language="en", now=NOW,
                            event_id=event.id, contact_id=reported.id)
    agenda.approve_item(session, item_id=item.id, now=NOW, as_written=True)
    agenda.back_item(session, item_id=item.id, contact_id=reporter.id, now=NOW)
    outbox.enqueue(session, contact_id=reported.id, channel="sms", payloads=[{"body": "Your reminder &amp; more"}],
                   kind="reminder", language="en", now=NOW)
    outbox.enqueue(session, contact_id=reporter.id, channel="sms", payloads=[{"body": "The reporter's message"}],
                   kind="status_update", language="en", now=NOW)
    session.commit()
    return about_them


def test_the_person_reported_finds_only_their_own_contact_never_who_reported_them(engine):
    with new_session(engine) as session:
        _setup(session)
        record = _record(session, REPORTED)
    text = json.dumps(record)
    assert [report["reference"] for report in record["reports"]] == ["TH-CCCC-3333"]
    for elsewhere in ("TH-AAAA-1111", "TH-BBBB-2222", "marker neighbour", "Anonymous marker", "Reporter Marker",
                      "The reporter's message", REPORTER, REPORTED, "officer.marker", "Officer marker note"):
        assert elsewhere not in text, elsewhere
    [report] = record["reports"]
    assert report["your_words"]["what_happened"] == "The neighbour's own report: a dark stairwell"
    assert report["ward"] == "Weavers" and report["shared_with"] == ["council", "housing"]
    assert report["history"][-1] == {"at": NOW.isoformat(), "status": "closed", "message": "The light was fixed"}
    assert report["staff_notes"] == {"count": 1} and report["was_it_sorted"][0]["answer"] == "yes"
    assert record["rsvps"][0]["needs"] == ["interpreter"] and record["rsvps"][0]["interpreter_language"] == "bn"
    assert record["agenda_items"][0]["your_words"] == "Their own agenda words"
    assert record["agenda_backings"] == []  # the reporter backed it: that is the reporter's, not theirs
    assert [message["text"] for message in record["messages"]] == ["Your reminder &amp; more"]
    assert record["contact"]["address_kept_for_replies"] is True and record["conversation"]["state"] == {"lang": "en"}


def test_the_reporter_sees_their_own_words_and_name_and_notes_only_when_asked_for(engine):
    with new_session(engine) as session:
        _setup(session)
        record = _record(session, REPORTER)
        with_notes = _record(session, REPORTED, include_internal_notes=True)
    [report] = record["reports"]
    assert report["reference"] == "TH-AAAA-1111" and report["your_name"] == "Reporter Marker"
    assert record["agenda_backings"][0]["item_topic"] == "asb"
    assert with_notes["reports"][0]["staff_notes"]["notes"] == [
        {"at": NOW.isoformat(), "note": "Officer marker note about them", "reason": "Repaired"}]
    assert "officer.marker" not in json.dumps(with_notes)


def test_a_reference_gives_its_report_and_never_its_sender(engine):
    with new_session(engine) as session:
        _setup(session)
        named = subject_access.report_by_reference(session, reference="TH-AAAA-1111")
        anonymous = subject_access.report_by_reference(session, reference="TH-BBBB-2222")
        assert subject_access.report_by_reference(session, reference="TH-ZZZZ-9999") is None
    assert "your_name" not in named and "Reporter Marker" not in json.dumps(named)
    assert anonymous["your_words"]["what_happened"] == "Anonymous marker words about number 5"


def test_an_address_is_found_under_a_previous_keys_hash_and_an_unknown_one_is_not(engine):
    with new_session(engine) as session:
        _setup(session)
        old = keyed_hash("an older key, rotated away 0123456789", "sms", "+447700900333")
        moved = contacts.find_or_create_contact(session, channel="sms", address_hash=old, address_sealed=None, now=NOW)
        session.commit()
        assert _find(session, "+447700900333") == moved.id
        assert _find(session, "+447700900444") is None
        assert subject_access.find_subject(session, channel="whatsapp",
                                           address_hashes=(keyed_hash(KEY, "whatsapp", REPORTED),)) is None
