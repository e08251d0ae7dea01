"""The care-language admin page through the Flask client (SQLite and PostgreSQL): admins add, change and
remove words, others are refused, bad input and forged forms change nothing, the try box flags, and
care_flags_for answers the other pages."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select

from storage import care_language, staff
from storage.database import new_session
from storage.models import CareTerm
from tests.helpers import dump_every_table

NOW = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)
PASSWORD = "a long enough passphrase"
PAGE = "/staff/admin/care-words"


@pytest.fixture
def clock(app):
    app.extensions["safer_homes.clock"] = lambda: NOW


@pytest.fixture
def word_list(app):
    """A list of the test's own (the seeded starting list is not every backend's fixture): {term: id}."""
    with new_session(app.extensions["safer_homes.engine"]) as session:
        session.execute(delete(CareTerm))
        ids = {}
        for term, suggestion, group in [("yobs", "young people", "young_people"),
                                        ("gang of youths", "group of young people", "young_people"),
                                        ("junkies", "people who use drugs", "addiction")]:
            ids[term] = care_language.add_term(session, term=term, suggestion=suggestion, group=group, now=NOW).id
        session.commit()
    return ids


def _account(app, email, role, agency=None) -> int:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        user = staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD, now=NOW)
        session.commit()
        return user.id


def _token(client, path=PAGE) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _signed_in_admin(app, client):
    _account(app, "admin@example.org", "admin")
    response = client.post("/staff/login", data={"email": "admin@example.org", "password": PASSWORD,
                                                 "csrf_token": _token(client, "/staff/login")})
    assert response.status_code == 302


def _terms(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return [(row.term, row.suggestion, row.group) for row in care_language.list_terms(session)]


def _audit(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return [(entry.action, entry.detail) for entry, _email in staff.list_audit(session)
                if entry.action.startswith("care_term")]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_an_admin_sees_the_list_by_group(app, client, clock, word_list):
    _signed_in_admin(app, client)
    page = _text(client.get(PAGE))
    young = page.index("Young people</h3>")
    rough = page.index("People sleeping rough</h3>")
    drugs = page.index("People who use drugs or alcohol</h3>")
    assert young < page.index("“gang of youths” — write “group of young people” instead") < page.index(
        "“yobs” — write “young people” instead") < rough < page.index("No words in this group yet.") < drugs
    assert drugs < page.index("“junkies” — write “people who use drugs” instead")
    assert f'action="/staff/admin/care-words/{word_list["yobs"]}/remove"' in page


def test_an_admin_adds_changes_and_removes_a_word(app, client, clock, word_list):
    _signed_in_admin(app, client)
    token = _token(client)
    added = client.post(PAGE + "?lang=bn", data={"term": "  Tramps ", "suggestion": "people sleeping rough",
                                                 "group": "rough_sleeping", "csrf_token": token})
    assert added.status_code == 303 and added.headers["Location"] == "/staff/admin/care-words?done=added&lang=bn"
    assert ("tramps", "people sleeping rough", "rough_sleeping") in _terms(app)
    assert "The word was added to the list." in _text(client.get(PAGE + "?done=added"))
    with new_session(app.extensions["safer_homes.engine"]) as session:
        tramps_id = session.scalars(select(CareTerm.id).where(CareTerm.term == "tramps")).one()

    changed = client.post(f"{PAGE}/{tramps_id}", data={"term": "tramps", "suggestion": "people without a home",
                                                       "group": "rough_sleeping", "csrf_token": token})
    assert changed.status_code == 303
    assert ("tramps", "people without a home", "rough_sleeping") in _terms(app)

    removed = client.post(f"{PAGE}/{tramps_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert [term for term, _s, _g in _terms(app)] == ["gang of youths", "yobs", "junkies"]
    assert _audit(app) == [
        ("care_term_removed", {"term_id": tramps_id, "term": "tramps"}),
        ("care_term_changed", {"term_id": tramps_id, "term": "tramps", "group": "rough_sleeping"}),
        ("care_term_added", {"term_id": tramps_id, "term": "tramps", "group": "rough_sleeping"}),
    ]


@pytest.mark.parametrize("role, agency", [("viewer", "police"), ("officer", "council"), ("organiser", "housing")])
def test_only_admins_may_open_or_change_the_list(app, client, clock, database_url, word_list, role, agency):
    _account(app, f"{role}@agency.example", role, agency)
    client.post("/staff/login", data={"email": f"{role}@agency.example", "password": PASSWORD,
                                      "csrf_token": _token(client, "/staff/login")})
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "?try=yobs").status_code == 403
    token = _token(client, "/staff/")
    before = dump_every_table(database_url)
    for path, data in [(PAGE, {"term": "thugs", "suggestion": "people", "group": "other"}),
                       (f"{PAGE}/{word_list['yobs']}", {"term": "yob", "suggestion": "x", "group": "other"}),
                       (f"{PAGE}/{word_list['yobs']}/remove", {})]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert dump_every_table(database_url) == before


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_a_form_without_its_token_changes_nothing(app, client, clock, database_url, word_list):
    _signed_in_admin(app, client)
    before = dump_every_table(database_url)
    for path, data in [(PAGE, {"term": "thugs", "suggestion": "people", "group": "other"}),
                       (f"{PAGE}/{word_list['yobs']}", {"term": "yob", "suggestion": "x", "group": "other"}),
                       (f"{PAGE}/{word_list['yobs']}/remove", {})]:
        assert client.post(path, data=data).status_code == 400
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("form, message", [
    ({"term": "   ", "suggestion": "people", "group": "other"}, "Give the word or phrase to flag."),
    ({"term": "x" * 101, "suggestion": "people", "group": "other"}, "at most 100 characters"),
    ({"term": "?!", "suggestion": "people", "group": "other"}, "needs at least one letter"),
    ({"term": "YOBS", "suggestion": "people", "group": "other"}, "already on the list"),
    ({"term": "gang-of-youths", "suggestion": "people", "group": "other"}, "already on the list"),
    ({"term": "thugs", "suggestion": "", "group": "other"}, "Say what to write instead."),
    ({"term": "thugs", "suggestion": "y" * 301, "group": "other"}, "at most 300 characters"),
    ({"term": "thugs", "suggestion": "people", "group": "everyone"}, "Choose one of the groups offered."),
    ({"term": "thugs", "suggestion": "people"}, "Choose one of the groups offered."),
])
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
        app, client, clock, database_url, word_list, form, message):
    _signed_in_admin(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    added = client.post(PAGE, data={**form, "csrf_token": token})
    assert added.status_code == 400
    assert "The word was not added." in _text(added) and message in _text(added)
    assert dump_every_table(database_url) == before

    edit = {**form, "term": "junkies"} if "already" in message else form
    changed = client.post(f"{PAGE}/{word_list['junkies']}", data={**edit, "csrf_token": token})
    if "already" in message:  # keeping its own term is no duplicate: this edit is fine
        assert changed.status_code == 303
        return
    assert changed.status_code == 400
    page = _text(changed)
    assert "The word was not changed." in page and message in page
    assert re.findall(r"<details open>\s*<summary>([^<]*)", page) == ["Change “junkies”"]  # the refused form stays open
    assert dump_every_table(database_url) == before


def test_changing_a_word_into_another_listed_word_is_refused(app, client, clock, database_url, word_list):
    _signed_in_admin(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    response = client.post(f"{PAGE}/{word_list['junkies']}", data={"term": "Yobs", "suggestion": "people",
                                                                  "group": "other", "csrf_token": token})
    assert response.status_code == 400 and "already on the list" in _text(response)
    assert dump_every_table(database_url) == before


def test_a_word_that_is_not_there_answers_404(app, client, clock, database_url, word_list):
    _signed_in_admin(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    assert client.post(f"{PAGE}/999999", data={"term": "thugs", "suggestion": "people", "group": "other",
                                               "csrf_token": token}).status_code == 404
    assert client.post(f"{PAGE}/999999/remove", data={"csrf_token": token}).status_code == 404
    assert dump_every_table(database_url) == before


def test_the_try_box_shows_what_would_be_flagged_and_saves_nothing(app, client, clock, database_url, word_list):
    _signed_in_admin(app, client)
    before = dump_every_table(database_url)
    response = client.get(PAGE, query_string={"try": "A Gang of Youths and some YOBS, yobs again; addiction help"})
    assert response.status_code == 200
    page = _text(response)
    flags = re.findall(r"<li>(“[^<]*)</li>", page[page.index('id="try-result"'):page.index("The list</h2>")])
    assert flags == ["“Gang of Youths” — write “group of young people” instead (about young people)",
                     "“YOBS” — write “young people” instead (about young people)"]
    assert 'name="try"' in page and "A Gang of Youths and some YOBS" in page  # the sentence stays to edit
    clean = _text(client.get(PAGE, query_string={"try": "Young people gathered by the addiction service"}))
    assert "Nothing on the list was found in that sentence." in clean and "write “" not in clean.split("The list")[0]
    assert dump_every_table(database_url) == before


def test_the_try_box_escapes_what_was_typed(app, client, clock, word_list):
    _signed_in_admin(app, client)
    page = client.get(PAGE, query_string={"try": "<script>x</script> yobs"}).get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_care_flags_for_answers_one_flag_per_listed_term(app, word_list):
    from web.staff_care import care_flags_for

    with app.test_request_context("/staff/"):
        flags = care_flags_for("Junkies and yobs, more yobs")
        assert [(flag.found, flag.rule.suggestion) for flag in flags] == [
            ("Junkies", "people who use drugs"), ("yobs", "young people")]
        assert care_flags_for("") == [] and care_flags_for("Addiction services") == []
    with new_session(app.extensions["safer_homes.engine"]) as session:
        care_language.remove_term(session, term_id=word_list["yobs"])
        session.commit()
    with app.test_request_context("/staff/"):
        assert [flag.found for flag in care_flags_for("Junkies and yobs")] == ["Junkies"]
