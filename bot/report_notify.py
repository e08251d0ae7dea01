"""Telling a resident that staff changed their report, in the same transaction as the change, so a crash
loses neither and nothing goes twice.

Private and named reports have a sealed link to their sender (ReportLink); anonymous reports have none,
so nothing is sent and the resident sees the update by reference (the status check). A contact marked
unreachable, or on a channel this installation cannot send on, gets nothing queued.

On a phone (Telegram, WhatsApp, SMS) the message is the neutral notice ("Safer Homes: there is an update for
you. Reply 1 to see it."), so a lock screen or someone holding the phone learns nothing of a report; what it
is about (the reference and the update's id) is written into the resident's conversation state, under the
lock a turn takes, and their "1" shows it (flows/report_notices.py). WhatsApp outside its 24-hour window
sends the same neutral text as the "status_update" template for the language, or holds it until the
resident writes (delivery policy). The web chat's notice is the update itself, waiting in the outbox until
its page asks (bot/notify.py): a page the resident has open has no lock screen.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Optional

from sqlmodel import Session

from bot.channels.base import Channel
from bot.notify import WEBCHAT, queue_notice, render_for
from flows import i18n
from flows.report_notices import merged_notice, neutral_notice, status_update_notice, update_notice, with_notice
from flows.types import Reply
from storage import contacts
from storage.models import Contact, Report, ReportUpdate
from storage.report_actions import hold_report_contact

STATUS_UPDATE = "status_update"
# The actions a resident hears about; an internal note and a share (the work stays here) are staff matters.
NOTIFIED_ACTIONS = ("status", "reply", "referral", "merge")


def hold_resident(session: Session, *, report_id: int) -> None:
    """Lock the report's resident (if it has one) before the report itself: staff actions call this first, so
    they take the locks in a conversation turn's order (contact, then report) and never deadlock with one."""
    hold_report_contact(session, report_id=report_id)


def notify_resident(session: Session, *, channels: Mapping[str, Channel], report: Report, update: ReportUpdate,
                    now: datetime) -> list[int]:
    """Queue the notice for `update` to the report's sender, if it has one who can be reached; returns the
    outbox ids (none for an anonymous report, an internal note, or a contact who cannot be reached)."""
    if update.action not in NOTIFIED_ACTIONS or report.privacy == "anonymous":
        return []
    contact = hold_report_contact(session, report_id=report.id)
    if contact is None or contact.unreachable:
        return []
    lang = notice_language(contact, report)
    if contact.channel == WEBCHAT:
        return queue_notice(session, channels=channels, contact_id=contact.id, channel=contact.channel,
                            replies=[Reply(text=full_notice(lang, report, update), lang=lang)], kind=STATUS_UPDATE,
                            now=now)
    if not render_for(contact.channel, channels, [neutral_notice(lang)]):
        return []  # a channel this installation cannot send on: nothing queued, nothing to show later
    queued = queue_notice(session, channels=channels, contact_id=contact.id, channel=contact.channel,
                          replies=[neutral_notice(lang)], kind=STATUS_UPDATE, now=now)
    remember_notice(session, contact=contact, notice=update_notice(reference=report.reference, update_id=update.id),
                    now=now)
    return queued


def full_notice(lang: str, report: Report, update: ReportUpdate) -> str:
    """The update itself, as the web chat shows it and a phone shows it after "1"."""
    if update.action == "merge":
        return merged_notice(lang, reference=report.reference)
    return status_update_notice(
        lang, reference=report.reference, status=update.status, standard_reply=update.standard_reply,
        message=update.public_message, message_language=update.message_language,
        machine_translated=update.machine_translated,
    )


def remember_notice(session: Session, *, contact: Contact, notice: dict, now: datetime) -> None:
    """Keep what a neutral notice is about in the contact's conversation state (the caller holds the contact's
    lock). The conversation's last-used time is left as it was: the resident did nothing."""
    conversation = contacts.open_conversation(session, contact_id=contact.id, now=now)
    state = dict(conversation.state or {})
    state.setdefault("lang", i18n.shipped_or_default(contact.language))
    contacts.save_conversation_state(session, conversation=conversation, state=with_notice(state, notice),
                                     now=conversation.updated_at or now)


def notice_language(contact: Optional[Contact], report: Report) -> str:
    """The one language a resident's notice is written in (the whole notice, so the officer's preview uses
    it too): their contact's, else the report's; English for a language not shipped."""
    return i18n.shipped_or_default((contact.language if contact else None) or report.language)
