"""The orphan sweep's list of media still needed, read while a resident sends the report whose draft holds a
photo: the photo is on the list whichever side of the move the reading falls.

The worker lists what reports and drafts refer to (storage/retention.referenced_media_ids) and then deletes
every older file not on the list (bot/worker.purge_orphan_media). A report's photo moves the other way only,
from the draft to the report, in the turn that sends it. Read reports first and drafts second, and on
PostgreSQL (each statement sees what committed before it) a turn committing in between hides the photo from
both: the file of a report just sent was deleted. Drafts first, and it is seen in one place or the other.
SQLite's read transaction sees one snapshot throughout."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import event

from storage import contacts, reports, retention
from storage.crypto import keyed_hash
from storage.database import new_read_session, new_session
from storage.types import utcnow

NOW = utcnow()
PHOTO = "a-photo-sent-a-week-ago.jpg"


def _resident_with_a_photo_in_their_draft(engine) -> int:
    with new_session(engine) as session:
        contact = contacts.find_or_create_contact(session, channel="webchat", address_hash=keyed_hash("k", "webchat", "s"),
                                                  address_sealed=None, now=NOW)
        conversation = contacts.open_conversation(session, contact_id=contact.id, now=NOW)
        contacts.save_conversation_state(session, conversation=conversation, now=NOW, state={
            "lang": "en", "flow": "report", "step": "confirm",
            "draft": {"category": "noise", "media": [[PHOTO, "photo"]]}})
        session.commit()
        return contact.id


def _send_the_report(engine, contact_id: int) -> None:
    """What the turn that sends it writes: the photo joins the report, and the draft goes."""
    with new_session(engine) as session:
        reports.create_report(session, reference="TH-MEDI-A001", category="noise", language="en", channel="webchat",
                              privacy="private", agency_slugs=("council",), description="loud music every night",
                              received_at=NOW, sender_contact_id=contact_id, media=[(PHOTO, "photo")])
        conversation = contacts.open_conversation(session, contact_id=contact_id, now=NOW)
        contacts.save_conversation_state(session, conversation=conversation, state={"lang": "en"},
                                         now=NOW + timedelta(seconds=1))
        session.commit()


def test_a_photo_moving_from_the_draft_to_its_report_meanwhile_is_still_needed(engine):
    contact_id = _resident_with_a_photo_in_their_draft(engine)
    sent = threading.Event()

    def send_after_the_first_read(conn, cursor, statement, parameters, context, executemany):
        if not sent.is_set() and statement.lstrip().upper().startswith("SELECT"):
            sent.set()
            # Another connection, as the web process's turn would be; committed before the next read.
            worker = threading.Thread(target=_send_the_report, args=(engine, contact_id))
            worker.start()
            worker.join(timeout=30)

    event.listen(engine, "after_cursor_execute", send_after_the_first_read)
    try:
        with new_read_session(engine) as session:  # as the worker reads it (bot/worker.run_retention)
            kept = retention.referenced_media_ids(session)
    finally:
        event.remove(engine, "after_cursor_execute", send_after_the_first_read)
    assert sent.is_set()
    assert PHOTO in kept
