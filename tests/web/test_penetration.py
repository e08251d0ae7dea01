"""A penetration-style pass over the staff and public pages (docs/security-tests.md lists each attempt and
its result): SQL injection through every filter and address, cross-site request forgery against every
staff form, reaching across agencies by address (IDOR), and the sign-in's redirect. Each attempt must be
refused (400, 403 or 404) or answered as if the words were ordinary text, never with a server error, never
with another agency's report, and must leave every table as it was. On SQLite and PostgreSQL. Script
injection (XSS) is tests/test_markup_injection.py."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from werkzeug.routing import Rule

from storage import agenda, care_language, events, help_services, public_entries, staff as staff_store
from storage.database import new_session
from storage.models import CARE_GROUPS
from storage.public_figures import clear_public_figures_cache
from storage.reports import create_report
from storage.types import utcnow
from tests.helpers import dump_every_table

PASSWORD = "a long enough passphrase"
COUNCIL_OFFICER = "officer@council.example"
HOUSING_OFFICER = "officer@housing.example"
ADMIN = "admin@council.example"
COUNCIL_ONLY = "TH-PEN0-0001"
SHARED = "TH-PEN0-0002"
# Classic SQL injection, each also in a form a URL or a form field would carry.
INJECTIONS = [
    "' OR '1'='1", "1 OR 1=1", "\" OR 1=1 --", "x'; DROP TABLE report; --", "1; DELETE FROM report",
    "weavers' UNION SELECT email, password_hash FROM staffuser --", "council') OR ('a'='a",
    "1' AND (SELECT pg_sleep(0)) IS NULL --", "%27%20OR%201=1", "' OR reference LIKE '%",
]


@pytest.fixture
def world(app, engine):
    """Two reports (one for the council alone, one shared with housing too), an event with an agenda item,
    a council entry, a care term, and a council officer, a housing officer and an admin."""
    now = utcnow()
    with new_session(engine) as session:
        council = staff_store.add_staff(session, email=COUNCIL_OFFICER, role="officer", agency_slug="council",
                                        password=PASSWORD, now=now)
        staff_store.add_staff(session, email=HOUSING_OFFICER, role="officer", agency_slug="housing",
                              password=PASSWORD, now=now)
        admin = staff_store.add_staff(session, email=ADMIN, role="admin", agency_slug="council", password=PASSWORD,
                                      now=now)
        for reference, agencies in ((COUNCIL_ONLY, ["council"]), (SHARED, ["council", "housing"])):
            create_report(session, reference=reference, category="asb", language="en", channel="webchat",
                          privacy="anonymous", agency_slugs=agencies, description="Noise at night",
                          received_at=now - timedelta(days=1), ward_slug="weavers")
        event = events.create_event(session, title="Weavers ward panel", starts_at=now + timedelta(days=3), now=now,
                                    ward_slug="weavers", kind="ward_panel")
        item = agenda.save_item(session, topic="other", text="Lights", language="en", now=now, event_id=event.id)
        entry = public_entries.create_entry(session, you_said="Lights out", we_did="Fixed", now=now,
                                            staff_user_id=council.id, ward_slug="weavers",
                                            agency_id=council.agency_id)
        term = care_language.add_term(session, term="pen-test word", suggestion="a kinder word", group=CARE_GROUPS[0], now=now)
        service = help_services.add_help_service(session, name="Pen-test helpline", categories=["victims"],
                                                 offer="Support after a crime.", phone="0800 000 000", now=now)
        session.commit()
        ids = {"reference": COUNCIL_ONLY, "event_id": event.id, "item_id": item.id, "entry_id": entry.id,
               "term_id": term.id, "staff_user_id": council.id, "target_id": 1, "media_id": "x.jpg",
               "admin_id": admin.id, "service_id": service.id}
    clear_public_figures_cache()
    return ids


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token}).status_code == 302
    return client


def token_of(client) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _address(rule: Rule, ids: dict) -> str:
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


def _staff_rules(app, method: str) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/staff") and method in rule.methods), key=lambda rule: rule.rule)


# --- SQL injection --------------------------------------------------------------------------------

INBOX_FILTERS = ("ward", "category", "status", "agency", "language", "channel", "age", "overdue", "reopened",
                 "after", "lang", "q")


def test_sql_injection_through_every_inbox_filter_is_refused_and_widens_nothing(app, world, database_url):
    housing = signed_in(app, HOUSING_OFFICER)
    before = dump_every_table(database_url)
    for name in INBOX_FILTERS:
        for payload in INJECTIONS:
            response = housing.get("/staff/reports", query_string={name: payload})
            assert response.status_code in (200, 400), (name, payload, response.status_code)
            page = response.get_data(as_text=True)
            assert COUNCIL_ONLY not in page, (name, payload)  # never another agency's report
    assert dump_every_table(database_url) == before


def test_sql_injection_through_staff_addresses_and_the_audit_log_answers_404_or_400(app, world, database_url):
    admin, housing = signed_in(app, ADMIN), signed_in(app, HOUSING_OFFICER)
    before = dump_every_table(database_url)
    for payload in INJECTIONS:
        for client, path in ((housing, f"/staff/reports/{payload}"), (housing, f"/staff/reports/{payload}/media/x"),
                             (admin, f"/staff/events/{payload}"), (admin, f"/staff/admin/audit?before={payload}"),
                             (housing, f"/staff/public/entries/{payload}")):
            response = client.get(path)
            assert response.status_code in (200, 400, 404), (path, response.status_code)
            assert COUNCIL_ONLY not in response.get_data(as_text=True) or client is admin, path
    assert dump_every_table(database_url) == before


def test_sql_injection_through_the_public_pages_and_open311_is_refused(client, world, database_url):
    before = dump_every_table(database_url)
    for payload in INJECTIONS:
        for path, query in (("/public", {"months": payload}), ("/public", {"lang": payload}),
                            (f"/public/wards/{payload}", {}), (f"/public/wards/{payload}.csv", {}),
                            ("/public.json", {"months": payload}),
                            (f"/public/wards/weavers/meetings/{payload}", {}),
                            ("/open311/v2/requests.json", {"service_code": payload}),
                            ("/open311/v2/requests.json", {"status": payload}),
                            ("/open311/v2/requests.json", {"start_date": payload}),
                            ("/open311/v2/requests.json", {"service_request_id": payload}),
                            ("/open311/v2/requests.xml", {"locale": payload}),
                            (f"/open311/v2/requests/{payload}.json", {}),
                            (f"/open311/v2/services/{payload}.json", {})):
            response = client.get(path, query_string=query)
            assert response.status_code in (200, 400, 404), (path, query, response.status_code)
    # An injected condition never lists more than the honest query does.
    honest = client.get("/open311/v2/requests.json").get_json()
    for payload in INJECTIONS:
        listed = client.get("/open311/v2/requests.json", query_string={"service_code": "asb," + payload})
        assert listed.status_code == 400 or len(listed.get_json()) <= len(honest)
    after = dump_every_table(database_url)
    # A page counted inline keeps its figures for the next visitor; nothing else may change.
    assert {name: rows for name, rows in after.items() if name != "publicsnapshot"} == {
        name: rows for name, rows in before.items() if name != "publicsnapshot"}


def test_sql_injection_through_the_open311_post_is_kept_as_words(client, engine, world):
    from storage import api_keys
    from storage.models import Report
    from sqlalchemy import func, select

    with new_session(engine) as session:
        _row, key = api_keys.create_api_key(session, name="CRM", now=utcnow() - timedelta(days=1))
        session.commit()
    for payload in INJECTIONS:
        response = client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "noise", "description": payload + " loud music tonight",
            "address_string": payload})
        assert response.status_code == 200, response.get_data(as_text=True)
    with new_session(engine) as session:
        descriptions = set(session.execute(select(Report.description)).scalars())
        assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 2 + len(INJECTIONS)
    assert {payload + " loud music tonight" for payload in INJECTIONS} <= descriptions


# --- cross-site request forgery -------------------------------------------------------------------

def test_every_staff_form_refuses_a_post_without_its_token_and_changes_nothing(app, world, database_url):
    """Every POST route under /staff, found from the app's own URL map so a new one cannot be missed,
    refuses a forged post (no token, or another session's) with 400 before anything else runs."""
    admin = signed_in(app, ADMIN)
    other_token = token_of(signed_in(app, COUNCIL_OFFICER))
    rules = _staff_rules(app, "POST")
    assert len(rules) >= 30, [rule.rule for rule in rules]
    before = dump_every_table(database_url)
    for rule in rules:
        path = _address(rule, world)
        for form in ({}, {"csrf_token": other_token}, {"csrf_token": "forged"}):
            response = admin.post(path, data={**form, "status": "closed", "message": "forged", "confirm": "yes"})
            assert response.status_code == 400, (rule.rule, form, response.status_code)
    assert dump_every_table(database_url) == before


def test_the_session_cookie_is_httponly_and_samesite_lax(app, world):
    client = signed_in(app, COUNCIL_OFFICER)
    response = client.get("/staff/")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- another agency's reports by address (IDOR) ---------------------------------------------------

def test_every_report_address_answers_404_to_another_agency_and_changes_nothing(app, world, database_url):
    housing = signed_in(app, HOUSING_OFFICER)
    token = token_of(housing)
    before = dump_every_table(database_url)
    report_rules = [rule for rule in app.url_map.iter_rules() if "<reference>" in rule.rule]
    assert len(report_rules) >= 8
    for rule in report_rules:
        path = _address(rule, world)
        if "GET" in rule.methods:
            assert housing.get(path).status_code == 404, rule.rule
        if "POST" in rule.methods:
            response = housing.post(path, data={"csrf_token": token, "status": "closed", "message": "x",
                                                "reason": "x", "into": SHARED, "to_agency": "housing",
                                                "route": "share", "text": "x"})
            assert response.status_code == 404, (rule.rule, response.status_code)
    assert dump_every_table(database_url) == before
    # The same officer can open the report shared with housing: the 404 above is the agency, not the page.
    assert housing.get(f"/staff/reports/{SHARED}").status_code == 200


def test_another_agencys_draft_entry_answers_404(app, world, database_url):
    housing = signed_in(app, HOUSING_OFFICER)
    token = token_of(housing)
    before = dump_every_table(database_url)
    entry = world["entry_id"]
    assert housing.get(f"/staff/public/entries/{entry}").status_code == 404
    for action in ("", "/publish", "/withdraw"):
        response = housing.post(f"/staff/public/entries/{entry}{action}",
                                data={"csrf_token": token, "you_said": "x", "we_did": "y"})
        assert response.status_code in (403, 404), (action, response.status_code)
    assert dump_every_table(database_url) == before


# --- the sign-in's redirect -------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/", "/\\evil.example",
                                    "javascript:alert(1)", "/public", "https://evil.example/staff/reports"])
def test_signing_in_never_sends_anyone_off_the_staff_pages(app, world, target):
    client = app.test_client()
    page = client.get("/staff/login", query_string={"next": target}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": COUNCIL_OFFICER, "password": PASSWORD,
                                                 "csrf_token": token, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/staff/") or location.startswith("http://localhost/staff/"), location
