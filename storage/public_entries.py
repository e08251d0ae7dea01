"""The "You said, we did" entries staff write for the public pages (rec 13): drafts, publishing, correcting,
withdrawing. The public figures (storage/public_figures.py) read the published ones straight from the table.

An entry's life: a draft (written by an officer, organiser or admin of an agency; edited freely) → published
(shown on the public pages) → withdrawn (gone from them; final: a new entry replaces it). A published entry
is never changed quietly: `revise_published_entry` is the one way to correct one, it takes new words through
the same checks, and it re-publishes at once (a new `published_at` and `updated_at`), so the public page's
date is the date of the words it shows and the audit log (web/staff_public.py) records who did it. Withdrawn
entries change no more.

The English words (`you_said`, `we_did`, each at most MAX_TEXT_LENGTH characters) are required; other shipped
languages go in `translations` (code -> {"you_said", "we_did"}, both or neither), and `machine_translated`
names those a machine wrote (the pages say so). Language codes are the shipped ones (flows/i18n.LANGUAGES):
a public page can only show an entry in a language it is itself shown in.

Every function takes keyword-only arguments and an explicit session and never commits (callers commit).
Refusals raise EntryInputError with a `problem` code (and the `field` it is about) the pages translate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Optional

from sqlalchemy import select
from sqlmodel import Session

from flows.i18n import DEFAULT_LANGUAGE, LANGUAGES
from storage.models import PUBLIC_ENTRY_STATES, Agency, PublicEntry, Report, Ward
from storage.seed import CATEGORIES

# Long enough for "what residents raised" and "what was done" in a few sentences; short enough that an
# entry stays a summary (and a page of them stays readable on a phone).
MAX_TEXT_LENGTH = 600
# The languages an entry can be translated into: every shipped language but the one staff write in.
TRANSLATION_LANGUAGES = tuple(language.code for language in LANGUAGES if language.code != DEFAULT_LANGUAGE)
TEXT_FIELDS = ("you_said", "we_did")


class EntryInputError(ValueError):
    """What staff gave that cannot become (or change) an entry. `problem` is a code the pages translate;
    `field` the form field it is about (e.g. "you_said", "we_did_bn", "ward"), or None for the whole form;
    `limit` goes with the "too_long" problems."""

    def __init__(self, problem: str, *, field: Optional[str] = None, limit: Optional[int] = None):
        super().__init__(f"{problem}" + (f" ({field})" if field else ""))
        self.problem = problem
        self.field = field
        self.limit = limit


@dataclass(frozen=True)
class EntryRow:
    """An entry as the staff list shows it: the row, its ward's name and its agency's names."""

    entry: PublicEntry
    ward_name: Optional[str]
    agency_slug: Optional[str]
    agency_names: dict


# --- checking what staff wrote -------------------------------------------------------------------------

def _text(value: Optional[str], field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise EntryInputError("missing", field=field)
    if len(text) > MAX_TEXT_LENGTH:
        raise EntryInputError("too_long", field=field, limit=MAX_TEXT_LENGTH)
    return text


def _translations(given: Optional[Mapping[str, Mapping[str, str]]]) -> dict:
    """Per language, both texts or neither (an entry half in Bengali and half in English reads as a mistake);
    an empty pair drops the language."""
    cleaned: dict = {}
    for code, texts in (given or {}).items():
        if code not in TRANSLATION_LANGUAGES:
            raise EntryInputError("unknown_language", field=f"translations_{code}")
        pair = {name: ((texts or {}).get(name) or "").strip() for name in TEXT_FIELDS}
        if not any(pair.values()):
            continue
        for name in TEXT_FIELDS:
            if not pair[name]:
                raise EntryInputError("translation_half", field=f"{name}_{code}")
            if len(pair[name]) > MAX_TEXT_LENGTH:
                raise EntryInputError("too_long", field=f"{name}_{code}", limit=MAX_TEXT_LENGTH)
        cleaned[code] = pair
    return cleaned


def _machine_marks(machine_translated: Iterable[str], translations: dict) -> list:
    """The mark describes a text: a language the entry has no words in cannot be machine-translated."""
    marks = sorted(set(machine_translated or ()))
    stray = [code for code in marks if code not in translations]
    if stray:
        raise EntryInputError("unknown_language", field=f"machine_{stray[0]}")
    return marks


def _ward_id(session: Session, ward_slug: Optional[str]) -> Optional[int]:
    if not ward_slug:
        return None
    ward_id = session.execute(select(Ward.id).where(Ward.slug == ward_slug)).scalar_one_or_none()
    if ward_id is None:
        raise EntryInputError("unknown_ward", field="ward")
    return ward_id


def _check_category(category: Optional[str]) -> Optional[str]:
    if category and category not in CATEGORIES:
        raise EntryInputError("unknown_category", field="category")
    return category or None


def _check_agency(session: Session, agency_id: Optional[int]) -> Optional[int]:
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise EntryInputError("unknown_agency", field="agency")
    return agency_id


def _check_report(session: Session, report_id: Optional[int]) -> Optional[int]:
    # Which reports a staff member may name is the caller's rule (storage/casework.shared_report): here
    # only that it exists.
    if report_id is not None and session.get(Report, report_id) is None:
        raise EntryInputError("unknown_report", field="report")
    return report_id


def _write(session: Session, entry: PublicEntry, *, you_said: str, we_did: str, ward_slug: Optional[str],
           category: Optional[str], agency_id: Optional[int], report_id: Optional[int],
           translations: Optional[Mapping], machine_translated: Iterable[str]) -> None:
    """Check everything first, then set it: a refusal leaves the entry as it was."""
    values = {
        "you_said": _text(you_said, "you_said"),
        "we_did": _text(we_did, "we_did"),
        "ward_id": _ward_id(session, ward_slug),
        "category": _check_category(category),
        "agency_id": _check_agency(session, agency_id),
        "report_id": _check_report(session, report_id),
    }
    cleaned = _translations(translations)
    values["machine_translated"] = _machine_marks(machine_translated, cleaned)
    # Fresh dicts and lists: SQLAlchemy notices a JSON column changed only when it is a new object.
    values["translations"] = cleaned
    for name, value in values.items():
        setattr(entry, name, value)


# --- drafts, publishing, withdrawing ----------------------------------------------------------------------

def create_entry(
    session: Session, *, you_said: str, we_did: str, now: datetime, staff_user_id: Optional[int],
    ward_slug: Optional[str] = None, category: Optional[str] = None, agency_id: Optional[int] = None,
    report_id: Optional[int] = None, translations: Optional[Mapping] = None, machine_translated: Iterable[str] = (),
) -> PublicEntry:
    """A new draft (not yet public). `ward_slug` None: about the whole borough."""
    entry = PublicEntry(you_said="", we_did="", state="draft", staff_user_id=staff_user_id, created_at=now,
                        updated_at=now)
    _write(session, entry, you_said=you_said, we_did=we_did, ward_slug=ward_slug, category=category,
           agency_id=agency_id, report_id=report_id, translations=translations, machine_translated=machine_translated)
    session.add(entry)
    session.flush()
    return entry


def _held(session: Session, entry_id: int) -> PublicEntry:
    """The entry, locked until the caller commits (two staff publishing or editing at once act one at a time)."""
    entry = session.execute(
        select(PublicEntry).where(PublicEntry.id == entry_id).with_for_update()).scalar_one_or_none()
    if entry is None:
        raise LookupError(f"no public entry {entry_id}")
    return entry


def update_draft(
    session: Session, *, entry_id: int, you_said: str, we_did: str, now: datetime, ward_slug: Optional[str] = None,
    category: Optional[str] = None, agency_id: Optional[int] = None, report_id: Optional[int] = None,
    translations: Optional[Mapping] = None, machine_translated: Iterable[str] = (),
) -> PublicEntry:
    """Replace a draft's words and details. A published entry goes through `revise_published_entry`; a withdrawn
    one changes no more ("not_draft")."""
    entry = _held(session, entry_id)
    if entry.state != "draft":
        raise EntryInputError("not_draft")
    _write(session, entry, you_said=you_said, we_did=we_did, ward_slug=ward_slug, category=category,
           agency_id=agency_id, report_id=report_id, translations=translations, machine_translated=machine_translated)
    entry.updated_at = now
    session.flush()
    return entry


def revise_published_entry(
    session: Session, *, entry_id: int, you_said: str, we_did: str, now: datetime, ward_slug: Optional[str] = None,
    category: Optional[str] = None, agency_id: Optional[int] = None, report_id: Optional[int] = None,
    translations: Optional[Mapping] = None, machine_translated: Iterable[str] = (),
) -> PublicEntry:
    """Correct a published entry: the old words come off the public pages and the new ones go on in the same
    commit, dated now (`published_at` and `updated_at`). Refuses anything but a published entry ("not_published")."""
    entry = _held(session, entry_id)
    if entry.state != "published":
        raise EntryInputError("not_published")
    _write(session, entry, you_said=you_said, we_did=we_did, ward_slug=ward_slug, category=category,
           agency_id=agency_id, report_id=report_id, translations=translations, machine_translated=machine_translated)
    entry.published_at = now
    entry.updated_at = now
    session.flush()
    return entry


def publish_entry(session: Session, *, entry_id: int, now: datetime) -> PublicEntry:
    """A draft goes on the public pages. Refuses anything but a draft ("not_draft": published already, by a
    colleague or a form sent twice, or withdrawn)."""
    entry = _held(session, entry_id)
    if entry.state != "draft":
        raise EntryInputError("not_draft")
    entry.state = "published"
    entry.published_at = now
    entry.updated_at = now
    session.flush()
    return entry


def withdraw_entry(session: Session, *, entry_id: int, now: datetime) -> PublicEntry:
    """Take an entry off the public pages (or set a draft aside) for good. Refuses one already withdrawn
    ("already_withdrawn"). `published_at` stays: the entry was public once, and the record says when."""
    entry = _held(session, entry_id)
    if entry.state == "withdrawn":
        raise EntryInputError("already_withdrawn")
    entry.state = "withdrawn"
    entry.updated_at = now
    session.flush()
    return entry


# --- reading -----------------------------------------------------------------------------------------------

def get_entry(session: Session, *, entry_id: int) -> Optional[PublicEntry]:
    return session.get(PublicEntry, entry_id)


def _rows_query():
    return (select(PublicEntry, Ward.name, Agency.slug, Agency.names)
            .outerjoin(Ward, Ward.id == PublicEntry.ward_id)
            .outerjoin(Agency, Agency.id == PublicEntry.agency_id))


def list_entries(session: Session, *, agency_id: Optional[int], every_agency: bool = False,
                 state: Optional[str] = None) -> list[EntryRow]:
    """Entries for the staff list, newest change first: those of `agency_id` (an officer's or organiser's own),
    or every entry when `every_agency` (admins). `state` narrows to one of PUBLIC_ENTRY_STATES."""
    query = _rows_query()
    if not every_agency:
        query = query.where(PublicEntry.agency_id == agency_id)
    if state is not None:
        if state not in PUBLIC_ENTRY_STATES:
            raise EntryInputError("unknown_state")
        query = query.where(PublicEntry.state == state)
    rows = session.execute(query.order_by(PublicEntry.updated_at.desc(), PublicEntry.id.desc())).all()
    return [EntryRow(entry=entry, ward_name=ward_name, agency_slug=slug, agency_names=names or {})
            for entry, ward_name, slug, names in rows]
