"""Open311 GeoReport v2 at /open311/v2/: every answer checked against the specification's field lists and
its own example documents (tests/data/open311/), JSON and XML agreeing; no resident's words, personal
data, reference or time finer than the hour in any GET; POST with a key makes an anonymous report and
keeps nothing about the person; a bad key or bad input changes nothing."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.staff_replies import STANDARD_REPLIES, standard_reply_text
from storage import api_keys
from storage.database import new_session
from storage.models import Agency, Contact, Report, ReportAgency, ReportLink, ReportUpdate, SortedCheck
from storage.report_clock import set_status
from storage.reports import create_report
from tests.helpers import dump_every_table, row_counts

SPEC_EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "open311"
# Monday 2 March 2026, 14:37:12 UTC (GMT in London): not on the hour, so rounding shows.
NOW = datetime(2026, 3, 2, 14, 37, 12, tzinfo=timezone.utc)
W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")

# The specification's response fields (wiki.open311.org/GeoReport_v2, "Response" tables), and which of them
# it does not mark "May not be returned", less the ones we leave out on purpose (description without an
# approved summary, address without a ward, and the never-published address_id, zipcode, lat, long, media_url).
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
REQUEST_REQUIRED = {"service_request_id", "status", "service_name", "service_code", "requested_datetime",
                    "updated_datetime"}
NEVER_PUBLISHED = {"address_id", "zipcode", "lat", "long", "media_url",
                   "email", "first_name", "last_name", "phone", "device_id", "account_id"}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
DISCOVERY_FIELDS = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT_FIELDS = {"specification", "url", "changeset", "type", "formats"}

MARKERS = {
    "description": "marker-desc-5a1f",
    "location_text": "marker-place-77c3",
    "when_text": "marker-when-0b9e",
    "free_reply": "marker-reply-c4d2",
    "internal_note": "marker-note-91aa",
    "reason": "marker-reason-3e0f",
    "sorted_comment": "marker-sorted-6d18",
    "unapproved_summary": "marker-unapproved-2b7c",
    "translation": "marker-translation-8f41",
}
APPROVED_SUMMARY = "Broken stairwell light reported near the estate; repaired by the housing provider."


# --- building reports ---------------------------------------------------------------------------------------


def _add_report(session, *, category="unsafe_place", privacy="anonymous", at=NOW, ward="weavers",
                agencies=("council", "housing"), **extra):
    contact_id = None
    if privacy != "anonymous":
        contact = Contact(channel="webchat", address_hash=f"hash-{at.timestamp()}-{category}-{privacy}",
                          created_at=at)
        session.add(contact)
        session.flush()
        contact_id = contact.id
    from storage.references import new_reference

    return create_report(
        session, reference=new_reference(), category=category, language="en", channel="webchat", privacy=privacy,
        agency_slugs=agencies, description=extra.pop("description", MARKERS["description"]), received_at=at,
        ward_slug=ward, location_text=MARKERS["location_text"], when_text=MARKERS["when_text"],
        latitude=51.5234, longitude=-0.0712, sender_contact_id=contact_id, **extra,
    )


def _reply(session, report, *, at, status, standard_reply=None, message=None, note=None, reason=None):
    set_status(session, report=report, status=status, now=at)
    session.add(ReportUpdate(report_id=report.id, status=status, action="reply" if (standard_reply or message) else "status",
                             public_message=message or (STANDARD_REPLIES[standard_reply].text if standard_reply else None),
                             message_language="en", standard_reply=standard_reply, internal_note=note, reason=reason,
                             created_at=at))
    session.flush()


@pytest.fixture
def fixed_clock(app):
    app.extensions["safer_homes.clock"] = lambda: NOW
    return NOW


@pytest.fixture
def reports(engine, fixed_clock):
    """A small borough: what Open311 may show, and everything it must not."""
    with new_session(engine) as session:
        made = {}
        # Private, exact time 13:22:45, in progress with a standard reply: status_notes from the catalogue.
        made["private"] = _add_report(session, privacy="private", at=NOW - timedelta(hours=1, minutes=14, seconds=27))
        _reply(session, made["private"], at=NOW - timedelta(minutes=50), status="in_progress",
               standard_reply="in_progress.looking", note=MARKERS["internal_note"])
        made["private"].translation = MARKERS["translation"]
        # Anonymous, closed with a standard reply, then a free reply: the free words are never shown, nor is the
        # older standard reply as if it were the latest news.
        made["closed"] = _add_report(session, category="noise", at=NOW - timedelta(days=3), ward="bow-east")
        _reply(session, made["closed"], at=NOW - timedelta(days=2), status="closed", standard_reply="closed.resolved")
        _reply(session, made["closed"], at=NOW - timedelta(days=1, hours=3), status="closed",
               message=MARKERS["free_reply"], reason=MARKERS["reason"])
        session.add(SortedCheck(report_id=made["closed"].id, closed_at=made["closed"].closed_at, answer="no",
                                comment=MARKERS["sorted_comment"], answered_at=NOW - timedelta(hours=5)))
        # Named, approved public summary; and one whose summary is not approved.
        made["summary"] = _add_report(session, category="asb", privacy="named", at=NOW - timedelta(days=10),
                                      reporter_name_sealed="sealed-name")
        made["summary"].public_summary = APPROVED_SUMMARY
        made["summary"].public_summary_approved_at = NOW - timedelta(days=1)
        made["unapproved"] = _add_report(session, category="drugs", at=NOW - timedelta(days=11), ward=None,
                                         agencies=("police",))
        made["unapproved"].public_summary = MARKERS["unapproved_summary"]
        # Never counted: spam and a merged duplicate.
        made["spam"] = _add_report(session, category="hate", at=NOW - timedelta(days=4))
        made["spam"].spam_at = NOW - timedelta(days=3)
        made["duplicate"] = _add_report(session, category="unsafe_place", at=NOW - timedelta(days=5))
        made["duplicate"].duplicate_of_id = made["private"].id
        # Older than the default 90 days.
        made["old"] = _add_report(session, category="other", at=NOW - timedelta(days=120))
        session.commit()
        return {name: (report.id, report.reference) for name, report in made.items()}


def _key(engine, name="Council CRM") -> str:
    with new_session(engine) as session:
        _row, key = api_keys.create_api_key(session, name=name, now=NOW - timedelta(days=1))
        session.commit()
    return key


# --- reading answers ------------------------------------------------------------------------------------------


# The spec's list elements (their JSON is an array: the Spark convention).
XML_LISTS = {"services", "service_requests", "errors", "endpoints", "formats", "attributes", "values"}


def _xml_value(element: ET.Element):
    children = list(element)
    if element.tag in XML_LISTS:
        return [_xml_value(child) for child in children]
    if not children:
        return element.text or ""
    assert len({child.tag for child in children}) == len(children), f"repeated elements in <{element.tag}>"
    return {child.tag: _xml_value(child) for child in children}


def _as_text(value):
    """JSON's values as XML writes them (true/false, numbers as digits), for comparing the two."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    if isinstance(value, dict):
        return {name: _as_text(item) for name, item in value.items()}
    return str(value)


def _paths(element: ET.Element, prefix="") -> set[str]:
    path = f"{prefix}/{element.tag}"
    found = {path}
    for child in element:
        found |= _paths(child, path)
    return found


def _spec_paths(*names: str) -> set[str]:
    found = set()
    for name in names:
        found |= _paths(ET.parse(SPEC_EXAMPLES / name).getroot())
    return found


def get_both(client, path: str, status: int = 200, **headers):
    """GET the JSON and the XML of one resource; check both, that they agree, and return the JSON."""
    base, _, query = path.partition("?")
    query = f"?{query}" if query else ""
    as_json = client.get(f"/open311/v2/{base}.json{query}", headers=headers)
    as_xml = client.get(f"/open311/v2/{base}.xml{query}", headers=headers)
    assert as_json.status_code == status, as_json.get_data(as_text=True)
    assert as_xml.status_code == status, as_xml.get_data(as_text=True)
    assert as_json.headers["Content-Type"] == "application/json; charset=utf-8"
    assert as_xml.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert as_xml.data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    for response in (as_json, as_xml):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        if status == 200:
            assert response.headers["Cache-Control"] == "public, max-age=60"
            assert "Accept-Language" in response.headers["Vary"]
    document = json.loads(as_json.data.decode("utf-8"))
    root = ET.fromstring(as_xml.data)
    assert _as_text(document) == _xml_value(root)
    return document, root


def check_request(fields: dict) -> None:
    """One request against the specification's field list."""
    assert set(fields) <= REQUEST_FIELDS, set(fields) - REQUEST_FIELDS
    assert REQUEST_REQUIRED <= set(fields)
    assert not NEVER_PUBLISHED & set(fields)
    assert fields["status"] in ("open", "closed")
    for name, value in fields.items():
        assert isinstance(value, str), name
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        if name in fields:
            assert W3C.fullmatch(fields[name]), fields[name]
            moment = datetime.fromisoformat(fields[name].replace("Z", "+00:00"))
            assert (moment.minute, moment.second) == (0, 0), f"{name} finer than the hour"
    assert len(fields.get("description", "")) <= 4000


def check_error(document, root, code: int) -> None:
    assert isinstance(document, list) and len(document) == 1
    assert set(document[0]) == {"code", "description"} and document[0]["code"] == code
    assert document[0]["description"]
    assert _paths(root) <= _spec_paths("errors.xml")


# --- discovery, services, definitions --------------------------------------------------------------------


def test_discovery_names_the_endpoint_and_its_formats(client):
    document, root = get_both(client, "discovery")
    assert set(document) == DISCOVERY_FIELDS
    (endpoint,) = document["endpoints"]
    assert set(endpoint) == ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert sorted(endpoint["formats"]) == ["application/json", "text/xml"]
    assert _paths(root) <= _spec_paths("discovery.xml")


def test_services_are_the_report_categories_in_the_readers_language(client):
    document, root = get_both(client, "services")
    assert [service["service_code"] for service in document] == [
        "asb", "drugs", "harassment", "hate", "unsafe_place", "noise", "other"]
    for service in document:
        assert set(service) == SERVICE_FIELDS
        assert service["metadata"] is False and service["type"] == "realtime"
        assert all(isinstance(service[name], str) and service[name] for name in SERVICE_FIELDS - {"metadata"})
        # Every description says that personal details sent with a report are not kept.
        assert "never stored" in service["description"]
    assert document[5]["service_name"] == "Noise"
    assert _paths(root) <= _spec_paths("services.xml")

    bengali, _root = get_both(client, "services?lang=bn")
    from flows import i18n

    catalogue = i18n.translations("bn")
    assert bengali[0]["service_name"] == catalogue.gettext("Anti-social behaviour") != "Anti-social behaviour"
    by_locale, _root = get_both(client, "services?locale=bn_BD")
    assert by_locale == bengali
    by_header, _root = get_both(client, "services", **{"Accept-Language": "bn"})
    assert by_header == bengali


def test_services_and_discovery_are_built_once_per_language_not_per_request(client):
    from web import open311 as open311_api

    english = client.get("/open311/v2/services.json").get_data()
    bengali = client.get("/open311/v2/services.json?lang=bn").get_data()
    assert english != bengali  # one document per language, never one language's for another
    built = open311_api.services_document.cache_info().misses
    assert client.get("/open311/v2/services.json?lang=bn").get_data() == bengali
    assert client.get("/open311/v2/services.json?locale=bn").get_data() == bengali
    assert client.get("/open311/v2/services.json").get_data() == english
    assert open311_api.services_document.cache_info().misses == built
    discovery = client.get("/open311/v2/discovery.xml?lang=so").get_data()
    built = open311_api.discovery_document.cache_info().misses
    assert client.get("/open311/v2/discovery.xml?lang=so").get_data() == discovery
    assert open311_api.discovery_document.cache_info().misses == built


def test_a_service_definition_has_no_attributes_and_an_unknown_code_is_404(client):
    document, root = get_both(client, "services/noise")
    assert document == {"service_code": "noise", "attributes": []}
    assert _paths(root) <= _spec_paths("service_definition.xml")
    document, root = get_both(client, "services/potholes", status=404)
    check_error(document, root, 404)


# --- GET requests ----------------------------------------------------------------------------------------------


def test_requests_show_counted_reports_in_the_specs_fields_and_nothing_of_the_resident(client, reports):
    document, root = get_both(client, "requests")
    assert _paths(root) <= _spec_paths("requests.xml")
    for fields in document:
        check_request(fields)
    by_id = {fields["service_request_id"]: fields for fields in document}
    ids = {name: str(report_id) for name, (report_id, _reference) in reports.items()}
    # Spam, the merged duplicate and the report older than 90 days are not there.
    assert set(by_id) == {ids["private"], ids["closed"], ids["summary"], ids["unapproved"]}
    assert [fields["service_request_id"] for fields in document] == [
        ids["private"], ids["closed"], ids["summary"], ids["unapproved"]]  # newest first

    private = by_id[ids["private"]]
    assert private["status"] == "open" and private["service_code"] == "unsafe_place"
    assert private["status_notes"] == STANDARD_REPLIES["in_progress.looking"].text
    assert private["agency_responsible"] == "Tower Hamlets Council ASB team; Your housing provider"
    assert private["address"] == "Weavers"
    # Made at 13:22:45: published as 13:00; its first response is due two working days later (council's target),
    # at the hour too.
    assert private["requested_datetime"] == "2026-03-02T13:00:00Z"
    assert private["updated_datetime"] == "2026-03-02T13:00:00Z"  # changed at 13:47
    assert private["expected_datetime"] == "2026-03-04T13:00:00Z"
    assert "description" not in private

    closed = by_id[ids["closed"]]
    assert closed["status"] == "closed" and closed["address"] == "Bow East"
    assert "status_notes" not in closed  # the latest reply was free words

    assert by_id[ids["summary"]]["description"] == APPROVED_SUMMARY
    unapproved = by_id[ids["unapproved"]]
    assert "description" not in unapproved and "address" not in unapproved
    # Shared with the police alone: whether a resident chose the police is never published.
    assert "agency_responsible" not in unapproved and "expected_datetime" not in unapproved


def test_police_and_person_directed_reports_are_never_listed_one_by_one(client, engine, fixed_clock):
    with new_session(engine) as session:
        told_police = _add_report(session, category="asb", at=NOW - timedelta(days=1),
                                  agencies=("council", "police"))
        hidden = [_add_report(session, category=category, at=NOW - timedelta(days=2)) for category in
                  ("harassment", "hate")]
        session.commit()
        told_police_id, hidden_ids = str(told_police.id), [str(report.id) for report in hidden]
    document, _root = get_both(client, "requests")
    by_id = {fields["service_request_id"]: fields for fields in document}
    assert by_id[told_police_id]["agency_responsible"] == "Tower Hamlets Council ASB team"
    assert not set(hidden_ids) & set(by_id)
    for request_id in hidden_ids:
        assert client.get(f"/open311/v2/requests/{request_id}.json").status_code == 404


def test_no_marker_reference_or_exact_time_reaches_any_open311_answer(client, reports):
    ids = ",".join(str(report_id) for report_id, _reference in reports.values())
    paths = ["discovery", "services", "services/asb", "requests", "requests?status=open,closed",
             f"requests?service_request_id={ids}", "requests?service_code=noise,asb",
             "requests?start_date=2026-01-01T00:00:00Z&end_date=2026-03-31T00:00:00Z"]
    paths += [f"requests/{report_id}" for report_id, _reference in reports.values()]
    seen = []
    for lang in ("en", "bn", "so"):
        for path in paths:
            for fmt in ("json", "xml"):
                base, _, query = path.partition("?")
                response = client.get(f"/open311/v2/{base}.{fmt}?lang={lang}&{query}")
                assert response.status_code in (200, 404)
                seen.append(response.get_data(as_text=True))
    everything = "\n".join(seen)
    for marker in MARKERS.values():
        assert marker not in everything
    for _report_id, reference in reports.values():
        assert reference not in everything
    assert "sealed-name" not in everything and "51.5234" not in everything and "-0.0712" not in everything
    assert "13:22" not in everything and "13:47" not in everything and ":37:" not in everything
    assert APPROVED_SUMMARY in everything  # the check above can see descriptions


def test_one_request_by_id_and_what_is_not_public_is_404(client, reports):
    report_id, _reference = reports["summary"]
    document, root = get_both(client, f"requests/{report_id}")
    assert len(document) == 1 and document[0]["service_request_id"] == str(report_id)
    check_request(document[0])
    assert _paths(root) <= _spec_paths("request.xml")
    for name in ("spam", "duplicate"):
        document, root = get_both(client, f"requests/{reports[name][0]}", status=404)
        check_error(document, root, 404)
    # A reference is not a service_request_id: it would hand out the resident's way to read replies.
    document, root = get_both(client, f"requests/{reports['summary'][1]}", status=404)
    check_error(document, root, 404)
    get_both(client, "requests/999999", status=404)


def test_status_notes_are_the_standard_reply_in_the_readers_language(client, reports):
    report_id, _reference = reports["private"]
    document, _root = get_both(client, f"requests/{report_id}?lang=bn")
    assert document[0]["status_notes"] == standard_reply_text("in_progress.looking", "bn")
    assert document[0]["status_notes"] != STANDARD_REPLIES["in_progress.looking"].text


def test_filters(client, reports):
    ids = {name: str(report_id) for name, (report_id, _reference) in reports.items()}

    def found(query: str) -> list[str]:
        document, _root = get_both(client, f"requests?{query}")
        return [fields["service_request_id"] for fields in document]

    assert found("service_code=noise") == [ids["closed"]]
    assert found("service_code=noise&service_code=asb") == [ids["closed"], ids["summary"]]
    assert found("service_code=noise,asb") == [ids["closed"], ids["summary"]]
    assert found("status=closed") == [ids["closed"]]
    assert found("status=open") == [ids["private"], ids["summary"], ids["unapproved"]]
    assert found("status=open,closed") == found("") == found("status=&service_code=")
    # service_request_id overrides every other argument, the 90 days included; spam stays hidden.
    assert found(f"service_request_id={ids['old']},{ids['spam']},{ids['closed']}&status=open") == [
        ids["closed"], ids["old"]]
    assert found("start_date=2025-10-01T00:00:00Z&end_date=2025-12-01T00:00:00Z") == [ids["old"]]
    # Only start: 90 days from it. Only end: the 90 days before it.
    assert found("start_date=2025-11-01T00:00:00%2B01:00") == [ids["old"]]  # to 29 January
    assert found("start_date=2025-11-01T00:00:00+01:00") == [ids["old"]]  # "+" unencoded reads as a space
    assert found("end_date=2025-11-15T00:00:00Z") == [ids["old"]]
    assert found("end_date=2026-02-25T00:00:00Z") == [ids["summary"], ids["unapproved"]]  # from 27 November


def test_dates_filter_on_the_published_hour_so_they_cannot_find_the_minute(client, reports):
    """The private report was made at 13:22:45 and is published as 13:00: a range must treat it as 13:00."""
    private = str(reports["private"][0])

    def found(start: str, end: str) -> bool:
        document, _root = get_both(client, f"requests?start_date={start}&end_date={end}")
        return private in [fields["service_request_id"] for fields in document]

    assert found("2026-03-02T13:00:00Z", "2026-03-02T13:00:00Z")
    assert not found("2026-03-02T13:20:00Z", "2026-03-02T14:00:00Z")
    assert not found("2026-03-02T13:30:00Z", "2026-03-02T14:00:00Z")
    assert found("2026-03-02T12:00:00Z", "2026-03-02T13:25:00Z")
    assert found("2026-03-02T12:00:00Z", "2026-03-02T13:20:00Z")
    assert not found("2026-03-02T12:00:00Z", "2026-03-02T12:59:59Z")
    assert found("2026-03-02T14:00:00%2B01:00", "2026-03-02T14:00:00%2B01:00")  # 13:00 UTC


@pytest.mark.parametrize("query", [
    "start_date=2026-03-01",  # no time, no zone
    "start_date=2026-03-01T10:00:00",  # no zone
    "end_date=yesterday",
    "start_date=2026-13-01T00:00:00Z",
    "start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:01Z",  # more than 90 days
    "start_date=2026-03-02T00:00:00Z&end_date=2026-03-01T00:00:00Z",
    "status=pending",
    "service_code=potholes",
    "service_request_id=TH-AAAA-BBBB",
    "page=0",
    "page=two",
])
def test_a_bad_parameter_is_400_in_the_specs_error_format(client, reports, query):
    document, root = get_both(client, f"requests?{query}", status=400)
    check_error(document, root, 400)


def test_pages_of_at_most_1000(client, engine, fixed_clock):
    from storage import open311

    with new_session(engine) as session:
        for hour in range(3):
            _add_report(session, at=NOW - timedelta(hours=hour + 1))
        session.commit()
        first = open311.find_requests(session, page=1)
        assert len(first) == 3 and open311.find_requests(session, page=2) == []
    document, _root = get_both(client, "requests?page=2")
    assert document == []
    assert open311.PAGE_SIZE == 1000


# --- POST requests --------------------------------------------------------------------------------------------

PERSONAL = {"email": "marker.email.4f@example.org", "first_name": "Markerfirst", "last_name": "Markerlast",
            "phone": "+447700900123", "device_id": "marker-device-9d", "account_id": "marker-account-51"}


def _post(client, fmt="json", **form):
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


def test_a_post_with_a_key_makes_an_anonymous_report_and_keeps_nothing_about_the_person(client, engine, database_url,
                                                                                        fixed_clock):
    key = _key(engine)
    before = row_counts(database_url)
    response = _post(client, api_key=key, service_code="unsafe_place", description="The stairwell light is out",
                     address_string="Stairwell B, Weavers ward, London", lat="51.52", long="-0.07",
                     media_url="https://example.org/marker-media.jpg", **PERSONAL)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    (answer,) = response.get_json()
    assert set(answer) == {"service_request_id", "service_notice"}
    reference = re.search(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}", answer["service_notice"]).group(0)

    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.reference == reference)).scalar_one()
        agencies = session.execute(select(Agency.slug).join(ReportAgency, ReportAgency.agency_id == Agency.id)
                                   .where(ReportAgency.report_id == report.id)).scalars().all()
        assert session.execute(select(ReportLink)).first() is None
    assert answer["service_request_id"] == str(report.id)
    assert (report.channel, report.privacy, report.category, report.language) == ("open311", "anonymous", "unsafe_place", "en")
    assert report.description == "The stairwell light is out"
    assert report.location_text == "Stairwell B, Weavers ward, London"
    assert (report.latitude, report.longitude) == (51.52, -0.07)
    assert sorted(agencies) == ["council", "housing"]
    assert report.created_at == datetime(2026, 3, 2, 14, tzinfo=timezone.utc)
    from storage.models import Ward

    with new_session(engine) as session:
        assert session.get(Ward, report.ward_id).slug == "weavers"

    after = row_counts(database_url)
    assert after["contact"] == before["contact"] and after["conversation"] == before["conversation"]
    everything = repr(dump_every_table(database_url))
    for value in [*PERSONAL.values(), "marker-media", key]:
        assert value not in everything

    # It reads back like any other request, without its words.
    document, _root = get_both(client, f"requests/{report.id}")
    check_request(document[0])
    assert document[0]["address"] == "Weavers" and "description" not in document[0]


def test_a_post_in_xml_and_in_another_language(client, engine, fixed_clock):
    key = _key(engine)
    response = _post(client, "xml", api_key=key, service_code="noise", description="Loud music every night",
                     address_id="100023456", locale="so", jurisdiction_id="towerhamlets.gov.uk")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert _paths(root) <= _spec_paths("post_request.xml")
    request_id = root.find("request/service_request_id").text
    with new_session(engine) as session:
        report = session.get(Report, int(request_id))
    assert report.language == "so" and report.ward_id is None and report.location_text == "Address id 100023456"


@pytest.mark.parametrize("api_key", [None, "", "not-a-key", "revoked"])
def test_a_missing_wrong_or_revoked_key_is_403_and_nothing_is_stored(client, engine, database_url, fixed_clock,
                                                                     api_key):
    if api_key == "revoked":
        api_key = _key(engine, name="Old system")
        with new_session(engine) as session:
            api_keys.revoke_api_key(session, key_id=api_keys.list_api_keys(session)[0].id, now=NOW)
            session.commit()
    before = dump_every_table(database_url)
    form = dict(service_code="noise", description="Loud music", address_string="Weavers", **PERSONAL)
    if api_key is not None:
        form["api_key"] = api_key
    for fmt in ("json", "xml"):
        response = _post(client, fmt, **form)
        assert response.status_code == 403
        if fmt == "json":
            check_error(response.get_json(), ET.fromstring(_post(client, "xml", **form).data), 403)
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("form, status", [
    (dict(description="Loud", address_string="Weavers"), 400),  # no service_code
    (dict(service_code="potholes", description="Loud", address_string="Weavers"), 404),
    (dict(service_code="noise", address_string="Weavers"), 400),  # no description
    (dict(service_code="noise", description="   ", address_string="Weavers"), 400),
    (dict(service_code="noise", description="x" * 2001, address_string="Weavers"), 400),
    (dict(service_code="noise", description="Loud"), 400),  # no location
    (dict(service_code="noise", description="Loud", lat="51.5"), 400),  # lat without long
    (dict(service_code="noise", description="Loud", lat="north", long="-0.07"), 400),
    (dict(service_code="noise", description="Loud", lat="91", long="-0.07"), 400),
    (dict(service_code="noise", description="Loud", lat="nan", long="-0.07"), 400),
])
def test_bad_input_to_post_is_refused_and_nothing_is_stored(client, engine, database_url, fixed_clock, form, status):
    key = _key(engine)
    with new_session(engine) as session:  # the key's first use is noted whatever the request holds
        api_keys.verify_api_key(session, key=key, now=NOW)
        session.commit()
    before = dump_every_table(database_url)
    for fmt in ("json", "xml"):
        response = _post(client, fmt, api_key=key, **form)
        assert response.status_code == status, response.get_data(as_text=True)
    document = _post(client, "json", api_key=key, **form).get_json()
    check_error(document, ET.fromstring(_post(client, "xml", api_key=key, **form).data), status)
    assert dump_every_table(database_url) == before


def test_a_description_of_exactly_2000_characters_is_taken(client, engine, fixed_clock):
    response = _post(client, api_key=_key(engine), service_code="other", description="x" * 2000, lat="51.5", long="-0.05")
    assert response.status_code == 200


def test_post_needs_no_csrf_token_and_get_does_not_create(client, app, engine, fixed_clock):
    # The staff pages' CSRF check is theirs alone; with it forced on everywhere a POST here would be refused.
    assert app.config["WTF_CSRF_CHECK_DEFAULT"] is False
    response = _post(client, api_key=_key(engine), service_code="asb", description="Broken windows", address_string="Poplar")
    assert response.status_code == 200
    assert client.get("/open311/v2/requests.json?api_key=x&service_code=asb&description=y").status_code == 200
    with new_session(engine) as session:
        assert len(session.execute(select(Report)).all()) == 1
