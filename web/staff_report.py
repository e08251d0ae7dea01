"""One report as an agency may see it (GET /staff/reports/<reference>): the resident's words beside a
labelled machine translation, photos and voice notes, the history; 404 for a report not shared with the
account's agency (storage/casework.py).

For the actions (web/staff_actions.py): ``render_report_page(reference, status_code=..., **action_context)``
loads the report through the access rule (404 if hidden), audits the view, commits, and renders
staff/report.html; staff/report_actions.html is included (only for accounts that may act) with
``action_context`` (the keyword arguments, as a dict), ``report`` (the Report), ``shared``
(casework.SharedReport), ``scope`` (casework.StaffScope) and ``sharing`` (casework.Sharing list) in reach.
Call it with nothing of your own pending in ``staff_session()``: it commits.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Optional

from cryptography.fernet import InvalidToken
from flask import abort, current_app, make_response, render_template
from werkzeug.security import safe_join

from flows import i18n
from flows.i18n import _N
from flows.working_days import add_working_days
from flows.report import CATEGORIES, DAYPARTS, WHEN
from storage import casework, report_translation
from web.staff import (CHANNEL_LABELS, STATUS_LABELS, _now, _when, agency_label, audit, blueprint, current_staff,
                       staff_required, staff_session)

log = logging.getLogger(__name__)

# Reference codes as storage makes them (Crockford base32: no I, L, O, U); anything else is not looked up.
_REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")

# A kept file's name as bot/media.keep_media makes it: random hex and an extension.
_MEDIA_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}(\.[A-Za-z0-9]{1,8})?")

# What the type of each kept file is, by its extension (bot/media.py names files by the type sniffed from
# their content, so the extension is the content's own). Anything else is offered as a download only.
MEDIA_CONTENT_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".mp3": "audio/mpeg", ".amr": "audio/amr",
    ".m4a": "audio/mp4", ".mp4": "video/mp4",
    ".3gp": "audio/3gpp",  # bot/media.py keeps a 3GP only when it holds nothing but sound
    ".webm": "audio/webm",  # the web chat's recordings: bot/media.py keeps a WebM only when it is sound alone
}

# Written-right-to-left languages a resident may write in, shipped for the interface or not.
_RTL_LANGUAGES = {"ar", "ur", "fa", "he", "ps", "ckb", "yi", "dv", "sd", "ug"}

PRIVACY_EXPLAINED = {
    # TRANSLATORS: on a staff report page: what "anonymous" means for this report.
    "anonymous": _N("Anonymous: nobody knows who sent this. The service keeps no link to the sender, who "
                    "follows the report by its reference only."),
    # TRANSLATORS: on a staff report page: what "private" means for this report.
    "private": _N("Private: the service can send updates, but nobody sees who sent it."),
    # TRANSLATORS: on a staff report page: what "named" means for this report.
    "named": _N("Named: the resident shared their name and a way to reach them with the agencies they chose."),
}



def _language_of(code: str) -> dict:
    """The resident's language as the page marks it up: code, its own name, direction."""
    known = i18n.BY_CODE.get(code)
    rtl = known.rtl if known else code.split("-")[0].lower() in _RTL_LANGUAGES
    return {"code": code, "endonym": known.endonym if known else code, "dir": "rtl" if rtl else "ltr"}


def _agency_name(agency) -> str:
    if agency is None:
        return ""
    return agency_label(agency.names) or agency.slug


def _response_clock(sharing: casework.SharedReport, agency, now: datetime) -> dict:
    """This agency's clock: due its target in working days after the report reached it (flows/working_days);
    overdue while it has not responded by then."""
    due = add_working_days(sharing.sharing.shared_at, agency.target_working_days)
    responded_at = sharing.sharing.responded_at
    return {"due": due, "target": agency.target_working_days, "responded_at": responded_at,
            "overdue": responded_at is None and now > due, "late": responded_at is not None and responded_at > due}


def _translation(report) -> dict:
    """English beside the resident's words: kept from the first view, else asked of TRANSLATOR now (with no
    transaction open: a slow translator must hold no lock) and kept. Never re-sent once kept."""
    if not report_translation.needs_translation(report.language) or not report.description.strip():
        return {"state": "not_needed"}
    database = staff_session()
    cached = report_translation.cached_translation(database, report_id=report.id)
    if cached is not None:
        return {"state": "ready", "text": cached.text, "engine": cached.engine}
    translator = current_app.extensions["safer_homes.translator"]
    if not translator.enabled:
        return {"state": "not_configured"}
    database.commit()  # nothing pending but the view's audit entry; ends the transaction before the wait
    made = translator.translate(report.description, source=report.language, target="en")
    if made is None:
        log.info("report %s: no machine translation this time", report.reference)
        return {"state": "unavailable", "engine": translator.name}
    report_translation.save_translation(database, report_id=report.id, translation=made.text, engine=made.engine_name)
    database.commit()
    # Another officer's translation may have been kept first: show what is kept.
    cached = report_translation.cached_translation(database, report_id=report.id)
    return {"state": "ready", "text": cached.text if cached else made.text,
            "engine": cached.engine if cached else made.engine_name}


def _reporter_name(shared: casework.SharedReport) -> Optional[str]:
    sealed = casework.sealed_reporter_name(staff_session(), report_id=shared.report.id)
    if not sealed:
        return None
    try:
        return current_app.extensions["safer_homes.settings"].key_ring.sealer.open(sealed)
    except InvalidToken:  # sealed under a SECRET_KEY this process no longer has
        log.warning("report %s: the reporter's name could not be unsealed", shared.report.reference)
        return None


def find_report(reference: str) -> tuple[casework.SharedReport, casework.StaffScope]:
    """The report if the signed-in account's agency may see it; 404 (the same page as for no such
    report) otherwise."""
    identity = current_staff()
    if identity is None:
        abort(404)
    reference = reference.strip().upper()
    if not _REFERENCE.fullmatch(reference):
        abort(404)
    scope = casework.StaffScope(agency_id=identity.agency_id, role=identity.role)
    shared = casework.shared_report(staff_session(), reference=reference, scope=scope)
    if shared is None:
        abort(404)
    return shared, scope


def render_report_page(reference: str, *, status_code: int = 200, **action_context):
    """The report page for the signed-in account (see the module docstring); 404 if hidden."""
    shared, scope = find_report(reference)
    report = shared.report
    database = staff_session()
    named = casework.may_see_named_details(shared, scope)
    sharing = casework.report_sharing(database, report_id=report.id)
    own_agency = next(item.agency for item in sharing if item.agency.id == scope.agency_id)
    page = {
        "report": report,
        "shared": shared,
        "scope": scope,
        "sharing": sharing,
        "ward": casework.ward_name(database, ward_id=report.ward_id),
        "media": casework.report_media(database, report_id=report.id),
        "history": casework.report_history(database, report_id=report.id, scope=scope),
        "merged_here": casework.merged_into_this(database, report_id=report.id, scope=scope),
        "merged_into": casework.merged_into(database, report=report, scope=scope),
        "clock": _response_clock(shared, own_agency, _now()),
        "reporter_name": _reporter_name(shared) if named else None,
        "named": named,
    }
    # Every view is recorded; a named resident's details are what the audit log exists for (design.md).
    audit("report_viewed", report_id=report.id, named=named)
    database.commit()
    page["translation"] = _translation(report)
    body = render_template(
        "staff/report.html", action_context=action_context, resident_language=_language_of(report.language),
        category_label=CATEGORIES.get(f"cat:{report.category}"), when_label=WHEN.get(f"when:{report.when_kind}"),
        daypart_label=DAYPARTS.get(f"daypart:{report.time_of_day}"),
        privacy_explained=PRIVACY_EXPLAINED.get(report.privacy), channel_label=CHANNEL_LABELS.get(report.channel),
        status_labels=STATUS_LABELS, agency_name=_agency_name, when=_when, **page)
    return make_response(body, status_code)


@blueprint.get("/reports/<reference>")
@staff_required()
def report(reference: str):
    return render_report_page(reference)


@blueprint.get("/reports/<reference>/media/<media_id>")
@staff_required()
def report_media(reference: str, media_id: str):
    """A photo, voice note or file of a report the account may see; 404 otherwise, and for any name that
    is not one of the report's own files."""
    shared, _scope = find_report(reference)
    if not _MEDIA_NAME.fullmatch(media_id):  # never a path, a NUL (PostgreSQL refuses it) or an over-long name
        abort(404)
    kept = casework.media_of_report(staff_session(), report_id=shared.report.id, media_id=media_id)
    # The row's own name, never the request's; and only a plain file name directly under MEDIA_DIR.
    if kept is None or Path(kept.media_id).name != kept.media_id or kept.media_id.startswith("."):
        abort(404)
    media_dir = current_app.extensions["safer_homes.settings"].media_dir
    if safe_join(media_dir, kept.media_id) is None:
        abort(404)
    content_type = MEDIA_CONTENT_TYPES.get(Path(kept.media_id).suffix.lower())
    # Read whole (kept files are small: bot/media.py's limits) rather than streamed from an open file, which
    # a player that stops reading part-way (an <audio> element probing a voice note) left open.
    try:
        content = (Path(media_dir).resolve() / kept.media_id).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        abort(404)
    response = make_response(content)
    response.mimetype = content_type or "application/octet-stream"
    response.headers["Content-Disposition"] = (
        "inline" if content_type is not None else f'attachment; filename="{kept.media_id}"')
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The file's own time is the moment the resident sent it: for an anonymous report a time finer than an
    # hour that links it to a conversation (design.md), so it never leaves with the file.
    response.headers.pop("Last-Modified", None)
    return response


def media_is_playable(item) -> str:
    """How the page shows a kept file: "image", "audio", "video" or "download"."""
    content_type = MEDIA_CONTENT_TYPES.get(Path(item.media_id).suffix.lower(), "")
    if item.kind == "photo" and content_type.startswith("image/"):
        return "image"
    if item.kind == "voice" and content_type.startswith("audio/"):
        return "audio"
    if item.kind == "video" and content_type.startswith("video/"):
        return "video"
    return "download"


@blueprint.app_template_filter("staff_media_display")
def _media_display(item) -> str:
    return media_is_playable(item)
