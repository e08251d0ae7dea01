"""The "get help" directory's staff page (recs 3, 5-7): `/staff/services` lists the support services residents
are pointed to, those unchecked for six months or more first; admins and officers add, change, confirm
("mark checked") and remove them; every other signed-in role reads. Each change is audited.

Values are checked by storage/help_services.py; a refused form answers 400, says why in the reader's language
and changes nothing.
"""
from __future__ import annotations

from babel.dates import format_date
from flask import abort, redirect, render_template, request, url_for

from flows import i18n
from flows.get_help import COSTS, KINDS, ONLINE_KINDS, SPOKEN_NAMES
from flows.i18n import _N
from storage import help_services
from storage.models import HELP_CATEGORIES, HELP_SPOKEN_LANGUAGES, SPACE_COSTS
from storage.places import list_wards
from storage.reports import UnknownChoice
from web.i18n import _, current_language
from web.staff import _lang_query, _now, audit, blueprint, current_staff, staff_required, staff_session

# Who keeps the directory: admins, and officers of any agency (they know the services their residents use).
EDITING_ROLES = ("admin", "officer")

KIND_LABELS = KINDS | ONLINE_KINDS
assert set(KIND_LABELS) == set(HELP_CATEGORIES)
# The words residents read for what a service costs, so staff choose exactly what residents will see.
COST_LABELS = COSTS
assert set(COST_LABELS) == set(SPACE_COSTS)

# Why a form was refused (storage.help_services.HelpServiceRefused's problem and field) → what staff read.
FIELD_LABELS = {
    # TRANSLATORS: a field of the staff form for a support service: its name.
    "name": _N("Name"),
    # TRANSLATORS: a field of the staff form for a support service: what it offers, in English.
    "offer": _N("What it offers"),
    # TRANSLATORS: a field of the staff form for a support service: what it offers in other languages.
    "offers": _N("What it offers in other languages"),
    # TRANSLATORS: a field of the staff form for a support service.
    "phone": _N("Phone"),
    # TRANSLATORS: a field of the staff form for a support service.
    "website": _N("Website"),
    # TRANSLATORS: a field of the staff form for a support service.
    "address": _N("Address"),
    # TRANSLATORS: a field of the staff form for a support service.
    "hours": _N("Opening hours"),
    # TRANSLATORS: a field of the staff form for a support service: the kinds of support it gives.
    "categories": _N("Kinds of support"),
    # TRANSLATORS: a field of the staff form for a support service: whether it costs anything.
    "cost": _N("Cost"),
    # TRANSLATORS: a field of the staff form for a support service: languages its staff speak.
    "languages": _N("Languages spoken there"),
    # TRANSLATORS: a field of the staff form for a support service: its ward (or the whole borough).
    "ward": _N("Ward"),
}
PROBLEMS = {
    # TRANSLATORS: on the staff page of support services when a required field was empty; %(field)s names it.
    "missing": _N("Fill in “%(field)s”."),
    # TRANSLATORS: on the staff page of support services; %(field)s names a field, %(limit)s is a number of characters.
    "too_long": _N("“%(field)s” can be at most %(limit)s characters."),
    # TRANSLATORS: on the staff page of support services when a choice was not one of those offered.
    "unknown": _N("Choose from the options offered for “%(field)s”."),
    # TRANSLATORS: on the staff page of support services: the website must be a full web address.
    "website": _N("Give the website as a full address starting with https://"),
    # TRANSLATORS: on the staff page of support services: phone, website and address were all empty.
    "no_contact": _N("Give a phone number, a website or an address, so residents can reach the service."),
    # TRANSLATORS: on the staff page of support services: a date in the future was given as the day it was checked.
    "future": _N("The day it was checked cannot be in the future."),
}
DONE = {
    # TRANSLATORS: on the staff page of support services after one was added.
    "added": _N("The service was added."),
    # TRANSLATORS: on the staff page of support services after one was changed.
    "changed": _N("The service was changed."),
    # TRANSLATORS: on the staff page of support services after staff confirmed its details are still right.
    "checked": _N("The service was marked as checked today."),
    # TRANSLATORS: on the staff page of support services after one was removed.
    "removed": _N("The service was removed."),
}


@blueprint.get("/services")
@staff_required()
def services():
    return _page()


@blueprint.post("/services")
@staff_required(*EDITING_ROLES)
def services_add():
    database = staff_session()
    form = _form()
    try:
        service = help_services.add_help_service(database, now=_now(), **_values(form))
    except (help_services.HelpServiceRefused, UnknownChoice) as refused:
        database.rollback()
        return _page(status=400, add_form=form, add_problem=_problem(refused))
    audit("help_service_added", service_id=service.id, name=service.name)
    database.commit()
    return _back("added")


@blueprint.post("/services/<int:service_id>")
@staff_required(*EDITING_ROLES)
def services_edit(service_id: int):
    database = staff_session()
    form = _form()
    try:
        service = help_services.update_help_service(database, service_id=service_id, now=_now(), **_values(form))
    except LookupError:
        abort(404)
    except (help_services.HelpServiceRefused, UnknownChoice) as refused:
        database.rollback()
        return _page(status=400, edit_id=service_id, edit_form=form, edit_problem=_problem(refused))
    audit("help_service_changed", service_id=service.id, name=service.name)
    database.commit()
    return _back("changed")


@blueprint.post("/services/<int:service_id>/check")
@staff_required(*EDITING_ROLES)
def services_check(service_id: int):
    database = staff_session()
    try:
        service = help_services.mark_checked(database, service_id=service_id, now=_now())
    except LookupError:
        abort(404)
    audit("help_service_checked", service_id=service.id, name=service.name)
    database.commit()
    return _back("checked")


@blueprint.post("/services/<int:service_id>/remove")
@staff_required(*EDITING_ROLES)
def services_remove(service_id: int):
    database = staff_session()
    try:
        service, _ward = help_services.get_help_service(database, service_id=service_id)
        name = service.name
        help_services.remove_help_service(database, service_id=service_id)
    except LookupError:
        abort(404)
    audit("help_service_removed", service_id=service_id, name=name)
    database.commit()
    return _back("removed")


def _offer_languages() -> list[i18n.Language]:
    """The languages residents are written to, but English (which is the offer itself)."""
    return [language for language in i18n.LANGUAGES if language.code != i18n.DEFAULT_LANGUAGE]


def _form() -> dict:
    """What the form sent, as the page shows it again when it is refused."""
    form = {name: request.form.get(name, "") for name in ("name", "offer", "phone", "website", "address", "ward",
                                                           "hours", "cost")}
    form["categories"] = request.form.getlist("categories")
    form["languages"] = request.form.getlist("languages")
    form["offers"] = {language.code: request.form.get(f"offer_{language.code}", "")
                      for language in _offer_languages()}
    return form


def _values(form: dict) -> dict:
    """The form as storage takes it: every field given, so an edit sets exactly what the form shows."""
    return dict(name=form["name"], categories=form["categories"], offer=form["offer"], offers=form["offers"],
                phone=form["phone"], website=form["website"], address=form["address"], ward_slug=form["ward"],
                opening_hours=form["hours"], cost=form["cost"] or "free", languages=form["languages"])


def _problem(refused: Exception) -> str:
    """The refusal in the reader's language."""
    if isinstance(refused, UnknownChoice):
        return _(PROBLEMS["unknown"], field=_(FIELD_LABELS["ward"]))
    field = _(FIELD_LABELS.get(refused.field, refused.field or ""))
    return _(PROBLEMS[refused.problem], field=field, limit=refused.limit or "")


def _back(done: str):
    # 303: after a change the browser asks for the list again, so a reload never posts twice.
    return redirect(url_for("staff.services", done=done, **_lang_query()), code=303)


def _form_of(service, ward_slug) -> dict:
    return dict(name=service.name, offer=service.offer, phone=service.phone or "", website=service.website or "",
                address=service.address or "", ward=ward_slug or "", hours=service.opening_hours or "",
                cost=service.cost, categories=list(service.categories), languages=list(service.languages),
                offers={language.code: service.offers.get(language.code, "") for language in _offer_languages()})


def _day(day) -> str:
    """A date as staff read it ("10 January 2027"), in the page's language and digits."""
    lang = current_language()
    return i18n.localise_digits(format_date(day, "d MMMM y", locale=i18n.babel_locale(lang)), lang)


def _page(*, status: int = 200, add_form=None, add_problem=None, edit_id=None, edit_form=None, edit_problem=None):
    database = staff_session()
    today = help_services.london_day(_now())
    wards = list_wards(database)
    slug_of = {ward.name: ward.slug for ward in wards}
    rows = [(service, ward_name, stale, _form_of(service, slug_of.get(ward_name)))
            for service, ward_name, stale in help_services.list_for_staff(database, today=today)]
    empty = dict(name="", offer="", phone="", website="", address="", ward="", hours="", cost="free", categories=[],
                 languages=[], offers={})
    page = render_template(
        "staff/services.html",
        rows=rows, stale_count=sum(1 for row in rows if row[2]), can_edit=current_staff().role in EDITING_ROLES,
        add_form=add_form or empty, add_problem=add_problem, edit_id=edit_id, edit_form=edit_form,
        edit_problem=edit_problem, kinds=HELP_CATEGORIES, kind_labels=KIND_LABELS, costs=SPACE_COSTS,
        cost_labels=COST_LABELS, spoken=HELP_SPOKEN_LANGUAGES, spoken_names=SPOKEN_NAMES,
        offer_languages=_offer_languages(), wards=wards, field_labels=FIELD_LABELS,
        done=DONE.get(request.args.get("done", "")) if status == 200 else None,
        check_after=help_services.CHECK_AFTER_MONTHS, format_day=_day,
        limits=dict(name=help_services.MAX_NAME_LENGTH, offer=help_services.MAX_OFFER_LENGTH,
                    phone=help_services.MAX_PHONE_LENGTH, website=help_services.MAX_WEBSITE_LENGTH,
                    address=help_services.MAX_ADDRESS_LENGTH, hours=help_services.MAX_HOURS_LENGTH),
    )
    return page, status
