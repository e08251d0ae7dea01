"""Moving what is sealed and hashed under a previous SECRET_KEY to the current one, and counting what is left.

`safer-homes keys rotate` calls the batch functions here and commits after each batch, so a crash part way
leaves every value under either the current key or a previous one, both still opened while
SECRET_KEY_PREVIOUS lists the old key; a second run goes on from there, leaving what is already current as
it is. `safer-homes keys check` calls `check` to count what is still under an old key. Nothing here returns
or logs a value: only counts.

What is sealed or hashed with keys derived from SECRET_KEY (storage/crypto.py):
- `contact.address_sealed` (the address delivery needs) and `contact.address_hash` (the lookup). A hash
  can be re-made only from the address, so a contact with no sealed address (the web chat keeps none) is
  moved by the lookup itself when its resident next writes (storage/contacts.find_contact).
- every column in SEALED_COLUMNS (today the name a named reporter typed).
- the name typed into a named report not sent yet, sealed in the conversation's draft (DRAFT_NAMES;
  bot/conversations.py seals it): a turn re-seals it under the current key whenever it saves the draft, and
  `rotate` does it for the drafts nobody is writing, which would otherwise be dropped once the old key goes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlmodel import Session

from storage.contacts import sealed_draft_name
from storage.crypto import KeyRing
from storage.models import Contact, Conversation, ReportLink

# Sealed values besides contacts' addresses: (what the operator reads, model, its key column, the sealed column).
# A new sealed column is added here, and rotate and check then cover it.
SEALED_COLUMNS = (
    ("reporter names", ReportLink, ReportLink.report_id, ReportLink.reporter_name_sealed),
)
CONTACT_ADDRESSES = "contact addresses"
CONTACT_HASHES = "contact hashes"
DRAFT_NAMES = "names in unfinished reports"
# Every kind `rotate` moves and `check` counts, in the order `safer-homes keys` prints them.
KINDS = (CONTACT_ADDRESSES, CONTACT_HASHES, *(label for label, *_rest in SEALED_COLUMNS), DRAFT_NAMES)


@dataclass
class Tally:
    """One kind of value: how many are under the current key, were moved to it, are still under a previous
    key (the check's count; rotate moves them), and how many no configured key opens (left as they are)."""

    current: int = 0
    moved: int = 0
    previous: int = 0
    unreadable: int = 0

    def add(self, other: "Tally") -> None:
        for name in ("current", "moved", "previous", "unreadable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class KeyCounts:
    """Counts per kind of value (CONTACT_ADDRESSES, CONTACT_HASHES and each SEALED_COLUMNS label), contacts
    whose hash cannot be re-made here (no address kept), and extra contacts given a superseded hash."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    without_address: int = 0
    superseded: int = 0

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    def add(self, other: "KeyCounts") -> None:
        for kind, tally in other.tallies.items():
            self.tally(kind).add(tally)
        self.without_address += other.without_address
        self.superseded += other.superseded

    @property
    def previous(self) -> int:
        return sum(tally.previous for tally in self.tallies.values())

    @property
    def unreadable(self) -> int:
        return sum(tally.unreadable for tally in self.tallies.values())


def _hash_state(keys: KeyRing, contact: Contact, address: str) -> str:
    """"current", "previous" or "unreadable" (made with a key not configured here) for a contact's hash."""
    if contact.address_hash in (keys.address_hash(contact.channel, address),
                                keys.superseded_hash(contact.channel, address, contact.id)):
        return "current"
    if contact.address_hash in keys.previous_address_hashes(contact.channel, address):
        return "previous"
    return "unreadable"


def rotate_contacts(session: Session, *, keys: KeyRing, after_id: int, limit: int) -> tuple[Optional[int], KeyCounts]:
    """The next `limit` contacts with a sealed address after `after_id`: each address sealed under a previous
    key is re-sealed under the current one, and each hash not made with the current key is re-made from the
    address. Returns the last contact id looked at (None when there were none) and the counts.

    Rows are locked FOR UPDATE (a hash is part of a unique key) with SKIP LOCKED: a contact in the middle of
    a turn is passed over rather than waited for, and the turn may move it itself (storage/contacts.py);
    `check` afterwards says whether anything was left. An address whose current hash another contact
    already has (a process ran with the old key after the change and made a second contact) gets
    `KeyRing.superseded_hash`: that row keeps its reports and sealed address, and no lookup finds it."""
    counts = KeyCounts()
    addresses, hashes = counts.tally(CONTACT_ADDRESSES), counts.tally(CONTACT_HASHES)
    batch = session.execute(
        select(Contact).where(Contact.id > after_id, Contact.address_sealed.is_not(None))
        .order_by(Contact.id).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()
    for contact in batch:
        opened = keys.sealer.open_with_key_index(contact.address_sealed)
        if opened is None:
            addresses.unreadable += 1  # and without the address its hash cannot be checked
            continue
        key_index, address = opened
        if key_index == 0:
            addresses.current += 1
        else:
            contact.address_sealed = keys.sealer.reseal(contact.address_sealed)
            addresses.moved += 1
        if _hash_state(keys, contact, address) == "current":
            hashes.current += 1
            continue
        wanted = keys.address_hash(contact.channel, address)
        taken = session.execute(
            select(func.count()).select_from(Contact)
            .where(Contact.channel == contact.channel, Contact.address_hash == wanted, Contact.id != contact.id)
        ).scalar_one()
        if taken:
            contact.address_hash = keys.superseded_hash(contact.channel, address, contact.id)
            counts.superseded += 1
        else:
            contact.address_hash = wanted
        hashes.moved += 1
        session.flush()  # the next row's check for a taken hash must see this one's
    return (batch[-1].id if batch else None), counts


def rotate_sealed(session: Session, *, keys: KeyRing, label: str, after: int, limit: int) -> tuple[Optional[int], KeyCounts]:
    """The next `limit` rows of the SEALED_COLUMNS entry `label` holding a value, after key `after`: each
    value sealed under a previous key is re-sealed under the current one (Fernet keeps its timestamp).
    Returns the last key looked at (None when there were none) and the counts."""
    _label, model, key_column, sealed_column = _sealed_column(label)
    counts = KeyCounts()
    tally = counts.tally(label)
    rows = session.execute(
        select(model).where(key_column > after, sealed_column.is_not(None))
        .order_by(key_column).limit(limit).with_for_update(key_share=True, skip_locked=True)
    ).scalars().all()
    for row in rows:
        token = getattr(row, sealed_column.key)
        if _counted(tally, keys, token, previous="moved"):
            setattr(row, sealed_column.key, keys.sealer.reseal(token))
    return (getattr(rows[-1], key_column.key) if rows else None), counts


def rotate_draft_names(session: Session, *, keys: KeyRing, after_id: int,
                       limit: int) -> tuple[Optional[int], KeyCounts]:
    """The next `limit` conversations after `after_id`: a name in an unfinished named report sealed under a
    previous key is re-sealed under the current one. Returns the last conversation id looked at (None when
    there were none) and the counts. SKIP LOCKED as for contacts; a turn saving the draft meanwhile seals the
    name under the current key itself, so whichever write comes last leaves it there."""
    counts = KeyCounts()
    tally = counts.tally(DRAFT_NAMES)
    batch = session.execute(
        select(Conversation).where(Conversation.id > after_id).order_by(Conversation.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()
    for conversation in batch:
        token = sealed_draft_name(conversation.state)
        if token is not None and _counted(tally, keys, token, previous="moved"):
            draft = conversation.state["draft"]
            conversation.state = {**conversation.state,
                                  "draft": {**draft, "name": {"sealed": keys.sealer.reseal(token)}}}
    return (batch[-1].id if batch else None), counts


def check(session: Session, *, keys: KeyRing, batch_size: int = 1000) -> KeyCounts:
    """How many values are under the current key, a previous key, or none configured; reads only."""
    counts = KeyCounts()
    addresses, hashes = counts.tally(CONTACT_ADDRESSES), counts.tally(CONTACT_HASHES)
    after = 0
    while True:
        batch = session.execute(
            select(Contact).where(Contact.id > after, Contact.address_sealed.is_not(None))
            .order_by(Contact.id).limit(batch_size)
        ).scalars().all()
        if not batch:
            break
        for contact in batch:
            opened = keys.sealer.open_with_key_index(contact.address_sealed)
            if opened is None:
                addresses.unreadable += 1
                continue
            key_index, address = opened
            if key_index == 0:
                addresses.current += 1
            else:
                addresses.previous += 1
            state = _hash_state(keys, contact, address)
            setattr(hashes, state, getattr(hashes, state) + 1)
        after = batch[-1].id
        session.expunge_all()  # a large table is read a batch at a time, not kept
    counts.without_address = session.execute(
        select(func.count()).select_from(Contact).where(Contact.address_sealed.is_(None))
    ).scalar_one()
    for label, model, key_column, sealed_column in SEALED_COLUMNS:
        tally = counts.tally(label)
        after = None
        while True:
            query = select(key_column, sealed_column).where(sealed_column.is_not(None)).order_by(key_column).limit(batch_size)
            rows = session.execute(query if after is None else query.where(key_column > after)).all()
            if not rows:
                break
            for _key, token in rows:
                _counted(tally, keys, token, previous="previous")
            after = rows[-1][0]
    tally = counts.tally(DRAFT_NAMES)
    after = 0
    while True:
        rows = session.execute(select(Conversation.id, Conversation.state).where(Conversation.id > after)
                               .order_by(Conversation.id).limit(batch_size)).all()
        if not rows:
            break
        for _id, state in rows:
            token = sealed_draft_name(state)
            if token is not None:
                _counted(tally, keys, token, previous="previous")
        after = rows[-1][0]
    return counts


def _counted(tally: Tally, keys: KeyRing, token: str, *, previous: str) -> bool:
    """Count one sealed value by the key that opens it: the current one, none, or a previous one (counted as
    `previous`: "moved" when rotating, "previous" when checking). True when a previous key opens it."""
    opened = keys.sealer.open_with_key_index(token)
    if opened is None:
        tally.unreadable += 1
        return False
    if opened[0] == 0:
        tally.current += 1
        return False
    setattr(tally, previous, getattr(tally, previous) + 1)
    return True


def _sealed_column(label: str):
    for entry in SEALED_COLUMNS:
        if entry[0] == label:
            return entry
    raise KeyError(label)
