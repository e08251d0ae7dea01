"""The staff pages' front door through the Flask client: signing in and out, CSRF, the lockout, roles,
the admin's accounts page and audit log, cookies and headers (SQLite and PostgreSQL)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from storage import staff
from storage.database import new_session
from tests.conftest import built_app
from tests.helpers import dump_every_table

NOW = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)
PASSWORD = "a long enough passphrase"
REFUSED = "That email and password did not work."


@pytest.fixture
def clock(app):
    """The app's clock, moved by the test: `clock.now += timedelta(...)`."""
    class Clock:
        now = NOW

    app.extensions["safer_homes.clock"] = lambda: Clock.now
    return Clock


def _account(app, email, role, agency=None, password=PASSWORD) -> int:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        user = staff.add_staff(session, email=email, role=role, agency_slug=agency, password=password, now=NOW)
        session.commit()
        return user.id


def _token(client, path="/staff/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _login(client, email, password=PASSWORD, token=None):
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token or _token(client)})


def _audit(app):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return [(entry.action, email, entry.detail) for entry, email in staff.list_audit(session)]


# --- signing in and out ----------------------------------------------------------------------------

def test_an_officer_signs_in_sees_who_they_are_and_signs_out(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    response = _login(client, "Officer@Council.example")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    page = client.get("/staff/").get_data(as_text=True)
    assert "officer@council.example" in page and "Officer" in page and "Tower Hamlets Council ASB team" in page
    assert "Staff accounts" not in page  # no admin links for an officer
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302  # back to the login page
    assert [action for action, _email, _detail in _audit(app)] == ["logout", "login"]


def test_a_page_asked_for_before_signing_in_is_shown_after(app, client, clock):
    _account(app, "admin@example.org", "admin")
    response = client.get("/staff/admin/audit?lang=so")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    next_value = re.search(r'name="next" value="([^"]*)"', login_page).group(1)
    assert next_value == "/staff/admin/audit?lang=so"
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    signed_in = client.post("/staff/login", data={"email": "admin@example.org", "password": PASSWORD,
                                                  "csrf_token": token, "next": next_value})
    assert signed_in.headers["Location"] == "/staff/admin/audit?lang=so"


@pytest.mark.parametrize("next_value", ["https://evil.example/staff/", "//evil.example/staff/", "/chat",
                                        "/staff/\\evil.example"])
def test_the_login_never_sends_anyone_off_the_staff_pages(app, client, clock, next_value):
    _account(app, "admin@example.org", "admin")
    response = client.post("/staff/login", data={"email": "admin@example.org", "password": PASSWORD,
                                                  "csrf_token": _token(client), "next": next_value})
    assert response.headers["Location"] == "/staff/"


def test_wrong_password_and_unknown_address_get_the_same_answer(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    wrong = _login(client, "officer@council.example", "not the password")
    unknown = _login(client, "nobody@council.example", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert REFUSED in wrong.get_data(as_text=True) and REFUSED in unknown.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_signing_in_starts_a_new_session(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    before = _token(client)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    _login(client, "officer@council.example", token=before)
    with client.session_transaction() as session:
        assert "planted" not in session and "csrf_token" not in session
        assert session.permanent


def test_the_session_cookie_is_httponly_samesite_lax_and_limited_in_time(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    cookie = _login(client, "officer@council.example").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a limited lifetime (STAFF_SESSION_HOURS), not "until the browser closes"
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http://127.0.0.1 here: a Secure cookie would never return


def test_the_session_cookie_is_secure_when_public_base_url_is_https(database_url, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://saferhomes.example")
    https = {"base_url": "https://saferhomes.example", "headers": {"Referer": "https://saferhomes.example/staff/login"}}
    for app in built_app(database_url):
        _account(app, "officer@council.example", "officer", "council")
        client = app.test_client()
        page = client.get("/staff/login", **https).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/staff/login", data={"email": "officer@council.example", "password": PASSWORD,
                                                      "csrf_token": token}, **https)
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert client.get("/staff/", **https).status_code == 200


def _assert_staff_headers(response) -> str:
    """The staff pages' nonce CSP (its nonce on the page's style) and no-store; returns the policy."""
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    return policy


def test_staff_pages_carry_a_nonce_csp_and_are_not_cached(client):
    policy = _assert_staff_headers(client.get("/staff/login"))
    assert client.get("/staff/login").headers["Content-Security-Policy"] != policy  # a fresh nonce each time


# --- CSRF -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_a_login_without_a_valid_token_is_refused_with_400_and_changes_nothing(app, client, clock, database_url,
                                                                               token):
    _account(app, "officer@council.example", "officer", "council")
    _token(client)  # the session has a token; the form does not carry it
    before = dump_every_table(database_url)
    data = {"email": "officer@council.example", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/staff/login", data=data)
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)
    _assert_staff_headers(response)
    assert dump_every_table(database_url) == before
    assert client.get("/staff/").status_code == 302


def test_adding_an_account_or_signing_out_without_a_valid_token_is_refused(app, client, clock, database_url):
    _account(app, "admin@example.org", "admin")
    _login(client, "admin@example.org")
    before = dump_every_table(database_url)
    for data in ({"email": "new@council.example", "role": "viewer", "agency": "council"},
                 {"email": "new@council.example", "role": "viewer", "agency": "council", "csrf_token": "forged"}):
        assert client.post("/staff/admin/users", data=data).status_code == 400
    assert client.post("/staff/logout", data={}).status_code == 400
    assert dump_every_table(database_url) == before
    assert client.get("/staff/").status_code == 200  # still signed in


def test_a_token_from_another_session_is_refused(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    other_token = _token(app.test_client())
    _token(client)
    assert _login(client, "officer@council.example", token=other_token).status_code == 400


# --- the lockout ------------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_even_against_the_right_one_for_15_minutes(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    for _ in range(5):
        clock.now += timedelta(minutes=2)
        assert _login(client, "officer@council.example", "a wrong guess").status_code == 200
    sixth = _login(client, "officer@council.example")
    assert sixth.status_code == 200 and REFUSED in sixth.get_data(as_text=True)  # never says "locked"
    assert client.get("/staff/").status_code == 302
    clock.now += timedelta(minutes=14)
    assert _login(client, "officer@council.example").status_code == 200
    clock.now += timedelta(minutes=1)
    assert _login(client, "officer@council.example").status_code == 302
    assert client.get("/staff/").status_code == 200
    reasons = [detail.get("reason") for action, _email, detail in _audit(app)]
    assert reasons == [None, "locked", "locked"] + ["wrong_password"] * 5


def test_wrong_passwords_spread_over_more_than_15_minutes_do_not_lock(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    for _ in range(6):
        assert _login(client, "officer@council.example", "a wrong guess").status_code == 200
        clock.now += timedelta(minutes=4)
    assert _login(client, "officer@council.example").status_code == 302


def test_a_locked_account_does_not_lock_out_colleagues_at_the_same_address(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _account(app, "colleague@council.example", "officer", "council")
    for _ in range(5):
        _login(client, "officer@council.example", "a wrong guess")
    assert _login(client, "colleague@council.example").status_code == 302


# --- roles and the admin pages ----------------------------------------------------------------------

@pytest.mark.parametrize("role, agency", [("viewer", "police"), ("officer", "council"), ("organiser", "housing")])
def test_only_admins_open_the_admin_pages(app, client, clock, database_url, role, agency):
    _account(app, f"{role}@agency.example", role, agency)
    _login(client, f"{role}@agency.example")
    for path in ("/staff/admin/users", "/staff/admin/audit"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Your role does not include this page" in response.get_data(as_text=True)
        _assert_staff_headers(response)
    before = dump_every_table(database_url)
    token = _token(client, "/staff/")
    added = client.post("/staff/admin/users", data={"email": "sneaky@agency.example", "role": "admin",
                                                    "csrf_token": token})
    assert added.status_code == 403
    assert dump_every_table(database_url) == before


def test_signed_out_visitors_are_sent_to_the_login_page(client):
    for path in ("/staff/", "/staff/admin/users", "/staff/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_an_admin_adds_an_account_with_a_generated_password_shown_once(app, client, clock, database_url):
    _account(app, "admin@example.org", "admin")
    _login(client, "admin@example.org")
    token = _token(client, "/staff/admin/users")
    response = client.post("/staff/admin/users", data={"email": "New.Officer@Police.example", "role": "officer",
                                                       "agency": "police", "csrf_token": token})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    password = re.search(r'<p class="secret">([^<]+)</p>', page).group(1)
    assert "Account added for new.officer@police.example" in page
    assert password not in client.get("/staff/admin/users").get_data(as_text=True)
    other = app.test_client()
    assert _login(other, "new.officer@police.example", password).status_code == 302
    assert "Officer" in other.get("/staff/").get_data(as_text=True)
    added = [detail for action, _email, detail in _audit(app) if action == "staff_added"]
    assert added == [{"account": 2, "role": "officer", "agency": "police", "by": "admin page"}]
    assert password not in repr(dump_every_table(database_url))


@pytest.mark.parametrize("form, problem", [
    ({"email": "someone", "role": "viewer", "agency": "council"}, "is not an email address"),
    ({"email": "v@council.example", "role": "king", "agency": "council"}, "there is no role"),
    ({"email": "v@council.example", "role": "viewer", "agency": ""}, "a viewer belongs to one agency"),
    ({"email": "v@council.example", "role": "viewer", "agency": "parks"}, "there is no agency"),
    ({"email": "ADMIN@example.org", "role": "viewer", "agency": "council"}, "there is already an account"),
    ({"email": "v@council.example", "role": "viewer", "agency": "council", "password": "short"}, "too short"),
])
def test_the_admin_form_refuses_bad_accounts_and_changes_nothing(app, client, clock, database_url, form, problem):
    _account(app, "admin@example.org", "admin")
    _login(client, "admin@example.org")
    token = _token(client, "/staff/admin/users")
    before = dump_every_table(database_url)
    response = client.post("/staff/admin/users", data={**form, "csrf_token": token})
    assert response.status_code == 400
    assert "The account was not added" in response.get_data(as_text=True) and problem in response.get_data(as_text=True)
    assert dump_every_table(database_url) == before


def test_the_admin_reads_the_audit_log(app, client, clock):
    _account(app, "admin@example.org", "admin")
    _account(app, "officer@council.example", "officer", "council")
    _login(app.test_client(), "officer@council.example", "a wrong guess")
    _login(client, "admin@example.org")
    page = client.get("/staff/admin/audit").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td><code>([^<]+)</code>", page)
    assert rows == [("admin@example.org", "login"), ("officer@council.example", "login_failed")]
    assert "reason=wrong_password" in page and "a wrong guess" not in page


def test_pages_follow_the_language_asked_for(app, client, clock):
    page = client.get("/staff/login?lang=bn").get_data(as_text=True)
    assert '<html lang="bn" dir="ltr">' in page
    assert 'action="/staff/login?lang=bn"' in page
    page = client.get("/staff/login", headers={"Accept-Language": "so, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="so"' in page


def test_an_address_under_staff_that_leads_nowhere_gets_the_staff_pages_own_404(client):
    # The same page as for a report the agency may not see (tests/web/test_staff_report.py), in the
    # page's language and with the staff pages' headers; other addresses keep Flask's own 404.
    response = client.get("/staff/no/such/page?lang=bn")
    assert response.status_code == 404
    assert 'lang="bn"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    elsewhere = client.get("/no/such/page")
    assert elsewhere.status_code == 404 and "Cache-Control" not in elsewhere.headers


def test_the_language_links_keep_the_rest_of_the_address(app, client, clock):
    # Switching language on a filtered inbox keeps the filters (and never repeats ?lang=).
    _account(app, "officer@council.example", "officer", "council")
    _login(client, "officer@council.example")
    page = client.get("/staff/reports?language=so&status=open&lang=bn").get_data(as_text=True)
    assert 'href="/staff/reports?language=so&amp;status=open&amp;lang=so"' in page
    assert page.count("lang=bn&amp;") == 0


def test_signing_out_ends_a_copied_session_cookie_too(app, client, clock):
    # The session is a signed cookie: without a record of signing out, a copy kept from before would
    # still open the pages afterwards (found in review).
    _account(app, "officer@council.example", "officer", "council")
    _login(client, "officer@council.example")
    copied = client.get_cookie("session").value
    clock.now += timedelta(minutes=5)
    token = _token(client, "/staff/")
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/staff/").status_code == 302  # to the sign-in page
    clock.now += timedelta(minutes=1)
    _login(client, "officer@council.example")
    assert client.get("/staff/").status_code == 200  # a new session after signing out works


def test_a_session_in_use_still_ends_after_the_working_day(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _login(client, "officer@council.example")
    for _hour in range(9):
        clock.now += timedelta(hours=1)
        assert client.get("/staff/").status_code == 200
    clock.now += timedelta(hours=1, minutes=1)
    assert client.get("/staff/").status_code == 302
