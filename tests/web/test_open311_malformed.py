"""Open311 under malformed input: every refusal is the spec's error document (well-formed JSON and XML, the
HTTP status as its code) and changes nothing; nothing answers 500. A NUL character anywhere in a POST
(PostgreSQL refuses NUL in text), dates at the edges of what Python can count, page numbers in other
scripts' digits, control characters echoed back in an error, and a body over the size limit."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from storage import api_keys
from storage.database import new_session
from tests.helpers import dump_every_table

NOW = datetime(2026, 3, 2, 14, 37, 12, tzinfo=timezone.utc)


@pytest.fixture
def fixed_clock(app):
    app.extensions["safer_homes.clock"] = lambda: NOW
    return NOW


@pytest.fixture
def key(engine):
    with new_session(engine) as session:
        _row, made = api_keys.create_api_key(session, name="Council CRM", now=NOW - timedelta(days=1))
        session.commit()
        # Its first use is noted whatever the request holds: note it now so "nothing changed" can be checked.
        api_keys.verify_api_key(session, key=made, now=NOW)
        session.commit()
    return made


def _error_documents(response_json, response_xml, status: int) -> None:
    """Both formats are the spec's error list with the HTTP status as the code, and parse."""
    for response in (response_json, response_xml):
        assert response.status_code == status, response.get_data(as_text=True)
    document = json.loads(response_json.get_data())
    assert [set(item) for item in document] == [{"code", "description"}] and document[0]["code"] == status
    root = ET.fromstring(response_xml.get_data())  # raises on a character XML cannot carry
    assert root.tag == "errors" and [child.tag for child in root] == ["error"]
    assert root.find("error/code").text == str(status) and root.find("error/description").text


@pytest.mark.parametrize("field", ["description", "address_string", "address_id", "lat", "api_key", "email",
                                   "service_code"])
def test_a_nul_character_in_any_posted_field_is_400_and_nothing_is_stored(client, database_url, fixed_clock, key,
                                                                          field):
    form = {"api_key": key, "service_code": "noise", "description": "Loud music every night",
            "address_string": "Weavers", "address_id": "UPRN 100", "email": "someone@example.org"}
    form[field] = form.get(field, "51.5") + "\x00"
    if field == "lat":
        form["long"] = "-0.05"
    before = dump_every_table(database_url)
    responses = [client.post(f"/open311/v2/requests.{fmt}", data=form) for fmt in ("json", "xml")]
    _error_documents(*responses, status=400)
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("query", [
    "start_date=9999-12-31T23:59:00Z",  # plus 90 days is past the last date Python counts
    "end_date=0001-01-01T00:00:00Z",  # minus 90 days is before the first
    "start_date=0001-01-01T00:00:00%2B01:00",  # in UTC, before year 1
    "end_date=9999-12-31T23:30:00-01:00",  # in UTC, after year 9999
    "page=%C2%B2",  # a superscript two: str.isdigit says yes, int() says no
    "page=%D9%A1",  # an Arabic-Indic one: not a page number in this API's ASCII
    "page=99999999999999999999999",
])
def test_dates_and_pages_python_cannot_count_are_400_not_500(client, fixed_clock, query):
    responses = [client.get(f"/open311/v2/requests.{fmt}?{query}") for fmt in ("json", "xml")]
    _error_documents(*responses, status=400)


@pytest.mark.parametrize("path, status", [
    ("services/%00", 404), ("services/%01%08%1F%EF%BF%BE", 404), ("services/%3Cx%3E%26%22%27]]%3E", 404),
    ("requests/%00", 404), ("requests/%0B", 404),
    ("requests?service_code=%00,%01", 400), ("requests?service_code=%3C%2Fdescription%3E", 400),
])
def test_what_an_error_echoes_back_is_well_formed_xml(client, fixed_clock, path, status):
    base, _, query = path.partition("?")
    responses = [client.get(f"/open311/v2/{base}.{fmt}" + (f"?{query}" if query else "")) for fmt in ("json", "xml")]
    _error_documents(*responses, status=status)


def test_a_body_over_the_size_limit_is_413_in_the_specs_format(client, database_url, fixed_clock, key):
    before = dump_every_table(database_url)
    body = b"api_key=" + key.encode() + b"&service_code=noise&address_string=Weavers&description=" + b"a" * (2 << 20)
    responses = [client.post(f"/open311/v2/requests.{fmt}", data=body,
                             content_type="application/x-www-form-urlencoded") for fmt in ("json", "xml")]
    _error_documents(*responses, status=413)
    assert dump_every_table(database_url) == before


def test_a_json_body_is_not_the_specs_form_and_is_refused_in_its_format(client, database_url, fixed_clock, key):
    """The spec posts form-encoded fields; a JSON body has none of them, so it has no key: 403, nothing kept."""
    before = dump_every_table(database_url)
    body = {"api_key": key, "service_code": "noise", "description": "Loud", "address_string": "Weavers"}
    responses = [client.post(f"/open311/v2/requests.{fmt}", json=body) for fmt in ("json", "xml")]
    _error_documents(*responses, status=403)
    assert dump_every_table(database_url) == before


def test_a_body_that_is_not_utf8_is_read_with_replacement_characters_not_refused_with_500(client, engine, fixed_clock,
                                                                                           key):
    body = b"api_key=" + key.encode() + b"&service_code=noise&address_string=Weavers&description=Loud%FF%FE music"
    response = client.post("/open311/v2/requests.json", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_agency_named_in_neither_the_readers_language_nor_english_is_left_out_not_a_500(client, engine,
                                                                                            fixed_clock, key):
    from sqlalchemy import select

    from storage.models import Agency

    created = client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "noise",
                                                             "description": "Loud", "address_string": "Weavers"})
    assert created.status_code == 200, created.get_data(as_text=True)
    with new_session(engine) as session:
        for agency in session.execute(select(Agency)).scalars():
            agency.names = {"bn": "কাউন্সিল"} if agency.slug == "council" else {}
        session.commit()
    for fmt in ("json", "xml"):
        response = client.get(f"/open311/v2/requests.{fmt}?lang=so")
        assert response.status_code == 200, response.get_data(as_text=True)
    [request] = client.get("/open311/v2/requests.json?lang=so").get_json()
    assert "agency_responsible" not in request
    [request] = client.get("/open311/v2/requests.json?lang=bn").get_json()
    assert request["agency_responsible"] == "কাউন্সিল"


@pytest.mark.parametrize("path", ["nothing", "services/noise/more", "requests/1/notes", "v3/services"])
def test_an_address_no_route_matches_is_404_in_the_specs_format(client, fixed_clock, path):
    prefix = "/open311/" if path.startswith("v3") else "/open311/v2/"
    responses = [client.get(f"{prefix}{path}.{fmt}?locale=bn") for fmt in ("json", "xml")]
    _error_documents(*responses, status=404)
    assert responses[0].mimetype == "application/json" and responses[1].mimetype == "text/xml"
    # In the language asked for, as every other Open311 error.
    description = json.loads(responses[0].get_data())[0]["description"]
    from flows import i18n

    assert description == i18n.translations("bn").gettext(
        "There is nothing at this address. The discovery document lists what this service answers.")


@pytest.mark.parametrize("method, path", [("put", "requests"), ("delete", "requests/1"), ("post", "services"),
                                          ("post", "discovery")])
def test_a_method_an_address_does_not_take_is_405_in_the_specs_format(client, fixed_clock, method, path):
    responses = [getattr(client, method)(f"/open311/v2/{path}.{fmt}") for fmt in ("json", "xml")]
    _error_documents(*responses, status=405)
    assert "GET" in responses[0].headers["Allow"]
