"""Staff accounts and the audit log: who may sign in to the staff pages, with which role for which agency,
the lockout that stops password guessing, and the record of what each account did.

Passwords are hashed with argon2id (argon2-cffi's current defaults); a hash made with older parameters
is replaced at the next successful login, so raising the parameters needs no password reset.

The lockout (design.md, "Staff access") is per account, not per address, because offices share one:
wrong passwords are counted from the first one in a window of LOCKOUT_WINDOW; the LOCKOUT_THRESHOLD-th
within it locks the account for LOCKOUT_DURATION, during which even the right password is refused.

Accounts are turned off rather than deleted (set_staff_active), and an admin's reset (reset_password)
makes the account choose its own password before anything else (must_change_password), through
change_password, which counts a wrong current password towards the lockout like a wrong login.

Every function takes the session first and keyword-only arguments, and never commits: the caller's
transaction holds the login and its audit entry together.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlmodel import Session

from storage.models import STAFF_ROLES, Agency, AuditEntry, StaffUser

LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)

MIN_PASSWORD_LENGTH = 12
# argon2 would hash a megabyte happily; a limit keeps a login form from becoming a way to burn CPU.
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254

# One hasher for the process: argon2id with the library's current recommended parameters.
PASSWORD_HASHER = PasswordHasher()

# Deliberately loose: one @, something before it, a dotted domain after, no spaces. Whether the address
# really receives mail is for the admin adding the account to know.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

# The passwords people most often choose when told "at least 12 characters"; refused outright.
_COMMON_PASSWORDS = frozenset({
    "password1234", "password12345", "password123456", "passwordpassword", "123456789012", "1234567890123",
    "qwertyuiopas", "qwerty123456", "iloveyou1234", "letmein12345", "welcome12345", "administrator",
    "towerhamlets", "towerhamlets1", "saferhomes123", "changeme1234",
})


class StaffInputError(ValueError):
    """An account that cannot be added as given; the message says what to change."""


class DuplicateStaff(StaffInputError):
    """There is already an account with this email address."""


class WeakPassword(StaffInputError):
    """A password too short, too common or too close to the email address. `reason` names which, so a
    page can say it in the reader's language: "too_short", "too_long", "too_common", "contains_email"
    or "unchanged"."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


class AccountChangeRefused(StaffInputError):
    """A change to an account that would leave the service worse off; `reason` says which rule:
    "own_account" (an admin turning off their own account) or "last_admin"."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


# --- passwords -------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return PASSWORD_HASHER.hash(password)


def generate_password() -> str:
    """A strong password for a new account (about 120 bits), printed once and never stored in clear."""
    return secrets.token_urlsafe(15)


def check_password_strength(password: str, *, email: str = "") -> None:
    """Refuse what would fall to a guess (NIST SP 800-63B: length and a list of common ones, no
    composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters",
                           reason="too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters",
                           reason="too_long")
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(lowered)) < 4:
        raise WeakPassword("the password is too easy to guess: leave --password out to have one generated",
                           reason="too_common")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        raise WeakPassword("the password contains the email address: choose another", reason="contains_email")


def normalise_email(email: str) -> str:
    """The address as stored and looked up: trimmed and lower-cased, so one person has one account."""
    cleaned = (email or "").strip().lower()
    if len(cleaned) > MAX_EMAIL_LENGTH or not _EMAIL.match(cleaned):
        raise StaffInputError(f"{email!r} is not an email address")
    return cleaned


# --- accounts --------------------------------------------------------------------------------------

def add_staff(
    session: Session, *, email: str, role: str, password: str, now: datetime, agency_slug: Optional[str] = None,
) -> StaffUser:
    """Add an account; everything is checked first (email, role, agency, a unique address, the password's
    strength), so a refusal changes nothing."""
    address = normalise_email(email)
    if role not in STAFF_ROLES:
        raise StaffInputError(f"there is no role {role!r}: choose one of {', '.join(STAFF_ROLES)}")
    agency_id = None
    if agency_slug:
        agency_id = session.execute(select(Agency.id).where(Agency.slug == agency_slug)).scalar_one_or_none()
        if agency_id is None:
            slugs = ", ".join(session.execute(select(Agency.slug).order_by(Agency.slug)).scalars())
            raise StaffInputError(f"there is no agency {agency_slug!r}: choose one of {slugs}")
    elif role != "admin":
        raise StaffInputError(f"a {role} belongs to one agency: give its slug (--agency council, housing, police...)")
    if find_staff_by_email(session, email=address) is not None:
        raise DuplicateStaff(f"there is already an account for {address}")
    check_password_strength(password, email=address)
    user = StaffUser(email=address, password_hash=hash_password(password), role=role, agency_id=agency_id,
                     created_at=now)
    session.add(user)
    session.flush()
    return user


def find_staff_by_email(session: Session, *, email: str) -> Optional[StaffUser]:
    """The account for this address however it was typed, or None (also for something not an address)."""
    try:
        address = normalise_email(email)
    except StaffInputError:
        return None
    return session.execute(select(StaffUser).where(StaffUser.email == address)).scalar_one_or_none()


def get_staff(session: Session, *, staff_user_id: int) -> Optional[StaffUser]:
    return session.get(StaffUser, staff_user_id)


def list_staff(session: Session) -> list[tuple[StaffUser, Optional[str]]]:
    """Every account with its agency's slug, by email, for the admin's list."""
    rows = session.execute(
        select(StaffUser, Agency.slug).outerjoin(Agency, Agency.id == StaffUser.agency_id).order_by(StaffUser.email)
    ).all()
    return [(user, slug) for user, slug in rows]


def has_admin(session: Session) -> bool:
    """Whether any active admin exists (demo-data adds the first one to a new database only)."""
    return session.execute(
        select(func.count()).select_from(StaffUser).where(StaffUser.role == "admin", StaffUser.active.is_(True))
    ).scalar_one() > 0


def set_staff_active(
    session: Session, *, staff_user_id: int, active: bool, now: datetime, by_staff_user_id: Optional[int] = None,
    by: str = "admin page",
) -> Optional[StaffUser]:
    """Turn an account off (it is signed out at its next click) or back on, audited as staff_deactivated
    or staff_reactivated. None when there is no such account; an account already as asked is returned
    unchanged and nothing is recorded.

    Refused with AccountChangeRefused, nothing changed: an admin turning off their own account, and
    turning off the last active admin (either could leave nobody able to turn accounts on again from the
    pages). The active admins' rows are locked first (PostgreSQL), so two admins turning each other off at
    the same moment cannot both succeed."""
    user = session.get(StaffUser, staff_user_id)
    if user is None:
        return None
    if user.active == active:
        return user
    if not active:
        if by_staff_user_id == user.id:
            raise AccountChangeRefused("you cannot turn off your own account: ask another administrator",
                                       reason="own_account")
        if user.role == "admin":
            admins = session.execute(
                select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.active.is_(True))
                .order_by(StaffUser.id).with_for_update()
            ).scalars().all()
            if not set(admins) - {user.id}:
                raise AccountChangeRefused(
                    "this is the last active administrator: turn another administrator on or add one first",
                    reason="last_admin")
    user.active = active
    if not active:
        # Its sessions end now, not only while it is off: turned on again later (after a lost laptop, say),
        # a session cookie copied before would otherwise open the pages again.
        user.signed_out_at = now
    session.add(user)
    record_audit(session, action="staff_reactivated" if active else "staff_deactivated", now=now,
                 staff_user_id=by_staff_user_id, account=user.id, by=by)
    return user


def reset_password(
    session: Session, *, staff_user_id: int, now: datetime, by_staff_user_id: Optional[int] = None,
    by: str = "admin page",
) -> Optional[tuple[StaffUser, str]]:
    """Give an account a new generated password, returned once for the admin to pass on privately; the
    account must choose its own at its next sign-in (must_change_password), so the generated one is used
    once only. The lockout counters start again (a locked-out person is the usual reason for a reset).
    Audited as password_reset, without the password. None when there is no such account."""
    user = session.get(StaffUser, staff_user_id)
    if user is None:
        return None
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    session.add(user)
    record_audit(session, action="password_reset", now=now, staff_user_id=by_staff_user_id, account=user.id, by=by)
    return user, password


@dataclass(frozen=True)
class PasswordChange:
    """What an attempt to change one's own password came to: reason "ok", "wrong_password" (counted
    towards the lockout; `locked_now` when it locked the account) or "locked" (not even checked)."""

    reason: str
    locked_now: bool = False

    @property
    def changed(self) -> bool:
        return self.reason == "ok"


def change_password(
    session: Session, *, staff_user_id: int, current_password: str, new_password: str, now: datetime,
) -> PasswordChange:
    """Change one's own password, proving the current one first: a wrong current password counts towards
    the lockout exactly as a wrong one at the login form does (an unlocked computer must not become a
    way round it). A new password that add_staff would refuse, or the current one again, raises
    WeakPassword and changes nothing. Audited as password_changed or password_change_failed."""
    user = session.get(StaffUser, staff_user_id)
    if user is None or not user.active:
        raise StaffInputError("there is no such active account")
    if is_locked(user, now=now):
        record_audit(session, action="password_change_failed", now=now, staff_user_id=user.id, reason="locked")
        return PasswordChange(reason="locked")
    if not _password_matches(user.password_hash, current_password[:MAX_PASSWORD_LENGTH + 1]):
        locked_now = record_failed_login(session, user=user, now=now)
        detail: dict[str, Any] = {"reason": "wrong_password"}
        if locked_now:
            detail["locked_for_minutes"] = int(LOCKOUT_DURATION.total_seconds() // 60)
        record_audit(session, action="password_change_failed", now=now, staff_user_id=user.id, **detail)
        return PasswordChange(reason="wrong_password", locked_now=locked_now)
    check_password_strength(new_password, email=user.email)
    if new_password == current_password:
        raise WeakPassword("the new password is the current one: choose another", reason="unchanged")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.failed_logins, user.first_failed_at = 0, None
    session.add(user)
    record_audit(session, action="password_changed", now=now, staff_user_id=user.id)
    return PasswordChange(reason="ok")


# --- signing in and the lockout ------------------------------------------------------------------------

def is_locked(user: StaffUser, *, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def record_failed_login(session: Session, *, user: StaffUser, now: datetime) -> bool:
    """Count a wrong password; returns True when this one locks the account. While it is locked nothing
    is counted, so a lock lasts LOCKOUT_DURATION from the attempt that caused it, however many follow."""
    if is_locked(user, now=now):
        return False
    if user.first_failed_at is None or now - user.first_failed_at >= LOCKOUT_WINDOW:
        user.failed_logins, user.first_failed_at = 1, now
    else:
        user.failed_logins += 1
    locks = user.failed_logins >= LOCKOUT_THRESHOLD
    if locks:
        user.locked_until = now + LOCKOUT_DURATION
        user.failed_logins, user.first_failed_at = 0, None
    session.add(user)
    return locks


def record_login(session: Session, *, user: StaffUser, password: str, now: datetime) -> None:
    """A successful login: the count of wrong passwords starts again, and a hash made with older argon2
    parameters is replaced by one with the current ones (only now is the password in hand)."""
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)


@dataclass(frozen=True)
class LoginOutcome:
    """What a login attempt came to. `user` is set only when it succeeded; `reason` is for the audit
    log, never for the person at the form (who is told the same thing whatever went wrong)."""

    user: Optional[StaffUser]
    reason: str  # "ok" | "unknown_email" | "wrong_password" | "locked" | "inactive"
    account_id: Optional[int] = None
    locked_now: bool = False


_DUMMY_HASH: list[str] = []


def record_sign_out(session: Session, *, staff_user_id: int, now: datetime) -> None:
    """End every session of this account that began before `now` (web/staff.py checks it each request)."""
    user = session.get(StaffUser, staff_user_id)
    if user is not None:
        user.signed_out_at = now
        session.flush()


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, *, email: str, password: str, now: datetime) -> LoginOutcome:
    """Check a login and record its effect on the account (counted failure, lock, or success) and in the
    audit log. An unknown address costs the same hashing time as a known one, so timing does not tell
    whether an account exists either. The caller commits."""
    user = find_staff_by_email(session, email=email)
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH + 1]  # still wrong, but never a long hash
    if user is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
        _password_matches(_DUMMY_HASH[0], password)
        outcome = LoginOutcome(user=None, reason="unknown_email")
    elif is_locked(user, now=now):
        # Not even checked: a locked account cannot be used to test guesses.
        outcome = LoginOutcome(user=None, reason="locked", account_id=user.id)
    elif not _password_matches(user.password_hash, password):
        locked_now = record_failed_login(session, user=user, now=now)
        outcome = LoginOutcome(user=None, reason="wrong_password", account_id=user.id, locked_now=locked_now)
    elif not user.active:
        outcome = LoginOutcome(user=None, reason="inactive", account_id=user.id)
    else:
        record_login(session, user=user, password=password, now=now)
        outcome = LoginOutcome(user=user, reason="ok", account_id=user.id)
    if outcome.user is not None:
        record_audit(session, action="login", now=now, staff_user_id=user.id)
    else:
        detail: dict[str, Any] = {"reason": outcome.reason}
        if outcome.locked_now:
            detail["locked_for_minutes"] = int(LOCKOUT_DURATION.total_seconds() // 60)
        record_audit(session, action="login_failed", now=now, staff_user_id=outcome.account_id, **detail)
    return outcome


# --- the audit log ---------------------------------------------------------------------------------

def record_audit(
    session: Session, *, action: str, now: datetime, staff_user_id: Optional[int] = None,
    report_id: Optional[int] = None, **detail: Any,
) -> AuditEntry:
    """Write one audit entry. `detail` must be ids, roles, statuses and reasons only (it is shown to admins
    and kept): never a name, contact detail, password or a resident's words."""
    entry = AuditEntry(at=now, staff_user_id=staff_user_id, action=action, report_id=report_id, detail=detail)
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    session: Session, *, limit: int = 200, before_id: Optional[int] = None, staff_user_id: Optional[int] = None,
) -> list[tuple[AuditEntry, Optional[str]]]:
    """The newest entries first, each with the email of the account it concerns (None for the service or
    an unknown address); `before_id` pages back through older ones."""
    query = select(AuditEntry, StaffUser.email).outerjoin(StaffUser, StaffUser.id == AuditEntry.staff_user_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if staff_user_id is not None:
        query = query.where(AuditEntry.staff_user_id == staff_user_id)
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
    return [(entry, email) for entry, email in rows]
