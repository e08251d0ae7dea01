"""Subject access and erasure requests (UK GDPR articles 15 and 17), answered by staff for a resident.

A request gives the channel and the address the person uses with us (a phone number for WhatsApp and SMS, a
chat id for Telegram), or an anonymous report's reference. The address is read the way the channel's adapter
stores it, hashed with the current and previous keys (settings.key_ring) and looked up; it is never stored,
logged or audited. `safer-homes subject` (bot/cli.py) and the admin page web/staff_subjects.py share this.
The web chat is not offered: its id lives only in the resident's browser tab, which nobody else can give.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Optional

from sqlmodel import Session

from bot.channels.base import Channel
from bot.channels.twilio import e164
from bot.forgetting import forget_resident
from bot.settings import Settings
from flows.status import normalise_reference
from storage import subject_access
from storage.forgetting import ForgetResult

CHANNELS = ("telegram", "whatsapp", "sms")
# A Telegram private chat's id is the user's id: a positive whole number (up to 52 bits today).
_TELEGRAM_CHAT = re.compile(r"[1-9][0-9]{0,19}")
# A UK number as people write it: 07700 900456, +44 (0)7700 900456, 0044 7700 900456.
_UK_NATIONAL = re.compile(r"0([1-9][0-9]{8,9})")


class AddressRefused(ValueError):
    """An address that cannot be one the channel uses (the message says what was expected, never echoing it)."""


def normalise_address(channel: str, raw: str) -> str:
    """The address as the channel's adapter stores it: a Telegram chat id as digits; a WhatsApp or SMS number in
    E.164 (+447700900456), from E.164, 00-prefixed or UK national forms, as bot/channels/twilio.py reads From."""
    if channel not in CHANNELS:
        raise AddressRefused(f"the channel must be one of {', '.join(CHANNELS)}")
    value = (raw or "").strip()
    if channel == "telegram":
        if not _TELEGRAM_CHAT.fullmatch(value):
            raise AddressRefused("a Telegram chat id is a whole number, such as 123456789")
        return value
    # phonenumbers would be the library for this (design.md); it is not a dependency yet, and the service
    # serves UK residents, so UK national numbers are the one local form read here; anything else is E.164.
    compact = re.sub(r"[\s().-]", "", value.removeprefix("whatsapp:"))
    if compact.startswith("+440"):  # +44 (0)7700 900456
        compact = "+44" + compact[4:]
    national = _UK_NATIONAL.fullmatch(compact)
    number = e164("+44" + national.group(1) if national else compact)
    if number is None:
        raise AddressRefused("a phone number is in international form (+447700900456) or a UK number "
                             "(07700 900456)")
    return number


def find_contact_id(session: Session, settings: Settings, *, channel: str, address: str) -> Optional[int]:
    """The contact for a normalised address under the current key, or a previous one not yet rotated away."""
    keys = settings.key_ring
    hashes = (keys.address_hash(channel, address), *keys.previous_address_hashes(channel, address))
    return subject_access.find_subject(session, channel=channel, address_hashes=hashes)


def access(session: Session, settings: Settings, *, channel: str, address: str,
           include_internal_notes: bool = False) -> dict:
    """Everything held about the person at this address (`found` False, and nothing else, if nothing is)."""
    contact_id = find_contact_id(session, settings, channel=channel, address=address)
    answer = {"request": "subject_access", "channel": channel, "found": contact_id is not None}
    if contact_id is None:
        return {**answer, "not_linkable": subject_access.NOT_LINKABLE}
    record = subject_access.subject_record(session, contact_id=contact_id, open_sealed=_opener(settings),
                                           include_internal_notes=include_internal_notes)
    return {**answer, **record}


def access_by_reference(session: Session, *, reference: str, include_internal_notes: bool = False) -> dict:
    """The one report with this reference (raises AddressRefused for something that is not a reference)."""
    normalised = normalise_reference(reference or "")
    if normalised is None:
        raise AddressRefused("a reference looks like TH-XXXX-XXXX")
    report = subject_access.report_by_reference(session, reference=normalised,
                                                include_internal_notes=include_internal_notes)
    return {"request": "report_access", "reference": normalised, "found": report is not None,
            **({"report": report} if report is not None else {})}


@dataclass(frozen=True)
class Erased:
    found: bool
    result: ForgetResult = ForgetResult()


def erase(session: Session, settings: Settings, *, channel: str, address: str, now: datetime,
          channels: Optional[Mapping[str, Channel]] = None) -> Erased:
    """Forget the person at this address as `forget me` does (bot/forgetting.py): contact, conversation,
    messages, RSVPs, backings, links and names go; their reports stay, anonymous. The caller commits."""
    contact_id = find_contact_id(session, settings, channel=channel, address=address)
    if contact_id is None:
        return Erased(found=False)
    return Erased(found=True, result=forget_resident(session, settings, contact_id=contact_id, now=now,
                                                     channels=channels))


def erased_counts(erased: Erased) -> dict:
    """What an erasure removed, as counts: for the command's output and the audit entry (no ids, no address)."""
    result = erased.result
    return {"found": erased.found, "reports_made_anonymous": result.reports_made_anonymous, "rsvps": result.rsvps,
            "agenda_backings": result.agenda_backings, "agenda_items_unlinked": result.agenda_items_unlinked,
            "messages": result.outbox_messages}


def _opener(settings: Settings):
    sealer = settings.key_ring.sealer

    def open_sealed(token: str) -> Optional[str]:
        opened = sealer.open_with_key_index(token)
        return opened[1] if opened else None

    return open_sealed
