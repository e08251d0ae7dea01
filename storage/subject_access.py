"""What the service holds about one person, for a subject access request (UK GDPR article 15).

Found only from what the person gives: the hash of their channel address (`find_subject`), or one report's
reference (`report_by_reference`). Nothing here lists contacts, so staff can answer a request without ever
being able to browse the people who wrote to us. Everything is returned as plain JSON-ready values, times as
ISO 8601 in UTC, with nothing about anyone else: no staff names or ids, no other resident. Staff's internal
notes and reasons are personal data too, but may fall under an exemption (crime prevention): they are
counted, and given only when the data protection officer asks for them (`include_internal_notes`).
Reads only: erasure is storage/forgetting.py's `forget_contact`.
"""
from __future__ import annotations

import html
from datetime import datetime
from typing import Callable, Optional, Sequence

from sqlalchemy import select
from sqlmodel import Session

from storage.contacts import sealed_draft_name
from storage.models import (AgendaBacking, AgendaItem, Agency, Contact, Conversation, Event, OutboxMessage, Report,
                            ReportAgency, ReportLink, ReportMedia, ReportUpdate, Rsvp, SortedCheck, Ward)

# Said in every answer: what cannot be found by someone's address, because no link to them is kept.
NOT_LINKABLE = ("Anonymous reports, answers to \"how was it?\" after a meeting, and \"was this sorted?\" answers "
                "given through a status check keep no link to the person who sent them, so they cannot be found "
                "from an address. An anonymous report can be found by its reference.")


def find_subject(session: Session, *, channel: str, address_hashes: Sequence[str]) -> Optional[int]:
    """The contact id for these hashes of one address (the current key's first, then previous keys'), if any."""
    for address_hash in address_hashes:
        found = session.execute(select(Contact.id).where(Contact.channel == channel,
                                                         Contact.address_hash == address_hash)).scalar_one_or_none()
        if found is not None:
            return found
    return None


def subject_record(session: Session, *, contact_id: int, open_sealed: Callable[[str], Optional[str]],
                   include_internal_notes: bool = False) -> dict:
    """Everything held about the contact `contact_id`. `open_sealed` opens a named reporter's sealed name
    (None if no configured key opens it)."""
    contact = session.get(Contact, contact_id)
    conversation = session.execute(select(Conversation).where(Conversation.contact_id == contact_id)).scalar_one_or_none()
    links = session.execute(select(ReportLink, Report).join(Report, Report.id == ReportLink.report_id)
                            .where(ReportLink.contact_id == contact_id).order_by(Report.id)).all()
    reports = []
    for link, report in links:
        record = _report_record(session, report, include_internal_notes=include_internal_notes)
        if link.reporter_name_sealed:
            record["your_name"] = open_sealed(link.reporter_name_sealed)
        reports.append(record)
    return {
        "contact": {
            "channel": contact.channel,
            "language": contact.language,
            "first_message_at": _iso(contact.created_at),
            "last_message_at": _iso(contact.last_inbound_at),
            # The address itself is not printed: the request gave it. Only whether we keep it (encrypted).
            "address_kept_for_replies": contact.address_sealed is not None,
            "unreachable": contact.unreachable,
        },
        "conversation": None if conversation is None else {
            "updated_at": _iso(conversation.updated_at),
            "state": _with_draft_name_opened(dict(conversation.state or {}), open_sealed),
        },
        "reports": reports,
        "rsvps": [_rsvp_record(rsvp, event) for rsvp, event in session.execute(
            select(Rsvp, Event).join(Event, Event.id == Rsvp.event_id).where(Rsvp.contact_id == contact_id)
            .order_by(Rsvp.id)).all()],
        "agenda_items": [_agenda_record(item, event) for item, event in session.execute(
            select(AgendaItem, Event).outerjoin(Event, Event.id == AgendaItem.event_id)
            .where(AgendaItem.contact_id == contact_id).order_by(AgendaItem.id)).all()],
        "agenda_backings": [{"item_topic": item.topic, "meeting": event.title if event else None,
                             "backed_at": _iso(backing.created_at)}
                            for backing, item, event in session.execute(
                                select(AgendaBacking, AgendaItem, Event)
                                .join(AgendaItem, AgendaItem.id == AgendaBacking.item_id)
                                .outerjoin(Event, Event.id == AgendaItem.event_id)
                                .where(AgendaBacking.contact_id == contact_id).order_by(AgendaItem.id)).all()],
        "messages": [_message_record(message) for message in session.execute(
            select(OutboxMessage).where(OutboxMessage.contact_id == contact_id).order_by(OutboxMessage.id)).scalars()],
        "not_linkable": NOT_LINKABLE,
    }


def _with_draft_name_opened(state: dict, open_sealed: Callable[[str], Optional[str]]) -> dict:
    """The conversation as its resident would read it: a name typed for a named report still being written is
    kept sealed in the draft (bot/conversations.py) and is given here opened, like a sent report's name."""
    token = sealed_draft_name(state)
    return state if token is None else {**state, "draft": {**state["draft"], "name": open_sealed(token)}}


def report_by_reference(session: Session, *, reference: str, include_internal_notes: bool = False) -> Optional[dict]:
    """The one report with this reference, as its sender sees it (for someone holding an anonymous report's
    reference); never who sent it or a named reporter's name. None if there is no such report."""
    report = session.execute(select(Report).where(Report.reference == reference)).scalar_one_or_none()
    if report is None:
        return None
    return _report_record(session, report, include_internal_notes=include_internal_notes)


def _report_record(session: Session, report: Report, *, include_internal_notes: bool) -> dict:
    ward = session.get(Ward, report.ward_id) if report.ward_id else None
    agencies = session.execute(select(Agency.slug).join(ReportAgency, ReportAgency.agency_id == Agency.id)
                               .where(ReportAgency.report_id == report.id).order_by(Agency.slug)).scalars().all()
    updates = list(session.execute(select(ReportUpdate).where(ReportUpdate.report_id == report.id)
                                   .order_by(ReportUpdate.id)).scalars())
    record = {
        "reference": report.reference,
        "category": report.category,
        "privacy": report.privacy,
        "channel": report.channel,
        "language": report.language,
        "status": report.status,
        "received_at": _iso(report.created_at),
        "updated_at": _iso(report.updated_at),
        "closed_at": _iso(report.closed_at),
        "ward": ward.name if ward else None,
        "your_words": {
            "what_happened": report.description,
            "where": report.location_text,
            "latitude": report.latitude,
            "longitude": report.longitude,
            "when": report.when_kind,
            "when_in_your_words": report.when_text,
            "someone_in_danger": report.danger_now,
            "time_of_day": report.time_of_day,
            "woman_or_girl": report.woman_or_girl,
        },
        "machine_translation": report.translation,
        "public_summary": report.public_summary,
        "shared_with": list(agencies),
        # What the resident was told or can read on the status check: status changes and public replies,
        # never who wrote them.
        "history": [{"at": _iso(update.created_at), "status": update.status, "message": update.public_message}
                    for update in updates if update.action != "note"],
        "photos_and_voice_notes": [{"kind": kind, "file": media_id} for media_id, kind in session.execute(
            select(ReportMedia.media_id, ReportMedia.kind).where(ReportMedia.report_id == report.id)
            .order_by(ReportMedia.id)).all()],
        "was_it_sorted": [{"answer": check.answer, "comment": check.comment, "answered_at": _iso(check.answered_at)}
                          for check in session.execute(select(SortedCheck).where(SortedCheck.report_id == report.id,
                                                                                 SortedCheck.answer.is_not(None))
                                                       .order_by(SortedCheck.id)).scalars()],
    }
    notes = [update for update in updates if update.internal_note or update.reason]
    record["staff_notes"] = ({"count": len(notes)} if not include_internal_notes else
                             {"count": len(notes), "notes": [{"at": _iso(update.created_at), "note": update.internal_note,
                                                              "reason": update.reason} for update in notes]})
    return record


def _rsvp_record(rsvp: Rsvp, event: Event) -> dict:
    return {"meeting": event.title, "starts_at": _iso(event.starts_at), "answer": rsvp.status,
            "needs": list(rsvp.needs or []), "interpreter_language": rsvp.interpreter_language,
            "answered_at": _iso(rsvp.created_at), "changed_at": _iso(rsvp.updated_at)}


def _agenda_record(item: AgendaItem, event: Optional[Event]) -> dict:
    return {"meeting": event.title if event else None, "topic": item.topic, "your_words": item.text,
            "language": item.language, "machine_translation": item.translation, "sent_at": _iso(item.created_at),
            "shown_to_residents": item.approved_at is not None, "shown_as": item.shown_text}


def _message_record(message: OutboxMessage) -> dict:
    # A message's text is kept only until it is sent: what is still here is what is still to go. Telegram's
    # is kept escaped for its HTML; the resident reads it unescaped.
    payload = message.payload if isinstance(message.payload, dict) else {}
    text = payload.get("body", payload.get("text"))
    if isinstance(text, str) and message.channel == "telegram":
        text = html.unescape(text)
    return {"kind": message.kind, "status": message.status, "queued_at": _iso(message.created_at),
            "sent_at": _iso(message.sent_at), "delivery_report": message.delivery_status, "text": text}


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() if moment is not None else None
