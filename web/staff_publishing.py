"""What officers decide about a report's place on the public pages, from the report page: "not a genuine
report" (spam: left out of every public figure) or "count it again", and the public summary they write or
redact and approve, or withdraw (storage/report_publishing.py).

Same order of checks as every report action (web/staff_actions.py): the CSRF token (400), signed in, the
report visible to the account's agency (404), the role may act (403), then the form (400 with the page
shown again and a clear message, nothing changed; 409 for a form shown before someone else's change). A
summary goes through the care-language check (rec 8): flagged words stop the save with suggestions until
they are changed or "Publish as written" is ticked for exactly those words. The resident is not told of
any of these: they change what the public sees, not the report's progress.
"""
from __future__ import annotations

from typing import Optional

from flask import request

from flows.i18n import _N
from storage import report_actions, report_publishing
from storage.models import StaffUser
from storage.report_actions import ActionRefused
from web.staff import audit, blueprint, current_staff, staff_required, staff_session, _now
from web.staff_actions import PROBLEMS as ACTION_PROBLEMS
from web.staff_actions import _acting_report, _done, _expected_update_id, _show, care_digest
from web.staff_care import care_flags_for

# What each refusal (storage's `code`, or this page's own) tells the officer.
PROBLEMS = {
    # TRANSLATORS: on a staff report page, when "not a genuine report" or "count it again" was sent without a reason.
    "reason_needed": _N("Say why. Only staff see the reason, in the report's history."),
    "note_too_long": ACTION_PROBLEMS["note_too_long"],
    # TRANSLATORS: on a staff report page, when someone already marked the report as not genuine.
    "already_spam": _N("This report is already marked as not a genuine report."),
    # TRANSLATORS: on a staff report page, when "count it again" was sent for a report that is counted already.
    "not_spam": _N("This report is already counted in the public figures."),
    # TRANSLATORS: on a staff report page, when the public summary box was empty.
    "summary_needed": _N("Write the public summary first."),
    # TRANSLATORS: on a staff report page; %(limit)s is a number of characters.
    "summary_too_long": _N("The public summary is too long: at most %(limit)s characters."),
    # TRANSLATORS: on a staff report page, when a summary was approved for a report marked as not genuine.
    "summary_of_spam": _N("A report marked as not genuine is not published. Count it again first."),
    # TRANSLATORS: on a staff report page, when "withdraw" was sent for a report with no public summary.
    "no_summary": _N("This report has no public summary to withdraw."),
    # TRANSLATORS: on a staff report page, when words in the public summary can make people feel judged.
    "care_language": _N("Some words in the summary can make people feel judged. Change them, or tick "
                        "“Publish as written”."),
    # TRANSLATORS: on a staff report page, when an account that may not decide this tried to.
    "not_allowed": _N("Only officers and administrators can decide this."),
    "report_merged": ACTION_PROBLEMS["report_merged"],
    "report_changed": ACTION_PROBLEMS["report_changed"],
}
PROBLEM_LIMITS = {"note_too_long": report_actions.MAX_STAFF_TEXT,
                  "summary_too_long": report_publishing.MAX_PUBLIC_SUMMARY}


def _problem(code: str) -> dict:
    return {"code": code, "message": PROBLEMS.get(code, PROBLEMS["summary_needed"]), "limit": PROBLEM_LIMITS.get(code)}


def _refused(reference: str, code: str, *, form: dict, form_key: str, problem_key: str, **context):
    """The page again with the problem: 400, or 409 for a stale form, shown with the report as it is now (the
    form's version dropped, so sending it again after checking goes through)."""
    stale = code == "report_changed"
    form = {**form, "expected_update_id": ""} if stale else form
    return _show(reference, 409 if stale else 400, **{form_key: form, problem_key: _problem(code)}, **context)


def _form(*names: str) -> dict:
    return {name: (request.form.get(name) or "").strip() for name in (*names, "expected_update_id")}


# --- POST /staff/reports/<reference>/spam and /spam/undo -------------------------------------------------

@blueprint.post("/reports/<reference>/spam")
@staff_required()
def mark_report_spam(reference: str):
    return _spam(reference, mark=True)


@blueprint.post("/reports/<reference>/spam/undo")
@staff_required()
def count_report_again(reference: str):
    return _spam(reference, mark=False)


def _spam(reference: str, *, mark: bool):
    shared = _acting_report(reference)
    report = shared.report
    form = _form("reason")
    identity = current_staff()
    database = staff_session()
    action = report_publishing.mark_spam if mark else report_publishing.unmark_spam
    try:
        update = action(database, shared=shared, staff_user_id=identity.id, agency_id=identity.agency_id,
                        reason=form["reason"], now=_now(), expected_update_id=_expected_update_id())
    except ActionRefused as refused:
        return _refused(report.reference, refused.code, form=form, form_key="spam_form", problem_key="spam_problem")
    audit("report_marked_spam" if mark else "report_counted_again", report_id=report.id, update_id=update.id)
    database.commit()
    return _done(report.reference, "spam_marked" if mark else "counted_again")


# --- POST /staff/reports/<reference>/public-summary and /public-summary/withdraw -------------------------

@blueprint.post("/reports/<reference>/public-summary")
@staff_required()
def approve_report_summary(reference: str):
    shared = _acting_report(reference)
    report = shared.report
    form = _form("summary")
    # The tick holds for the words it was given for: edited words are checked again.
    form["care_confirmed"] = bool(form["summary"]) and request.form.get("care_confirmed") == care_digest(form["summary"])
    code = _summary_problem(form["summary"])
    if code:
        return _refused(report.reference, code, form=form, form_key="summary_form", problem_key="summary_problem")
    care_flags = care_flags_for(form["summary"])
    if care_flags and not form["care_confirmed"]:
        return _refused(report.reference, "care_language", form=form, form_key="summary_form",
                        problem_key="summary_problem", summary_care_flags=care_flags)
    identity = current_staff()
    database = staff_session()
    try:
        update = report_publishing.approve_public_summary(
            database, shared=shared, text=form["summary"], staff_user_id=identity.id, agency_id=identity.agency_id,
            now=_now(), expected_update_id=_expected_update_id())
    except ActionRefused as refused:
        return _refused(report.reference, refused.code, form=form, form_key="summary_form",
                        problem_key="summary_problem")
    # Not the words: the history keeps them; the audit log says who approved how much, and past which flags.
    audit("public_summary_approved", report_id=report.id, update_id=update.id, length=len(form["summary"]),
          care_flags_confirmed=len(care_flags))
    database.commit()
    return _done(report.reference, "summary_approved")


@blueprint.post("/reports/<reference>/public-summary/withdraw")
@staff_required()
def withdraw_report_summary(reference: str):
    shared = _acting_report(reference)
    report = shared.report
    form = _form()
    identity = current_staff()
    database = staff_session()
    try:
        update = report_publishing.withdraw_public_summary(
            database, shared=shared, staff_user_id=identity.id, agency_id=identity.agency_id, now=_now(),
            expected_update_id=_expected_update_id())
    except ActionRefused as refused:
        return _refused(report.reference, refused.code, form=form, form_key="withdraw_form",
                        problem_key="summary_problem")
    audit("public_summary_withdrawn", report_id=report.id, update_id=update.id)
    database.commit()
    return _done(report.reference, "summary_withdrawn")


def _summary_problem(summary: str) -> Optional[str]:
    if not summary:
        return "summary_needed"
    if len(summary) > report_publishing.MAX_PUBLIC_SUMMARY:
        return "summary_too_long"
    return None


# --- what the template needs on every view of the report page ---------------------------------------------

@blueprint.app_context_processor
def _publishing_context() -> dict:
    return {"report_publishing_state": report_publishing_state}


def report_publishing_state(report) -> dict:
    """For staff/report_publishing.html and the history: the version forms carry, the summary's limit, who
    approved the summary in force, and which "spam" entries marked the report (the others counted it again)."""
    database = staff_session()
    approver = database.get(StaffUser, report.public_summary_staff_id) if report.public_summary_staff_id else None
    return {
        "expected_update_id": report_actions.latest_update_id(database, report_id=report.id),
        "max_summary": report_publishing.MAX_PUBLIC_SUMMARY,
        "approved_by": approver.email if approver else None,
        "spam_marks": report_publishing.spam_marks(database, report_id=report.id),
    }
