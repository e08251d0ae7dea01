"""The care-language word list (rec 8): the CareTerm rows admins keep, read as rules for the pure check in
flows/care_language.py.

Terms are kept stripped, lower-cased and with single spaces, because the check matches any case and any run
of spaces or hyphens; two terms that the check cannot tell apart ("down-and-outs", "Down and outs") are the
same term, so the second is refused rather than stored twice.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from flows.care_language import CareTermRule
from storage.models import CARE_GROUPS, CareTerm

MAX_TERM_LENGTH = 100
MAX_SUGGESTION_LENGTH = 300


class CareTermInputError(ValueError):
    """A term, suggestion or group an admin gave that cannot be kept. `problem` is a stable key the pages
    turn into a translated message ("term_missing", "term_too_long", "term_no_letters", "term_duplicate",
    "suggestion_missing", "suggestion_too_long", "group_unknown"); the text itself is for logs and the CLI."""

    def __init__(self, problem: str, message: str):
        super().__init__(message)
        self.problem = problem


def care_rules(session: Session) -> list[CareTermRule]:
    """Every term on the list, as rules the check takes."""
    rows = session.execute(select(CareTerm.term, CareTerm.suggestion, CareTerm.group)).all()
    return [CareTermRule(term=term, suggestion=suggestion, group=group) for term, suggestion, group in rows]


def list_terms(session: Session) -> list[CareTerm]:
    """The list as an admin reads it: grouped by who the word hurts (CARE_GROUPS order), then by term."""
    terms = list(session.scalars(select(CareTerm).order_by(CareTerm.term)))
    order = {group: position for position, group in enumerate(CARE_GROUPS)}
    return sorted(terms, key=lambda row: (order.get(row.group, len(order)), row.term))


def add_term(session: Session, *, term: str, suggestion: str, group: str, now: datetime) -> CareTerm:
    """Put a term on the list; refuses an empty, over-long or duplicate term, a missing or over-long
    suggestion and an unknown group, writing nothing."""
    clean_term, clean_suggestion = _checked(session, term=term, suggestion=suggestion, group=group, term_id=None)
    row = CareTerm()
    _save_unique(session, row, term=clean_term, suggestion=clean_suggestion, group=group, updated_at=now)
    return row


def update_term(
    session: Session, *, term_id: int, term: str, suggestion: str, group: str, now: datetime,
) -> CareTerm:
    """Change a term, its suggestion or its group; checked as add_term is, before anything changes."""
    row = session.get(CareTerm, term_id)
    if row is None:
        raise LookupError(f"there is no care-language term {term_id}")
    clean_term, clean_suggestion = _checked(session, term=term, suggestion=suggestion, group=group,
                                            term_id=term_id)
    _save_unique(session, row, term=clean_term, suggestion=clean_suggestion, group=group, updated_at=now)
    return row


def remove_term(session: Session, *, term_id: int) -> CareTerm:
    """Take a term off the list; returns the row removed (its term is what the audit may name)."""
    row = session.get(CareTerm, term_id)
    if row is None:
        raise LookupError(f"there is no care-language term {term_id}")
    session.delete(row)
    session.flush()
    return row


def _normal_term(term: str) -> str:
    return re.sub(r"\s+", " ", (term or "").strip()).lower()


def _match_key(term: str) -> str:
    # What the check sees: the words, whatever spaces or hyphens sit between them.
    return " ".join(word for word in re.split(r"[\s\-]+", term.lower()) if word)


def _checked(
    session: Session, *, term: str, suggestion: str, group: str, term_id: Optional[int],
) -> tuple[str, str]:
    clean_term = _normal_term(term)
    clean_suggestion = re.sub(r"\s+", " ", (suggestion or "").strip())
    if not clean_term:
        raise CareTermInputError("term_missing", "give the word or phrase to flag")
    if len(clean_term) > MAX_TERM_LENGTH:
        raise CareTermInputError("term_too_long", f"a term is at most {MAX_TERM_LENGTH} characters")
    if not re.search(r"\w", clean_term):
        # The check matches whole words; a term with no letters or digits would flag nothing, or everything.
        raise CareTermInputError("term_no_letters", "a term needs at least one letter or digit")
    if not clean_suggestion:
        raise CareTermInputError("suggestion_missing", "say what to write instead")
    if len(clean_suggestion) > MAX_SUGGESTION_LENGTH:
        raise CareTermInputError("suggestion_too_long",
                                 f"a suggestion is at most {MAX_SUGGESTION_LENGTH} characters")
    if group not in CARE_GROUPS:
        raise CareTermInputError("group_unknown", f"unknown group {group!r}")
    key = _match_key(clean_term)
    for other_id, other_term in session.execute(select(CareTerm.id, CareTerm.term)):
        if other_id != term_id and _match_key(other_term) == key:
            raise CareTermInputError("term_duplicate", f"{clean_term!r} is already on the list")
    return clean_term, clean_suggestion


def _save_unique(session: Session, row: CareTerm, **values) -> None:
    # Two admins adding the same term at once both pass _checked: the unique constraint decides and the
    # loser is told it is a duplicate. The values are set inside the savepoint (beginning one flushes
    # what is pending), so a refusal rolls back only this change and the caller's transaction stays usable.
    try:
        with session.begin_nested():
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            session.flush()
    except IntegrityError:
        raise CareTermInputError("term_duplicate", f"{values['term']!r} is already on the list") from None
