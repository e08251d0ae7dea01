"""Abuse of Open311's POST (docs/security-tests.md, "Open311"): guessing API keys, oversized and odd fields,
and a flood of reports sent with a real key. SQLite and PostgreSQL."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage import api_keys
from storage.database import new_session
from storage.models import Report
from storage.types import utcnow
from tests.helpers import dump_every_table
from web.open311 import API_KEY_FAILURE_LIMIT

POST = "/open311/v2/requests.{fmt}"
FORM = {"service_code": "noise", "description": "Loud music every night from the car park",
        "address_string": "Car park, Weavers ward"}
FAILURES = int(API_KEY_FAILURE_LIMIT.split()[0])


@pytest.fixture
def key(engine) -> str:
    with new_session(engine) as session:
        _row, made = api_keys.create_api_key(session, name="Council CRM", now=utcnow() - timedelta(days=1))
        session.commit()
    return made


def _post(client, *, fmt="json", address="192.0.2.10", **form):
    return client.post(POST.format(fmt=fmt), data=form, environ_base={"REMOTE_ADDR": address})


def _reports(engine) -> int:
    with new_session(engine) as session:
        return session.execute(select(func.count()).select_from(Report)).scalar_one()


def test_guessing_keys_from_one_address_is_stopped_and_other_addresses_go_on(client, engine, database_url, key):
    before = dump_every_table(database_url)
    for guess in range(FAILURES):
        assert _post(client, api_key=f"guess-{guess}", **FORM).status_code == 403, guess
    for fmt in ("json", "xml"):
        refused = _post(client, fmt=fmt, api_key="one more guess", **FORM)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0, fmt
        if fmt == "json":
            assert refused.get_json()[0]["code"] == 429 and "description" in refused.get_json()[0]
        else:
            assert ET.fromstring(refused.data).find("error/code").text == "429"
    # The limit stands in front of the key check: the right key from that address waits too, so the
    # guesses learn nothing more, and nothing was stored.
    assert _post(client, api_key=key, **FORM).status_code == 429
    assert dump_every_table(database_url) == before
    assert _post(client, address="198.51.100.20", api_key=key, **FORM).status_code == 200


def test_a_system_with_the_right_key_never_meets_the_limit(client, engine, key):
    for n in range(FAILURES + 5):
        response = _post(client, api_key=key, **{**FORM, "description": f"Report number {n} about the gates"})
        assert response.status_code == 200, n
    assert _reports(engine) == FAILURES + 5


@pytest.mark.parametrize("changes, status", [
    ({"description": "x" * 2001}, 400), ({"address_string": "x" * 2001}, 400), ({"address_id": "x" * 201}, 400),
    ({"service_code": "x" * 100_000}, 404), ({"lat": "1e400", "long": "0"}, 400),
    ({"lat": "1" * 5000, "long": "0"}, 400), ({"lat": "51.5", "long": "-inf"}, 400),
    ({"description": "x" * 600_000}, 400), ({"padding": "x" * (2 * 1024 * 1024)}, 413),
])
def test_oversized_and_odd_fields_are_refused_and_nothing_is_stored(client, database_url, key, changes, status):
    before = dump_every_table(database_url)
    for fmt in ("json", "xml"):
        assert _post(client, fmt=fmt, api_key=key, **{**FORM, **changes}).status_code == status, fmt
    after = dump_every_table(database_url)
    after["apikey"], before["apikey"] = [], []  # when the key was last used is noted first, whatever follows
    assert after == before


def test_huge_personal_fields_and_media_links_are_read_past_and_never_stored(client, database_url, key):
    marker = "Marker-Person-0457"
    form = {**FORM, "email": marker + "x" * 100_000, "first_name": marker, "last_name": marker,
            "phone": marker, "device_id": marker, "account_id": marker, "media_url": "https://x/" + marker,
            "locale": "x" * 100_000}
    assert _post(client, api_key=key, **form).status_code == 200
    assert marker not in repr(dump_every_table(database_url))


def test_a_flood_of_one_report_through_open311_is_counted_once(client, engine, key):
    """The same words sent again and again (changed case, spacing, punctuation) are each answered, and
    merged into the first: one report counted (storage/identical_reports.py)."""
    variants = [FORM["description"], FORM["description"].upper(), "  " + FORM["description"] + " !!",
                FORM["description"].replace(" ", "  "), FORM["description"] + "."]
    for n in range(30):
        assert _post(client, api_key=key, **{**FORM, "description": variants[n % len(variants)]}).status_code == 200
    with new_session(engine) as session:
        counted = session.execute(select(func.count()).select_from(Report)
                                  .where(Report.duplicate_of_id.is_(None))).scalar_one()
    assert counted == 1 and _reports(engine) == 30
    assert len(client.get("/open311/v2/requests.json").get_json()) == 1


def test_a_flood_of_different_reports_with_a_real_key_stops_when_the_key_is_revoked(client, engine, key):
    """A key is given to one council system, which may send as many different reports as it has (it is not
    limited); if it floods, the operator revokes the key (`safer-homes open311 key revoke`) and every
    further post is refused, storing nothing."""
    for n in range(40):
        different = {**FORM, "description": f"Different report {n} about a door"}
        assert _post(client, api_key=key, **different).status_code == 200
    with new_session(engine) as session:
        api_keys.revoke_api_key(session, key_id=api_keys.list_api_keys(session)[0].id, now=utcnow())
        session.commit()
    assert _post(client, api_key=key, **{**FORM, "description": "One more after revoking"}).status_code == 403
    assert _reports(engine) == 40
