"""The staff pages' front door: signing in and out, who you are, and the admin's accounts and audit log.

For the pages built on this (the inbox, a report, its actions):

- ``@staff_required()`` on a view lets in any signed-in, active account; ``@staff_required("admin",
  "officer")`` only those roles (others get 403: the page exists for everyone who can read the code, so
  refusing it hides nothing; a *report* another agency may not see answers 404 instead, design.md).
  Someone not signed in is sent to /staff/login and back to the page afterwards.
- ``current_staff()`` is the signed-in account as a ``StaffIdentity`` (id, email, role, agency_id,
  agency_slug), or None. Read the agency from it, never from the request.
- ``audit(action, report_id=None, **detail)`` adds an entry for the current account to the audit log in
  the request's own session (``staff_session()``), committed with the change it records. Detail is ids,
  roles and reasons, never personal data.
- ``staff_session()`` is the request's database session, opened on first use and closed after the request.
- Every POST in the blueprint must carry ``csrf_token`` (Flask-WTF's CSRFProtect, checked here for
  this blueprint only: the webhooks and the chat API have their own checks); a missing or wrong token
  answers 400 and changes nothing. Templates put ``{{ csrf_token() }}`` in a hidden field.

Sessions are Flask's signed cookie, via Flask-Login: HttpOnly, SameSite=Lax, Secure when PUBLIC_BASE_URL
is https, lasting STAFF_SESSION_HOURS at most; signing in starts a new session (nothing from before it
survives), so a session fixed by someone else before login is worth nothing. A session names the account
and a fingerprint of its password hash, so a password reset or change signs out every other session.

POST /staff/login is rate-limited per remote address (Flask-Limiter, LOGIN_RATE_LIMIT failed attempts) in
front of the per-account lockout; the same limiter counts subject access lookups per admin
(web/staff_subjects.py) and wrong Open311 API keys per address (web/open311.py). While an account must
change its password (after an admin reset it), every staff page but that form and signing out leads to the
form.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Callable, Optional
from urllib.parse import urlencode, urlsplit

from babel.dates import format_datetime
from flask import (Blueprint, abort, current_app, g, make_response, redirect, render_template, request, session,
                   url_for)
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from flows import i18n
from flows.i18n import _N
from flows.working_days import LONDON
from storage import staff as staff_store
from storage.database import new_session
from storage.models import STAFF_ROLES, Agency

blueprint = Blueprint("staff", __name__, url_prefix="/staff")
csrf = CSRFProtect()
login_manager = LoginManager()

# A working day's length: a staff session on a shared office computer should not outlive the shift.
STAFF_SESSION_HOURS = 10

# Failed sign-ins from one address (docs/staff.md): generous, because a whole office shares one address;
# only failures count, so colleagues signing in each morning never meet it. The per-account lockout
# (5 in 15 minutes) stops guessing one password; this stops one address trying many accounts.
LOGIN_RATE_LIMIT = "20 per 10 minutes"

# Only the limits decorated on views apply (no default limits): the webhooks and the chat API are never
# limited here (their flood limits are bot/flood.py's). One fixed window per address; headers_enabled sends
# Retry-After with the 429. A rate store that cannot be reached (Redis down) lets the sign-in through to the
# lockout rather than refusing every sign-in. The store itself (memory or Redis) is set per app in install().
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="fixed-window", headers_enabled=True,
                  swallow_errors=True)

# Role names as staff read them, through the catalogue (marked here, translated in the page's language).
ROLE_LABELS = {
    # TRANSLATORS: a staff role on the staff pages: can add accounts and read the audit log.
    "admin": _N("Administrator"),
    # TRANSLATORS: a staff role: an officer of the council, a housing provider or the police who acts on reports.
    "officer": _N("Officer"),
    # TRANSLATORS: a staff role: someone who runs ward panels, forums and other meetings.
    "organiser": _N("Organiser"),
    # TRANSLATORS: a staff role: can read reports shared with their agency but not change them.
    "viewer": _N("Viewer"),
}


# How every staff page names a report's channel and status (the inbox, the report page, its forms).
CHANNEL_LABELS = {
    # TRANSLATORS: on the staff pages, the channel a report came through (a messaging app's name).
    "telegram": _N("Telegram"),
    # TRANSLATORS: on the staff pages, the channel a report came through (a messaging app's name).
    "whatsapp": _N("WhatsApp"),
    # TRANSLATORS: on the staff pages, the channel a report came through (text messages).
    "sms": _N("SMS"),
    # TRANSLATORS: on the staff pages, the channel a report came through (the chat on our website).
    "webchat": _N("Web chat"),
}

# Report statuses as staff read them.
STATUS_LABELS = {
    # TRANSLATORS: a report's status on the staff pages.
    "received": _N("Received"),
    # TRANSLATORS: a report's status on the staff pages.
    "in_progress": _N("In progress"),
    # TRANSLATORS: a report's status on the staff pages.
    "action_taken": _N("Action taken"),
    # TRANSLATORS: a report's status on the staff pages.
    "referred": _N("Referred"),
    # TRANSLATORS: a report's status on the staff pages.
    "closed": _N("Closed"),
}



def agency_label(names: dict) -> str:
    """An agency's name (Agency.names) in the page's language, else in English."""
    return names.get(g.get("lang", i18n.DEFAULT_LANGUAGE)) or names.get("en") or ""


@dataclass(frozen=True)
class StaffIdentity(UserMixin):
    """The signed-in account as the pages need it: plain values, loaded once per request."""

    id: int
    email: str
    role: str
    agency_id: Optional[int]
    agency_slug: Optional[str]
    agency_name: Optional[str]
    must_change_password: bool = False
    password_fingerprint: str = ""

    def get_id(self) -> str:
        # What the session cookie keeps: a new password hash (reset or change) no longer matches.
        return f"{self.id}:{self.password_fingerprint}"


def _password_fingerprint(password_hash: str) -> str:
    """A short digest of the (salted) hash: changes with every new password, and tells a cookie's reader
    nothing about the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def install(app, settings) -> None:
    """Sessions, CSRF and Flask-Login for the staff pages, and the blueprint itself."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Over plain http (http://127.0.0.1 while developing) a Secure cookie would never come back.
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=STAFF_SESSION_HOURS),
        # Checked only where the staff blueprint asks (see check_csrf); the token lives as long as the session.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
    )
    csrf.init_app(app)
    # Memory (one process) unless RATE_LIMIT_STORAGE_URL names a shared store such as Redis, which the
    # delivery pacing uses too; Flask-Limiter's keys have their own prefix there.
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.rate_limit_storage_url)
    limiter.init_app(app)
    # No `current_user` in every template: Flask-Login's context processor loads the account (a query) for
    # every page rendered, public ones included; the staff pages read `staff` (staff_page_context) instead.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = "staff.login"
    login_manager.login_message = None  # the login page says what it needs to
    # The workspace's pages add their routes to this blueprint when imported; one module a concern.
    from web import (audio_prompts, staff_actions, staff_care, staff_events, staff_inbox,  # noqa: F401
                     staff_public, staff_publishing, staff_report, staff_services, staff_subjects)

    app.register_blueprint(blueprint)

    @app.after_request
    def keep_session_cookies_out_of_shared_caches(response):
        # A signed-in officer who opens a public page (the figures, Open311, an event) sends their session
        # cookie, and Flask sends it back refreshed (permanent sessions) after this hook. A response marked
        # public may be kept by a proxy or CDN and handed, cookie and all, to the next visitor: with a
        # cookie to set it is for this browser alone. App hooks run after the blueprints' ones set caching.
        if response.cache_control.public and app.session_interface.should_set_cookie(app, session):
            response.cache_control.public = False
            response.cache_control.private = True
        return response


@login_manager.user_loader
def _load_identity(session_id: str) -> Optional[StaffIdentity]:
    """The account behind the session cookie, re-read every request: an account turned off, or whose
    password was reset or changed since this session began, is signed out at its next click."""
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = staff_store.get_staff(staff_session(), staff_user_id=int(user_id))
    if user is None or not user.active or not secrets.compare_digest(
            fingerprint, _password_fingerprint(user.password_hash)):
        return None
    if not _session_still_valid(user):
        return None
    return _identity_of(user)


def _session_still_valid(user) -> bool:
    """A session lasts STAFF_SESSION_HOURS from signing in, however busy (the cookie's own lifetime starts
    again with each request), and ends when its account signs out anywhere."""
    signed_in_at = session.get("signed_in_at")
    if not isinstance(signed_in_at, (int, float)):
        return False
    now = _now().timestamp()
    if now - signed_in_at > STAFF_SESSION_HOURS * 3600:
        return False
    return user.signed_out_at is None or signed_in_at >= user.signed_out_at.timestamp()


def _identity_of(user) -> StaffIdentity:
    agency = staff_session().get(Agency, user.agency_id) if user.agency_id else None
    return StaffIdentity(id=user.id, email=user.email, role=user.role, agency_id=user.agency_id,
                         agency_slug=agency.slug if agency else None,
                         agency_name=agency.names.get("en") if agency else None,
                         must_change_password=user.must_change_password,
                         password_fingerprint=_password_fingerprint(user.password_hash))


def staff_session():
    """The request's database session (one per request, closed at teardown)."""
    if "staff_db" not in g:
        g.staff_db = new_session(current_app.extensions["safer_homes.engine"])
    return g.staff_db


@blueprint.teardown_app_request
def _close_staff_session(_error) -> None:
    database = g.pop("staff_db", None)
    if database is not None:
        database.close()


def _now():
    return current_app.extensions["safer_homes.clock"]()


def current_staff() -> Optional[StaffIdentity]:
    """The signed-in staff account, or None."""
    return current_user if current_user.is_authenticated else None  # type: ignore[return-value]


def staff_required(*roles: str) -> Callable:
    """Let in signed-in accounts (of these roles, when given); 403 for other roles."""
    unknown = set(roles) - set(STAFF_ROLES)
    if unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            identity = current_staff()
            if identity is None:
                return login_manager.unauthorized()
            if roles and identity.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def audit(action: str, report_id: Optional[int] = None, **detail: Any):
    """Record what the current account did, in the request's session; the caller commits."""
    identity = current_staff()
    return staff_store.record_audit(staff_session(), action=action, now=_now(),
                                    staff_user_id=identity.id if identity else None, report_id=report_id, **detail)


# --- every staff response ----------------------------------------------------------------------------

@blueprint.before_request
def check_csrf() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)
    csrf.protect()  # only POST, PUT, PATCH and DELETE are checked; a refusal raises CSRFError (400)


@blueprint.before_request
def refuse_nul_characters():
    """PostgreSQL cannot store a NUL character in text (it raises, so the page would answer 500), and no
    person types one: refuse the whole request before anything reads it."""
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if any("\x00" in name or "\x00" in value for name, value in fields):
        # TRANSLATORS: title of the staff page shown when a form or address held characters that cannot be saved.
        return _error_page(400, _N("The form could not be read"),
                           # TRANSLATORS: on the staff pages, after a form was refused (the same words as for an expired form).
                           _N("Nothing was changed. Go back, reload the page and try again."))
    return None


# What someone who must change their password may still do: change it, or leave.
_OPEN_WHILE_CHANGING_PASSWORD = frozenset({"staff.change_password", "staff.logout", "staff.login"})


@blueprint.before_request
def send_to_change_password():
    """After an admin reset, the generated password opens nothing but the form that replaces it."""
    identity = current_staff()
    if identity is not None and identity.must_change_password and request.endpoint not in _OPEN_WHILE_CHANGING_PASSWORD:
        return redirect(url_for("staff.change_password", **_lang_query()))
    return None


@blueprint.after_request
def protect_staff_pages(response):
    nonce = g.get("csp_nonce", "")
    # No scripts at all; only our own inline style; forms post only here; no framing (clickjacking).
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; media-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    # Reports and accounts must not stay in a shared computer's cache or travel in a Referer to another site.
    # Our own forms do carry it: over https Flask-WTF refuses a form without a same-site Referer
    # (WTF_CSRF_SSL_STRICT), which with no Referer at all would be every form, sign-in first.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def _is_staff_address() -> bool:
    return request.path == "/staff" or request.path.startswith("/staff/")


@blueprint.app_context_processor
def staff_page_context() -> dict:
    """Every page's nonce and language links; the signed-in account only on the staff pages (their 404 for
    an address no route matches included). current_staff() loads the account from the database, which a
    public page has no use for, so a signed-in officer reading the public figures costs no query."""
    context = {"csp_nonce": g.get("csp_nonce", ""), "this_page_in": _this_page_in}
    if _is_staff_address():
        context.update(staff=current_staff(), role_labels=ROLE_LABELS, lang_query=_lang_query())
    return context


def _this_page_in(language_code: str) -> str:
    """This page's address in another language, keeping what else the address holds (the inbox's filters)."""
    arguments = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    return request.path + "?" + urlencode(arguments + [("lang", language_code)])


def _lang_query() -> dict:
    """?lang= carried from page to page (and through forms) once someone chose a language."""
    chosen = i18n.best_match(request.args.get("lang")) if request else None
    return {"lang": chosen} if chosen else {}


def _error_page(status: int, title: str, message: str):
    # The blueprint's after_request (protect_staff_pages) adds its headers to these responses too.
    return make_response(render_template("staff/error.html", title=title, message=message), status)


@blueprint.errorhandler(CSRFError)
def refuse_without_token(_error):
    # TRANSLATORS: title of the staff page shown when a form was sent without its security token.
    return _error_page(400, _N("The form had expired"),
                       # TRANSLATORS: on the staff pages, after a form was refused for its missing or old security token.
                       _N("Nothing was changed. Go back, reload the page and try again."))


@blueprint.errorhandler(RateLimitExceeded)
def refuse_too_many_logins(error):
    if error.response is not None:  # another limited page's own answer (its on_breach: web/staff_subjects.py)
        return error.response
    # Flask-Limiter's after_request adds Retry-After (seconds until this address's window ends).
    # TRANSLATORS: title of the staff page shown when too many sign-ins failed from one internet address (an office's).
    return _error_page(429, _N("Too many attempts to sign in"),
                       # TRANSLATORS: on the staff pages, after too many failed sign-ins from one address (often a whole office).
                       _N("Too many sign-ins failed from this network in the last few minutes. Wait 10 minutes and try "
                          "again. If you have forgotten your password, ask your administrator to reset it."))


def _failed_sign_in(response) -> bool:
    """Only failures count against an address: a failed sign-in shows the form again (200), a success
    redirects (302), and a refusal for the limit (429) is no attempt at all."""
    return response.status_code not in (302, 429)


def _audit_rate_limited(request_limit: RequestLimit) -> None:
    """Audit the first refusal of each window only, so a flood of attempts cannot fill the audit log; no
    address is kept (an office's address is no secret, but the log has no need of it)."""
    seconds_left = max(1, int(request_limit.reset_at - time.time()))
    if limiter.storage.incr(f"{request_limit.key}/audited", seconds_left) != 1:
        return
    staff_store.record_audit(staff_session(), action="login_rate_limited", now=_now(),
                             limit=str(request_limit.limit))
    staff_session().commit()


@blueprint.errorhandler(403)
def refuse_role(_error):
    # TRANSLATORS: title of the staff page shown when someone's role does not allow a page (e.g. a viewer opening the admin pages).
    return _error_page(403, _N("Not available to your account"),
                       # TRANSLATORS: on the staff pages, when a role does not allow a page.
                       _N("Your role does not include this page. Ask an administrator if you need it."))


def not_found_page():
    """One page for a reference that does not exist, a report the agency may not see and a staff address
    that leads nowhere (design.md): the same words and status, so the page never reveals that a report
    exists. web/errors.py answers every 404 under /staff/ with it, a URL the router cannot match included."""
    if "csp_nonce" not in g:  # the router failed before the blueprint's before_request ran
        g.csp_nonce = secrets.token_urlsafe(16)
    # TRANSLATORS: title of the staff page for an address that leads nowhere, or a report not shared with the officer's agency.
    response = _error_page(404, _N("Page not found"),
                           # TRANSLATORS: on the staff pages, for a missing page or a report the officer's agency cannot see.
                           _N("There is nothing here, or it is not shared with your agency. Check the reference and "
                              "try the inbox."))
    return protect_staff_pages(response)


# --- signing in and out ------------------------------------------------------------------------------

def _safe_next(target: Optional[str]) -> Optional[str]:
    """Only a path inside the staff pages: a login link must never send someone to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/") or "\\" in target:
        return None
    return target


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"], deduct_when=lambda response: _failed_sign_in(response),
               on_breach=_audit_rate_limited)
def login():
    if request.method == "GET":
        if current_staff() is not None:
            return redirect(url_for("staff.home", **_lang_query()))
        return render_template("staff/login.html", failed=False, email="", next=request.args.get("next", ""))
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    database = staff_session()
    outcome = staff_store.authenticate(database, email=email, password=password, now=_now())
    database.commit()
    if outcome.user is None:
        # One answer whatever went wrong: it never tells whether an address has an account or is locked.
        # 200, like any form shown again with its problem (a 401 would ask for HTTP authentication).
        return render_template("staff/login.html", failed=True, email=email[:254], next=request.form.get("next", ""))
    # A new session: nothing from before signing in (a planted session, an old CSRF token) carries over.
    session.clear()
    session.permanent = True
    session["signed_in_at"] = _now().timestamp()
    login_user(_identity_of(outcome.user))
    if outcome.user.must_change_password:
        return redirect(url_for("staff.change_password", **_lang_query()))
    return redirect(_safe_next(request.form.get("next")) or url_for("staff.home", **_lang_query()))


@blueprint.post("/logout")
def logout():
    identity = current_staff()
    if identity is not None:
        audit("logout")
        staff_store.record_sign_out(staff_session(), staff_user_id=identity.id, now=_now())
        staff_session().commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login", **_lang_query()))


@blueprint.get("/")
@staff_required()
def home():
    return render_template("staff/home.html")


# --- admin: accounts and the audit log -------------------------------------------------------------------

def _agencies():
    from sqlalchemy import select

    return staff_session().execute(select(Agency.slug, Agency.names).order_by(Agency.slug)).all()


@blueprint.route("/admin/users", methods=["GET", "POST"])
@staff_required("admin")
def admin_users():
    database = staff_session()
    form = {"email": "", "role": "officer", "agency": ""}
    problem = None
    added = None
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in ("email", "role", "agency")}
        given = request.form.get("password", "")
        password = given or staff_store.generate_password()
        try:
            user = staff_store.add_staff(database, email=form["email"], role=form["role"],
                                         agency_slug=form["agency"] or None, password=password, now=_now())
        except staff_store.StaffInputError as refused:
            database.rollback()
            problem = str(refused)
        else:
            audit("staff_added", account=user.id, role=user.role, agency=form["agency"] or None, by="admin page")
            database.commit()
            added = {"email": user.email, "password": None if given else password}
            form = {"email": "", "role": "officer", "agency": ""}
    status = 400 if problem else (201 if added else 200)
    page = render_template("staff/users.html", accounts=staff_store.list_staff(database), agencies=_agencies(),
                           roles=STAFF_ROLES, form=form, problem=problem, added=added, now=_now(),
                           when=_when)
    return page, status


def _account_page(*, status: int = 200, **outcome):
    """The accounts page after acting on one account: `done` (what changed, about `email`), `problem`
    (why not), or `reset` (an email and its new password, shown this once)."""
    page = render_template("staff/users.html", accounts=staff_store.list_staff(staff_session()), agencies=_agencies(),
                           roles=STAFF_ROLES, form={"email": "", "role": "officer", "agency": ""}, problem=None,
                           added=None, now=_now(), when=_when, account_outcome=outcome)
    return page, status


# Why an account could not be turned off, as the admin reads it.
ACCOUNT_REFUSALS = {
    # TRANSLATORS: on the staff accounts page when an administrator tries to turn off their own account.
    "own_account": _N("You cannot turn off your own account. Ask another administrator to do it."),
    # TRANSLATORS: on the staff accounts page when turning off this account would leave no administrator.
    "last_admin": _N("This is the last active administrator. Add or turn on another administrator first."),
}


@blueprint.post("/admin/users/<int:staff_user_id>/active")
@staff_required("admin")
def admin_user_active(staff_user_id: int):
    """Turn an account off (signed out at its next click) or back on; `active` is "0" or "1"."""
    wanted = request.form.get("active", "")
    if wanted not in ("0", "1"):
        # TRANSLATORS: on the staff accounts page when the turn on/off form came without a valid choice.
        return _account_page(status=400, problem=_N("Choose whether to turn the account on or off."))
    database = staff_session()
    try:
        user = staff_store.set_staff_active(database, staff_user_id=staff_user_id, active=wanted == "1", now=_now(),
                                            by_staff_user_id=current_staff().id)
    except staff_store.AccountChangeRefused as refused:
        database.rollback()
        return _account_page(status=400, problem=ACCOUNT_REFUSALS[refused.reason])
    if user is None:
        abort(404)
    database.commit()
    if user.active:
        # TRANSLATORS: on the staff accounts page after turning an account back on; %(email)s is its address.
        return _account_page(done=_N("%(email)s can sign in again."), email=user.email)
    # TRANSLATORS: on the staff accounts page after turning an account off; %(email)s is its address.
    return _account_page(done=_N("%(email)s is turned off and signed out."), email=user.email)


@blueprint.post("/admin/users/<int:staff_user_id>/reset-password")
@staff_required("admin")
def admin_user_reset(staff_user_id: int):
    """A new generated password, shown once; the account must replace it at its next sign-in."""
    database = staff_session()
    outcome = staff_store.reset_password(database, staff_user_id=staff_user_id, now=_now(),
                                         by_staff_user_id=current_staff().id)
    if outcome is None:
        abort(404)
    database.commit()
    user, password = outcome
    return _account_page(reset={"email": user.email, "password": password})


@blueprint.get("/admin/audit")
@staff_required("admin")
def admin_audit():
    before = request.args.get("before", type=int)
    entries = staff_store.list_audit(staff_session(), limit=200, before_id=before)
    return render_template("staff/audit.html", entries=entries, when=_when)


# --- your own password ------------------------------------------------------------------------------

# Why a new password was refused, as the person choosing it reads it (storage's WeakPassword.reason).
WEAK_PASSWORD_REASONS = {
    # TRANSLATORS: on the staff page for changing one's password; %(count)s is the minimum number of characters.
    "too_short": _N("The new password is too short: use at least %(count)s characters."),
    # TRANSLATORS: on the staff page for changing one's password; %(count)s is the maximum number of characters.
    "too_long": _N("The new password is too long: use at most %(count)s characters."),
    # TRANSLATORS: on the staff page for changing one's password, for a common or repetitive one such as "password1234".
    "too_common": _N("The new password is too easy to guess. A few unrelated words make a strong one."),
    # TRANSLATORS: on the staff page for changing one's password, when it contains the person's email address.
    "contains_email": _N("The new password contains your email address. Choose another."),
    # TRANSLATORS: on the staff page for changing one's password, when the new one is the same as the current one.
    "unchanged": _N("The new password is the same as the current one. Choose another."),
}


@blueprint.route("/account/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    """Change your own password: the current one first (wrong ones count towards the lockout)."""
    identity = current_staff()
    if request.method == "GET":
        return _password_page()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    problem, detail = None, {}
    if not current or not new:
        # TRANSLATORS: on the staff page for changing one's password, when a field was left empty.
        problem = _N("Fill in your current password and the new one twice.")
    elif new != request.form.get("new_password_again", ""):
        # TRANSLATORS: on the staff page for changing one's password, when the two new passwords differ.
        problem = _N("The two new passwords are not the same. Type the new one twice.")
    else:
        database = staff_session()
        try:
            outcome = staff_store.change_password(database, staff_user_id=identity.id, current_password=current,
                                                  new_password=new, now=_now())
        except staff_store.WeakPassword as weak:
            database.rollback()
            problem = WEAK_PASSWORD_REASONS[weak.reason]
            limits = {"too_short": staff_store.MIN_PASSWORD_LENGTH, "too_long": staff_store.MAX_PASSWORD_LENGTH}
            detail = {"count": limits[weak.reason]} if weak.reason in limits else {}
        else:
            database.commit()
            if outcome.locked_now or outcome.reason == "locked":
                # Whoever is at this screen could not prove the password: the session ends with the lock.
                logout_user()
                session.clear()
                return redirect(url_for("staff.login", **_lang_query()))
            if not outcome.changed:
                # TRANSLATORS: on the staff page for changing one's password, when the current password was wrong.
                problem = _N("Your current password was not right. After 5 wrong passwords your account is locked "
                             "for 15 minutes.")
            else:
                # The new hash ends every other session; this one carries on under the new fingerprint.
                login_user(_identity_of(staff_store.get_staff(database, staff_user_id=identity.id)))
                return _password_page(changed=True)
    return _password_page(problem=problem, problem_detail=detail), 400


def _password_page(*, problem: Optional[str] = None, problem_detail: Optional[dict] = None, changed: bool = False):
    return render_template("staff/account_password.html", problem=problem, problem_detail=problem_detail or {},
                           changed=changed, min_length=staff_store.MIN_PASSWORD_LENGTH)


def _when(moment) -> str:
    """A stored UTC time as London time in the page's language."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(LONDON), "medium", locale=g.get("lang", i18n.DEFAULT_LANGUAGE).replace("-", "_"))
