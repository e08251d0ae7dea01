"""Reaching across agencies and roles by id (IDOR), for every staff address with an id in it, read from the
app's URL map (docs/security-tests.md): each account of every role in the council, housing and the police,
and admins with and without an agency, opens and posts to every such address built with another agency's
or a role-forbidden object's id. A page a role may not open answers 403; an object another agency holds
answers 404, the same as one that does not exist; nothing changes. SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.database import new_session
from storage.models import AuditEntry
from tests.helpers import dump_every_table
from tests.web.pentest_world import (ACCOUNTS, COUNCIL_ONLY, COUNCIL_PHOTO, MISSING, POLICE_ONLY, POLICE_PHOTO, SHARED,
                                     SHARED_PHOTO, address, app_with_media, build_world, csrf_token,
                                     dump_but_page_views, rules, sign_in)

# What a POST carries, so a missing guard would change something: every field the staff forms read.
EVERYTHING = {"status": "closed", "message": "forged", "reason": "forged", "into_reference": SHARED,
              "to_agency": "housing", "route": "share", "summary": "forged", "confirm": "yes", "confirmed": "yes",
              "active": "0", "how": "as_written", "wording": "forged", "you_said": "forged", "we_did": "forged",
              "term": "forged", "suggestion": "forged", "group": "other", "retired_on": "2026-12-01",
              "starts_date": "2030-01-01", "starts_time": "18:00", "title": "forged", "kind": "ward_panel"}


@pytest.fixture
def app(database_url, tmp_path):
    yield from app_with_media(database_url, tmp_path)


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.fixture
def clients(app, world):
    return {name: sign_in(app, name) for name in ACCOUNTS}


def _role(name: str) -> str:
    return ACCOUNTS[name][1]


def _agency(name: str):
    return ACCOUNTS[name][2]


def _report_rule(agencies):
    """A report's addresses: 404 unless the account's agency was given it (admins included); then its GETs
    are open to every role, and its POSTs to officers and admins (403 for organisers and viewers)."""
    def expected(name: str, method: str):
        if _agency(name) not in agencies:
            return 404
        if method == "POST" and _role(name) not in ("officer", "admin"):
            return 403
        return None
    return expected


def _roles_only(*roles, methods=("GET", "POST")):
    def expected(name: str, method: str):
        return 403 if method in methods and _role(name) not in roles else None
    return expected


def _entry_rule(*roles):
    """The council's draft entry: 403 for a role that may not (checked first), 404 for another agency."""
    def expected(name: str, method: str):
        if _role(name) not in roles:
            return 403
        if _role(name) != "admin" and _agency(name) != "council":
            return 404
        return None
    return expected


def access_rules(report_agencies=frozenset({"council"})) -> dict:
    """Every staff address with an id in it, and who may use it, for a report given to `report_agencies`
    (the entry is the council's). A new address fails the test below until it is listed here."""
    report = _report_rule(report_agencies)
    organising = _roles_only("organiser", "admin")
    admin_only = _roles_only("admin")
    return {
        **{endpoint: report for endpoint in (
            "staff.report", "staff.update_report", "staff.report_media", "staff.merge_report", "staff.refer_report",
            "staff.mark_report_spam", "staff.count_report_again", "staff.approve_report_summary",
            "staff.withdraw_report_summary")},
        # Events belong to no agency (docs/staff.md): every role reads them, organisers and admins change them.
        "staff.event": lambda name, method: None,
        **{endpoint: organising for endpoint in (
            "staff.event_edit", "staff.event_move", "staff.event_cancel", "staff.event_digest_send",
            "staff.agenda_approve", "staff.agenda_hide")},
        "staff.public_entry": _entry_rule("officer", "organiser", "admin"),
        "staff.public_entry_save": _entry_rule("officer", "organiser", "admin"),
        "staff.public_entry_publish": _entry_rule("officer", "admin"),
        "staff.public_entry_withdraw": _entry_rule("officer", "admin"),
        # The get-help directory belongs to no agency: every role reads it, officers and admins keep it.
        **{endpoint: _roles_only("officer", "admin") for endpoint in (
            "staff.services_edit", "staff.services_check", "staff.services_remove")},
        **{endpoint: admin_only for endpoint in (
            "staff.care_word_edit", "staff.care_word_remove", "staff.target_retire", "staff.admin_user_active",
            "staff.admin_user_reset")},
    }


def _id_rules(app, method: str):
    return [rule for rule in rules(app, prefix="/staff", method=method) if rule.arguments]


def test_every_address_with_an_id_is_listed_here(app):
    endpoints = {rule.endpoint for method in ("GET", "POST") for rule in _id_rules(app, method)}
    assert endpoints == set(access_rules()), sorted(endpoints ^ set(access_rules()))


@pytest.mark.parametrize("reference, photo, agencies", [(COUNCIL_ONLY, COUNCIL_PHOTO, {"council"}),
                                                        (POLICE_ONLY, POLICE_PHOTO, {"police"})])
def test_every_role_of_every_agency_is_refused_what_it_may_not_reach_and_nothing_changes(
        app, world, clients, database_url, reference, photo, agencies):
    access = access_rules(agencies)
    ids = {**world.ids, "reference": reference, "media_id": photo}
    tokens = {name: csrf_token(client) for name, client in clients.items()}
    refused = 0
    before = dump_every_table(database_url)
    for method in ("GET", "POST"):
        for rule in _id_rules(app, method):
            path = address(rule, ids)
            for name, client in clients.items():
                expected = access[rule.endpoint](name, method)
                if expected is None:
                    continue
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.post(path, data={"csrf_token": tokens[name], **EVERYTHING})
                assert response.status_code == expected, (method, rule.rule, name, response.status_code)
                page = response.get_data(as_text=True)
                assert "Noise at night" not in page and reference not in page.replace(path, ""), (rule.rule, name)
                refused += 1
    assert dump_every_table(database_url) == before
    assert refused > 150, refused
    # The refusals were the rule, not a broken page: the accounts the rule lets in open the same addresses.
    for name in clients:
        if access["staff.report"](name, "GET") is None:
            assert clients[name].get(f"/staff/reports/{reference}").status_code == 200, name
            served = clients[name].get(f"/staff/reports/{reference}/media/{photo}")
            assert served.status_code == 200, name
            served.close()
        if access["staff.public_entry"](name, "GET") is None:
            assert clients[name].get(f"/staff/public/entries/{world.ids['entry_id']}").status_code == 200, name


def test_a_photo_or_an_agenda_item_is_reached_only_through_its_own_report_or_event(app, world, clients,
                                                                                   database_url):
    """An id of another report's photo or another event's item, put in an address the account may open."""
    housing, organiser = clients["housing_officer"], clients["housing_organiser"]
    token = csrf_token(organiser)
    before = dump_every_table(database_url)
    for photo in (COUNCIL_PHOTO, POLICE_PHOTO, "../" + COUNCIL_PHOTO, COUNCIL_PHOTO.upper()):
        assert housing.get(f"/staff/reports/{SHARED}/media/{photo}").status_code == 404, photo
    event, other_item = world.ids["event_id"], world.ids["forum_item_id"]
    for action in ("approve", "hide"):
        response = organiser.post(f"/staff/events/{event}/agenda/{other_item}/{action}",
                                  data={"csrf_token": token, "how": "as_written"})
        assert response.status_code == 404, action
    assert dump_every_table(database_url) == before
    served = housing.get(f"/staff/reports/{SHARED}/media/{SHARED_PHOTO}")
    assert served.status_code == 200 and served.data.startswith(b"\xff\xd8")
    served.close()


def test_an_id_that_does_not_exist_answers_404_and_changes_nothing(app, world, clients, database_url):
    admin, organiser = clients["admin"], clients["council_organiser"]
    tokens = {client: csrf_token(client) for client in (admin, organiser)}
    missing = {name: 2_000_000 + n for n, name in enumerate(world.ids) if name.endswith("_id")}
    before = dump_every_table(database_url)
    checked = 0
    for method in ("GET", "POST"):
        for rule in _id_rules(app, method):
            if "reference" in rule.arguments:
                continue  # a missing reference: tests/web/test_penetration.py
            path = address(rule, {**world.ids, **missing})
            client = organiser if rule.endpoint.startswith(("staff.event", "staff.agenda")) else admin
            response = client.get(path) if method == "GET" else client.post(
                path, data={"csrf_token": tokens[client], **EVERYTHING})
            assert response.status_code == 404, (method, rule.rule, response.status_code)
            checked += 1
    assert dump_every_table(database_url) == before
    assert checked >= 16


def _without_tokens(page: str) -> str:
    return re.sub(r'(nonce|csrf_token" value)="[^"]+"', "", re.sub(r"nonce-[A-Za-z0-9_-]+", "", page))


def test_naming_another_agencys_report_in_a_form_answers_as_for_no_report(app, world, clients, database_url):
    """Merging into, or writing a "You said, we did" entry about, a report housing was not given reads the
    same as for a reference that does not exist: the answer never tells that the report is there."""
    housing = clients["housing_officer"]
    token = csrf_token(housing)
    before = dump_but_page_views(database_url)
    answers = {}
    for into in (COUNCIL_ONLY, POLICE_ONLY, MISSING):
        merged = housing.post(f"/staff/reports/{SHARED}/merge", data={"csrf_token": token, "into_reference": into})
        entry = housing.post("/staff/public/entries/new", data={"csrf_token": token, "you_said": "Lifts",
                                                                "we_did": "Mended", "report": into})
        answers[into] = [(response.status_code, _without_tokens(response.get_data(as_text=True)).replace(into, "REF"))
                         for response in (merged, entry)]
        assert merged.status_code == 400 and entry.status_code == 400, into
    assert answers[COUNCIL_ONLY] == answers[MISSING] == answers[POLICE_ONLY]
    assert dump_but_page_views(database_url) == before


def test_an_organiser_of_any_agency_may_change_any_event_and_the_audit_log_names_them(app, world, clients):
    """Events belong to no agency (docs/staff.md, "Events"): a police organiser may hide an item of the
    council's ward panel. Not a leak (the pages hold counts, never who answered), but an insider could
    cancel a meeting they do not run: the audit log says which account did."""
    police = clients["police_organiser"]
    event, item = world.ids["event_id"], world.ids["item_id"]
    response = police.post(f"/staff/events/{event}/agenda/{item}/hide", data={"csrf_token": csrf_token(police)})
    assert response.status_code == 303
    with new_session(app.extensions["safer_homes.engine"]) as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "agenda_item_hidden")).scalar_one()
        assert entry.staff_user_id == world.accounts["police_organiser"]
