"""The organisers' pages for events (GET/POST /staff/events...): add, edit, move and cancel events, see
answers and access needs, approve "have your say" items, read feedback.

Organisers and admins change events; officers and viewers may read them (403 on every POST). The changes
and the notices they owe residents are bot/event_changes.py's, shared with `safer-homes events`; what is
counted and shown comes from storage (events, organiser, agenda, feedback), never names or contacts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Optional

from flask import abort, current_app, redirect, render_template, request, url_for

from bot import digest_send
from bot.event_changes import cancel_and_tell, edit_and_tell, move_and_tell
from flows.events import KINDS, london_datetime
from flows.i18n import _N
from flows.working_days import LONDON
from storage import agenda, events as event_store, feedback, organiser
from storage.models import EVENT_KINDS, Space
from storage.places import list_wards
from storage.reports import UnknownChoice
from storage.spaces import list_spaces
from web.i18n import _, current_language, ngettext  # noqa: F401 (web/staff_public.py takes `_` from here)
from web.staff import _lang_query, _now, audit, blueprint, current_staff, staff_required, staff_session
from web.staff_care import care_flags_for

# The roles that run events; officers and viewers read the pages but change nothing.
ORGANISING_ROLES = ("organiser", "admin")

# Interpreter languages as staff read them, in the page's language (the codes of Event.offers,
# storage.events.INTERPRETER_LANGUAGE_NAMES; a test checks every code has a name here).
INTERPRETER_LANGUAGES = {
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "bn": _N("Bengali"),
    # TRANSLATORS: an interpreter language on the staff events pages: Sylheti is spoken in Sylhet (Bangladesh) and by many Tower Hamlets residents; it is usually not written.
    "syl": _N("Sylheti"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "so": _N("Somali"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "ur": _N("Urdu"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "ar": _N("Arabic"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "tr": _N("Turkish"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "pl": _N("Polish"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "lt": _N("Lithuanian"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "zh": _N("Chinese"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "es": _N("Spanish"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "pt": _N("Portuguese"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "it": _N("Italian"),
    # TRANSLATORS: an interpreter language an event can offer, on the staff events pages.
    "fr": _N("French"),
    # TRANSLATORS: an interpreter language on the staff events pages: British Sign Language, used by Deaf people in the UK. Keep "BSL".
    "bsl": _N("British Sign Language (BSL)"),
}
# TRANSLATORS: on the staff events page, for residents who asked for an interpreter without saying which language.
LANGUAGE_NOT_GIVEN = _N("language not given")

# The report categories (storage.agenda.TOPICS) as organisers read an agenda item's topic.
AGENDA_TOPICS = {
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "asb": _N("Anti-social behaviour"),
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "drugs": _N("Drugs"),
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "harassment": _N("Harassment"),
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "hate": _N("Hate incidents"),
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "unsafe_place": _N("Unsafe places"),
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "noise": _N("Noise"),
    # TRANSLATORS: the topic of a "have your say" agenda item, on the staff event page.
    "other": _N("Other"),
}

OFFER_FLAGS = ("food", "childcare", "step_free", "travel_costs")
OFFER_LABELS = {
    # TRANSLATORS: something an event offers so people can come (a checkbox on the staff event form).
    "food": _N("Food"),
    # TRANSLATORS: something an event offers so people can come (a checkbox on the staff event form).
    "childcare": _N("Childcare"),
    # TRANSLATORS: something an event offers: the venue has no steps (wheelchair, pram, walking aid).
    "step_free": _N("Step-free access"),
    # TRANSLATORS: something an event offers: the organisers pay back what it cost to get there.
    "travel_costs": _N("Travel costs paid back"),
}


def _refusal(refused: ValueError) -> str:
    """What storage refused, in the page's language where the page can reach it past its own checks; any
    other refusal (one the form's checks should have caught first) in storage's own English words."""
    code = getattr(refused, "code", None)
    if code == "cancelled":
        # TRANSLATORS: on the staff event page, when an organiser tries to change or move a cancelled event.
        return _("This event is cancelled, so it cannot change. Add a new event instead.")
    if code == "started":
        # TRANSLATORS: on the staff event page, when an organiser tries to change or move an event that has begun.
        return _("This event has already started, so its time, place and number of places can no longer change.")
    if code == "time_gone_by":
        # TRANSLATORS: on the staff event page, when the new time for a moved event is already past.
        return _("That time has gone by. Choose a day and time still to come.")
    if code == "too_far":
        # TRANSLATORS: on the staff event page, when the day given for an event is more than a hundred years away.
        return _("That day is more than a hundred years away. Check the year.")
    if code == "nothing_to_change":
        # TRANSLATORS: on the staff event page, when "move" gives the time and place the event already has (a form sent twice, say).
        return _("The event already starts then, at that place: nothing was changed and nobody was told again.")
    if code == "places_given":
        # TRANSLATORS: on the staff event page, when the new number of places is below the places already given; %(num)d is how many have one.
        return ngettext("%(num)d person already has a place: the number of places cannot be lower than that.",
                        "%(num)d people already have a place: the number of places cannot be lower than that.",
                        refused.count or 0)
    return str(refused)


def _london(moment: Optional[datetime], pattern: str = "EEEE d MMMM y, HH:mm") -> str:
    """A stored UTC time as London time in the page's language and digits."""
    return london_datetime(current_language(), moment, pattern) if moment else ""


def _channels():
    return current_app.extensions["safer_homes.deliverer"].channels


def _may_organise() -> bool:
    identity = current_staff()
    return identity is not None and identity.role in ORGANISING_ROLES


@blueprint.app_context_processor
def _events_page_context() -> dict:
    return {"may_organise": _may_organise}


# --- care language ---------------------------------------------------------------------------------

def _care_check(*texts: Optional[str]) -> dict:
    """The template's care-language context for these texts (web/staff_care's check, rec 8): empty when
    nothing is flagged or the organiser ticked that they read the flags and keep their words."""
    flags = care_flags_for("\n".join(text for text in texts if text))
    if not flags or request.form.get("care_confirmed"):
        return {}
    return {"care_flags": flags}


# --- reading the forms -----------------------------------------------------------------------------

@dataclass
class EventForm:
    """What the organiser typed (shown again as typed), what it means for storage, and what is wrong."""

    values: dict
    problems: dict = field(default_factory=dict)
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    capacity: Optional[int] = None
    offers: dict = field(default_factory=dict)
    decision_makers: list = field(default_factory=list)


def _blank_form() -> dict:
    return {"kind": "community_forum", "title": "", "description": "", "ward": "", "space": "", "place": "",
            "starts_date": "", "starts_time": "", "ends_time": "", "capacity": "", "interpreters": [],
            "food": False, "childcare": False, "step_free": False, "travel_costs": False, "voucher": "",
            "decision_makers": ""}


def _form_of(event) -> dict:
    """An event as its edit form shows it."""
    offers = event.offers or {}
    return {"kind": event.kind, "title": event.title, "description": event.description or "",
            "ends_time": event.ends_at.astimezone(LONDON).strftime("%H:%M") if event.ends_at else "",
            "capacity": str(event.capacity) if event.capacity else "",
            "interpreters": list(offers.get("interpreters") or ()),
            **{flag: bool(offers.get(flag)) for flag in OFFER_FLAGS}, "voucher": offers.get("voucher", ""),
            "decision_makers": "\n".join(event.decision_makers or ())}


def _parse_day(value: str) -> Optional[date]:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _parse_time(value: str) -> Optional[time]:
    try:
        return time.fromisoformat(value.strip()[:5])
    except ValueError:
        return None


def _read_event_form(*, creating: bool, event_start: Optional[datetime] = None) -> EventForm:
    """The add or edit form, checked field by field so each message sits next to its field; storage checks
    again (it is the rule), and anything it still refuses is shown above the form."""
    raw = request.form
    values = {name: raw.get(name, "").strip() for name in ("kind", "title", "description", "ward", "space",
                                                          "place", "starts_date", "starts_time", "ends_time",
                                                          "capacity", "voucher")}
    values["decision_makers"] = raw.get("decision_makers", "")
    values["interpreters"] = [code for code in raw.getlist("interpreters") if code]
    for flag in OFFER_FLAGS:
        values[flag] = bool(raw.get(flag))
    form = EventForm(values=values)
    problems = form.problems

    if values["kind"] not in EVENT_KINDS:
        # TRANSLATORS: next to the "Kind of event" field on the staff event form.
        problems["kind"] = _("Choose a kind of event from the list.")
    if not values["title"]:
        # TRANSLATORS: next to the "Title" field on the staff event form.
        problems["title"] = _("Give the event a title.")
    elif len(values["title"]) > event_store.MAX_TITLE_LENGTH:
        # TRANSLATORS: next to the "Title" field on the staff event form; %(limit)s is a number.
        problems["title"] = _("Keep the title to %(limit)s characters.", limit=event_store.MAX_TITLE_LENGTH)
    if len(values["description"]) > event_store.MAX_DESCRIPTION_LENGTH:
        # TRANSLATORS: next to the "Description" field on the staff event form; %(limit)s is a number.
        problems["description"] = _("Keep the description to %(limit)s characters.",
                                      limit=event_store.MAX_DESCRIPTION_LENGTH)

    now = _now()
    if creating:
        day, moment = _parse_day(values["starts_date"]), _parse_time(values["starts_time"])
        if day is None or moment is None:
            # TRANSLATORS: next to the "Starts" date and time fields on the staff event form.
            problems["starts"] = _("Give the day and the time it starts.")
        else:
            form.starts_at = datetime.combine(day, moment, tzinfo=LONDON)
            if form.starts_at <= now:
                # TRANSLATORS: next to the "Starts" fields on the staff event form.
                problems["starts"] = _("The event must start in the future.")
        if values["space"] and values["place"]:
            # TRANSLATORS: next to the "Place" field on the staff event form.
            problems["place"] = _("Choose a space from the directory or write a place, not both.")
        elif len(values["place"]) > event_store.MAX_PLACE_LENGTH:
            # TRANSLATORS: next to the "Place" field on the staff event form; %(limit)s is a number.
            problems["place"] = _("Keep the place to %(limit)s characters.", limit=event_store.MAX_PLACE_LENGTH)
        if values["space"] and not values["space"].isdigit():
            # TRANSLATORS: next to the "Space" field on the staff event form.
            problems["space"] = _("Choose a space from the list.")
    else:
        form.starts_at = event_start

    if values["ends_time"]:
        ends = _parse_time(values["ends_time"])
        if ends is None:
            # TRANSLATORS: next to the "Ends" field on the staff event form.
            problems["ends"] = _("Give the time it ends, or leave it empty.")
        elif form.starts_at is not None:
            form.ends_at = datetime.combine(form.starts_at.astimezone(LONDON).date(), ends, tzinfo=LONDON)
            if form.ends_at <= form.starts_at:
                # TRANSLATORS: next to the "Ends" field on the staff event form.
                problems["ends"] = _("The event must end after it starts, on the same day.")

    if values["capacity"]:
        if not values["capacity"].isdigit() or int(values["capacity"]) < 1:
            # TRANSLATORS: next to the "Places" (capacity) field on the staff event form.
            problems["capacity"] = _("Give the number of places as a whole number of 1 or more, or leave it empty.")
        else:
            form.capacity = int(values["capacity"])

    unknown = [code for code in values["interpreters"] if code not in INTERPRETER_LANGUAGES]
    if unknown:
        # TRANSLATORS: next to the interpreter languages on the staff event form.
        problems["interpreters"] = _("Choose interpreter languages from the list.")
    if len(values["voucher"]) > event_store.MAX_OFFER_TEXT_LENGTH:
        # TRANSLATORS: next to the "Voucher" field on the staff event form; %(limit)s is a number.
        problems["voucher"] = _("Keep the voucher text to %(limit)s characters.",
                                limit=event_store.MAX_OFFER_TEXT_LENGTH)
    form.decision_makers = [line.strip() for line in values["decision_makers"].splitlines() if line.strip()]
    if any(len(name) > event_store.MAX_OFFER_TEXT_LENGTH for name in form.decision_makers):
        # TRANSLATORS: next to the "Decision makers" field on the staff event form; %(limit)s is a number.
        problems["decision_makers"] = _("Keep each line to %(limit)s characters.",
                                        limit=event_store.MAX_OFFER_TEXT_LENGTH)
    form.offers = {"interpreters": values["interpreters"], "voucher": values["voucher"],
                   **{flag: values[flag] for flag in OFFER_FLAGS}}
    return form


def _choices() -> dict:
    database = staff_session()
    return {"wards": list_wards(database), "spaces": list_spaces(database), "kinds": EVENT_KINDS,
            "kind_labels": KINDS, "interpreter_languages": INTERPRETER_LANGUAGES, "offer_labels": OFFER_LABELS}


# --- what the pages show ---------------------------------------------------------------------------

def _needs_lines(totals: organiser.RsvpTotals) -> list[str]:
    """What the people with a place need, in the page's language: the numbers organisers plan for."""
    lines = []
    if totals.interpreters:
        ranked = sorted(totals.interpreters.items(), key=lambda item: (-item[1], item[0]))
        # TRANSLATORS: on the staff events pages: one interpreter language and how many asked for it, e.g. "Bengali 6".
        languages = ", ".join(_("%(language)s %(count)s", language=_language_name(code), count=count)
                              for code, count in ranked)
        # TRANSLATORS: on the staff events pages: interpreters needed per language, e.g. "Interpreters: Bengali 6, Somali 3".
        lines.append(_("Interpreters: %(languages)s", languages=languages))
    if totals.childcare:
        # TRANSLATORS: on the staff events pages: how many people with a place need childcare.
        lines.append(_("Childcare: %(count)s", count=totals.childcare))
    if totals.step_free:
        # TRANSLATORS: on the staff events pages: how many people with a place need step-free access.
        lines.append(_("Step-free access: %(count)s", count=totals.step_free))
    if totals.food:
        # TRANSLATORS: on the staff events pages: how many people with a place asked for food.
        lines.append(_("Food: %(count)s", count=totals.food))
    return lines


@dataclass(frozen=True)
class EventRow:
    event: object
    ward_name: Optional[str]
    venue: Optional[str]
    when: str
    totals: organiser.RsvpTotals
    needs: list


def _rows(listed) -> list[EventRow]:
    database = staff_session()
    space_names = {space.id: space.name for space, _ward in list_spaces(database)}
    rows = []
    for event, ward_name in listed:
        # A handful of small counts per event (storage.organiser): the list shows at most a few dozen.
        totals, _kept = organiser.event_totals(database, event=event)
        rows.append(EventRow(event=event, ward_name=ward_name,
                             venue=space_names.get(event.space_id) or event.place, when=_london(event.starts_at),
                             totals=totals, needs=_needs_lines(totals)))
    return rows


@blueprint.get("/events")
@staff_required()
def events():
    past = request.args.get("when") == "past"
    database = staff_session()
    if past:
        listed = event_store.list_past_events(database, now=_now())
    else:
        listed = event_store.list_upcoming_events(database, now=_now(), include_cancelled=True)
    return render_template("staff/events.html", rows=_rows(listed), past=past, kind_labels=KINDS)


def _event_or_404(event_id: int):
    found = event_store.find_event(staff_session(), event_id=event_id)
    if found is None:
        abort(404)
    return found


def _event_page(event_id: int, *, status: int = 200, **context):
    """The event page; forms shown again with their problems or care flags come in `context`."""
    database = staff_session()
    event, ward_name = _event_or_404(event_id)
    space = database.get(Space, event.space_id) if event.space_id else None
    totals, kept = organiser.event_totals(database, event=event)
    context.setdefault("edit_form", _form_of(event))
    context.setdefault("move_form", {"starts_date": "", "starts_time": "", "place": ""})
    page = render_template(
        "staff/events_event.html", event=event, ward_name=ward_name, space=space, totals=totals, kept=kept,
        needs=_needs_lines(totals), when=_london(event.starts_at), ends=_london(event.ends_at, "HH:mm"),
        started=event.starts_at <= _now(), told=request.args.get("told", 0, type=int),
        agenda_items=agenda.review_items(database, event_id=event_id),
        feedback=feedback.feedback_summary(database, event_id=event_id), topics=AGENDA_TOPICS,
        london=_london, offered=_offered(event), digest=_digest_context(database, event), **_choices(), **context)
    return page, status


def _digest_context(database, event) -> Optional[dict]:
    """The ward panel digest's link, and whether it was sent to the residents coming; None outside a ward."""
    if event.ward_id is None:
        return None
    ward_slug = digest_send.ward_slug_of(database, event_id=event.id)
    base_url = current_app.extensions["safer_homes.settings"].public_base_url
    sent = digest_send.digest_sent(database, event_id=event.id)
    return {"url": digest_send.digest_url(base_url, ward_slug=ward_slug, event_id=event.id,
                                          lang=current_language()),
            "sent_on": _london(sent.sent_at) if sent else None, "sent_to": sent.queued if sent else 0,
            "audience": digest_send.digest_audience(database, event_id=event.id)}


def _language_name(code: str) -> str:
    if code in INTERPRETER_LANGUAGES:
        return _(INTERPRETER_LANGUAGES[code])
    return code or _(LANGUAGE_NOT_GIVEN)


def _offered(event) -> list[str]:
    """What the event offers, in the page's language."""
    offers, said = event.offers or {}, []
    if offers.get("interpreters"):
        names = ", ".join(_(INTERPRETER_LANGUAGES[code]) if code in INTERPRETER_LANGUAGES else code
                          for code in offers["interpreters"])
        # TRANSLATORS: what an event offers, on the staff event page; %(languages)s lists languages.
        said.append(_("Interpreters: %(languages)s", languages=names))
    for flag in OFFER_FLAGS:
        if offers.get(flag):
            said.append(_(OFFER_LABELS[flag]))
    if offers.get("voucher"):
        # TRANSLATORS: what an event offers, on the staff event page; %(voucher)s is as the organiser wrote it.
        said.append(_("Voucher: %(voucher)s", voucher=offers["voucher"]))
    return said


@blueprint.get("/events/<int:event_id>")
@staff_required()
def event(event_id: int):
    return _event_page(event_id)


def _to_event(event_id: int, **notice):
    return redirect(url_for("staff.event", event_id=event_id, **notice, **_lang_query()), code=303)


# --- adding, editing, moving, cancelling --------------------------------------------------------------

@blueprint.route("/events/new", methods=["GET", "POST"])
@staff_required(*ORGANISING_ROLES)
def event_new():
    if request.method == "GET":
        return render_template("staff/events_new.html", form=_blank_form(), problems={}, **_choices())
    form = _read_event_form(creating=True)
    database = staff_session()
    context: dict = {}
    if not form.problems:
        context = _care_check(form.values["title"], form.values["description"])
    if not form.problems and not context:
        try:
            added = event_store.create_event(
                database, title=form.values["title"], starts_at=form.starts_at, now=_now(),
                ward_slug=form.values["ward"] or None, place=form.values["place"] or None,
                capacity=form.capacity, kind=form.values["kind"], ends_at=form.ends_at,
                description=form.values["description"] or None,
                space_id=int(form.values["space"]) if form.values["space"] else None, offers=form.offers,
                decision_makers=form.decision_makers)
        except (event_store.EventDetails, UnknownChoice, ValueError) as refused:
            database.rollback()
            form.problems["form"] = _refusal(refused)
        else:
            audit("event_added", event=added.id)
            database.commit()
            return _to_event(added.id, done="added")
    page = render_template("staff/events_new.html", form=form.values, problems=form.problems, **_choices(), **context)
    return page, 400


@blueprint.post("/events/<int:event_id>/edit")
@staff_required(*ORGANISING_ROLES)
def event_edit(event_id: int):
    event, _ward = _event_or_404(event_id)
    form = _read_event_form(creating=False, event_start=event.starts_at)
    context: dict = {}
    if not form.problems:
        context = _care_check(form.values["title"], form.values["description"])
    if form.problems or context:
        return _event_page(event_id, status=400, edit_form=form.values, edit_problems=form.problems, **context)
    database = staff_session()
    try:
        change = edit_and_tell(
            database, _channels(), event_id=event_id, now=_now(),
            public_base_url=current_app.extensions["safer_homes.settings"].public_base_url,
            title=form.values["title"], kind=form.values["kind"], ends_at=form.ends_at,
            description=form.values["description"], capacity=form.capacity, offers=form.offers,
            decision_makers=form.decision_makers)
    except (event_store.EventDetails, ValueError) as refused:
        database.rollback()
        return _event_page(event_id, status=400, edit_form=form.values, edit_problems={"form": _refusal(refused)})
    audit("event_changed", event=event_id, given_places=len(change.promoted))
    database.commit()
    return _to_event(event_id, done="changed", told=change.told)


@blueprint.post("/events/<int:event_id>/move")
@staff_required(*ORGANISING_ROLES)
def event_move(event_id: int):
    _event_or_404(event_id)
    values = {name: request.form.get(name, "").strip() for name in ("starts_date", "starts_time", "place")}
    problems = {}
    day, moment = _parse_day(values["starts_date"]), _parse_time(values["starts_time"])
    if day is None or moment is None:
        # TRANSLATORS: next to the new day and time when moving an event on the staff event page.
        problems["starts"] = _("Give the new day and the time it starts.")
    elif len(values["place"]) > event_store.MAX_PLACE_LENGTH:
        problems["place"] = _("Keep the place to %(limit)s characters.", limit=event_store.MAX_PLACE_LENGTH)
    if problems:
        return _event_page(event_id, status=400, move_form=values, move_problems=problems)
    database = staff_session()
    try:
        change = move_and_tell(database, _channels(), event_id=event_id, now=_now(),
                               starts_at=datetime.combine(day, moment, tzinfo=LONDON),
                               place=values["place"] or None)
    except ValueError as refused:
        # The same move sent twice lands here too ("already starts then"): nothing changes, nobody is told again.
        database.rollback()
        return _event_page(event_id, status=400, move_form=values, move_problems={"form": _refusal(refused)})
    audit("event_moved", event=event_id, told=change.told)
    database.commit()
    return _to_event(event_id, done="moved", told=change.told)


@blueprint.post("/events/<int:event_id>/cancel")
@staff_required(*ORGANISING_ROLES)
def event_cancel(event_id: int):
    event, _ward = _event_or_404(event_id)
    if request.form.get("confirmed") != "yes":
        # A cancellation tells every resident who answered: asked once more on a page of its own.
        totals, _kept = organiser.event_totals(staff_session(), event=event)
        return render_template("staff/events_cancel.html", event=event, when=_london(event.starts_at), totals=totals)
    database = staff_session()
    change = cancel_and_tell(database, _channels(), event_id=event_id, now=_now())
    if change.changed:
        audit("event_cancelled", event=event_id, told=change.told)
    database.commit()
    return _to_event(event_id, done="cancelled" if change.changed else "already_cancelled", told=change.told)


@blueprint.post("/events/<int:event_id>/digest")
@staff_required(*ORGANISING_ROLES)
def event_digest_send(event_id: int):
    """Send the digest's link to the residents coming, once (bot/digest_send.py): a second press says when
    it went and sends nothing."""
    event, _ward = _event_or_404(event_id)
    if event.ward_id is None:
        abort(404)
    if request.form.get("confirmed") != "yes":
        # TRANSLATORS: on the staff event page when the organiser pressed "send the digest link" without ticking the box that confirms it.
        return _event_page(event_id, status=400, digest_problem=_("Tick the box to confirm, then send."))
    database = staff_session()
    try:
        sent = digest_send.send_digest_link(
            database, event_id=event_id, staff_user_id=current_staff().id, now=_now(), channels=_channels(),
            base_url=current_app.extensions["safer_homes.settings"].public_base_url)
    except digest_send.DigestRefused as refused:
        database.rollback()
        if refused.code == "cancelled":
            # TRANSLATORS: on the staff event page when someone sends the ward panel digest's link for a meeting that was cancelled.
            return _event_page(event_id, status=409, digest_problem=_("The meeting was cancelled, so the digest link was not sent."))
        # TRANSLATORS: on the staff event page when someone sends the ward panel digest's link before any resident said they are coming.
        return _event_page(event_id, status=400, digest_problem=_("Nobody has said they are coming yet, so nothing was sent. Send it once someone has."))
    if not sent.already_sent:
        audit("digest_sent", event=event_id, told=sent.queued)
    database.commit()
    return _to_event(event_id, done="digest_already_sent" if sent.already_sent else "digest_sent", told=sent.queued)


# --- "have your say" items -------------------------------------------------------------------------

def _agenda_item_or_404(event_id: int, item_id: int) -> agenda.ReviewItem:
    """The item, if it is one of this meeting's (its own, or its ward's "for the next meeting")."""
    _event_or_404(event_id)
    for item in agenda.review_items(staff_session(), event_id=event_id):
        if item.item_id == item_id:
            return item
    abort(404)


@blueprint.post("/events/<int:event_id>/agenda/<int:item_id>/approve")
@staff_required(*ORGANISING_ROLES)
def agenda_approve(event_id: int, item_id: int):
    item = _agenda_item_or_404(event_id, item_id)
    reworded = request.form.get("how") != "as_written"
    wording = request.form.get("wording", "").strip()
    if reworded and not wording:
        # TRANSLATORS: on the staff event page, when approving an agenda item "in your wording" with the wording box empty.
        problem = _("Write the wording residents will see, or approve it as written.")
        return _event_page(event_id, status=400, agenda_problem={"item": item_id, "message": problem},
                           agenda_wording={item_id: wording})
    if reworded and len(wording) > agenda.MAX_TEXT_LENGTH:
        # TRANSLATORS: on the staff event page, when the wording for an agenda item is too long; %(limit)s is a number.
        problem = _("Keep the wording to %(limit)s characters.", limit=agenda.MAX_TEXT_LENGTH)
        return _event_page(event_id, status=400, agenda_problem={"item": item_id, "message": problem},
                           agenda_wording={item_id: wording})
    care = _care_check(wording if reworded else item.text)
    if care:
        return _event_page(event_id, status=400, agenda_care={"item": item_id, **care},
                           agenda_wording={item_id: wording})
    database = staff_session()
    agenda.approve_item(database, item_id=item_id, now=_now(), shown_text=wording if reworded else None,
                        as_written=not reworded)
    audit("agenda_item_approved", event=event_id, item=item_id, reworded=reworded)
    database.commit()
    return _to_event(event_id, done="item_approved")


@blueprint.post("/events/<int:event_id>/agenda/<int:item_id>/hide")
@staff_required(*ORGANISING_ROLES)
def agenda_hide(event_id: int, item_id: int):
    _agenda_item_or_404(event_id, item_id)
    database = staff_session()
    agenda.hide_item(database, item_id=item_id, now=_now())
    audit("agenda_item_hidden", event=event_id, item=item_id)
    database.commit()
    return _to_event(event_id, done="item_hidden")
