"""The care-language check (rec 8): find words in a reply or public text that stigmatise young people,
people sleeping rough or people who use drugs or alcohol, and say what to write instead.

Pure: it gets the text and the word list (rows an admin edits, storage/care_language.py) and answers flags.
A term matches as a whole word or phrase in any case ("Yobs" and "yobs," match "yobs"; "yobbish" does
not), so "addict" never flags "addiction". It is a prompt for a person, not a filter: staff see the flag
and the suggestion, and decide.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class CareTermRule:
    """One entry of the word list: the term, what to write instead, and who it hurts (models.CARE_GROUPS)."""

    term: str
    suggestion: str
    group: str


@dataclass(frozen=True)
class CareFlag:
    """A term found in the text, as the writer typed it (`found`), with the rule that matched."""

    found: str
    start: int
    end: int
    rule: CareTermRule


def _pattern(term: str) -> re.Pattern:
    # Spaces and hyphens inside a phrase match any run of spaces or hyphens ("down and outs", "down-and-outs").
    words = [re.escape(word) for word in re.split(r"[\s\-]+", term.strip()) if word]
    return re.compile(r"[\s\-]+".join(words), re.IGNORECASE)


def _part_of_a_word(char: str) -> bool:
    # \w alone misses combining marks: a Bengali or Arabic vowel sign continues the word it follows, so
    # a listed term must not match the start of a longer word that goes on with one.
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _whole_words(text: str, match: re.Match) -> bool:
    before = text[match.start() - 1] if match.start() > 0 else ""
    after = text[match.end()] if match.end() < len(text) else ""
    return not (before and _part_of_a_word(before)) and not (after and _part_of_a_word(after))


def find_stigmatising_terms(text: str, rules: Iterable[CareTermRule]) -> list[CareFlag]:
    """Every place in `text` where a rule's term appears, in reading order; a longer term wins over a
    shorter one that starts inside it ("gang of youths" is one flag, not two)."""
    if not text:
        return []
    found: list[CareFlag] = []
    for rule in sorted(rules, key=lambda rule: -len(rule.term)):
        if not rule.term.strip():
            continue
        for match in _pattern(rule.term).finditer(text):
            if not _whole_words(text, match):
                continue
            if any(flag.start < match.end() and match.start() < flag.end for flag in found):
                continue
            found.append(CareFlag(found=match.group(0), start=match.start(), end=match.end(), rule=rule))
    return sorted(found, key=lambda flag: flag.start)


def distinct_terms(flags: Sequence[CareFlag]) -> list[CareFlag]:
    """One flag per rule, first occurrence: what a page lists ("'yobs': write 'young people' instead")."""
    seen: set[str] = set()
    distinct = []
    for flag in flags:
        if flag.rule.term not in seen:
            seen.add(flag.rule.term)
            distinct.append(flag)
    return distinct
