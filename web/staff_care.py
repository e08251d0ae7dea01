"""The care-language word list admins edit (rec 8): words that stigmatise young people, people sleeping
rough or people who use drugs or alcohol, with better wording; and `care_flags_for`, the check the other
staff pages (replies, event text) run on what staff write.

For other pages: ``care_flags_for(text)`` answers one flag per term found (flows/care_language.CareFlag,
first occurrence), read from the word list in the request's session; pass them to the template as
``care_flags`` and ``{% include "staff/care_flags.html" %}``. A flag is a prompt for the writer, never a
block: the page shows it and lets them send as written or change it.
"""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from flows.care_language import CareFlag, distinct_terms, find_stigmatising_terms
from flows.i18n import _N
from storage import care_language as care_store
from storage.models import CARE_GROUPS
from web.staff import _lang_query, _now, audit, blueprint, staff_required, staff_session

# The longest sentence an admin may try on the page; a reply is shorter than this.
MAX_TRY_LENGTH = 2000

# Who a word hurts, as the page's headings and the group choice name them.
GROUP_LABELS = {
    # TRANSLATORS: a group on the care-language admin page: words that stigmatise young people.
    "young_people": _N("Young people"),
    # TRANSLATORS: a group on the care-language admin page: words that stigmatise people who sleep outside.
    "rough_sleeping": _N("People sleeping rough"),
    # TRANSLATORS: a group on the care-language admin page: words that stigmatise people with an addiction.
    "addiction": _N("People who use drugs or alcohol"),
    # TRANSLATORS: a group on the care-language admin page: words about anyone else.
    "other": _N("Other"),
}
assert set(GROUP_LABELS) == set(CARE_GROUPS)

# storage.care_language.CareTermInputError.problem → what the admin reads.
PROBLEMS = {
    # TRANSLATORS: on the care-language admin page when the word field was left empty.
    "term_missing": _N("Give the word or phrase to flag."),
    # TRANSLATORS: on the care-language admin page; %(limit)s is a number of characters.
    "term_too_long": _N("A word or phrase can be at most %(limit)s characters."),
    # TRANSLATORS: on the care-language admin page when the word was only punctuation (e.g. "!!").
    "term_no_letters": _N("A word or phrase needs at least one letter."),
    # TRANSLATORS: on the care-language admin page when the word is already listed (in any case, with spaces or hyphens).
    "term_duplicate": _N("That word or phrase is already on the list."),
    # TRANSLATORS: on the care-language admin page when the "write instead" field was left empty.
    "suggestion_missing": _N("Say what to write instead."),
    # TRANSLATORS: on the care-language admin page; %(limit)s is a number of characters.
    "suggestion_too_long": _N("What to write instead can be at most %(limit)s characters."),
    # TRANSLATORS: on the care-language admin page when the group chosen is not one of the four offered.
    "group_unknown": _N("Choose one of the groups offered."),
}
PROBLEM_LIMITS = {"term_too_long": care_store.MAX_TERM_LENGTH,
                  "suggestion_too_long": care_store.MAX_SUGGESTION_LENGTH}

DONE = {
    # TRANSLATORS: on the care-language admin page after an admin added a word.
    "added": _N("The word was added to the list."),
    # TRANSLATORS: on the care-language admin page after an admin changed a word.
    "changed": _N("The word was changed."),
    # TRANSLATORS: on the care-language admin page after an admin removed a word.
    "removed": _N("The word was removed from the list."),
}


def care_flags_for(text: str) -> list[CareFlag]:
    """One flag per listed term found in `text`, in reading order (first occurrence of each)."""
    if "care_rules" not in g:
        # A page may check a reply and a note in one request: the list is read once.
        g.care_rules = care_store.care_rules(staff_session())
    return distinct_terms(find_stigmatising_terms(text or "", g.care_rules))


@blueprint.get("/admin/care-words")
@staff_required("admin")
def care_words():
    return _page()


@blueprint.post("/admin/care-words")
@staff_required("admin")
def care_words_add():
    database = staff_session()
    form = _form()
    try:
        row = care_store.add_term(database, now=_now(), **form)
    except care_store.CareTermInputError as refused:
        database.rollback()
        return _page(status=400, add_form=form, add_problem=refused.problem)
    audit("care_term_added", term_id=row.id, term=row.term, group=row.group)
    database.commit()
    return _back("added")


@blueprint.post("/admin/care-words/<int:term_id>")
@staff_required("admin")
def care_word_edit(term_id: int):
    database = staff_session()
    form = _form()
    try:
        row = care_store.update_term(database, term_id=term_id, now=_now(), **form)
    except LookupError:
        abort(404)
    except care_store.CareTermInputError as refused:
        database.rollback()
        return _page(status=400, edit_id=term_id, edit_form=form, edit_problem=refused.problem)
    audit("care_term_changed", term_id=row.id, term=row.term, group=row.group)
    database.commit()
    return _back("changed")


@blueprint.post("/admin/care-words/<int:term_id>/remove")
@staff_required("admin")
def care_word_remove(term_id: int):
    database = staff_session()
    try:
        row = care_store.remove_term(database, term_id=term_id)
    except LookupError:
        abort(404)
    audit("care_term_removed", term_id=term_id, term=row.term)
    database.commit()
    return _back("removed")


def _form() -> dict:
    return {name: request.form.get(name, "") for name in ("term", "suggestion", "group")}


def _back(done: str):
    # 303: after a change the browser asks for the list again, so a reload never posts twice.
    return redirect(url_for("staff.care_words", done=done, **_lang_query()), code=303)


def _page(*, status: int = 200, add_form=None, add_problem=None, edit_id=None, edit_form=None, edit_problem=None):
    database = staff_session()
    tried = request.args.get("try", "")[:MAX_TRY_LENGTH]
    terms = care_store.list_terms(database)
    by_group = [(group, [row for row in terms if row.group == group]) for group in CARE_GROUPS]
    page = render_template(
        "staff/care_words.html",
        by_group=by_group, group_labels=GROUP_LABELS, groups=CARE_GROUPS,
        add_form=add_form or {"term": "", "suggestion": "", "group": "young_people"}, add_problem=add_problem,
        edit_id=edit_id, edit_form=edit_form, edit_problem=edit_problem,
        problems=PROBLEMS, problem_limits=PROBLEM_LIMITS,
        done=DONE.get(request.args.get("done", "")) if status == 200 else None,
        tried=tried, care_flags=care_flags_for(tried) if tried.strip() else [],
        max_term=care_store.MAX_TERM_LENGTH, max_suggestion=care_store.MAX_SUGGESTION_LENGTH,
        max_try=MAX_TRY_LENGTH,
    )
    return page, status
