"""Looking after staff accounts through the pages: turning one off and on, an admin's password reset (used
once, then changed), changing your own password, and the per-address limit on sign-ins (SQLite and
PostgreSQL; the limit's store in memory, and once in the real Redis)."""
from __future__ import annotations

import ipaddress
import re
import secrets

import pytest
import redis

from storage import staff
from storage.database import new_session
from storage.models import StaffUser
from tests.conftest import TEST_SECRET_KEY
from tests.helpers import dump_every_table
from tests.web.test_staff_pages import PASSWORD, REFUSED, _account, _audit, _login, _token
from tests.web.test_staff_pages import clock  # noqa: F401  (the fixture)
from web.staff import LOGIN_RATE_LIMIT

NEW_PASSWORD = "another long passphrase"
LIMIT = int(LOGIN_RATE_LIMIT.split()[0])
REDIS_URL = "redis://127.0.0.1:6379/0"


def _user(app, staff_user_id) -> StaffUser:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        user = session.get(StaffUser, staff_user_id)
        session.expunge(user)
        return user


def _signed_in(app, email, password=PASSWORD):
    client = app.test_client()
    assert _login(client, email, password).status_code == 302
    return client


def _admin_and_officer(app):
    admin_id = _account(app, "admin@example.org", "admin")
    officer_id = _account(app, "officer@council.example", "officer", "council")
    return admin_id, officer_id


# --- turning an account off and on --------------------------------------------------------------------

def test_an_account_turned_off_is_signed_out_at_its_next_click_and_can_be_turned_on(app, client, clock):
    _admin_and_officer(app)
    officer = _signed_in(app, "officer@council.example")
    assert officer.get("/staff/").status_code == 200
    admin = _signed_in(app, "admin@example.org")
    token = _token(admin, "/staff/admin/users")
    officer_id = _user(app, 2).id

    off = admin.post(f"/staff/admin/users/{officer_id}/active", data={"active": "0", "csrf_token": token})
    assert off.status_code == 200
    page = off.get_data(as_text=True)
    assert "officer@council.example is turned off and signed out." in page and "Turn on" in page
    assert officer.get("/staff/").status_code == 302  # signed out at the next click
    assert REFUSED in _login(app.test_client(), "officer@council.example").get_data(as_text=True)

    on = admin.post(f"/staff/admin/users/{officer_id}/active", data={"active": "1", "csrf_token": token})
    assert on.status_code == 200 and "officer@council.example can sign in again." in on.get_data(as_text=True)
    assert _login(app.test_client(), "officer@council.example").status_code == 302
    changes = [(action, email, detail) for action, email, detail in _audit(app) if action.startswith("staff_")]
    assert changes == [("staff_reactivated", "admin@example.org", {"account": officer_id, "by": "admin page"}),
                       ("staff_deactivated", "admin@example.org", {"account": officer_id, "by": "admin page"})]


def test_an_admin_cannot_turn_off_their_own_account(app, client, clock, database_url):
    admin_id = _account(app, "admin@example.org", "admin")
    _account(app, "second.admin@example.org", "admin")
    _login(client, "admin@example.org")
    token = _token(client, "/staff/admin/users")
    before = dump_every_table(database_url)
    refused = client.post(f"/staff/admin/users/{admin_id}/active", data={"active": "0", "csrf_token": token})
    assert refused.status_code == 400
    assert "You cannot turn off your own account. Ask another administrator to do it." in refused.get_data(as_text=True)
    assert dump_every_table(database_url) == before
    assert client.get("/staff/").status_code == 200


def test_turning_off_asks_for_a_clear_choice_a_real_account_and_an_admin(app, client, clock, database_url):
    _admin_and_officer(app)
    _login(client, "admin@example.org")
    token = _token(client, "/staff/admin/users")
    admin_hash = _user(app, 1).password_hash
    before = dump_every_table(database_url)
    for value in ("", "no", "2"):
        response = client.post("/staff/admin/users/2/active", data={"active": value, "csrf_token": token})
        assert response.status_code == 400 and "Choose whether to turn the account on or off." in response.get_data(as_text=True)
    assert client.post("/staff/admin/users/99/active", data={"active": "0", "csrf_token": token}).status_code == 404
    assert client.post("/staff/admin/users/99/reset-password", data={"csrf_token": token}).status_code == 404
    assert dump_every_table(database_url) == before
    officer = _signed_in(app, "officer@council.example")
    officer_token = _token(officer, "/staff/")
    assert officer.post("/staff/admin/users/1/active", data={"active": "0", "csrf_token": officer_token}).status_code == 403
    assert officer.post("/staff/admin/users/1/reset-password", data={"csrf_token": officer_token}).status_code == 403
    assert _user(app, 1).active and _user(app, 1).password_hash == admin_hash


# --- an admin's password reset ------------------------------------------------------------------------

def test_a_reset_password_is_shown_once_works_once_and_must_be_changed_before_anything_else(app, client, clock,
                                                                                             database_url):
    _admin_and_officer(app)
    old_session = _signed_in(app, "officer@council.example")
    _login(client, "admin@example.org")
    token = _token(client, "/staff/admin/users")

    reset = client.post("/staff/admin/users/2/reset-password", data={"csrf_token": token})
    assert reset.status_code == 200
    page = reset.get_data(as_text=True)
    assert "New password set for officer@council.example." in page
    password = re.search(r'<p class="secret">([^<]+)</p>', page).group(1)
    assert password not in client.get("/staff/admin/users").get_data(as_text=True)
    assert password not in repr(dump_every_table(database_url))
    assert [detail for action, _email, detail in _audit(app) if action == "password_reset"] == [
        {"account": 2, "by": "admin page"}]

    assert old_session.get("/staff/").status_code == 302  # a session from before the reset is over
    assert REFUSED in _login(app.test_client(), "officer@council.example", PASSWORD).get_data(as_text=True)
    officer = app.test_client()
    signed_in = _login(officer, "officer@council.example", password)
    assert signed_in.headers["Location"] == "/staff/account/password"
    for path in ("/staff/", "/staff/reports", "/staff/events", "/staff/admin/audit", "/staff/admin/users"):
        response = officer.get(path + "?lang=so")
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/staff/account/password?lang=so", path
    form = officer.get("/staff/account/password")
    assert "An administrator gave you a new password" in form.get_data(as_text=True)

    changed = officer.post("/staff/account/password", data={
        "current_password": password, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD,
        "csrf_token": _token(officer, "/staff/account/password")})
    assert changed.status_code == 200 and "Your password is changed." in changed.get_data(as_text=True)
    assert officer.get("/staff/").status_code == 200
    assert not _user(app, 2).must_change_password
    assert REFUSED in _login(app.test_client(), "officer@council.example", password).get_data(as_text=True)
    assert _login(app.test_client(), "officer@council.example", NEW_PASSWORD).headers["Location"] == "/staff/"


def test_someone_who_must_change_their_password_may_still_sign_out(app, client, clock):
    _admin_and_officer(app)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        _user_row, password = staff.reset_password(session, staff_user_id=2, now=clock.now, by="command line")
        session.commit()
    _login(client, "officer@council.example", password)
    token = _token(client, "/staff/account/password")
    assert client.post("/staff/logout", data={"csrf_token": token}).headers["Location"] == "/staff/login"
    assert client.get("/staff/account/password").status_code == 302
    assert client.get("/staff/account/password").headers["Location"].startswith("/staff/login")


def test_a_reset_unlocks_a_locked_account(app, client, clock):
    _admin_and_officer(app)
    for _ in range(5):
        _login(app.test_client(), "officer@council.example", "a wrong guess")
    assert _user(app, 2).locked_until is not None
    _login(client, "admin@example.org")
    page = client.post("/staff/admin/users/2/reset-password",
                       data={"csrf_token": _token(client, "/staff/admin/users")}).get_data(as_text=True)
    password = re.search(r'<p class="secret">([^<]+)</p>', page).group(1)
    assert _login(app.test_client(), "officer@council.example", password).status_code == 302


# --- changing your own password -----------------------------------------------------------------------

def _change(client, current, new, again=None, token=None):
    return client.post("/staff/account/password", data={
        "current_password": current, "new_password": new, "new_password_again": new if again is None else again,
        "csrf_token": token or _token(client, "/staff/account/password")})


@pytest.mark.parametrize("current, new, again, message", [
    (PASSWORD, NEW_PASSWORD, "another long passphrasE", "The two new passwords are not the same."),
    (PASSWORD, "", "", "Fill in your current password and the new one twice."),
    ("", NEW_PASSWORD, None, "Fill in your current password and the new one twice."),
    (PASSWORD, "short one", None, "The new password is too short: use at least 12 characters."),
    (PASSWORD, "password1234", None, "The new password is too easy to guess."),
    (PASSWORD, "officer-2027-pass", None, "The new password contains your email address."),
    (PASSWORD, PASSWORD, None, "The new password is the same as the current one."),
    ("not my password", NEW_PASSWORD, None, "Your current password was not right."),
])
def test_a_new_password_follows_the_same_rules_as_a_new_account(app, client, clock, current, new, again, message):
    _account(app, "officer@council.example", "officer", "council")
    _login(client, "officer@council.example")
    hash_before = _user(app, 1).password_hash
    response = _change(client, current, new, again)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _user(app, 1).password_hash == hash_before
    assert _user(app, 1).failed_logins == (1 if current == "not my password" else 0)


def test_changing_your_password_signs_out_your_other_sessions_but_not_this_one(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    other_computer = _signed_in(app, "officer@council.example")
    _login(client, "officer@council.example")
    assert "Change your password" in client.get("/staff/").get_data(as_text=True)  # the link on "Your account"
    response = _change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 200
    assert client.get("/staff/").status_code == 200
    assert other_computer.get("/staff/").status_code == 302
    assert REFUSED in _login(app.test_client(), "officer@council.example", PASSWORD).get_data(as_text=True)
    assert [action for action, _email, _detail in _audit(app)][:2] == ["login_failed", "password_changed"]


def test_wrong_current_passwords_count_towards_the_lockout_and_the_lock_signs_out(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    _login(client, "officer@council.example")
    token = _token(client, "/staff/account/password")
    for _ in range(4):
        assert _change(client, "a wrong guess", NEW_PASSWORD, token=token).status_code == 400
    locking = _change(client, "a wrong guess", NEW_PASSWORD, token=token)
    assert locking.status_code == 302 and locking.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302
    assert REFUSED in _login(app.test_client(), "officer@council.example").get_data(as_text=True)  # locked
    failures = [detail for action, _email, detail in _audit(app) if action == "password_change_failed"]
    assert failures[0] == {"reason": "wrong_password", "locked_for_minutes": 15} and len(failures) == 5


# --- CSRF on every new form -------------------------------------------------------------------------

@pytest.mark.parametrize("path, data", [
    ("/staff/admin/users/2/active", {"active": "0"}),
    ("/staff/admin/users/2/reset-password", {}),
    ("/staff/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                 "new_password_again": NEW_PASSWORD}),
])
@pytest.mark.parametrize("token", [None, "forged"])
def test_the_new_forms_refuse_a_missing_or_wrong_token_and_change_nothing(app, client, clock, database_url, path,
                                                                          data, token):
    _admin_and_officer(app)
    _login(client, "admin@example.org")
    _token(client, "/staff/admin/users")
    before = dump_every_table(database_url)
    response = client.post(path, data={**data, **({"csrf_token": token} if token else {})})
    assert response.status_code == 400 and "Nothing was changed" in response.get_data(as_text=True)
    assert dump_every_table(database_url) == before


# --- the per-address limit on sign-ins ----------------------------------------------------------------

def _from(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login_from(client, address, email, password=PASSWORD):
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/staff/login", **_from(address)).get_data(as_text=True)).group(1)
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token},
                       **_from(address))


def test_too_many_failed_sign_ins_from_one_address_answer_429_while_other_addresses_sign_in(app, client, clock,
                                                                                           database_url):
    _account(app, "officer@council.example", "officer", "council")
    office = "192.0.2.10"
    for _ in range(3):  # colleagues signing in do not use up the office's allowance
        assert _login_from(app.test_client(), office, "officer@council.example").status_code == 302
    for n in range(LIMIT):
        assert _login_from(client, office, f"guess{n}@council.example", "a wrong guess").status_code == 200, n
    refused = _login_from(client, office, "officer@council.example")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many attempts to sign in" in page and "Wait 10 minutes" in page
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert "default-src 'none'" in refused.headers["Content-Security-Policy"]  # the staff error page's headers
    assert _login_from(client, office, "officer@council.example").status_code == 429
    assert _login_from(app.test_client(), "198.51.100.7", "officer@council.example").status_code == 302
    # Nothing else is limited: the login form itself, and the chat API, from the same address.
    assert client.get("/staff/login", **_from(office)).status_code == 200
    assert client.post("/chat/api/messages", json={"text": "hello"}, **_from(office)).status_code != 429
    limited = [(email, detail) for action, email, detail in _audit(app) if action == "login_rate_limited"]
    assert limited == [(None, {"limit": "20 per 10 minute"})]  # once a window, with no address
    assert office not in repr(dump_every_table(database_url))


def test_the_limit_is_in_front_of_the_password_check(app, client, clock):
    _account(app, "officer@council.example", "officer", "council")
    for _ in range(LIMIT):
        _login_from(client, "192.0.2.20", "nobody@council.example", "a wrong guess")
    assert _login_from(client, "192.0.2.20", "officer@council.example").status_code == 429
    assert _user(app, 1).last_login_at is None  # the right password was not even tried


def _app_with(database_url, **config):
    from bot.conversations import forget_reference_data
    from webhook import create_app

    forget_reference_data()
    return create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True, **config})


def test_behind_a_configured_proxy_the_address_comes_from_x_forwarded_for(database_url):
    app = _app_with(database_url, trusted_proxy_count=1)
    try:
        _account(app, "officer@council.example", "officer", "council")
        client = app.test_client()
        proxy = "127.0.0.1"

        def attempt(forwarded_for):
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              client.get("/staff/login").get_data(as_text=True)).group(1)
            return client.post("/staff/login", data={"email": "x@council.example", "password": "a wrong guess",
                                                     "csrf_token": token},
                               headers={"X-Forwarded-For": forwarded_for}, **_from(proxy))
        for _ in range(LIMIT):
            attempt("203.0.113.5")
        assert attempt("203.0.113.5").status_code == 429
        # A client cannot choose its address by adding its own entry: the proxy's (last) one counts.
        assert attempt("198.51.100.1, 203.0.113.5").status_code == 429
        assert attempt("203.0.113.6").status_code == 200
    finally:
        app.extensions["safer_homes.engine"].dispose()


def test_without_a_configured_proxy_x_forwarded_for_is_ignored(app, client, clock):
    for n in range(LIMIT):
        token = _token(client)
        client.post("/staff/login", data={"email": "x@council.example", "password": "wrong", "csrf_token": token},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"}, **_from("192.0.2.30"))
    token = _token(client)
    refused = client.post("/staff/login", data={"email": "x@council.example", "password": "wrong",
                                                "csrf_token": token},
                          headers={"X-Forwarded-For": "203.0.113.200"}, **_from("192.0.2.30"))
    assert refused.status_code == 429


def test_workers_sharing_redis_share_the_count(database_url):
    # A fresh address each run: the real Redis keeps a window for 10 minutes.
    address = str(ipaddress.IPv4Address(int.from_bytes(b"\x0a" + secrets.token_bytes(3), "big")))
    apps = [_app_with(database_url, rate_limit_storage_url=REDIS_URL)]
    try:
        for _ in range(LIMIT):
            assert _login_from(apps[0].test_client(), address, "x@council.example", "wrong").status_code == 200
        # Another worker starts afterwards, with a store of its own: in memory it would know nothing.
        apps.append(_app_with(database_url, rate_limit_storage_url=REDIS_URL))
        assert _login_from(apps[1].test_client(), address, "x@council.example", "wrong").status_code == 429
        assert redis.Redis.from_url(REDIS_URL).keys(f"*{address}*")
    finally:
        for app in apps:
            app.extensions["safer_homes.engine"].dispose()


@pytest.mark.parametrize("value", ["one", "-1", "9"])
def test_a_mistyped_trusted_proxy_count_stops_start_up_with_its_name(value):
    from bot.settings import Settings

    with pytest.raises(ValueError, match="TRUSTED_PROXY_COUNT="):
        Settings.from_env({"TRUSTED_PROXY_COUNT": value, "SECRET_KEY": "x" * 32})
    assert Settings.from_env({"SECRET_KEY": "x" * 32}).trusted_proxy_count == 0
