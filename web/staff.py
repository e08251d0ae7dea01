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
survives), so a session fixed by someone else before login is worth nothing.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from babel.dates import format_datetime
from flask import (Blueprint, abort, current_app, g, make_response, redirect, render_template, request, session,
                   url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from flows import i18n
from flows.events import LONDON
from flows.i18n import _N
from storage import staff as staff_store
from storage.database import new_session
from storage.models import STAFF_ROLES, Agency

blueprint = Blueprint("staff", __name__, url_prefix="/staff")
csrf = CSRFProtect()
login_manager = LoginManager()

# A working day's length: a staff session on a shared office computer should not outlive the shift.
STAFF_SESSION_HOURS = 10

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


@dataclass(frozen=True)
class StaffIdentity(UserMixin):
    """The signed-in account as the pages need it: plain values, loaded once per request."""

    id: int
    email: str
    role: str
    agency_id: Optional[int]
    agency_slug: Optional[str]
    agency_name: Optional[str]

    def get_id(self) -> str:
        return str(self.id)


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
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = None  # the login page says what it needs to
    # The workspace's pages add their routes to this blueprint when imported; one module a concern.
    from web import staff_actions, staff_care, staff_events, staff_inbox, staff_report  # noqa: F401

    app.register_blueprint(blueprint)


@login_manager.user_loader
def _load_identity(user_id: str) -> Optional[StaffIdentity]:
    """The account behind the session cookie, re-read every request: a deactivated account is signed out
    at its next click."""
    if not user_id.isdigit():
        return None
    database = staff_session()
    user = staff_store.get_staff(database, staff_user_id=int(user_id))
    if user is None or not user.active:
        return None
    agency = database.get(Agency, user.agency_id) if user.agency_id else None
    return StaffIdentity(id=user.id, email=user.email, role=user.role, agency_id=user.agency_id,
                         agency_slug=agency.slug if agency else None,
                         agency_name=agency.names.get("en") if agency else None)


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


@blueprint.after_request
def protect_staff_pages(response):
    nonce = g.get("csp_nonce", "")
    # No scripts at all; only our own inline style; forms post only here; no framing (clickjacking).
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    # Reports and accounts must not stay in a shared computer's cache or travel in a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@blueprint.app_context_processor
def staff_page_context() -> dict:
    return {"csp_nonce": g.get("csp_nonce", ""), "staff": current_staff(), "role_labels": ROLE_LABELS,
            "lang_query": _lang_query()}


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


@blueprint.errorhandler(403)
def refuse_role(_error):
    # TRANSLATORS: title of the staff page shown when someone's role does not allow a page (e.g. a viewer opening the admin pages).
    return _error_page(403, _N("Not available to your account"),
                       # TRANSLATORS: on the staff pages, when a role does not allow a page.
                       _N("Your role does not include this page. Ask an administrator if you need it."))


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
    login_user(_load_identity(str(outcome.user.id)))
    return redirect(_safe_next(request.form.get("next")) or url_for("staff.home", **_lang_query()))


@blueprint.post("/logout")
def logout():
    identity = current_staff()
    if identity is not None:
        audit("logout")
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


@blueprint.get("/admin/audit")
@staff_required("admin")
def admin_audit():
    before = request.args.get("before", type=int)
    entries = staff_store.list_audit(staff_session(), limit=200, before_id=before)
    return render_template("staff/audit.html", entries=entries, when=_when)


def _when(moment) -> str:
    """A stored UTC time as London time in the page's language."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(LONDON), "medium", locale=g.get("lang", i18n.DEFAULT_LANGUAGE).replace("-", "_"))
