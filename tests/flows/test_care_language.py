"""The care-language check (flows/care_language.py): whole words and phrases in any case, longest first,
never inside another word, with the starting list of migration 0011 checked against itself."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.care_language import CareTermRule, distinct_terms, find_stigmatising_terms
from storage.models import CARE_GROUPS

RULES = [
    CareTermRule("yobs", "young people", "young_people"),
    CareTermRule("yob", "young person", "young_people"),
    CareTermRule("youths", "young people", "young_people"),
    CareTermRule("gang of youths", "group of young people", "young_people"),
    CareTermRule("down-and-outs", "people sleeping rough", "rough_sleeping"),
    CareTermRule("addict", "person with an addiction", "addiction"),
    CareTermRule("junkies", "people who use drugs", "addiction"),
]


def _found(text, rules=RULES):
    return [(flag.found, flag.rule.term) for flag in find_stigmatising_terms(text, rules)]


def _starting_list():
    path = Path(__file__).parents[2] / "storage/migrations/versions/0011_staff_workspace.py"
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [CareTermRule(term, suggestion, group) for term, suggestion, group in module.CARE_TERMS]


@pytest.mark.parametrize("text, expected", [
    ("There were yobs outside", [("yobs", "yobs")]),
    ("YOBS outside. Yobs again", [("YOBS", "yobs"), ("Yobs", "yobs")]),
    ("one yob", [("yob", "yob")]),
    ("Yobs, junkies; (addict) and \"youths\"!", [("Yobs", "yobs"), ("junkies", "junkies"), ("addict", "addict"),
                                                ("youths", "youths")]),
    ("the yob's bike", [("yob", "yob")]),
    ("(yobs)", [("yobs", "yobs")]),
    ("yobs\nyobs", [("yobs", "yobs"), ("yobs", "yobs")]),
])
def test_whole_words_match_in_any_case_with_punctuation_around(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text", [
    "The addiction service can help",
    "yobbish behaviour", "a yobbo", "snobs and mobs", "Youth club", "young people",
    "addicted", "addictive", "nonaddict", "yobs2", "yob_s", "unyob", "junkiesque",
    "",
])
def test_no_flag_inside_other_words(text):
    assert _found(text) == []


@pytest.mark.parametrize("text", [
    "down-and-outs", "down and outs", "Down  and - outs", "down -and- outs", "DOWN\nAND\tOUTS",
])
def test_a_phrase_matches_with_spaces_or_hyphens_between_its_words(text):
    assert _found(text) == [(text, "down-and-outs")]


def test_a_phrase_does_not_match_when_its_words_run_together_or_are_apart():
    assert _found("downandouts") == []
    assert _found("down, and outs") == []
    assert _found("a gang of youthful volunteers") == []


def test_the_longest_term_wins_over_one_inside_it():
    assert _found("A Gang of Youths gathered; youths left") == [("Gang of Youths", "gang of youths"),
                                                               ("youths", "youths")]
    # The same whatever order the rules come in.
    assert _found("a gang of youths", list(reversed(RULES))) == [("gang of youths", "gang of youths")]


def test_flags_come_in_reading_order_with_their_place_in_the_text():
    text = "junkies then yobs"
    flags = find_stigmatising_terms(text, RULES)
    assert [(flag.start, flag.end) for flag in flags] == [(0, 7), (13, 17)]
    assert [text[flag.start:flag.end] for flag in flags] == [flag.found for flag in flags]


def test_distinct_terms_keeps_the_first_of_each():
    flags = find_stigmatising_terms("Yobs, junkies, yobs, YOBS", RULES)
    assert [(flag.found, flag.start) for flag in distinct_terms(flags)] == [("Yobs", 0), ("junkies", 6)]


@pytest.mark.parametrize("text", [
    "ছেলেমেয়েরা রাস্তায় জড়ো হয়েছিল",  # Bengali: young people gathered in the street
    "Dhallinyaradu waxay isugu yimaadeen wadada",  # Somali
    "年轻人聚集在街上",
    "نوجوان گلی میں جمع تھے",
    "Młodzi ludzie zebrali się na ulicy",
])
def test_text_in_other_languages_is_left_alone(text):
    assert _found(text, _starting_list()) == []


def test_a_term_next_to_non_latin_letters_is_not_a_whole_word():
    assert _found("yobsশ") == [] and _found("শyobs") == []
    assert _found("যুবক yobs") == [("yobs", "yobs")]


def test_an_empty_or_blank_rule_flags_nothing():
    assert _found("anything at all", [CareTermRule("", "x", "other"), CareTermRule("   ", "x", "other")]) == []


def test_no_text_no_flags():
    assert find_stigmatising_terms("", RULES) == [] and find_stigmatising_terms(None, RULES) == []


# --- the starting list (migration 0011) ------------------------------------------------------------------

def test_the_starting_list_is_well_formed():
    rules = _starting_list()
    assert rules
    for rule in rules:
        assert rule.term == rule.term.strip().lower() and rule.group in CARE_GROUPS, rule
        assert 0 < len(rule.term) <= 100 and 0 < len(rule.suggestion) <= 300, rule
    keys = [" ".join(rule.term.replace("-", " ").split()) for rule in rules]
    assert len(keys) == len(set(keys))


def test_no_suggestion_is_itself_flagged():
    rules = _starting_list()
    for rule in rules:
        assert find_stigmatising_terms(rule.suggestion, rules) == [], rule


def test_every_starting_term_flags_itself():
    rules = _starting_list()
    for rule in rules:
        assert [flag.rule for flag in find_stigmatising_terms(f"They said {rule.term.upper()}.", rules)] == [rule]


def test_respectful_sentences_pass_the_starting_list():
    rules = _starting_list()
    for sentence in [
        "Thank you for telling us. Our outreach team spoke to the young people by the estate.",
        "We have asked the addiction service and the rough sleeping team to visit.",
        "A group of young people were asked to move on; one young person was referred to youth services.",
        "People experiencing homelessness can get help at the day centre.",
        "We are working with the drug and alcohol service on this.",
    ]:
        assert find_stigmatising_terms(sentence, rules) == [], sentence


# --- properties ----------------------------------------------------------------------------------------

_near_misses = st.sampled_from(["yobbish", "addiction", "youthful", "young", "people", "junk", "down", "outs",
                                "gang", "of", "addicted", "Youth", "يوب", "যুবক", ",", ".", "-", "'"])
_texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(_near_misses, st.text(max_size=6)), max_size=20).map(" ".join),
)


def _mentions_a_term(text: str) -> bool:
    # The check ignores case the way `re` does (a long s "ſ" is an "s"), so look in every folding.
    folded = {text.lower(), text.casefold(), text.upper().lower()}
    return any(word in version for rule in RULES for word in rule.term.replace("-", " ").split()
               for version in folded)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_text_without_any_term_gets_no_flags(text):
    if _mentions_a_term(text):
        return
    assert find_stigmatising_terms(text, RULES) == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.sampled_from(RULES), st.text(max_size=30))
def test_a_term_set_apart_by_spaces_is_always_flagged(before, rule, after):
    text = f"{before} {rule.term.upper()} {after}"
    start = len(before) + 1
    end = start + len(rule.term)
    flags = find_stigmatising_terms(text, RULES)
    # Something covers it: the term itself, or a longer one the text around it completes.
    assert any(flag.start <= start and end <= flag.end for flag in flags), (text, flags)
    # Flags never overlap and each is what the text says there.
    for first, second in zip(flags, flags[1:]):
        assert first.end <= second.start
    assert all(text[flag.start:flag.end] == flag.found for flag in flags)


def test_a_term_in_another_script_does_not_match_the_start_of_a_longer_word_with_a_vowel_sign():
    # Bengali vowel signs are combining marks, which \w-based boundaries took for the end of a word.
    rules = [CareTermRule(term="নেশ", suggestion="x", group="addiction")]
    assert find_stigmatising_terms("নেশা নেশাখোর", rules) == []
    assert [flag.found for flag in find_stigmatising_terms("ওরা নেশ করে", rules)] == ["নেশ"]
