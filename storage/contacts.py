"""Contacts and their conversation state."""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import Contact, Conversation


def find_or_create_contact(
    session: Session, *, channel: str, address_hash: str, address_sealed: Optional[str], now: datetime,
    previous_hashes: Sequence[str] = (),
) -> Contact:
    """The contact behind a hashed address, created on first contact. Locks the row for this turn.

    FOR NO KEY UPDATE: two turns of one contact still take turns, but the worker can queue a reminder
    for them meanwhile (an outbox row's foreign key takes only FOR KEY SHARE on its contact).
    `previous_hashes` are the address's hashes under the previous keys (SECRET_KEY_PREVIOUS): see
    `find_contact`."""
    contact = find_contact(session, channel=channel, address_hash=address_hash, previous_hashes=previous_hashes,
                           address_sealed=address_sealed)
    if contact is not None:
        if contact.address_sealed is None and address_sealed is not None:
            # Retention cleared it while they were away (storage/retention.py): writing again brings it back.
            contact.address_sealed = address_sealed
        return contact
    try:
        # Two first messages from one person can race (a double tap); the unique constraint decides.
        with session.begin_nested():
            contact = Contact(channel=channel, address_hash=address_hash, address_sealed=address_sealed, created_at=now)
            session.add(contact)
        return contact
    except IntegrityError:
        return session.execute(_under(channel, address_hash).with_for_update(key_share=True)).scalar_one()


def find_contact(
    session: Session, *, channel: str, address_hash: str, previous_hashes: Sequence[str] = (),
    address_sealed: Optional[str] = None,
) -> Optional[Contact]:
    """The contact under the current hash, locked for this turn; or else the one under a previous key's
    hash, moved to the current hash (and given `address_sealed`, the address sealed under the current key,
    when the caller has one) in this transaction, so a resident is the same contact across a key rotation
    and the web chat, which keeps no address to re-hash from, keeps its conversation.

    A moved row is locked FOR UPDATE from the start: changing a column of a unique key needs that lock,
    and taking it at once (not upgrading later) keeps the turn's locks in their usual order. Two first
    messages after a rotation: the second waits for the first's lock, then finds no row under the old
    hash (PostgreSQL re-reads it) and returns None; its insert then meets the moved row's unique key and
    `find_or_create_contact` reads the moved row."""
    contact = session.execute(_under(channel, address_hash).with_for_update(key_share=True)).scalar_one_or_none()
    if contact is not None or not previous_hashes:
        return contact
    query = (select(Contact).where(Contact.channel == channel, Contact.address_hash.in_(list(previous_hashes)))
             .order_by(Contact.id).limit(1).with_for_update())
    contact = session.execute(query).scalar_one_or_none()
    if contact is None:
        return None
    try:
        with session.begin_nested():
            contact.address_hash = address_hash
            if address_sealed is not None:
                contact.address_sealed = address_sealed
    except IntegrityError:
        # A contact under the current hash was committed meanwhile: that one is the contact from now on, and
        # `safer-homes keys rotate` gives the row left behind a hash no lookup makes (KeyRing.superseded_hash).
        return session.execute(_under(channel, address_hash).with_for_update(key_share=True)).scalar_one()
    return contact


def _under(channel: str, address_hash: str):
    return select(Contact).where(Contact.channel == channel, Contact.address_hash == address_hash)


def open_conversation(session: Session, *, contact_id: int, now: datetime) -> Conversation:
    """The contact's conversation, created empty on first contact; read once, saved once per message."""
    conversation = _conversation(session, contact_id)
    if conversation is None:
        conversation = Conversation(contact_id=contact_id, state={}, updated_at=now)
        session.add(conversation)
    return conversation


def load_conversation_state(session: Session, *, contact_id: int) -> dict:
    conversation = _conversation(session, contact_id)
    return dict(conversation.state) if conversation else {}


def save_conversation_state(session: Session, *, conversation: Conversation, state: dict, now: datetime) -> None:
    conversation.state = state
    conversation.updated_at = now


def note_inbound(session: Session, *, contact: Contact, now: datetime) -> None:
    """They wrote: the WhatsApp window reopens and a contact who had blocked us is reachable again."""
    contact.last_inbound_at = now
    contact.unreachable = False


def set_contact_language(session: Session, *, contact_id: int, language: str) -> None:
    contact = session.get(Contact, contact_id)
    contact.language = language


def _conversation(session: Session, contact_id: int) -> Optional[Conversation]:
    query = select(Conversation).where(Conversation.contact_id == contact_id)
    return session.execute(query).scalar_one_or_none()


def contact_language(session: Session, *, channel: str, address_hash: str) -> Optional[str]:
    """The language a contact chose, without creating the contact or locking anything; None for no contact
    or no choice yet. For answering a message that is not taken in (bot/flood.py)."""
    return session.execute(
        select(Contact.language).where(Contact.channel == channel, Contact.address_hash == address_hash)
    ).scalar_one_or_none()


def sealed_draft_name(state) -> Optional[str]:
    """The sealed name in a conversation's unfinished named report, or None. The name a resident types for a
    named report is kept in the stored draft as {"sealed": token} (bot/conversations.py), so reading the
    database part way through shows no name; this is the one place that knows that shape."""
    draft = state.get("draft") if isinstance(state, dict) else None
    name = draft.get("name") if isinstance(draft, dict) else None
    return str(name["sealed"]) if isinstance(name, dict) and "sealed" in name else None
