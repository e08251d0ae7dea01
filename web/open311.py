"""Open311 GeoReport v2 at /open311/v2/ (wiki.open311.org/GeoReport_v2): discovery, services, service
definitions and requests, in JSON and XML; council systems create reports with `POST requests` and an
API key (`safer-homes open311 key add`).

Everything a GET answers is public (CORS open, cached for 60 seconds) and so holds no resident's words,
no personal data and no time finer than the hour: storage/open311.py decides what a request shows,
this module only says it in the spec's shapes. A POST keeps only the report itself: the spec's personal
fields (email, names, phone, device and account ids) are read past and dropped. docs/open311.md.

CSRF does not apply here: Flask-WTF's check runs only where the staff blueprint asks for it
(WTF_CSRF_CHECK_DEFAULT is off), and a POST carries an API key instead of a session cookie.
"""
from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable, Optional

from flask import Blueprint, Response, current_app, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import RequestEntityTooLarge

from flows import i18n
from flows.i18n import _N
from flows.report import CATEGORIES as CATEGORY_NAMES
from flows.staff_replies import standard_reply_text
from storage import api_keys, open311
from storage.database import new_session
from storage.reports import UnknownChoice
from storage.seed import CATEGORIES
from web.i18n import Translator, _, current_language, translator
from web.staff import limiter

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the service list or its definitions last changed (discovery's `changeset`): bump it with them so
# clients refresh what they cache.
CHANGESET = "2026-01-01T00:00:00Z"
# The spec: a query may not span more than 90 days, and covers the last 90 when it gives no dates.
MAX_SPAN = timedelta(days=90)
MAX_PAGE = 100_000
# XML names each member of a list after its parent (the spec's element names; JSON is its Spark mapping).
XML_LIST_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
                  "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}
# Wrong or missing API keys from one address (the staff sign-in's limiter, web/staff.py): a key is 256 random
# bits, so guessing one is hopeless anyway, but nothing should be able to try without end. Only refusals
# count: a council system with its right key never meets it.
API_KEY_FAILURE_LIMIT = "20 per 10 minutes"
# The spec's fields a POST may carry about the person reporting: accepted, never read, never stored.
DISCARDED_PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")

SERVICE_DESCRIPTIONS = {
    # TRANSLATORS: Open311 service description (council systems and apps show it). Behaviour, not groups of people.
    "asb": _N("Behaviour that causes harassment, alarm or distress to people nearby, in a public place or shared building."),
    # TRANSLATORS: Open311 service description.
    "drugs": _N("Drug dealing or drug use in a public place, a stairwell or another shared space."),
    # TRANSLATORS: Open311 service description.
    "harassment": _N("Someone being threatened, followed, intimidated or repeatedly targeted near where they live."),
    # TRANSLATORS: Open311 service description.
    "hate": _N("An incident that targets someone because of race, religion, disability, sexual orientation or transgender identity."),
    # TRANSLATORS: Open311 service description.
    "unsafe_place": _N("A place that feels unsafe: poor lighting, broken doors or door entry, hidden corners."),
    # TRANSLATORS: Open311 service description.
    "noise": _N("Noise that keeps happening and affects people at home."),
    # TRANSLATORS: Open311 service description.
    "other": _N("Another safety concern about where people live."),
}
SERVICE_KEYWORDS = {
    # TRANSLATORS: Open311 search words for a service, comma-separated. Describe behaviour, never groups of people.
    "asb": _N("anti-social behaviour, nuisance, vandalism, graffiti"),
    # TRANSLATORS: Open311 search words for a service, comma-separated.
    "drugs": _N("drugs, dealing, drug use, needles"),
    # TRANSLATORS: Open311 search words for a service, comma-separated.
    "harassment": _N("harassment, intimidation, threats, bullying"),
    # TRANSLATORS: Open311 search words for a service, comma-separated.
    "hate": _N("hate crime, racism, religious hatred, disability, homophobia, transphobia"),
    # TRANSLATORS: Open311 search words for a service, comma-separated.
    "unsafe_place": _N("lighting, door entry, lift, alley, night"),
    # TRANSLATORS: Open311 search words for a service, comma-separated.
    "noise": _N("noise, music, shouting, parties"),
    # TRANSLATORS: Open311 search words for a service, comma-separated.
    "other": _N("safety, concern, other"),
}
# TRANSLATORS: the Open311 group every Safer Homes service belongs to.
SERVICE_GROUP = _N("Community safety")
# TRANSLATORS: added to every Open311 service description. Must stay true: personal fields are dropped.
PRIVACY_NOTE = _N("Reports sent here are anonymous: any name, email address, phone number, device or account id "
                  "sent with a report is thrown away, never stored.")


# --- language, formats, errors ---------------------------------------------------------------------------


@blueprint.before_request
def choose_open311_language() -> None:
    """`locale` (the name many Open311 clients send), then ?lang= or Accept-Language as on every page
    (web/i18n.py chose that already): decided once here, so every answer's words read g.lang."""
    try:
        locale = request.values.get("locale")
    except RequestEntityTooLarge:  # the 413 that says so is raised again when the view reads the body
        locale = request.args.get("locale")
    g.lang = i18n.best_match(locale) or current_language()


# Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab, newline and return; lone
# surrogates; U+FFFE and U+FFFF). ElementTree writes them as they are, which no XML parser reads, so an error
# echoing a client's "\x01" (or any text holding one) would break the whole document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(root_name: str, value: Any) -> bytes:
    root = ET.Element(root_name)
    _fill(root, value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list):
        item_name = XML_LIST_ITEMS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    elif isinstance(value, dict):
        for name, item in value.items():
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("\ufffd", str(value))


def _encoded(fmt: str, root_name: str, value: Any) -> bytes:
    if fmt == "xml":
        return _xml(root_name, value)
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _answer(fmt: str, body: bytes, status: int = 200) -> Response:
    content_type = "text/xml; charset=utf-8" if fmt == "xml" else "application/json; charset=utf-8"
    return Response(body, status, content_type=content_type)


def _respond(fmt: str, root_name: str, value: Any, status: int = 200) -> Response:
    return _answer(fmt, _encoded(fmt, root_name, value), status)


def _error(fmt: str, status: int, description: str) -> Response:
    """The spec's error document: a list of {code, description}, code the HTTP status."""
    return _respond(fmt, "errors", [{"code": status, "description": description}], status)


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_too_large: RequestEntityTooLarge) -> Response:
    """A body over MAX_CONTENT_LENGTH (webhook.py), in the spec's error format rather than Flask's HTML page."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    # TRANSLATORS: Open311 error: a council system sent a request body over the size limit.
    return _error(fmt, 413, _("The request is too large."))


def _format_of_address() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def not_found_answer() -> Response:
    """An address under /open311/ no route matches, in the spec's error format (web/errors.py)."""
    choose_open311_language()  # the router matched nothing, so the blueprint's before_request never ran
    # TRANSLATORS: Open311 error: the address a council system asked for is not part of the API. Keep "discovery" as it is.
    answer = _error(_format_of_address(), 404, _("There is nothing at this address. The discovery document "
                                                 "lists what this service answers."))
    return public_headers(answer)


def method_not_allowed_answer(allowed: Iterable[str]) -> Response:
    """A method an Open311 address does not take (a PUT, a POST to a GET-only address), in the spec's error
    format (web/errors.py), with the Allow header HTTP asks for."""
    choose_open311_language()
    methods = ", ".join(sorted(allowed))
    # TRANSLATORS: Open311 error: the request used an HTTP method this address does not take. %(methods)s lists the ones it does, e.g. "GET, HEAD".
    answer = _error(_format_of_address(), 405, _("This address does not take that method. It takes: %(methods)s.",
                                                 methods=methods))
    answer.headers["Allow"] = methods
    return public_headers(answer)


class BadParameter(ValueError):
    """A parameter the request cannot be answered with (400); its message is for the client's user."""


@blueprint.after_request
def public_headers(response: Response) -> Response:
    if request.method in ("GET", "HEAD"):
        # Public data: any web page may read it, and a cache may keep it a minute (design.md).
        response.headers["Access-Control-Allow-Origin"] = "*"
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=60"
            response.vary.add("Accept-Language")
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def _session():
    return new_session(current_app.extensions["safer_homes.engine"])


def _now() -> datetime:
    return current_app.extensions["safer_homes.clock"]()


def _w3c(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- discovery and services -------------------------------------------------------------------------------


# Discovery and the service list say the same for everyone who reads a language: built once per language
# and format (and address, for discovery) in each process, never per request. Bump CHANGESET with them.

@lru_cache(maxsize=64)
def discovery_document(lang: str, fmt: str, base_url: str) -> bytes:
    words = translator(lang)
    return _encoded(fmt, "discovery", {
        "changeset": CHANGESET,
        # TRANSLATORS: Open311 discovery: how to learn more about this service.
        "contact": words._("Safer Homes, for Tower Hamlets residents. Ask the council's community safety team "
                           "about this service."),
        # TRANSLATORS: Open311 discovery: how a council system gets a key to create reports.
        "key_service": words._("Keys to create reports are given to council and partner systems by the service's "
                               "operators (safer-homes open311 key add). Reading needs no key."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base_url}{blueprint.url_prefix}",
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })


def _service(code: str, words: Translator) -> dict:
    return {
        "service_code": code,
        "service_name": words._(CATEGORY_NAMES["cat:" + code]),
        "description": f"{words._(SERVICE_DESCRIPTIONS[code])} {words._(PRIVACY_NOTE)}",
        "metadata": False,
        "type": "realtime",
        "keywords": words._(SERVICE_KEYWORDS[code]),
        "group": words._(SERVICE_GROUP),
    }


@lru_cache(maxsize=64)
def services_document(lang: str, fmt: str) -> bytes:
    words = translator(lang)
    return _encoded(fmt, "services", [_service(code, words) for code in CATEGORIES])


@blueprint.get("/discovery.<any(json, xml):fmt>")
def discovery(fmt: str) -> Response:
    base_url = current_app.extensions["safer_homes.settings"].public_base_url
    return _answer(fmt, discovery_document(current_language(), fmt, base_url))


@blueprint.get("/services.<any(json, xml):fmt>")
def services(fmt: str) -> Response:
    return _answer(fmt, services_document(current_language(), fmt))


@blueprint.get("/services/<code>.<any(json, xml):fmt>")
def service_definition(code: str, fmt: str) -> Response:
    """No service has extra fields (metadata is false), so a definition is its code with no attributes."""
    if code not in CATEGORIES:
        # TRANSLATORS: Open311 error. %(code)s is what the client asked for.
        return _error(fmt, 404, _("There is no service with the code %(code)s.", code=code))
    return _respond(fmt, "service_definition", {"service_code": code, "attributes": []})


# --- requests -----------------------------------------------------------------------------------------------


def _request_fields(found: open311.PublicRequest) -> dict:
    """A request in the spec's field order; fields we never publish (address_id, zipcode, lat, long,
    media_url) and fields with nothing to say are left out rather than sent empty."""
    lang = current_language()
    fields: dict[str, Any] = {"service_request_id": found.request_id, "status": "closed" if found.closed else "open"}
    if found.standard_reply:
        notes = standard_reply_text(found.standard_reply, lang)
        if notes:
            fields["status_notes"] = notes
    fields["service_name"] = _(CATEGORY_NAMES["cat:" + found.category])
    fields["service_code"] = found.category
    if found.public_summary:
        fields["description"] = found.public_summary
    if found.agency_names:
        # An agency named in neither the reader's language nor English (typed into the database by hand) is
        # left out rather than failing the whole answer.
        named = [names.get(lang) or names.get("en") for names in found.agency_names]
        if any(named):
            fields["agency_responsible"] = "; ".join(name for name in named if name)
    fields["requested_datetime"] = _w3c(found.requested_at)
    fields["updated_datetime"] = _w3c(found.updated_at)
    if found.expected_at is not None:
        fields["expected_datetime"] = _w3c(found.expected_at)
    if found.ward_name:
        fields["address"] = found.ward_name
    return fields


def _optional(name: str) -> Optional[str]:
    """A parameter, its repeats joined by commas; empty counts as absent (the spec's "Optional")."""
    values = [value.strip() for value in request.args.getlist(name) if value.strip()]
    return ",".join(values) if values else None


def _comma_list(name: str) -> Optional[list[str]]:
    value = _optional(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()] or None


W3C_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def parse_w3c_datetime(name: str, value: str) -> datetime:
    """A W3C date and time with its time zone (the spec requires one), e.g. 2010-01-01T00:00:00Z."""
    # A "+01:00" sent unencoded in a query string arrives as " 01:00"; nothing else puts a space there.
    value = re.sub(r" (\d{2}:\d{2})$", r"+\1", value)
    if W3C_DATETIME.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
        except (ValueError, OverflowError):  # no such day or zone; or, in UTC, before year 1 or after 9999
            pass
        else:
            # Room for the 90-day span either side, so the arithmetic below never leaves Python's calendar.
            if datetime.min.replace(tzinfo=timezone.utc) + MAX_SPAN <= moment \
                    <= datetime.max.replace(tzinfo=timezone.utc) - MAX_SPAN:
                return moment
    # TRANSLATORS: Open311 error. %(name)s is start_date or end_date; keep the example as it is.
    raise BadParameter(_("%(name)s must be a date and time with its time zone, like 2026-01-31T09:00:00Z.", name=name))


def _request_query() -> dict:
    """The GET requests filters, checked; BadParameter names the first one that is wrong."""
    ids = _comma_list("service_request_id")
    if ids is not None:
        if len(ids) > open311.PAGE_SIZE:
            # TRANSLATORS: Open311 error.
            raise BadParameter(_("Ask for at most 1000 service_request_id values at once."))
        report_ids = [open311.report_id_of(item) for item in ids]
        if None in report_ids:
            # TRANSLATORS: Open311 error: a service_request_id here is a number.
            raise BadParameter(_("Each service_request_id is a number, as the requests list gives them."))
        # The spec: service_request_id overrides every other argument.
        return {"report_ids": report_ids}

    query: dict[str, Any] = {}
    codes = _comma_list("service_code")
    if codes is not None:
        unknown = [code for code in codes if code not in CATEGORIES]
        if unknown:
            # TRANSLATORS: Open311 error. %(codes)s lists what the client asked for.
            raise BadParameter(_("Unknown service_code: %(codes)s.", codes=", ".join(unknown)))
        query["categories"] = codes
    statuses = _comma_list("status")
    if statuses is not None:
        if not set(statuses) <= {"open", "closed"}:
            # TRANSLATORS: Open311 error. Keep "open" and "closed" as they are.
            raise BadParameter(_("status must be open, closed or both (open,closed)."))
        if len(set(statuses)) == 1:
            query["closed"] = statuses[0] == "closed"

    start_text, end_text = _optional("start_date"), _optional("end_date")
    start = parse_w3c_datetime("start_date", start_text) if start_text else None
    end = parse_w3c_datetime("end_date", end_text) if end_text else None
    if end is None:
        end = start + MAX_SPAN if start is not None else _now()
    if start is None:
        start = end - MAX_SPAN
    if end < start:
        # TRANSLATORS: Open311 error.
        raise BadParameter(_("end_date must not be before start_date."))
    if end - start > MAX_SPAN:
        # TRANSLATORS: Open311 error.
        raise BadParameter(_("start_date and end_date may not be more than 90 days apart."))
    query["requested_from"], query["requested_to"] = start, end

    page_text = _optional("page")
    if page_text is not None:
        # ASCII digits only: str.isdigit also says yes to "²", which int() refuses.
        if not re.fullmatch(r"[0-9]{1,6}", page_text) or not 1 <= int(page_text) <= MAX_PAGE:
            # TRANSLATORS: Open311 error. %(pages)s is a large number.
            raise BadParameter(_("page must be a whole number from 1 to %(pages)s.", pages=MAX_PAGE))
        query["page"] = int(page_text)
    return query


@blueprint.get("/requests.<any(json, xml):fmt>")
def requests_list(fmt: str) -> Response:
    try:
        query = _request_query()
    except BadParameter as problem:
        return _error(fmt, 400, str(problem))
    with _session() as session:
        found = open311.find_requests(session, **query)
    return _respond(fmt, "service_requests", [_request_fields(item) for item in found])


@blueprint.get("/requests/<request_id>.<any(json, xml):fmt>")
def request_one(request_id: str, fmt: str) -> Response:
    with _session() as session:
        found = open311.find_request(session, request_id=request_id)
    if found is None:
        # TRANSLATORS: Open311 error. %(id)s is the service_request_id asked for.
        return _error(fmt, 404, _("There is no service request %(id)s.", id=request_id))
    return _respond(fmt, "service_requests", [_request_fields(found)])


# --- creating a request --------------------------------------------------------------------------------------


def _form(name: str) -> Optional[str]:
    value = request.form.get(name, "").strip()
    return value or None


def _coordinate(name: str, limit: float) -> Optional[float]:
    text = _form(name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        # TRANSLATORS: Open311 error. %(name)s is lat or long.
        raise BadParameter(_("%(name)s must be a number in WGS84 degrees.", name=name))
    return value


@blueprint.errorhandler(RateLimitExceeded)
def too_many_wrong_keys(_limited: RateLimitExceeded) -> Response:
    """API_KEY_FAILURE_LIMIT reached, in the spec's error format; Flask-Limiter adds Retry-After."""
    # TRANSLATORS: Open311 error: too many requests with a wrong API key came from one internet address.
    return _error(_format_of_address(), 429, _("Too many requests with a wrong api_key from this address. Wait "
                                               "10 minutes, then check the key."))


@blueprint.post("/requests.<any(json, xml):fmt>")
@limiter.limit(API_KEY_FAILURE_LIMIT, methods=["POST"], deduct_when=lambda response: response.status_code == 403)
def create_request(fmt: str) -> Response:
    # The spec's personal fields (DISCARDED_PERSONAL_FIELDS) and media_url are never read: the report is
    # anonymous, and a link could lead back to whoever took the photo.
    if any("\x00" in name or "\x00" in value for name, value in request.form.items(multi=True)):
        # PostgreSQL cannot store a NUL in text (it would answer 500) and no system means to send one:
        # refused before anything is read, the key's last use included.
        # TRANSLATORS: Open311 error: a field held a NUL character (code zero), which cannot be stored.
        return _error(fmt, 400, _("The request holds a NUL character, which cannot be stored. Nothing was saved."))
    with _session() as session:
        now = _now()
        key = api_keys.verify_api_key(session, key=request.form.get("api_key"), now=now)
        if key is None:
            # TRANSLATORS: Open311 error: the request had no API key, or one that is wrong or withdrawn.
            return _error(fmt, 403, _("A valid api_key is needed to create a service request."))
        session.commit()  # when the key was last used, whatever becomes of the request
        try:
            fields = _new_request_fields()
        except BadParameter as problem:
            return _error(fmt, 400, str(problem))
        except open311.UnknownService as unknown:
            return _error(fmt, 404, _("There is no service with the code %(code)s.", code=str(unknown)))
        try:
            keys = current_app.extensions["safer_homes.settings"].key_ring
            # A copy of a report received in the last IDENTICAL_REPORT_HOURS joins it (storage/identical_reports.py).
            report = open311.create_open311_report(
                session, now=now, fingerprint_keys=(keys.current, *keys.previous),
                identical_within=current_app.extensions["safer_homes.settings"].identical_report_window, **fields)
        except UnknownChoice:
            # The category has no agency to go to (an admin removed its routes): nothing can act on it.
            session.rollback()
            # TRANSLATORS: Open311 error: the service exists but nobody is set up to receive it.
            return _error(fmt, 400, _("This service cannot take reports at the moment."))
        reference = report.reference
        request_id = open311.public_request_id(report.id)
        session.commit()
    return _respond(fmt, "service_requests", [{
        "service_request_id": request_id,
        # TRANSLATORS: Open311 answer to a council system that sent a report. %(reference)s is TH-XXXX-XXXX;
        # keep "status" as it is, it is the command residents type.
        "service_notice": _("Reference %(reference)s. The resident can check progress by sending "
                            "\"status %(reference)s\" to Safer Homes. Keep it private: it is how they "
                            "read the replies.", reference=reference),
    }])


def _new_request_fields() -> dict:
    code = _form("service_code")
    if code is None:
        # TRANSLATORS: Open311 error. Keep service_code as it is.
        raise BadParameter(_("service_code is required."))
    if code not in CATEGORIES:
        raise open311.UnknownService(code)
    description = request.form.get("description", "").strip()
    if not description:
        # TRANSLATORS: Open311 error.
        raise BadParameter(_("description is required: say what is happening."))
    if len(description) > open311.DESCRIPTION_MAX_LENGTH:
        # TRANSLATORS: Open311 error. Keep description as it is (a field name).
        raise BadParameter(_("description must be at most 2,000 characters."))
    latitude, longitude = _coordinate("lat", 90), _coordinate("long", 180)
    if (latitude is None) != (longitude is None):
        # TRANSLATORS: Open311 error. Keep lat and long as they are.
        raise BadParameter(_("Send lat and long together."))
    address_string, address_id = _form("address_string"), _form("address_id")
    if latitude is None and address_string is None and address_id is None:
        # TRANSLATORS: Open311 error. Keep the field names as they are.
        raise BadParameter(_("A location is required: lat and long, address_string or address_id."))
    if address_string is not None and len(address_string) > open311.DESCRIPTION_MAX_LENGTH:
        # TRANSLATORS: Open311 error. Keep address_string as it is (a field name).
        raise BadParameter(_("address_string must be at most 2,000 characters."))
    if address_id is not None and len(address_id) > 200:
        # TRANSLATORS: Open311 error. Keep address_id as it is (a field name).
        raise BadParameter(_("address_id must be at most 200 characters."))
    return {
        "category": code,
        "description": description,
        "language": i18n.best_match(request.form.get("locale")) or i18n.DEFAULT_LANGUAGE,
        "latitude": latitude,
        "longitude": longitude,
        "address_string": address_string,
        "address_id": address_id,
    }
