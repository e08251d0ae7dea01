"""Telling a resident that staff changed their report: the notice is rendered in their language and queued
in the outbox in the same transaction as the change, so a crash loses neither and nothing goes twice.

Private and named reports have a sealed link to their sender (ReportLink); anonymous reports have none,
so nothing is sent and the resident sees the update by reference (the status check). A contact marked
unreachable, or on a channel this installation cannot send on, gets nothing queued. The web chat's
notice waits in the outbox until its page asks (bot/notify.py); WhatsApp outside its 24-hour window goes
as the "status_update" template for the language, or is held until the resident writes (delivery policy).
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Optional

from sqlmodel import Session

from bot.channels.base import Channel
from bot.notify import queue_notice
from flows import i18n
from flows.report_notices import merged_notice, status_update_notice
from flows.types import Reply
from storage.models import Contact, Report, ReportUpdate
from storage.report_actions import report_contact

STATUS_UPDATE = "status_update"
# The actions a resident hears about; an internal note and a share (the work stays here) are staff matters.
NOTIFIED_ACTIONS = ("status", "reply", "referral", "merge")


def notify_resident(session: Session, *, channels: Mapping[str, Channel], report: Report, update: ReportUpdate,
                    now: datetime) -> list[int]:
    """Queue the notice for `update` to the report's sender, if it has one who can be reached; returns the
    outbox ids (none for an anonymous report, an internal note, or a contact who cannot be reached)."""
    if update.action not in NOTIFIED_ACTIONS or report.privacy == "anonymous":
        return []
    contact = report_contact(session, report_id=report.id)
    if contact is None or contact.unreachable:
        return []
    lang = notice_language(contact, report)
    if update.action == "merge":
        text = merged_notice(lang, reference=report.reference)
    else:
        text = status_update_notice(
            lang, reference=report.reference, status=update.status, standard_reply=update.standard_reply,
            message=update.public_message, message_language=update.message_language,
            machine_translated=update.machine_translated,
        )
    return queue_notice(session, channels=channels, contact_id=contact.id, channel=contact.channel,
                        replies=[Reply(text=text, lang=lang)], kind=STATUS_UPDATE, now=now)


def notice_language(contact: Optional[Contact], report: Report) -> str:
    """The one language a resident's notice is written in (the whole notice, so the officer's preview uses
    it too): their contact's, else the report's; English for a language not shipped."""
    return i18n.shipped_or_default((contact.language if contact else None) or report.language)
