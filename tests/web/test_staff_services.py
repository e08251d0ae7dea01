"""The support services staff page through the Flask client (SQLite and PostgreSQL): what needs checking comes
first, admins and officers add, change, confirm and remove, other roles only read, forged forms and bad input
change nothing, every change is audited, and the bot shows what staff saved."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone

import pytest

from storage import help_services, staff
from storage.database import new_session
from tests.helpers import WebChat, dump_every_table

NOW = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)
PASSWORD = "a long enough passphrase"
PAGE = "/staff/services"
FORM = {"name": "Weavers advice drop-in", "categories": ["money", "housing"], "offer": "Advice on benefits and debt.",
        "offer_bn": "সুবিধা ও ঋণ বিষয়ে পরামর্শ।", "phone": "020 7000 0000", "website": "https://example.org",
        "address": "1 Example Row, E2", "ward": "weavers", "hours": "Tue 10:00-13:00", "cost": "affordable",
        "languages": ["bn", "syl"]}


@pytest.fixture
def clock(app):
    app.extensions["safer_homes.clock"] = lambda: NOW


@pytest.fixture
def directory(app):
    """One service checked recently, one not for over six months: {name: id}."""
    with new_session(app.extensions["safer_homes.engine"]) as session:
        ids = {}
        for name, checked_on in [("Alpha helpline", date(2026, 12, 1)), ("Zeta helpline", date(2026, 5, 2))]:
            ids[name] = help_services.add_help_service(
                session, name=name, categories=["victims"], offer="Support after a crime.", phone="0800 000 000",
                checked_on=checked_on, now=NOW).id
        session.commit()
    return ids


def _token(client, path=PAGE) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _sign_in(app, client, role="officer", agency="council", email=None):
    email = email or f"{role}@example.org"
    with new_session(app.extensions["safer_homes.engine"]) as session:
        staff.add_staff(session, email=email, role=role, agency_slug=None if role == "admin" else agency,
                        password=PASSWORD, now=NOW)
        session.commit()
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                                 "csrf_token": _token(client, "/staff/login")})
    assert response.status_code == 302


def _services(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return {service.name: (service, ward) for service, ward in help_services.list_help_services(session)}


def _audit(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return [(entry.action, entry.detail.get("name")) for entry, _email in staff.list_audit(session)
                if entry.action.startswith("help_service")]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_what_needs_checking_comes_first_and_is_said_in_words(app, client, clock, directory):
    _sign_in(app, client)
    page = _text(client.get(PAGE))
    assert "1 service needs checking. It is listed first." in page
    assert page.index("Zeta helpline") < page.index("Alpha helpline")
    assert page.count("Needs checking</span>") == 1
    assert "2 May 2026" in page and "1 December 2026" in page
    assert 'href="/staff/services' in _text(client.get("/staff/"))  # linked from the staff home and the menu


def test_an_officer_adds_changes_checks_and_removes_a_service_and_each_is_audited(app, client, clock, directory):
    _sign_in(app, client)
    token = _token(client)
    added = client.post(PAGE, data={**FORM, "csrf_token": token})
    assert added.status_code == 303 and "done=added" in added.headers["Location"]
    service, ward = _services(app)["Weavers advice drop-in"]
    assert (ward, service.categories, service.offers, service.languages, service.checked_on) == (
        "Weavers", ["money", "housing"], {"bn": "সুবিধা ও ঋণ বিষয়ে পরামর্শ।"}, ["bn", "syl"], date(2027, 1, 14))
    assert "The service was added." in _text(client.get(added.headers["Location"]))

    stale_id = directory["Zeta helpline"]
    changed = client.post(f"{PAGE}/{stale_id}", data={
        "name": "Zeta helpline", "categories": ["victims", "families"], "offer": "Support after any crime.",
        "phone": "0800 000 001", "ward": "", "cost": "free", "csrf_token": token})
    assert changed.status_code == 303
    service, ward = _services(app)["Zeta helpline"]
    assert (service.offer, service.phone, service.categories) == ("Support after any crime.", "0800 000 001",
                                                                  ["families", "victims"])
    assert service.checked_on == date(2026, 5, 2)  # a change is not a check
    checked = client.post(f"{PAGE}/{stale_id}/check", data={"csrf_token": token})
    assert checked.status_code == 303
    assert _services(app)["Zeta helpline"][0].checked_on == date(2027, 1, 14)
    assert "needs checking" not in _text(client.get(PAGE))
    removed = client.post(f"{PAGE}/{stale_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303 and "Zeta helpline" not in _services(app)
    assert _audit(app) == [("help_service_removed", "Zeta helpline"), ("help_service_checked", "Zeta helpline"),
                           ("help_service_changed", "Zeta helpline"), ("help_service_added", "Weavers advice drop-in")]


@pytest.mark.parametrize("role, agency", [("viewer", "police"), ("organiser", "housing")])
def test_other_roles_read_the_list_but_cannot_change_it(app, client, clock, database_url, directory, role, agency):
    _sign_in(app, client, role, agency)
    page = _text(client.get(PAGE))
    assert "Zeta helpline" in page and "Add the service" not in page and "Mark “" not in page
    token = _token(client)
    before = dump_every_table(database_url)
    service_id = directory["Zeta helpline"]
    for path, data in [(PAGE, FORM), (f"{PAGE}/{service_id}", FORM), (f"{PAGE}/{service_id}/check", {}),
                       (f"{PAGE}/{service_id}/remove", {})]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert dump_every_table(database_url) == before


def test_an_admin_may_edit_and_signed_out_visitors_are_sent_to_sign_in(app, client, clock, directory):
    assert client.get(PAGE).status_code == 302
    _sign_in(app, client, "admin")
    assert "Add the service" in _text(client.get(PAGE))


def test_a_form_without_its_token_changes_nothing(app, client, clock, database_url, directory):
    _sign_in(app, client)
    before = dump_every_table(database_url)
    service_id = directory["Zeta helpline"]
    for path, data in [(PAGE, FORM), (f"{PAGE}/{service_id}", FORM), (f"{PAGE}/{service_id}/check", {}),
                       (f"{PAGE}/{service_id}/remove", {})]:
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
        assert client.post(path, data=data).status_code == 400
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("change, message", [
    ({"name": "  "}, "Fill in “Name”."),
    ({"categories": []}, "Fill in “Kinds of support”."),
    ({"categories": ["money", "crime"]}, "Choose from the options offered for “Kinds of support”."),
    ({"offer": "x" * 501}, "“What it offers” can be at most 500 characters."),
    ({"offer_so": "x" * 501}, "“What it offers in other languages” can be at most 500 characters."),
    ({"phone": "", "website": "", "address": ""}, "Give a phone number, a website or an address"),
    ({"website": "javascript:alert(1)"}, "Give the website as a full address starting with https://"),
    ({"ward": "atlantis"}, "Choose from the options offered for “Ward”."),
    ({"cost": "cheap"}, "Choose from the options offered for “Cost”."),
    ({"languages": ["klingon"]}, "Choose from the options offered for “Languages spoken there”."),
])
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
        app, client, clock, database_url, directory, change, message):
    _sign_in(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    added = client.post(PAGE, data={**FORM, **change, "csrf_token": token})
    assert added.status_code == 400
    assert "The service was not added. " + message in _text(added)
    assert 'value="Weavers advice drop-in"' in _text(added) or change.get("name") == "  "  # what they typed stays
    changed = client.post(f"{PAGE}/{directory['Zeta helpline']}", data={**FORM, **change, "csrf_token": token})
    assert changed.status_code == 400 and "The service was not changed. " + message in _text(changed)
    assert dump_every_table(database_url) == before


def test_a_service_that_is_not_there_answers_404(app, client, clock, database_url, directory):
    _sign_in(app, client)
    token = _token(client)
    for path, data in [(f"{PAGE}/999999", FORM), (f"{PAGE}/999999/check", {}), (f"{PAGE}/999999/remove", {})]:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404


def test_what_staff_write_is_escaped_on_the_page(app, client, clock):
    _sign_in(app, client)
    client.post(PAGE, data={**FORM, "name": "<script>alert(1)</script>", "csrf_token": _token(client)})
    page = client.get(PAGE).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_resident_sees_what_staff_saved_in_the_chat(app, client, clock):
    _sign_in(app, client)
    client.post(PAGE, data={**FORM, "csrf_token": _token(client)})
    resident = WebChat(app.test_client())
    resident.send("hi")
    resident.send(choice="lang:bn")
    resident.send(choice="menu:gethelp")
    resident.send(choice="support:money")
    resident.send(choice="ward:weavers")
    assert "Weavers advice drop-in" in resident.text and "সুবিধা ও ঋণ বিষয়ে পরামর্শ।" in resident.text
    assert "020 7000 0000" in resident.text
