"""Event pages anyone may open: GET /events/<id>.ics, a calendar file so a resident's phone can remind them
too, and GET /events/<id>/poster, a printable poster (one A4 page per language) with QR codes to answer."""
from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from typing import Optional

import segno
from babel.lists import format_list
from flask import Blueprint, Response, abort, current_app, g, make_response, render_template, request
from icalendar import Calendar, Event as CalendarEvent
from markupsafe import Markup

from flows import events as flow_events
from flows import i18n
from flows.dates import WEEKDAY_AND_DATE, london_day, london_time
from storage import events
from storage.database import new_session
from storage.models import Event, Space, event_end

blueprint = Blueprint("events", __name__)


def _event_and_venue(event_id: int) -> Optional[tuple[Event, Optional[str]]]:
    """The event, and its venue as a resident would look for it on a map: the space's name and address,
    else the place written, else the ward; None if there is no such event."""
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        found = events.find_event(session, event_id=event_id)
        if found is None:
            return None
        event, ward_name = found
        space = session.get(Space, event.space_id) if event.space_id else None
    venue = f"{space.name}, {space.address}" if space else (event.place or ward_name)
    return event, venue


@blueprint.get("/events/<int:event_id>.ics")
def event_calendar_file(event_id: int):
    """The event for a phone's calendar: its own end time (or the assumed length), and its venue."""
    found = _event_and_venue(event_id)
    if found is None:
        abort(404)
    event, venue = found
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@safer-homes")
    entry.add("summary", event.title)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event_end(event))
    entry.add("dtstamp", event.created_at)
    if venue:
        entry.add("location", venue)
    if event.cancelled_at:
        entry.add("status", "CANCELLED")
    calendar = Calendar()
    calendar.add("prodid", "-//Safer Homes//Tower Hamlets//EN")
    calendar.add("version", "2.0")
    calendar.add_component(entry)
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="event-{event.id}.ics"'
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# --- the printable poster --------------------------------------------------------------------------

def poster_languages(value: Optional[str], default: str = i18n.DEFAULT_LANGUAGE) -> list[str]:
    """ "en,bn,so" as shipped language codes in that order; raises ValueError naming an unknown one, so an
    organiser is told rather than handed a poster missing the language they asked for."""
    chosen: list[str] = []
    for requested in (value or default).split(","):
        if not requested.strip():
            continue
        code = i18n.best_match(requested)
        if code is None:
            shipped = ", ".join(language.code for language in i18n.LANGUAGES)
            raise ValueError(f"there is no poster text in {requested.strip()!r} yet; choose from {shipped}")
        if code not in chosen:
            chosen.append(code)
    return chosen or [default]


def answer_links(event_id: int, settings) -> dict:
    """The ways to answer printed on a poster; each only when this installation has that channel."""
    digits = re.sub(r"\D", "", settings.twilio_whatsapp_number)
    return {
        "telegram": f"https://t.me/{settings.telegram_bot_username}?start=event_{event_id}"
        if settings.telegram_bot_username else None,
        "whatsapp": f"https://wa.me/{digits}?text=RSVP%20{event_id}" if digits else None,
        "sms_number": settings.twilio_sms_number or None,
        "web_chat": f"{settings.public_base_url}/chat",
        "command": f"RSVP {event_id}",
    }


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (segno): nothing is fetched, so a saved or printed poster works offline.
    Error correction M survives a crease or a smudge on a printed sheet."""
    return Markup(segno.make(url, error="m", micro=False).svg_inline(border=4, omitsize=True, svgclass="qr"))


@contextmanager
def _page_language(lang: str):
    """Render in `lang` (Jinja's _() reads g.lang), then put the request's own language back."""
    before = g.get("lang")
    g.lang = lang
    try:
        yield
    finally:
        g.lang = before


def _when(event, lang: str) -> dict:
    """The day, start and end (if set) in London time, in `lang`'s words and digits."""
    parts = {"day": london_day(lang, event.starts_at, WEEKDAY_AND_DATE), "start": london_time(lang, event.starts_at)}
    if event.ends_at:
        parts["end"] = london_time(lang, event.ends_at)
    return parts


def render_poster(event_id: int, languages: list[str], *, nonce: str = "") -> Optional[str]:
    """The poster as one HTML document, one A4 page per language; None if there is no such event."""
    settings = current_app.extensions["safer_homes.settings"]
    found = _event_and_venue(event_id)
    if found is None:
        return None
    event, venue = found
    offers = event.offers or {}
    links = answer_links(event_id, settings)
    codes = [(name, links[name], qr_svg(links[name])) for name in ("telegram", "whatsapp") if links[name]]
    # What residents type or open, kept left-to-right and unbroken inside any language's sentence.
    marked = {name: Markup('<span class="command">{}</span>').format(links[name])
              for name in ("command", "sms_number", "web_chat") if links[name]}
    # Interpreter languages in their own names, as the chat shows them, so a resident finds theirs.
    interpreters = [flow_events.INTERPRETER_NAMES.get(code, code) for code in offers.get("interpreters", ())]
    pages = []
    for lang in languages:
        with _page_language(lang):
            pages.append(Markup(render_template(
                "poster_page.html", event=event, venue=venue, offers=offers, links=links, codes=codes, marked=marked,
                title=event.titles.get(lang) or event.title,
                description=event.descriptions.get(lang) or event.description,
                # The mark describes the text shown: a page falling back to the organiser's words has none.
                machine_translated=lang in event.machine_translated and (lang in event.titles or lang in event.descriptions),
                when=_when(event, lang), kind_label=flow_events.KINDS.get(event.kind),
                interpreters=format_list(interpreters, locale=lang.replace("-", "_")) if interpreters else "",
            )))
    with _page_language(languages[0]):
        return render_template("poster.html", pages=pages, title=event.title, nonce=nonce)


@blueprint.get("/events/<int:event_id>/poster")
def event_poster(event_id: int):
    """?lang=en,bn,so: one printable page per language; an unknown language is refused (400) with a
    message, so the organiser does not print a poster missing the language they wanted."""
    try:
        languages = poster_languages(request.args.get("lang"), default=g.get("lang", i18n.DEFAULT_LANGUAGE))
    except ValueError as problem:
        return Response(f"{problem}\n", status=400, mimetype="text/plain")
    nonce = secrets.token_urlsafe(16)
    page = render_poster(event_id, languages, nonce=nonce)
    if page is None:
        abort(404)
    response = make_response(page)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Vary"] = "Accept-Language"
    return response
