"""Attacks on staff sessions (docs/security-tests.md, "Sessions"): a cookie planted or copied before signing
in, a copy kept after signing out, the live session of an account an admin turned off (and turned on
again), an account that must change its password reaching any other page or form, and whether any staff
answer may be kept by a browser or a shared cache. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.helpers import dump_every_table
from tests.web.pentest_world import (ACCOUNTS, COUNCIL_ONLY, PASSWORD, address, app_with_media, build_world,
                                     csrf_token, rules, sign_in)

STATUS_CHANGE = {"status": "closed", "message": "Closed by whoever holds the cookie"}


@pytest.fixture
def app(database_url, tmp_path):
    yield from app_with_media(database_url, tmp_path)


@pytest.fixture
def world(app):
    return build_world(app)


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def test_a_cookie_from_before_signing_in_is_worth_nothing_after(app, world, database_url):
    """Session fixation: someone who planted (or read) the cookie of the sign-in page learns nothing from
    it once the officer has signed in with it."""
    client = app.test_client()
    planted_token = csrf_token(client, "/staff/login")
    planted = client.get_cookie("session").value
    response = client.post("/staff/login", data={"email": ACCOUNTS["council_officer"][0], "password": PASSWORD,
                                                 "csrf_token": planted_token})
    assert response.status_code == 302
    signed_in = client.get_cookie("session").value
    assert signed_in != planted
    attacker = _with_cookie(app, planted)
    assert attacker.get("/staff/").status_code == 302
    before = dump_every_table(database_url)
    assert attacker.post(f"/staff/reports/{COUNCIL_ONLY}",
                         data={"csrf_token": planted_token, **STATUS_CHANGE}).status_code in (302, 400)
    # The token of the page before signing in does not carry over into the signed-in session either.
    assert client.post(f"/staff/reports/{COUNCIL_ONLY}",
                       data={"csrf_token": planted_token, **STATUS_CHANGE}).status_code == 400
    assert dump_every_table(database_url) == before
    assert client.get("/staff/").status_code == 200


def test_a_cookie_copied_before_signing_out_neither_reads_nor_acts_after(app, world, database_url):
    officer = sign_in(app, "council_officer")
    token = csrf_token(officer)
    copied = officer.get_cookie("session").value
    assert officer.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    thief = _with_cookie(app, copied)
    before = dump_every_table(database_url)
    assert thief.get(f"/staff/reports/{COUNCIL_ONLY}").status_code == 302
    response = thief.post(f"/staff/reports/{COUNCIL_ONLY}", data={"csrf_token": token, **STATUS_CHANGE})
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert dump_every_table(database_url) == before


def test_an_account_turned_off_is_refused_at_its_next_request_and_its_old_sessions_stay_ended(app, world,
                                                                                              database_url):
    """An admin turns an account off (a lost laptop, someone who left): its live session can neither read
    nor act at once, and turning the account back on later does not bring that session back to life."""
    officer, admin = sign_in(app, "council_officer"), sign_in(app, "admin")
    officer_token, admin_token = csrf_token(officer), csrf_token(admin)
    copied = officer.get_cookie("session").value
    officer_id = world.accounts["council_officer"]
    assert admin.post(f"/staff/admin/users/{officer_id}/active",
                      data={"csrf_token": admin_token, "active": "0"}).status_code == 200
    before = dump_every_table(database_url)
    assert officer.get(f"/staff/reports/{COUNCIL_ONLY}").status_code == 302
    refused = _with_cookie(app, copied).post(f"/staff/reports/{COUNCIL_ONLY}",
                                              data={"csrf_token": officer_token, **STATUS_CHANGE})
    assert refused.status_code == 302 and "/staff/login" in refused.headers["Location"]
    assert dump_every_table(database_url) == before
    assert admin.post(f"/staff/admin/users/{officer_id}/active",
                      data={"csrf_token": admin_token, "active": "1"}).status_code == 200
    assert _with_cookie(app, copied).get("/staff/").status_code == 302
    assert sign_in(app, "council_officer").get("/staff/").status_code == 200  # a new sign-in works


def test_an_account_that_must_change_its_password_reaches_no_other_page_or_form(app, world, database_url):
    admin = sign_in(app, "admin")
    officer_id = world.accounts["council_officer"]
    reset = admin.post(f"/staff/admin/users/{officer_id}/reset-password", data={"csrf_token": csrf_token(admin)})
    password = reset.get_data(as_text=True).split('<p class="secret">', 1)[1].split("<", 1)[0]
    officer = app.test_client()
    login_token = csrf_token(officer, "/staff/login")
    assert officer.post("/staff/login", data={"email": ACCOUNTS["council_officer"][0], "password": password,
                                              "csrf_token": login_token}).status_code == 302
    token = csrf_token(officer, "/staff/account/password")
    open_while_changing = {"staff.change_password", "staff.logout", "staff.login"}
    before = dump_every_table(database_url)
    tried = 0
    for method in ("GET", "POST"):
        for rule in rules(app, prefix="/staff", method=method):
            if rule.endpoint in open_while_changing:
                continue
            path = address(rule, world.ids)
            response = officer.get(path) if method == "GET" else officer.post(
                path, data={"csrf_token": token, **STATUS_CHANGE, "confirm": "yes", "active": "0"})
            assert response.status_code == 302, (method, rule.rule, response.status_code)
            assert response.headers["Location"].startswith("/staff/account/password"), rule.rule
            tried += 1
    assert dump_every_table(database_url) == before
    assert tried >= 40, tried


def test_no_staff_answer_may_be_kept_by_a_browser_or_a_cache(app, world):
    """Every staff page, file and refusal: `Cache-Control: no-store` (a shared office computer's cache, a
    proxy), whatever the status."""
    admin, viewer = sign_in(app, "admin"), sign_in(app, "housing_viewer")
    token = csrf_token(admin)
    answers = []
    for rule in rules(app, prefix="/staff", method="GET"):
        path = address(rule, world.ids)
        answers += [(path, admin.get(path)), (path, viewer.get(path)), (path, app.test_client().get(path))]
    answers += [("forged", admin.post("/staff/admin/users", data={"csrf_token": "forged"})),
                ("download", admin.post("/staff/admin/subjects/download",
                                        data={"csrf_token": token, "reference": COUNCIL_ONLY})),
                ("nowhere", admin.get("/staff/no/such/page")), ("logout", admin.post("/staff/logout",
                                                                                    data={"csrf_token": token}))]
    statuses = set()
    for path, response in answers:
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code,
                                                                     response.headers.get("Cache-Control"))
        statuses.add(response.status_code)
        response.close()
    assert {200, 302, 400, 403, 404} <= statuses, statuses
