"""What officers do to a report (POST /staff/reports/<reference>...): change its status with a reason,
reply to the resident (a standard reply or their own words, machine-translated with a preview), add an
internal note, refer or share it with another agency, merge a duplicate.

Order of checks on every POST: the CSRF token (the blueprint, 400), signed in, the report visible to the
account's agency (404, before anything else is said about it), the role may act (403), then the form
(400 with the page shown again and a clear message; nothing changed). A change, its audit entry and the
resident's notice in the outbox are one commit, then 303 back to the report page with ?done=….

A free reply, when TRANSLATOR is set and the resident's language is not English, is always previewed
first: the officer sees exactly what the resident will get (the machine translation with its note), and
the second POST carries that translation with a keyed signature over it and the officer's words, so what
is sent is what was shown (never translated a second time). With TRANSLATOR=none the words go as written,
marked as English in the resident's language.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Optional

from flask import abort, current_app, redirect, request, url_for

from bot.report_notify import hold_resident, notice_language, notify_resident
from flows import i18n
from flows.i18n import _N
from flows.report_notices import status_update_notice
from flows.staff_replies import STANDARD_REPLIES, replies_for_status, standard_reply_text
from flows.status import normalise_reference
from storage import casework, report_actions
from storage.reports import STATUSES
from web.staff import _lang_query, _now, audit, blueprint, current_staff, staff_required, staff_session
from web.staff_care import care_flags_for
from web.staff_report import find_report, render_report_page

# What each refusal from storage/report_actions.py (its `code`) tells the officer.
PROBLEMS = {
    # TRANSLATORS: on a staff report page, when the status chosen is not one of the list.
    "unknown_status": _N("Choose a status from the list."),
    # TRANSLATORS: on a staff report page, when the status was changed without saying why.
    "reason_needed": _N("Say why: a change of status, a referral or a share needs a reason (staff see it, the resident does not)."),
    # TRANSLATORS: on a staff report page, when the update form was sent with nothing in it.
    "empty_update": _N("Nothing to save: change the status, choose or write a reply, or add a note."),
    # TRANSLATORS: on a staff report page; %(limit)s is a number of characters.
    "message_too_long": _N("The reply is too long: keep it under %(limit)s characters."),
    # TRANSLATORS: on a staff report page; %(limit)s is a number of characters.
    "note_too_long": _N("The reason or note is too long: keep it under %(limit)s characters."),
    # TRANSLATORS: on a staff report page, when the officer chose a standard reply and also wrote one.
    "both_replies": _N("Choose a standard reply or write your own, not both."),
    # TRANSLATORS: on a staff report page, when the standard reply chosen is not on the list.
    "unknown_standard_reply": _N("Choose a standard reply from the list."),
    # TRANSLATORS: on a staff report page, for a report merged into another one.
    "report_merged": _N("This report was merged into another. Act on that report instead."),
    # TRANSLATORS: on a staff report page, when the way of passing a report on is not one of the two offered.
    "unknown_route": _N("Choose whether to refer or to share the report."),
    # TRANSLATORS: on a staff report page, when the agency chosen to refer a report to does not exist.
    "unknown_agency": _N("Choose an organisation from the list."),
    # TRANSLATORS: on a staff report page. Residents choose themselves whether the police see their report.
    "police_refused": _N("A report can go to the police only if the resident chose that. It cannot be referred or shared with them."),
    # TRANSLATORS: on a staff report page, when the organisation chosen already has the report.
    "already_shared": _N("That organisation already has this report."),
    # TRANSLATORS: on a staff report page, when the organisation chosen no longer takes reports.
    "agency_inactive": _N("That organisation no longer takes reports."),
    # TRANSLATORS: on a staff report page, when the reference typed to merge into is not a report the officer can see.
    "merge_target_not_found": _N("There is no report with that reference shared with your organisation."),
    # TRANSLATORS: on a staff report page, when the officer tries to merge a report into itself.
    "merge_same_report": _N("A report cannot be merged into itself."),
    # TRANSLATORS: on a staff report page, when the officer edited or did not tick the care-language prompt.
    "care_language": _N("Some words in the reply can make people feel judged. Change them, or tick “Send as written”."),
    # TRANSLATORS: on a staff report page, when the form was sent twice or someone updated the report after the officer opened it.
    "report_changed": _N("This report changed while you had it open: someone updated it, or the form was sent twice. "
                         "Nothing more was saved. Check the history, then try again if it is still needed."),
}
PROBLEM_LIMITS = {"message_too_long": report_actions.MAX_PUBLIC_MESSAGE, "note_too_long": report_actions.MAX_STAFF_TEXT}

# Which standard reply tells a resident their report went to an agency of this kind.
REFERRAL_REPLIES = {"housing": "referred.housing", "council": "referred.council"}
MERGE_REPLY = "closed.duplicate"


def _problem(code: str) -> dict:
    return {"code": code, "message": PROBLEMS.get(code, PROBLEMS["empty_update"]),
            "limit": PROBLEM_LIMITS.get(code)}


def _settings():
    return current_app.extensions["safer_homes.settings"]


def _translator():
    # Built once per app (webhook.create_app).
    return current_app.extensions["safer_homes.translator"]


def _channels():
    # The app's sending channels, built once per process (webhook.create_app).
    return current_app.extensions["safer_homes.deliverer"].channels


def _acting_report(reference: str) -> casework.SharedReport:
    """The report if the account's agency may see it (404 otherwise, before anything else), and the account
    may act on it (403 otherwise)."""
    shared, scope = find_report(reference)
    if not scope.may_act:
        abort(403)
    return shared


def resident_language(report) -> str:
    """The language the resident's notice goes in (the preview shows it in the same one)."""
    return notice_language(report_actions.report_contact(staff_session(), report_id=report.id), report)


def care_digest(message: str) -> str:
    """What the "Send as written" tick carries: it names the exact words the officer kept, so a tick
    carried through a preview does not cover words changed after it (a prompt, not a secret)."""
    return hashlib.sha256(message.encode("utf-8")).hexdigest()[:16]


def _show(reference: str, status_code: int, **action_context):
    staff_session().rollback()  # render_report_page commits its audit entry: nothing of ours goes with it
    return render_report_page(reference, status_code=status_code, **action_context)


def _expected_update_id() -> Optional[int]:
    """The report's version the form was shown with (its newest update's id), so a form sent twice or
    after another officer's change acts once only. None from a client that sends none (design.md's
    fields do not include it): it acts on the report as it is."""
    raw = request.form.get("expected_update_id")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # no update has this id: a garbled version is treated as stale


def _refused(reference: str, code: str, *, form: dict, form_key: str, problem_key: str, **context):
    """The page again with the problem (400; 409 for a stale form, which is then shown with the report as
    it is now, so sending it again after checking goes through)."""
    stale = code == "report_changed"
    form = {**form, "expected_update_id": ""} if stale else form
    return _show(reference, 409 if stale else 400, **{form_key: form, problem_key: _problem(code)}, **context)


def _done(reference: str, done: str):
    return redirect(url_for("staff.report", reference=reference, done=done, **_lang_query()), code=303)


# --- the preview's signature -----------------------------------------------------------------------------

def _preview_signature(*, reference: str, message: str, language: str, translated: str, engine: str) -> str:
    """A keyed hash over what the officer previewed: a translation edited (or a message changed) after the
    preview no longer matches, and is previewed again instead of sent."""
    key = hashlib.sha256(("staff-reply-preview\0" + _settings().secret_key).encode()).digest()
    body = json.dumps([reference, message, language, translated, engine], ensure_ascii=False).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _previewed_translation(reference: str, message: str, language: str) -> Optional[tuple[str, str]]:
    """(translation, engine) carried from a preview of exactly this message, or None (preview again).
    An empty translation means the translator had none: the words go as written."""
    translated = request.form.get("translated")
    engine = request.form.get("translation_engine", "")
    signature = request.form.get("translation_signature", "")
    if translated is None or not signature:
        return None
    expected = _preview_signature(reference=reference, message=message, language=language, translated=translated,
                                  engine=engine)
    return (translated, engine) if hmac.compare_digest(signature, expected) else None


# --- POST /staff/reports/<reference>: status, reply, note -------------------------------------------------

@blueprint.post("/reports/<reference>")
@staff_required()
def update_report(reference: str):
    shared = _acting_report(reference)
    report = shared.report
    reference = report.reference
    form = {name: (request.form.get(name) or "").strip()
            for name in ("status", "reason", "standard_reply", "message", "internal_note", "expected_update_id")}
    form["status"] = form["status"] or report.status
    # The tick holds for the words it was given for: edited words are checked again.
    form["care_confirmed"] = bool(form["message"]) and request.form.get("care_confirmed") == care_digest(form["message"])
    wants_preview = "preview" in request.form

    code = _form_problem(form)
    if code:
        return _show(reference, 400, form=form, problem=_problem(code))

    language = resident_language(report)
    care_flags = care_flags_for(form["message"]) if form["message"] else []
    if care_flags and not form["care_confirmed"]:
        return _show(reference, 400, form=form, problem=_problem("care_language"), care_flags=care_flags)

    public_message = message_language = original_message = None
    machine_translated = False
    if form["standard_reply"]:
        public_message, message_language = STANDARD_REPLIES[form["standard_reply"]].text, "en"
    elif form["message"]:
        public_message, message_language = form["message"], "en"
        translator = _translator()
        if language != "en" and translator.enabled:
            carried = None if wants_preview else _previewed_translation(reference, form["message"], language)
            if carried is None:
                translation = translator.translate(form["message"], source="en", target=language)
                translated, engine = (translation.text, translation.engine_name) if translation else ("", "")
                return _preview(reference, form, language, translated=translated, engine=engine,
                                care_flags=care_flags)
            translated, _engine = carried
            if translated:
                public_message, message_language, original_message = translated, language, form["message"]
                machine_translated = True
    if wants_preview:
        return _preview(reference, form, language, translated="", engine="", care_flags=care_flags)

    database = staff_session()
    identity = current_staff()
    now = _now()
    hold_resident(database, report_id=report.id)  # their lock before the report's, as a turn takes them
    try:
        update = report_actions.change_status(
            database, shared=shared, status=form["status"], reason=form["reason"], staff_user_id=identity.id,
            agency_id=identity.agency_id, now=now, public_message=public_message, message_language=message_language,
            standard_reply=form["standard_reply"] or None, original_message=original_message,
            machine_translated=machine_translated, internal_note=form["internal_note"],
            expected_update_id=_expected_update_id(),
        )
    except report_actions.ActionRefused as refused:
        return _refused(reference, refused.code, form=form, form_key="form", problem_key="problem")
    queued = notify_resident(database, channels=_channels(), report=report, update=update, now=now)
    audit("report_updated", report_id=report.id, update_id=update.id, change=update.action, status=update.status,
          standard_reply=update.standard_reply, machine_translated=update.machine_translated,
          care_flags_confirmed=len(care_flags), notices_queued=len(queued))
    database.commit()
    return _done(reference, "sent" if public_message or update.action == "status" else "saved")


def _form_problem(form: dict) -> Optional[str]:
    if form["status"] not in STATUSES:
        return "unknown_status"
    if form["standard_reply"] and form["message"]:
        return "both_replies"
    if form["standard_reply"] and form["standard_reply"] not in STANDARD_REPLIES:
        return "unknown_standard_reply"
    if len(form["message"]) > report_actions.MAX_PUBLIC_MESSAGE:
        return "message_too_long"
    return None


def _preview(reference: str, form: dict, language: str, *, translated: str, engine: str, care_flags):
    """Show exactly what the resident will get, with the fields that send it as shown."""
    standard = form["standard_reply"] or None
    if translated:
        message, message_language, machine = translated, language, True
    else:
        message, message_language, machine = (form["message"] or None), "en", False
    notice = status_update_notice(language, reference=reference, status=form["status"], standard_reply=standard,
                                  message=None if standard else message, message_language=message_language,
                                  machine_translated=machine)
    signature = _preview_signature(reference=reference, message=form["message"], language=language,
                                   translated=translated, engine=engine) if form["message"] else ""
    preview = {"notice": notice, "language": language, "translated": translated, "engine": engine,
               "signature": signature, "machine_translated": machine,
               "translation_failed": bool(form["message"]) and not translated and language != "en"
               and _translator().enabled}
    return _show(reference, 200, form=form, preview=preview, care_flags=care_flags)


# --- POST /staff/reports/<reference>/refer --------------------------------------------------------------

@blueprint.post("/reports/<reference>/refer")
@staff_required()
def refer_report(reference: str):
    shared = _acting_report(reference)
    report = shared.report
    reference = report.reference
    form = {name: (request.form.get(name) or "").strip()
            for name in ("agency", "route", "reason", "expected_update_id")}
    database = staff_session()
    identity = current_staff()
    now = _now()
    agency = report_actions.agency_by_slug(database, slug=form["agency"])
    reply_key = REFERRAL_REPLIES.get(agency.kind) if agency is not None and form["route"] == "referral" else None
    hold_resident(database, report_id=report.id)  # their lock before the report's, as a turn takes them
    try:
        update = report_actions.share_report(
            database, shared=shared, to_agency_slug=form["agency"], route=form["route"], reason=form["reason"],
            staff_user_id=identity.id, agency_id=identity.agency_id, now=now,
            standard_reply=reply_key, public_message=STANDARD_REPLIES[reply_key].text if reply_key else None,
            expected_update_id=_expected_update_id(),
        )
    except report_actions.ActionRefused as refused:
        return _refused(reference, refused.code, form=form, form_key="refer_form", problem_key="refer_problem")
    queued = notify_resident(database, channels=_channels(), report=report, update=update, now=now)
    audit("report_referred", report_id=report.id, update_id=update.id, route=update.action,
          to_agency_id=update.to_agency_id, status=report.status, notices_queued=len(queued))
    database.commit()
    return _done(reference, "referred" if update.action == "referral" else "shared")


# --- POST /staff/reports/<reference>/merge ---------------------------------------------------------------

@blueprint.post("/reports/<reference>/merge")
@staff_required()
def merge_report(reference: str):
    shared = _acting_report(reference)
    report = shared.report
    reference = report.reference
    typed = (request.form.get("into_reference") or "").strip()
    form = {"into_reference": typed, "expected_update_id": (request.form.get("expected_update_id") or "").strip()}
    into = normalise_reference(typed)
    if into is None:
        return _show(reference, 400, merge_form=form, merge_problem=_problem("merge_target_not_found"))
    database = staff_session()
    identity = current_staff()
    now = _now()
    hold_resident(database, report_id=report.id)  # their lock before the report's, as a turn takes them
    try:
        update = report_actions.merge_report(
            database, duplicate=shared, into_reference=into, staff_user_id=identity.id,
            agency_id=identity.agency_id, now=now, standard_reply=MERGE_REPLY,
            public_message=STANDARD_REPLIES[MERGE_REPLY].text, expected_update_id=_expected_update_id(),
        )
    except report_actions.ActionRefused as refused:
        return _refused(reference, refused.code, form=form, form_key="merge_form", problem_key="merge_problem")
    queued = notify_resident(database, channels=_channels(), report=report, update=update, now=now)
    audit("report_merged", report_id=report.id, update_id=update.id, merged_into_id=update.merged_into_id,
          status=report.status, notices_queued=len(queued))
    database.commit()
    return _done(reference, "merged")


# --- what the actions template needs on every view of the page --------------------------------------------

@blueprint.app_context_processor
def _report_action_choices() -> dict:
    return {"report_action_choices": report_action_choices, "care_digest": care_digest}


def report_action_choices(report) -> dict:
    """The choices the forms offer for `report`: statuses, standard replies per status (English, and in the
    resident's language), agencies it may be referred or shared with, and the resident's language."""
    language = resident_language(report)
    translator = _translator()
    return {
        "statuses": STATUSES,
        "replies": [
            {"status": status,
             "replies": [{"key": reply.key, "text": reply.text,
                          "resident_text": standard_reply_text(reply.key, language)}
                         for reply in replies_for_status(status)]}
            for status in STATUSES
        ],
        "agencies": report_actions.agencies_to_share_with(staff_session(), report_id=report.id),
        "language": i18n.BY_CODE[language],
        "translates": language != "en" and translator.enabled,
        "translator_name": translator.name,
        "notifies": report.privacy != "anonymous",
        "max_message": report_actions.MAX_PUBLIC_MESSAGE,
        "expected_update_id": report_actions.latest_update_id(staff_session(), report_id=report.id),
    }
