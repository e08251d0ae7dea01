"""Subject access and erasure requests, for admins (/staff/admin/subjects): a resident, or someone for them,
asks the council what it holds about them, or to delete it (docs/staff.md, "Subject access and erasure").

An admin types the channel and the address the person gives (or an anonymous report's reference) and sees what
`safer-homes subject access` prints (bot/subject_access.py), can download it as JSON, and can erase the person
behind a confirmation. There is no list and no search: nothing is shown without the exact address, so the page
cannot be used to browse who wrote to us. Every form posts (an address never goes in a page address, where
browser history and proxies keep it), carries the CSRF token, and counts against a limit per account
(SUBJECT_LOOKUP_LIMIT), so an admin cannot try number after number. Every lookup, download and erasure is
audited with the channel, whether anything was found and counts: never the address or the person's words.
Officers, organisers and viewers get the staff pages' 403.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from flask import current_app, g, make_response, render_template, request
from flask_limiter import RequestLimit

from bot import subject_access as requests
from flows.i18n import _N
from storage import staff as staff_store
from web.staff import (CHANNEL_LABELS, _error_page, _now, audit, blueprint, current_staff, limiter, protect_staff_pages,
                       staff_required, staff_session)

# Lookups (a search, a download or an erasure) per admin account: a request from a resident takes a handful;
# trying numbers to see who wrote to us would need thousands.
SUBJECT_LOOKUP_LIMIT = "20 per hour;60 per day"

PROBLEMS = {
    # TRANSLATORS: on the staff subject access page when the channel chosen is not one offered.
    "channel": _N("Choose Telegram, WhatsApp or SMS."),
    # TRANSLATORS: on the staff subject access page when the address typed is not a phone number or Telegram chat id.
    "address": _N("Type the phone number (such as 07700 900123 or +447700900123) or the Telegram id (digits only)."),
    # TRANSLATORS: on the staff subject access page when the reference typed is not like TH-XXXX-XXXX.
    "reference": _N("Type a reference like TH-7K3M-9QXR."),
    # TRANSLATORS: on the staff subject access page when neither an address nor a reference was given.
    "nothing": _N("Give the channel and the address, or a reference."),
}


def _limit_key() -> str:
    identity = current_staff()
    return f"subject-lookup/{identity.id if identity else 'none'}"


def _too_many_lookups(request_limit: RequestLimit):
    """The limit's own page (the staff blueprint answers RateLimitExceeded with it), audited once a window."""
    seconds_left = max(1, int(request_limit.reset_at - time.time()))
    if limiter.storage.incr(f"{request_limit.key}/audited", seconds_left) == 1:
        identity = current_staff()
        staff_store.record_audit(staff_session(), action="subject_lookup_rate_limited", now=_now(),
                                 staff_user_id=identity.id if identity else None, limit=str(request_limit.limit))
        staff_session().commit()
    if "csp_nonce" not in g:  # the limit is checked before the blueprint's own before_request
        g.csp_nonce = secrets.token_urlsafe(16)
    # TRANSLATORS: title of the staff page shown when an administrator looked up too many addresses in a short time.
    page = _error_page(429, _N("Too many lookups"),
                       # TRANSLATORS: on the staff pages, after too many subject access lookups by one administrator.
                       _N("You have looked up many addresses in a short time. Try again in an hour. If a request "
                          "needs more, ask another administrator."))
    return protect_staff_pages(page)


# One allowance for the three forms together (a download or an erasure is a lookup too).
_limited = limiter.shared_limit(SUBJECT_LOOKUP_LIMIT, scope="subject-lookup", key_func=_limit_key, methods=["POST"],
                                on_breach=_too_many_lookups)


@blueprint.get("/admin/subjects")
@staff_required("admin")
def subjects():
    return _page()


@blueprint.post("/admin/subjects")
@_limited
@staff_required("admin")
def subjects_lookup():
    """Show what is held for an address (or a reference)."""
    found = _look_up()
    if not isinstance(found, Found):
        return found
    return _page(form=found.form, answer=found.answer, summary=_summary(found.answer))


@blueprint.post("/admin/subjects/download")
@_limited
@staff_required("admin")
def subjects_download():
    """The same as JSON, as a file to send to the person (after the data protection officer has read it)."""
    found = _look_up(download=True)
    if not isinstance(found, Found):
        return found
    response = make_response(json.dumps(found.answer, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="subject-access.json"'
    return response


@blueprint.post("/admin/subjects/erase")
@_limited
@staff_required("admin")
def subjects_erase():
    """First a confirmation showing what will go; with confirm=yes, forget the person."""
    form = _form()
    problem = _address_problem(form)
    if problem:
        return _page(form=form, problem=problem), 400
    database = staff_session()
    if request.form.get("confirm") != "yes":
        answer = requests.access(database, _settings(), channel=form["channel"], address=form["address"])
        return _page(form=form, confirm_erase=True, answer=answer, summary=_summary(answer))
    erased = requests.erase(database, _settings(), channel=form["channel"], address=form["address"], now=_now(),
                            channels=current_app.extensions["safer_homes.deliverer"].channels)
    counts = requests.erased_counts(erased)
    audit("subject_erased", channel=form["channel"], by="admin page", **counts)
    database.commit()
    return _page(form={"channel": form["channel"], "address": "", "reference": ""}, erased=counts)


@dataclass(frozen=True)
class Found:
    answer: dict
    form: dict  # as typed, the address as the channel stores it: the result's buttons post it again


def _look_up(*, download: bool = False):
    """What is held, audited (a Found); or the form again with its problem (a (page, 400) tuple)."""
    form = _form()
    database = staff_session()
    if form["reference"] and not form["address"]:
        try:
            answer = requests.access_by_reference(database, reference=form["reference"])
        except requests.AddressRefused:
            return _page(form=form, problem="reference"), 400
        audit("subject_access", by_reference=True, found=answer["found"], download=download, by="admin page")
        database.commit()
        return Found(answer=answer, form=form)
    problem = _address_problem(form)
    if problem:
        return _page(form=form, problem=problem), 400
    answer = requests.access(database, _settings(), channel=form["channel"], address=form["address"])
    audit("subject_access", channel=form["channel"], found=answer["found"], reports=len(answer.get("reports", [])),
          download=download, by="admin page")
    database.commit()
    return Found(answer=answer, form=form)


def _form() -> dict:
    return {name: request.form.get(name, "").strip()[:200] for name in ("channel", "address", "reference")}


def _address_problem(form: dict):
    """Why the channel and address cannot be looked up (a PROBLEMS key), or None; normalises the address."""
    if not form["address"]:
        return "nothing"
    if form["channel"] not in requests.CHANNELS:
        return "channel"
    try:
        form["address"] = requests.normalise_address(form["channel"], form["address"])
    except requests.AddressRefused:
        return "address"
    return None


def _summary(answer: dict) -> dict:
    """Counts for the page's sentence above the full answer."""
    if answer.get("request") == "report_access":
        return {"reports": 1 if answer["found"] else 0}
    return {name: len(answer.get(name) or []) for name in ("reports", "rsvps", "agenda_items", "agenda_backings",
                                                            "messages")}


def _settings():
    return current_app.extensions["safer_homes.settings"]


def _page(*, form: dict | None = None, problem: str | None = None, answer: dict | None = None,
          summary: dict | None = None, confirm_erase: bool = False, erased: dict | None = None):
    return render_template(
        "staff/subjects.html", form=form or {"channel": "", "address": "", "reference": ""}, problem=problem,
        problems=PROBLEMS, answer=answer, summary=summary or {}, confirm_erase=confirm_erase, erased=erased,
        answer_json=json.dumps(answer, ensure_ascii=False, indent=2) if answer is not None else "",
        channels=requests.CHANNELS, channel_labels=CHANNEL_LABELS)
