"""Staff accounts, the lockout and the audit log in storage (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError

from storage import staff
from storage.database import new_session
from storage.models import Agency, AuditEntry, StaffUser
from tests.helpers import dump_every_table

NOW = datetime(2027, 1, 14, 9, 0, tzinfo=timezone.utc)
PASSWORD = "a long enough passphrase"


def _add(session, email="officer@council.example", role="officer", agency_slug="council", password=PASSWORD):
    return staff.add_staff(session, email=email, role=role, agency_slug=agency_slug, password=password, now=NOW)


def test_an_account_keeps_a_lower_cased_email_and_an_argon2id_hash(engine):
    with new_session(engine) as session:
        user = _add(session, email="  Officer@Council.Example ")
        session.commit()
        assert user.email == "officer@council.example"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert staff.find_staff_by_email(session, email="OFFICER@council.example").id == user.id
        assert session.get(Agency, user.agency_id).slug == "council"
        assert staff.find_staff_by_email(session, email="nobody@council.example") is None


@pytest.mark.parametrize("email, role, agency, password, message", [
    ("not-an-address", "officer", "council", PASSWORD, "is not an email address"),
    ("a@b", "officer", "council", PASSWORD, "is not an email address"),
    ("x@council.example", "superuser", "council", PASSWORD, "there is no role 'superuser'"),
    ("x@council.example", "officer", "parks", PASSWORD, "there is no agency 'parks'"),
    ("x@council.example", "viewer", None, PASSWORD, "a viewer belongs to one agency"),
    ("x@council.example", "officer", "council", "short", "too short"),
    ("x@council.example", "officer", "council", "password1234", "too easy to guess"),
    ("x@council.example", "officer", "council", "aaaaaaaaaaaaaaaa", "too easy to guess"),
    ("marianne@council.example", "officer", "council", "marianne-2027-pw", "contains the email address"),
    ("OFFICER@council.example", "viewer", "police", PASSWORD, "already an account for officer@council.example"),
])
def test_bad_accounts_are_refused_with_a_reason_and_nothing_added(engine, database_url, email, role, agency, password,
                                                                 message):
    with new_session(engine) as session:
        _add(session)
        session.commit()
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(staff.StaffInputError, match=message):
            staff.add_staff(session, email=email, role=role, agency_slug=agency, password=password, now=NOW)
        session.commit()
    assert dump_every_table(database_url) == before


def test_an_admin_needs_no_agency_but_the_database_refuses_an_officer_without_one(engine):
    with new_session(engine) as session:
        admin = _add(session, email="admin@example.org", role="admin", agency_slug=None)
        session.commit()
        assert admin.agency_id is None and staff.has_admin(session)
        session.add(StaffUser(email="b@example.org", password_hash="x", role="officer", created_at=NOW))
        with pytest.raises(IntegrityError):
            session.flush()


def _login(session, password, at, email="officer@council.example"):
    outcome = staff.authenticate(session, email=email, password=password, now=at)
    session.commit()
    return outcome


def test_five_wrong_passwords_within_15_minutes_lock_the_account_for_15_minutes(engine):
    with new_session(engine) as session:
        _add(session)
        session.commit()
        outcomes = [_login(session, "wrong guess", NOW + timedelta(minutes=3 * n)) for n in range(5)]
        assert [outcome.reason for outcome in outcomes] == ["wrong_password"] * 5
        assert [outcome.locked_now for outcome in outcomes] == [False] * 4 + [True]
        locked_at = NOW + timedelta(minutes=12)
        # Locked: the right password does not work, and is not even checked.
        assert _login(session, PASSWORD, locked_at + timedelta(minutes=14, seconds=59)).reason == "locked"
        assert _login(session, PASSWORD, locked_at + timedelta(minutes=15)).reason == "ok"


def test_wrong_passwords_spread_over_more_than_15_minutes_do_not_lock(engine):
    with new_session(engine) as session:
        _add(session)
        session.commit()
        for n in range(8):
            assert not _login(session, "wrong guess", NOW + timedelta(minutes=4 * n)).locked_now
        assert _login(session, PASSWORD, NOW + timedelta(minutes=33)).reason == "ok"


def test_a_successful_login_starts_the_count_again(engine):
    with new_session(engine) as session:
        _add(session)
        session.commit()
        for n in range(4):
            _login(session, "wrong guess", NOW + timedelta(minutes=n))
        assert _login(session, PASSWORD, NOW + timedelta(minutes=5)).reason == "ok"
        for n in range(4):
            assert not _login(session, "wrong guess", NOW + timedelta(minutes=6 + n)).locked_now


def test_the_lockout_is_per_account(engine):
    with new_session(engine) as session:
        _add(session)
        _add(session, email="other@council.example")
        session.commit()
        for n in range(5):
            _login(session, "wrong guess", NOW + timedelta(minutes=n))
        assert _login(session, PASSWORD, NOW + timedelta(minutes=6), email="other@council.example").reason == "ok"


def test_an_unknown_address_and_a_turned_off_account_cannot_log_in(engine):
    with new_session(engine) as session:
        user = _add(session)
        user.active = False
        session.commit()
        assert _login(session, PASSWORD, NOW).reason == "inactive"
        assert _login(session, PASSWORD, NOW, email="nobody@council.example").reason == "unknown_email"


def test_login_attempts_are_audited_without_the_password_or_the_address_typed(engine, database_url):
    with new_session(engine) as session:
        user = _add(session)
        session.commit()
        for n in range(5):
            _login(session, "wrong guess", NOW + timedelta(minutes=n))
        _login(session, "typed by someone", NOW + timedelta(minutes=6), email="Stranger@Elsewhere.example")
        _login(session, PASSWORD, NOW + timedelta(minutes=30))
        entries = [(entry.action, entry.staff_user_id, entry.detail) for entry, _email in staff.list_audit(session)]
    assert entries == [
        ("login", user.id, {}),
        ("login_failed", None, {"reason": "unknown_email"}),
        ("login_failed", user.id, {"reason": "wrong_password", "locked_for_minutes": 15}),
    ] + [("login_failed", user.id, {"reason": "wrong_password"})] * 4
    stored = repr(dump_every_table(database_url))
    assert "wrong guess" not in stored and "typed by someone" not in stored and "stranger" not in stored.lower()
    assert PASSWORD not in stored


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_login(engine):
    with new_session(engine) as session:
        user = _add(session)
        old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
        user.password_hash = old
        session.commit()
        assert _login(session, PASSWORD, NOW).reason == "ok"
        assert user.password_hash != old and not staff.PASSWORD_HASHER.check_needs_rehash(user.password_hash)
        assert _login(session, PASSWORD, NOW + timedelta(minutes=1)).reason == "ok"


def test_the_audit_log_pages_back_newest_first(engine):
    with new_session(engine) as session:
        ids = [staff.record_audit(session, action="viewed", now=NOW + timedelta(seconds=n), report_id=n).id
               for n in range(5)]
        session.commit()
        first = staff.list_audit(session, limit=2)
        assert [entry.id for entry, _ in first] == ids[:-3:-1]
        older = staff.list_audit(session, limit=2, before_id=first[-1][0].id)
        assert [entry.id for entry, _ in older] == [ids[2], ids[1]]
        assert session.get(AuditEntry, ids[0]).report_id == 0


# --- turning accounts off, resets and changing one's own password ------------------------------------

def test_turning_an_account_off_and_on_is_audited_once_per_change(engine):
    with new_session(engine) as session:
        admin = _add(session, email="admin@example.org", role="admin", agency_slug=None)
        officer = _add(session)
        session.commit()
        assert staff.set_staff_active(session, staff_user_id=officer.id, active=False, now=NOW,
                                      by_staff_user_id=admin.id) is officer
        assert staff.set_staff_active(session, staff_user_id=officer.id, active=False, now=NOW) is officer  # no change
        session.commit()
        assert _login(session, PASSWORD, NOW).reason == "inactive"
        staff.set_staff_active(session, staff_user_id=officer.id, active=True, now=NOW, by="command line")
        session.commit()
        assert _login(session, PASSWORD, NOW).reason == "ok"
        assert staff.set_staff_active(session, staff_user_id=999, active=False, now=NOW) is None
        entries = [(entry.action, entry.staff_user_id, entry.detail) for entry, _email in staff.list_audit(session)
                   if entry.action.startswith("staff_")]
    assert entries == [("staff_reactivated", None, {"account": officer.id, "by": "command line"}),
                           ("staff_deactivated", admin.id, {"account": officer.id, "by": "admin page"})]


def test_an_admin_cannot_turn_off_their_own_account_nor_anyone_the_last_active_admin(engine, database_url):
    with new_session(engine) as session:
        admin = _add(session, email="admin@example.org", role="admin", agency_slug=None)
        other = _add(session, email="other.admin@example.org", role="admin", agency_slug=None)
        other.active = False
        session.commit()
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(staff.AccountChangeRefused, match="your own account") as own:
            staff.set_staff_active(session, staff_user_id=admin.id, active=False, now=NOW, by_staff_user_id=admin.id)
        assert own.value.reason == "own_account"
        with pytest.raises(staff.AccountChangeRefused, match="last active administrator") as last:
            staff.set_staff_active(session, staff_user_id=admin.id, active=False, now=NOW, by="command line")
        assert last.value.reason == "last_admin"
        session.commit()
    assert dump_every_table(database_url) == before
    with new_session(engine) as session:
        staff.set_staff_active(session, staff_user_id=other.id, active=True, now=NOW)
        assert not staff.set_staff_active(session, staff_user_id=admin.id, active=False, now=NOW).active
        session.commit()
        assert staff.has_admin(session)


def test_a_reset_gives_a_new_password_that_must_be_changed_and_clears_the_lockout(engine, database_url):
    with new_session(engine) as session:
        user = _add(session)
        session.commit()
        for n in range(5):
            _login(session, "wrong guess", NOW + timedelta(minutes=n))
        assert staff.is_locked(user, now=NOW + timedelta(minutes=5))
        reset_user, password = staff.reset_password(session, staff_user_id=user.id, now=NOW + timedelta(minutes=5))
        session.commit()
        assert reset_user is user and user.must_change_password and not staff.is_locked(user, now=NOW)
        assert _login(session, PASSWORD, NOW + timedelta(minutes=6)).reason == "wrong_password"
        assert _login(session, password, NOW + timedelta(minutes=7)).reason == "ok"
        assert staff.reset_password(session, staff_user_id=999, now=NOW) is None
        assert staff.list_audit(session, limit=3)[-1][0].detail == {"account": user.id, "by": "admin page"}
    assert password not in repr(dump_every_table(database_url))


def test_changing_ones_own_password(engine):
    with new_session(engine) as session:
        user = _add(session)
        user.must_change_password = True
        session.commit()
        wrong = staff.change_password(session, staff_user_id=user.id, current_password="nope",
                                      new_password="another long passphrase", now=NOW)
        assert wrong.reason == "wrong_password" and not wrong.changed and user.failed_logins == 1
        for new, reason in [("short", "too_short"), ("password1234", "too_common"), ("officer-2027-x", "contains_email"),
                            (PASSWORD, "unchanged"), ("x" * 300, "too_long")]:
            with pytest.raises(staff.WeakPassword) as weak:
                staff.change_password(session, staff_user_id=user.id, current_password=PASSWORD, new_password=new,
                                      now=NOW)
            assert weak.value.reason == reason
        changed = staff.change_password(session, staff_user_id=user.id, current_password=PASSWORD,
                                        new_password="another long passphrase", now=NOW)
        session.commit()
        assert changed.changed and not user.must_change_password and user.failed_logins == 0
        assert _login(session, PASSWORD, NOW).reason == "wrong_password"
        assert _login(session, "another long passphrase", NOW).reason == "ok"


def test_wrong_current_passwords_lock_the_account_like_wrong_logins(engine):
    with new_session(engine) as session:
        user = _add(session)
        session.commit()
        outcomes = [staff.change_password(session, staff_user_id=user.id, current_password="guess",
                                          new_password="another long passphrase", now=NOW + timedelta(minutes=n))
                    for n in range(6)]
        session.commit()
        assert [outcome.reason for outcome in outcomes] == ["wrong_password"] * 5 + ["locked"]
        assert [outcome.locked_now for outcome in outcomes] == [False] * 4 + [True, False]
        assert _login(session, PASSWORD, NOW + timedelta(minutes=6)).reason == "locked"
