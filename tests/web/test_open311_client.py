"""An outside Open311 client reads our answers: georeport (PyPI, Apache-2.0), over real HTTP, in both of its
formats (JSON with `json`, XML with xmltodict)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from georeport import GeoReport

from storage.database import new_session
from tests.fakes.local_server import LocalServer
from tests.web.test_open311 import NOW, _add_report


@pytest.fixture
def served(app, engine):
    app.extensions["safer_homes.clock"] = lambda: NOW
    with new_session(engine) as session:
        first = _add_report(session, category="noise", at=NOW - timedelta(days=2))
        second = _add_report(session, category="asb", at=NOW - timedelta(days=1), ward="poplar")
        session.commit()
        ids = [str(first.id), str(second.id)]
    server = LocalServer(app, name="open311-server")
    try:
        yield f"{server.url}/open311/v2", ids
    finally:
        server.close()


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_reads_services_definitions_and_requests(served, output_format):
    root, (first_id, second_id) = served
    client = GeoReport(root, jurisdiction="towerhamlets.gov.uk", output_format=output_format)

    services = client.get_service_list()
    assert [service["service_code"] for service in services][:2] == ["asb", "drugs"]
    assert {str(service["metadata"]).lower() for service in services} == {"false"}

    definition = client.get_service_definition("noise")
    assert definition["service_code"] == "noise"

    requests_found = client.get_service_requests(service_code="noise,asb", status="open")
    assert [request["service_request_id"] for request in requests_found] == [second_id, first_id]
    assert requests_found[0]["address"] == "Poplar" and requests_found[1]["service_code"] == "noise"

    one = client.get_service_request(first_id)
    assert one["service_request_id"] == first_id and one["status"] == "open"
    assert one["requested_datetime"] == "2026-02-28T14:00:00Z"
    assert "description" not in one and "lat" not in one
