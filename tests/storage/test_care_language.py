"""The care-language word list on SQLite and PostgreSQL: rules for the check, the admin's list, add, change,
remove, and refusals that write nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from flows.care_language import CareTermRule, find_stigmatising_terms
from storage import care_language
from storage.care_language import CareTermInputError
from storage.database import new_session
from storage.models import CareTerm
from tests.helpers import dump_every_table

AT = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def empty_list(engine):
    """The seeded starting list is not every backend's fixture: each test starts from nothing."""
    with new_session(engine) as session:
        session.execute(delete(CareTerm))
        session.commit()
    return engine


def _add(session, term, suggestion="young people", group="young_people", now=AT):
    return care_language.add_term(session, term=term, suggestion=suggestion, group=group, now=now)


def test_terms_are_kept_stripped_lower_cased_and_become_rules(empty_list):
    with new_session(empty_list) as session:
        row = _add(session, "  Gang   of\tYouths ", "  group of young people ")
        session.commit()
        row_id = row.id
    with new_session(empty_list) as session:
        stored = session.get(CareTerm, row_id)
        assert (stored.term, stored.suggestion, stored.group, stored.updated_at) == (
            "gang of youths", "group of young people", "young_people", AT)
        rules = care_language.care_rules(session)
        assert rules == [CareTermRule("gang of youths", "group of young people", "young_people")]
        assert [flag.found for flag in find_stigmatising_terms("A GANG OF YOUTHS", rules)] == ["GANG OF YOUTHS"]


def test_the_list_comes_by_group_in_order_then_by_term(empty_list):
    with new_session(empty_list) as session:
        _add(session, "winos", "people who were drinking", "addiction")
        _add(session, "scum", "people", "other")
        _add(session, "yobs")
        _add(session, "vagrants", "people sleeping rough", "rough_sleeping")
        _add(session, "hoodies")
        _add(session, "addicts", "people with an addiction", "addiction")
        session.commit()
    with new_session(empty_list) as session:
        assert [(row.group, row.term) for row in care_language.list_terms(session)] == [
            ("young_people", "hoodies"), ("young_people", "yobs"), ("rough_sleeping", "vagrants"),
            ("addiction", "addicts"), ("addiction", "winos"), ("other", "scum")]


def test_a_term_is_changed_and_removed(empty_list):
    later = AT + timedelta(days=1)
    with new_session(empty_list) as session:
        row_id = _add(session, "tramps", "people sleeping rough", "rough_sleeping").id
        session.commit()
    with new_session(empty_list) as session:
        care_language.update_term(session, term_id=row_id, term="Tramps", suggestion="people without a home",
                                  group="rough_sleeping", now=later)
        session.commit()
    with new_session(empty_list) as session:
        row = session.get(CareTerm, row_id)
        assert (row.term, row.suggestion, row.updated_at) == ("tramps", "people without a home", later)
        assert care_language.remove_term(session, term_id=row_id).term == "tramps"
        session.commit()
    with new_session(empty_list) as session:
        assert care_language.list_terms(session) == [] and care_language.care_rules(session) == []


@pytest.mark.parametrize("given, problem", [
    ({"term": ""}, "term_missing"),
    ({"term": " \t "}, "term_missing"),
    ({"term": "x" * 101}, "term_too_long"),
    ({"term": "!?"}, "term_no_letters"),
    ({"term": "-- ..."}, "term_no_letters"),
    ({"term": "YOBS"}, "term_duplicate"),
    ({"term": " yobs "}, "term_duplicate"),
    ({"term": "Down and Outs"}, "term_duplicate"),
    ({"term": "down--and - outs"}, "term_duplicate"),
    ({"suggestion": ""}, "suggestion_missing"),
    ({"suggestion": "   "}, "suggestion_missing"),
    ({"suggestion": "y" * 301}, "suggestion_too_long"),
    ({"group": "everyone"}, "group_unknown"),
    ({"group": ""}, "group_unknown"),
    ({"group": "Young_People"}, "group_unknown"),
])
def test_refusals_say_why_and_write_nothing(empty_list, database_url, given, problem):
    with new_session(empty_list) as session:
        _add(session, "yobs")
        _add(session, "down-and-outs", "people sleeping rough", "rough_sleeping")
        junkies_id = _add(session, "junkies", "people who use drugs", "addiction").id
        session.commit()
    before = dump_every_table(database_url)
    values = {"term": "thugs", "suggestion": "people", "group": "other", **given}
    with new_session(empty_list) as session:
        with pytest.raises(CareTermInputError) as refused:
            care_language.add_term(session, now=AT, **values)
        assert refused.value.problem == problem and str(refused.value)
        with pytest.raises(CareTermInputError) as refused:
            care_language.update_term(session, term_id=junkies_id, now=AT + timedelta(days=1), **values)
        assert refused.value.problem == problem
        session.commit()  # what a careless caller might do: still nothing to write
    assert dump_every_table(database_url) == before


def test_the_longest_lengths_are_allowed(empty_list):
    with new_session(empty_list) as session:
        row = _add(session, "x" * 100, "y" * 300, "other")
        session.commit()
        assert (len(row.term), len(row.suggestion)) == (100, 300)


def test_a_term_keeps_its_own_spelling_when_changed(empty_list):
    with new_session(empty_list) as session:
        row_id = _add(session, "down-and-outs", "people sleeping rough", "rough_sleeping").id
        session.commit()
    with new_session(empty_list) as session:
        care_language.update_term(session, term_id=row_id, term="down and outs", suggestion="people sleeping rough",
                                  group="rough_sleeping", now=AT)
        session.commit()
        assert session.get(CareTerm, row_id).term == "down and outs"


def test_an_unknown_term_is_a_lookup_error(empty_list):
    with new_session(empty_list) as session:
        with pytest.raises(LookupError):
            care_language.update_term(session, term_id=404, term="a", suggestion="b", group="other", now=AT)
        with pytest.raises(LookupError):
            care_language.remove_term(session, term_id=404)


def test_the_unique_constraint_refuses_a_duplicate_the_check_missed(empty_list, database_url, monkeypatch):
    """Two admins adding the same word at once: both pass the check, the database decides, and the caller's
    transaction stays usable."""
    with new_session(empty_list) as session:
        _add(session, "yobs")
        session.commit()
    before = dump_every_table(database_url)
    monkeypatch.setattr(care_language, "_checked",
                        lambda session, *, term, suggestion, group, term_id: (term, suggestion))
    with new_session(empty_list) as session:
        with pytest.raises(CareTermInputError) as refused:
            _add(session, "yobs")
        assert refused.value.problem == "term_duplicate"
        assert [rule.term for rule in care_language.care_rules(session)] == ["yobs"]  # still usable
        session.commit()
    assert dump_every_table(database_url) == before
    with new_session(empty_list) as session:
        other_id = _add(session, "hoodies").id
        session.commit()
    with new_session(empty_list) as session:
        with pytest.raises(CareTermInputError):
            care_language.update_term(session, term_id=other_id, term="yobs", suggestion="young people",
                                      group="young_people", now=AT)
        session.commit()
        assert session.get(CareTerm, other_id).term == "hoodies"


def test_the_starting_list_is_seeded_by_the_migration(tmp_path):
    """On a freshly migrated database (no test truncation) the admin starts with migration 0011's list."""
    from storage.database import make_engine
    from storage.seed import prepare_database

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    prepare_database(url)
    engine = make_engine(url)
    with new_session(engine) as session:
        terms = {row.term: row.group for row in care_language.list_terms(session)}
    engine.dispose()
    assert terms["yobs"] == "young_people" and terms["junkies"] == "addiction"
    assert terms["down-and-outs"] == "rough_sleeping"
