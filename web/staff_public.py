"""The staff side of the public pages: "You said, we did" entries (/staff/public/entries...) and the targets
agreed with residents (/staff/admin/targets).

Entries: officers, organisers and admins write and edit drafts; officers and admins publish, correct a published
entry (it is re-published at once, storage/public_entries.py) and withdraw. Viewers have none of it (403). An
officer or organiser sees and changes only their own agency's entries (another agency's answers 404); an admin
sees every agency's. A report named on an entry must be one the writer's agency can see (storage/casework).
Every English and translated text goes through the care-language check (web/staff_care.care_flags_for) before
it is saved and again before it is published; "keep my words" is a tick that names the exact words it was
given for (web/staff_actions.care_digest), so words changed after it are checked again. With TRANSLATOR set,
"Fill the empty translations" asks the machine for each shipped language left empty and shows the result in
the form, marked, for staff to read before saving: nothing is translated behind their back.

Targets (admins only): record one with whom and when it was agreed, retire one; a borough-wide first-response
target for an organisation also sets the response clock its inbox counts against (storage/targets.py).

Order of checks on every POST: CSRF (the blueprint, 400), signed in, role (403), the entry exists and is the
agency's (404), the form (400 with the form shown again as typed; nothing saved). A change and its audit entry
(ids and counts only, never the words) are one commit, then 303 to the page with ?done=….
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from flows import i18n
from flows.i18n import _N
from flows.status import normalise_reference
from storage import casework, public_entries as entry_store, targets as target_store
from storage.models import TARGET_MEASURES, Agency, PublicEntry, Report
from storage.places import list_wards
from storage.seed import CATEGORIES
from web.i18n import ngettext
from web.staff import (_lang_query, _now, _when, agency_label, audit, blueprint, current_staff, staff_required,
                       staff_session)
from web.staff_actions import care_digest
from web.staff_care import care_flags_for
from web.staff_events import AGENDA_TOPICS, _

# Who may write drafts, and who may put words on the public pages (or take them off).
DRAFTING_ROLES = ("officer", "organiser", "admin")
PUBLISHING_ROLES = ("officer", "admin")
TEXT_FIELDS = entry_store.TEXT_FIELDS
# storage's refusals for an entry that changed state under the form (a colleague, a form sent twice): 409.
STALE_PROBLEMS = ("not_draft", "not_published", "already_withdrawn")

# An entry's state as staff read it.
STATE_LABELS = {
    # TRANSLATORS: the state of a "You said, we did" entry on the staff pages: written, not yet public.
    "draft": _N("Draft"),
    # TRANSLATORS: the state of a "You said, we did" entry on the staff pages: shown on the public pages.
    "published": _N("Published"),
    # TRANSLATORS: the state of a "You said, we did" entry on the staff pages: taken off the public pages.
    "withdrawn": _N("Withdrawn"),
}

# What a target measures, as admins read it.
MEASURE_LABELS = {
    # TRANSLATORS: a kind of target on the staff targets page: the first reply to a report within N working days.
    "first_response": _N("First response within a number of working days"),
    # TRANSLATORS: a kind of target on the staff targets page: a report closed within N working days.
    "close": _N("Report closed within a number of working days"),
    # TRANSLATORS: a kind of target on the staff targets page: the share of residents who answer that their report was sorted.
    "sorted": _N("Residents say their report was sorted"),
}
assert set(MEASURE_LABELS) == set(TARGET_MEASURES)

DONE = {
    # TRANSLATORS: on the staff "You said, we did" pages after saving a draft entry.
    "saved": _N("The draft was saved. It is not public until it is published."),
    # TRANSLATORS: on the staff "You said, we did" pages after publishing an entry.
    "published": _N("The entry is published: it shows on the public pages now."),
    # TRANSLATORS: on the staff "You said, we did" pages after correcting a published entry.
    "revised": _N("The entry was corrected and published again with today's date."),
    # TRANSLATORS: on the staff "You said, we did" pages after withdrawing an entry.
    "withdrawn": _N("The entry was withdrawn: it no longer shows on the public pages."),
    # TRANSLATORS: on the staff targets page after an administrator recorded a target.
    "recorded": _N("The target was recorded."),
    # TRANSLATORS: on the staff targets page after an administrator retired a target.
    "retired": _N("The target was retired."),
}


def _entry_problem(refused: entry_store.EntryInputError) -> str:
    """storage's refusal in the page's language."""
    code = refused.problem
    if code == "missing" and refused.field == "you_said":
        # TRANSLATORS: next to the "You said" field of a "You said, we did" entry on the staff pages.
        return _("Say what residents raised.")
    if code == "missing":
        # TRANSLATORS: next to the "We did" field of a "You said, we did" entry on the staff pages.
        return _("Say what was done.")
    if code == "too_long":
        # TRANSLATORS: next to a text field of a "You said, we did" entry; %(limit)s is a number of characters.
        return _("Keep this to %(limit)s characters.", limit=refused.limit)
    if code == "translation_half":
        # TRANSLATORS: next to a translation of a "You said, we did" entry when only one of its two parts was given.
        return _("Give both parts in this language, or leave both empty.")
    if code == "unknown_ward":
        # TRANSLATORS: next to the ward field on the staff "You said, we did" form.
        return _("Choose a ward from the list.")
    if code == "unknown_category":
        # TRANSLATORS: next to the category field on the staff "You said, we did" form.
        return _("Choose a category from the list.")
    if code == "unknown_agency":
        # TRANSLATORS: next to the organisation field on the staff "You said, we did" form.
        return _("Choose an organisation from the list.")
    if code in ("unknown_report", "report_not_shared"):
        # TRANSLATORS: on a staff page, when the reference typed is not a report the officer can see.
        return _("There is no report with that reference shared with your organisation.")
    if code in STALE_PROBLEMS:
        # TRANSLATORS: on the staff "You said, we did" pages, when someone else published or withdrew the entry meanwhile, or a form was sent twice.
        return _("This entry changed while you had it open: it was published or withdrawn meanwhile. Nothing was "
                 "saved. Check it, then try again if it is still needed.")
    # TRANSLATORS: on the staff "You said, we did" form, for a language that is not offered.
    return _("Choose a language from the form.")


def _care_problem() -> str:
    # TRANSLATORS: on the staff "You said, we did" pages, when words were flagged by the care-language check and "keep my words" was not ticked for them.
    return _("Some words here can make people feel judged. Change them, or tick “I have read this and keep my "
             "words as they are”.")


# --- whose entries --------------------------------------------------------------------------------------

def _sees_every_agency() -> bool:
    return current_staff().role == "admin"


def _entry_or_404(entry_id: int) -> PublicEntry:
    """The entry, if the account's agency wrote it (admins: any)."""
    entry = entry_store.get_entry(staff_session(), entry_id=entry_id)
    if entry is None or (not _sees_every_agency() and entry.agency_id != current_staff().agency_id):
        abort(404)
    return entry


def _agency(slug: str) -> Optional[Agency]:
    return staff_session().execute(select(Agency).where(Agency.slug == slug)).scalar_one_or_none()


def _all_agencies() -> list[Agency]:
    return list(staff_session().execute(select(Agency).order_by(Agency.slug)).scalars())


def _may_publish() -> bool:
    return current_staff().role in PUBLISHING_ROLES


# --- the entry form -----------------------------------------------------------------------------------

@dataclass
class EntryForm:
    """What staff typed (shown again as typed), and what is wrong with it, field by field."""

    values: dict
    problems: dict = field(default_factory=dict)
    report_id: Optional[int] = None
    agency_id: Optional[int] = None


def _blank_values() -> dict:
    values = {"ward": "", "category": "", "agency": current_staff().agency_slug or "", "report": "",
              "you_said": "", "we_did": "", "machine": []}
    for code in entry_store.TRANSLATION_LANGUAGES:
        for name in TEXT_FIELDS:
            values[f"{name}_{code}"] = ""
    return values


def _values_of(entry: PublicEntry) -> dict:
    database = staff_session()
    values = _blank_values()
    ward = next((ward for ward in list_wards(database) if ward.id == entry.ward_id), None)
    agency = database.get(Agency, entry.agency_id) if entry.agency_id else None
    report = database.get(Report, entry.report_id) if entry.report_id else None
    values.update(ward=ward.slug if ward else "", category=entry.category or "",
                  agency=agency.slug if agency else "", report=report.reference if report else "",
                  you_said=entry.you_said, we_did=entry.we_did, machine=list(entry.machine_translated or ()))
    for code, texts in (entry.translations or {}).items():
        for name in TEXT_FIELDS:
            values[f"{name}_{code}"] = texts.get(name, "")
    return values


def _translations_of(values: dict) -> dict:
    return {code: {name: values[f"{name}_{code}"] for name in TEXT_FIELDS}
            for code in entry_store.TRANSLATION_LANGUAGES}


def _all_texts(values: dict) -> list[str]:
    """Every text the care-language check reads: English and each translation."""
    texts = [values["you_said"], values["we_did"]]
    for code in entry_store.TRANSLATION_LANGUAGES:
        texts += [values[f"{name}_{code}"] for name in TEXT_FIELDS]
    return [text for text in texts if text]


def entry_care_digest(values: dict) -> str:
    """The "keep my words" tick names every text of the entry at once: change one and it is checked again."""
    return care_digest(json.dumps(_all_texts(values), ensure_ascii=False))


def _read_entry_form(existing: Optional[PublicEntry]) -> EntryForm:
    """The form, checked field by field so each message sits by its field (storage checks again: it is the
    rule). The agency is the account's own; only an admin chooses one (or none)."""
    raw = request.form
    values = {name: raw.get(name, "").strip()
              for name in ("ward", "category", "agency", "report", "you_said", "we_did")}
    for code in entry_store.TRANSLATION_LANGUAGES:
        for name in TEXT_FIELDS:
            values[f"{name}_{code}"] = raw.get(f"{name}_{code}", "").strip()
    values["machine"] = [code for code in raw.getlist("machine") if code in entry_store.TRANSLATION_LANGUAGES]
    form = EntryForm(values=values)
    problems = form.problems
    database = staff_session()
    identity = current_staff()

    for name in TEXT_FIELDS:
        if not values[name]:
            problems[name] = _entry_problem(entry_store.EntryInputError("missing", field=name))
        elif len(values[name]) > entry_store.MAX_TEXT_LENGTH:
            problems[name] = _entry_problem(entry_store.EntryInputError("too_long", limit=entry_store.MAX_TEXT_LENGTH))
    for code in entry_store.TRANSLATION_LANGUAGES:
        pair = [values[f"{name}_{code}"] for name in TEXT_FIELDS]
        for name, text in zip(TEXT_FIELDS, pair):
            if len(text) > entry_store.MAX_TEXT_LENGTH:
                problems[f"{name}_{code}"] = _entry_problem(
                    entry_store.EntryInputError("too_long", limit=entry_store.MAX_TEXT_LENGTH))
            elif any(pair) and not text:
                problems[f"{name}_{code}"] = _entry_problem(entry_store.EntryInputError("translation_half"))
    # A mark belongs to words: a language left empty is nobody's translation.
    values["machine"] = [code for code in values["machine"] if any(values[f"{name}_{code}"] for name in TEXT_FIELDS)]

    if values["ward"] and values["ward"] not in {ward.slug for ward in list_wards(database)}:
        problems["ward"] = _entry_problem(entry_store.EntryInputError("unknown_ward"))
    if values["category"] and values["category"] not in CATEGORIES:
        problems["category"] = _entry_problem(entry_store.EntryInputError("unknown_category"))

    if identity.role == "admin":
        if values["agency"]:
            agency = _agency(values["agency"])
            if agency is None:
                problems["agency"] = _entry_problem(entry_store.EntryInputError("unknown_agency"))
            else:
                form.agency_id = agency.id
    else:
        form.agency_id = identity.agency_id
        values["agency"] = identity.agency_slug or ""

    if values["report"]:
        form.report_id = _report_id(values["report"], existing)
        if form.report_id is None:
            problems["report"] = _entry_problem(entry_store.EntryInputError("report_not_shared"))
    return form


def _report_id(typed: str, existing: Optional[PublicEntry]) -> Optional[int]:
    """The report the reference names, if the account's agency may see it; an entry keeps the report it
    already names (a colleague of another role, or an admin, may correct its words)."""
    reference = normalise_reference(typed)
    if reference is None:
        return None
    database = staff_session()
    if existing is not None and existing.report_id is not None:
        kept = database.get(Report, existing.report_id)
        if kept is not None and kept.reference == reference:
            return kept.id
    identity = current_staff()
    shared = casework.shared_report(database, reference=reference,
                                    scope=casework.StaffScope(agency_id=identity.agency_id, role=identity.role))
    return shared.report.id if shared else None


def _care_context(values: dict, *, ticked: str) -> dict:
    """The care-language flags for the entry's words, unless the tick names exactly these words."""
    flags = care_flags_for("\n".join(_all_texts(values)))
    if not flags or ticked == entry_care_digest(values):
        return {}
    return {"care_flags": flags, "care_digest_value": entry_care_digest(values)}


def _fill_translations(values: dict) -> dict:
    """Ask the configured translator for each language left empty; fill the form and mark those it made.
    Answers {code: True/False} for the languages it tried (False: no translation came back)."""
    translator = current_app.extensions["safer_homes.translator"]
    tried = {}
    if not translator.enabled:
        return tried
    for code in entry_store.TRANSLATION_LANGUAGES:
        if any(values[f"{name}_{code}"] for name in TEXT_FIELDS):
            continue
        made = {name: translator.translate(values[name], source="en", target=code) for name in TEXT_FIELDS}
        tried[code] = all(made.values())
        if tried[code]:
            for name in TEXT_FIELDS:
                # Not cut to length: a translation too long is shown with its message when saved.
                values[f"{name}_{code}"] = made[name].text
            values["machine"] = sorted(set(values["machine"]) | {code})
    return tried


def _form_context(values: dict, problems: dict, **context) -> dict:
    database = staff_session()
    translator = current_app.extensions["safer_homes.translator"]
    return {"form": values, "problems": problems, "wards": list_wards(database), "categories": CATEGORIES,
            "category_labels": AGENDA_TOPICS, "agencies": _all_agencies(), "agency_label": agency_label,
            "languages_to_translate": [i18n.BY_CODE[code] for code in entry_store.TRANSLATION_LANGUAGES],
            "translator": translator, "max_text": entry_store.MAX_TEXT_LENGTH,
            "may_publish": _may_publish(), "state_labels": STATE_LABELS, "when": _when, **context}


def _entry_page(entry: Optional[PublicEntry], *, status: int = 200, values: Optional[dict] = None,
                problems: Optional[dict] = None, **context):
    values = values if values is not None else (_values_of(entry) if entry else _blank_values())
    if entry is not None and "publish_care" not in context and entry.state == "draft":
        # The stored words are checked again before publishing: the word list may have grown since.
        stored = _values_of(entry)
        flags = care_flags_for("\n".join(_all_texts(stored)))
        if flags:
            context["publish_care"] = {"care_flags": flags, "care_digest_value": entry_care_digest(stored)}
    page = render_template("staff/public_entry.html", entry=entry, done=_done_message(status),
                           **_form_context(values, problems or {}, **context))
    return page, status


def _audit_detail(entry: PublicEntry) -> dict:
    """What the audit log keeps of an entry: ids, state and language codes, never its words (the report it
    names goes in the entry's own report_id)."""
    return {"entry": entry.id, "state": entry.state, "ward_id": entry.ward_id, "agency_id": entry.agency_id,
            "languages": sorted(entry.translations or {}),
            "machine_translated": list(entry.machine_translated or ())}


def _done_message(status: int) -> Optional[str]:
    """What the last change did (?done=…), said only on a page shown after it, never beside a problem."""
    done = request.args.get("done")
    return _(DONE[done]) if status == 200 and done in DONE else None


def _to_entry(entry_id: int, done: str):
    return redirect(url_for("staff.public_entry", entry_id=entry_id, done=done, **_lang_query()), code=303)


# --- the pages: entries -----------------------------------------------------------------------------------

@blueprint.get("/public/entries")
@staff_required(*DRAFTING_ROLES)
def public_entries():
    identity = current_staff()
    rows = entry_store.list_entries(staff_session(), agency_id=identity.agency_id, every_agency=_sees_every_agency())
    return render_template("staff/public_entries.html", rows=rows, state_labels=STATE_LABELS,
                           category_labels=AGENDA_TOPICS, agency_label=agency_label, when=_when,
                           may_publish=_may_publish())


@blueprint.route("/public/entries/new", methods=["GET", "POST"])
@staff_required(*DRAFTING_ROLES)
def public_entry_new():
    if request.method == "GET":
        return _entry_page(None)
    return _save_entry(None)


@blueprint.get("/public/entries/<int:entry_id>")
@staff_required(*DRAFTING_ROLES)
def public_entry(entry_id: int):
    return _entry_page(_entry_or_404(entry_id))


@blueprint.post("/public/entries/<int:entry_id>")
@staff_required(*DRAFTING_ROLES)
def public_entry_save(entry_id: int):
    entry = _entry_or_404(entry_id)
    if entry.state == "published" and not _may_publish():
        abort(403)  # correcting a published entry re-publishes it: only those who may publish
    return _save_entry(entry)


def _save_entry(entry: Optional[PublicEntry]):
    """Create a draft, save a draft's changes, or correct (and re-publish) a published entry."""
    shown_state = request.form.get("shown_state")
    if entry is not None and (entry.state == "withdrawn" or shown_state not in (None, entry.state)):
        # A form shown for a draft must not become a correction of an entry a colleague published meanwhile
        # (nor touch one withdrawn): 409, with the entry as it is now.
        return _entry_page(entry, status=409,
                           publish_problem=_entry_problem(entry_store.EntryInputError("not_draft")))
    form = _read_entry_form(entry)
    values, problems = form.values, form.problems
    if "translate" in request.form:
        # Fill, show, save nothing: staff read what the machine wrote before it is kept.
        tried = {} if problems.get("you_said") or problems.get("we_did") else _fill_translations(values)
        return _entry_page(entry, status=400 if problems else 200, values=values, problems=problems,
                           translated_now=tried)
    if problems:
        return _entry_page(entry, status=400, values=values, problems=problems)
    care = _care_context(values, ticked=request.form.get("care_confirmed", ""))
    if care:
        return _entry_page(entry, status=400, values=values, problems={"form": _care_problem()}, **care)

    database = staff_session()
    now = _now()
    fields = dict(you_said=values["you_said"], we_did=values["we_did"], ward_slug=values["ward"] or None,
                  category=values["category"] or None, agency_id=form.agency_id, report_id=form.report_id,
                  translations=_translations_of(values), machine_translated=values["machine"], now=now)
    confirmed = len(care_flags_for("\n".join(_all_texts(values))))
    try:
        if entry is None:
            saved = entry_store.create_entry(database, staff_user_id=current_staff().id, **fields)
            action, done = "public_entry_added", "saved"
        elif entry.state == "published":
            saved = entry_store.revise_published_entry(database, entry_id=entry.id, **fields)
            action, done = "public_entry_revised", "revised"
        else:
            saved = entry_store.update_draft(database, entry_id=entry.id, **fields)
            action, done = "public_entry_changed", "saved"
    except entry_store.EntryInputError as refused:
        database.rollback()
        if refused.problem in STALE_PROBLEMS:
            return _entry_page(_entry_or_404(entry.id), status=409, publish_problem=_entry_problem(refused))
        key = refused.field if refused.field in values else "form"
        return _entry_page(entry and _entry_or_404(entry.id), status=400, values=values,
                           problems={key: _entry_problem(refused)})
    audit(action, report_id=saved.report_id, care_flags_confirmed=confirmed, **_audit_detail(saved))
    database.commit()
    return _to_entry(saved.id, done)


@blueprint.post("/public/entries/<int:entry_id>/publish")
@staff_required(*PUBLISHING_ROLES)
def public_entry_publish(entry_id: int):
    entry = _entry_or_404(entry_id)
    stored = _values_of(entry)
    care = _care_context(stored, ticked=request.form.get("care_confirmed", ""))
    if care and entry.state == "draft":
        return _entry_page(entry, status=400, publish_care=care, publish_problem=_care_problem())
    database = staff_session()
    try:
        published = entry_store.publish_entry(database, entry_id=entry_id, now=_now())
    except entry_store.EntryInputError as refused:
        database.rollback()
        return _entry_page(_entry_or_404(entry_id), status=409, publish_problem=_entry_problem(refused))
    audit("public_entry_published", report_id=published.report_id, care_flags_confirmed=len(care_flags_for(
        "\n".join(_all_texts(stored)))), **_audit_detail(published))
    database.commit()
    return _to_entry(entry_id, "published")


@blueprint.post("/public/entries/<int:entry_id>/withdraw")
@staff_required(*PUBLISHING_ROLES)
def public_entry_withdraw(entry_id: int):
    _entry_or_404(entry_id)
    database = staff_session()
    try:
        withdrawn = entry_store.withdraw_entry(database, entry_id=entry_id, now=_now())
    except entry_store.EntryInputError as refused:
        database.rollback()
        return _entry_page(_entry_or_404(entry_id), status=409, publish_problem=_entry_problem(refused))
    audit("public_entry_withdrawn", report_id=withdrawn.report_id, **_audit_detail(withdrawn))
    database.commit()
    return _to_entry(entry_id, "withdrawn")


# --- the pages: targets ----------------------------------------------------------------------------------

def _target_problem(refused: target_store.TargetInputError) -> str:
    code = refused.problem
    if code == "unknown_measure":
        # TRANSLATORS: next to the "What is measured" field on the staff targets page.
        return _("Choose what the target measures from the list.")
    if code == "working_days_missing" or (code == "out_of_range" and refused.field == "working_days"):
        # TRANSLATORS: next to the "Working days" field on the staff targets page; %(low)s and %(high)s are numbers.
        return _("Give a whole number of working days from %(low)s to %(high)s.",
                 low=target_store.MIN_WORKING_DAYS, high=target_store.MAX_WORKING_DAYS)
    if code == "working_days_not_counted":
        # TRANSLATORS: next to the "Working days" field on the staff targets page, for the "residents say it was sorted" measure.
        return _("This measure counts residents' answers, not days: leave the working days empty.")
    if code == "share_missing" or (code == "out_of_range" and refused.field == "share_percent"):
        # TRANSLATORS: next to the "Share" field on the staff targets page; %(low)s and %(high)s are numbers.
        return _("Give the share as a whole number of per cent from %(low)s to %(high)s.",
                 low=target_store.MIN_SHARE_PERCENT, high=target_store.MAX_SHARE_PERCENT)
    if code == "agreed_with_missing":
        # TRANSLATORS: next to the "Agreed with" field on the staff targets page.
        return _("Say who agreed it, e.g. “Weavers ward panel”.")
    if code == "agreed_with_too_long":
        # TRANSLATORS: next to the "Agreed with" field on the staff targets page; %(limit)s is a number.
        return _("Keep this to %(limit)s characters.", limit=target_store.MAX_AGREED_WITH_LENGTH)
    if code == "agreed_in_future":
        # TRANSLATORS: next to the "Agreed on" date on the staff targets page.
        return _("Give the day it was agreed: today or earlier.")
    if code == "effective_from_missing":
        # TRANSLATORS: next to the "In force from" date on the staff targets page.
        return _("Give the day it applies from.")
    if code == "date_out_of_range" and refused.field == "agreed_on":
        # TRANSLATORS: next to the "Agreed on" date on the staff targets page, for a day long ago (a typing slip); %(year)s is a year.
        return _("Give the day it was agreed: in %(year)s or later.", year=target_store.EARLIEST_DAY.year)
    if code == "date_out_of_range":
        # TRANSLATORS: next to the "In force from" date on the staff targets page, for a day long ago or far ahead (a typing slip); %(year)s is a year.
        return ngettext("Give a day in %(year)s or later, at most %(num)s year from today.",
                        "Give a day in %(year)s or later, at most %(num)s years from today.",
                        target_store.MAX_YEARS_AHEAD, year=target_store.EARLIEST_DAY.year)
    if code == "note_too_long":
        return _("Keep this to %(limit)s characters.", limit=target_store.MAX_NOTE_LENGTH)
    if code == "unknown_agency":
        return _("Choose an organisation from the list.")
    if code == "unknown_ward":
        return _("Choose a ward from the list.")
    if code == "already_retired":
        # TRANSLATORS: on the staff targets page when the target was retired already (by another admin, or the form was sent twice).
        return _("This target was already retired. Nothing was changed.")
    # TRANSLATORS: next to the retire date on the staff targets page.
    return _("Give a day on or after the day the target applied from.")


def _blank_target() -> dict:
    today = target_store.london_today(_now()).isoformat()
    return {"measure": "first_response", "agency": "", "ward": "", "working_days": "", "share_percent": "",
            "agreed_with": "", "agreed_on": today, "effective_from": today, "note": ""}


def _targets_page(*, status: int = 200, form: Optional[dict] = None, problems: Optional[dict] = None,
                  retire_problem: Optional[dict] = None):
    database = staff_session()
    today = target_store.london_today(_now())
    clocks = [_agency(slug) for slug in request.args.getlist("clock")] if status == 200 else []
    page = render_template(
        "staff/targets.html", in_force=target_store.targets_in_force(database, today=today),
        history=target_store.target_history(database), today=today, measures=TARGET_MEASURES,
        measure_labels=MEASURE_LABELS, agencies=_all_agencies(), wards=list_wards(database), agency_label=agency_label,
        form=form or _blank_target(), problems=problems or {}, retire_problem=retire_problem or {},
        clocks=[clock for clock in clocks if clock is not None],
        done=_done_message(status), max_agreed_with=target_store.MAX_AGREED_WITH_LENGTH,
        max_note=target_store.MAX_NOTE_LENGTH, when=_when)
    return page, status


def _whole_number(text: str):
    """A whole number as typed ("3"), None for empty, or the text itself (storage refuses it as out of range)."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else text


def _day(text: str) -> Optional[date]:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@blueprint.get("/admin/targets")
@staff_required("admin")
def targets():
    return _targets_page()


@blueprint.post("/admin/targets")
@staff_required("admin")
def target_add():
    form = {name: request.form.get(name, "").strip() for name in _blank_target()}
    problems = {}
    agreed_on, effective_from = _day(form["agreed_on"]), _day(form["effective_from"])
    if agreed_on is None:
        problems["agreed_on"] = _target_problem(target_store.TargetInputError("agreed_in_future"))
    if effective_from is None:
        problems["effective_from"] = _target_problem(target_store.TargetInputError("effective_from_missing"))
    working_days, share = _whole_number(form["working_days"]), _whole_number(form["share_percent"])
    for name, typed, low, high in (
            ("working_days", working_days, target_store.MIN_WORKING_DAYS, target_store.MAX_WORKING_DAYS),
            ("share_percent", share, target_store.MIN_SHARE_PERCENT, target_store.MAX_SHARE_PERCENT)):
        if isinstance(typed, str) or (typed is not None and not low <= typed <= high):
            problems[name] = _target_problem(target_store.TargetInputError("out_of_range", field=name))
    if problems:
        return _targets_page(status=400, form=form, problems=problems)
    database = staff_session()
    try:
        recorded = target_store.record_target(
            database, measure=form["measure"], agreed_with=form["agreed_with"], agreed_on=agreed_on,
            effective_from=effective_from, now=_now(), staff_user_id=current_staff().id, working_days=working_days,
            share_percent=share, agency_slug=form["agency"] or None, ward_slug=form["ward"] or None,
            note=form["note"] or None)
    except target_store.TargetInputError as refused:
        database.rollback()
        return _targets_page(status=400, form=form, problems={refused.field or "form": _target_problem(refused)})
    target = recorded.target
    audit("target_recorded", target=target.id, measure=target.measure, agency_id=target.agency_id,
          ward_id=target.ward_id, working_days=target.working_days, share_percent=target.share_percent,
          retired=list(recorded.retired), agency_clocks=recorded.agency_clocks)
    database.commit()
    return redirect(url_for("staff.targets", done="recorded", clock=sorted(recorded.agency_clocks), **_lang_query()),
                    code=303)


@blueprint.post("/admin/targets/<int:target_id>/retire")
@staff_required("admin")
def target_retire(target_id: int):
    typed = request.form.get("retired_on", "").strip()
    retired_on = _day(typed)
    database = staff_session()
    try:
        if retired_on is None:
            raise target_store.TargetInputError("retired_before_effective", field="retired_on")
        target, clocks = target_store.retire_target(database, target_id=target_id, retired_on=retired_on, now=_now())
    except LookupError:
        abort(404)
    except target_store.TargetInputError as refused:
        database.rollback()
        return _targets_page(status=400, retire_problem={"target": target_id, "message": _target_problem(refused),
                                                         "typed": typed})
    audit("target_retired", target=target.id, measure=target.measure, agency_clocks=clocks)
    database.commit()
    return redirect(url_for("staff.targets", done="retired", clock=sorted(clocks), **_lang_query()), code=303)
