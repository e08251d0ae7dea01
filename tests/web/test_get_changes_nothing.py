"""A GET never changes what is stored (docs/security-tests.md): every GET address in the app's URL map,
opened with plausible ids and filters by a signed-in admin, an officer and someone not signed in, leaves
every table as it was, but for what a view is meant to keep. A link in an email, a prefetching browser or
an image tag on another site can make a signed-in officer's browser send any GET, so none may act.

What a view keeps, and why:

- `auditentry` rows `report_viewed`: every view of a report is recorded (design.md, "Staff access").
- `report.translation` and `report.translation_engine`: the first view of a report in another language asks
  TRANSLATOR once and keeps the English beside the resident's words (web/staff_report.py), so no later view
  sends them out again.
- `publicsnapshot`: when no snapshot is fresh a public page counts its figures inline, and keeps them for
  the next visitor (storage/public_snapshots.py).

SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from storage.database import new_session
from storage.reports import create_report
from storage.types import utcnow
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.web.pentest_world import SHARED, address, app_with_media, build_world, dump_by_column, rules, sign_in

BENGALI = "TH-PEN1-0004"
# Filters and cursors the GET pages take, each with a plausible value (tests/web/test_penetration.py tries
# hostile ones).
QUERIES = {
    "/staff/reports": [{}, {"status": "closed"}, {"ward": "weavers", "age": "week"}, {"overdue": "1"},
                       {"reopened": "1"}, {"q": "noise"}, {"after": "1790000000000000-2"}, {"lang": "bn"}],
    "/staff/admin/audit": [{}, {"before": "5"}],
    "/staff/events": [{}, {"when": "past"}],
    "/staff/events/<int:event_id>": [{}, {"told": "3", "done": "moved"}],
    "/staff/admin/targets": [{}, {"clock": "council"}],
    "/staff/login": [{}, {"next": "/staff/reports"}],
    "/public": [{}, {"months": "3"}, {"lang": "so"}],
    "/events/<int:event_id>/poster": [{}, {"lang": "en,bn,so"}],
    "/open311/v2/requests.<any(json, xml):fmt>": [{}, {"status": "open"}, {"service_code": "asb"}],
}


@pytest.fixture
def translator():
    with FakeLibreTranslate() as server:
        yield server


@pytest.fixture
def app(database_url, tmp_path, translator):
    yield from app_with_media(database_url, tmp_path, translator="libre", libretranslate_url=translator.url)


# What a view is meant to keep (the module's docstring): table -> columns left out, or None for the table.
KEPT_BY_VIEWS = {"publicsnapshot": None, "report": ("translation", "translation_engine")}


def _without_what_views_keep(dump: dict) -> dict:
    kept = {name: rows for name, rows in dump.items() if name not in KEPT_BY_VIEWS or KEPT_BY_VIEWS[name]}
    kept["auditentry"] = [row for row in dump["auditentry"] if row["action"] != "report_viewed"]
    for name, columns in KEPT_BY_VIEWS.items():
        if columns:
            kept[name] = [{column: value for column, value in row.items() if column not in columns}
                          for row in dump[name]]
    return kept


def _gets(app, ids) -> list[str]:
    addresses = []
    for rule in rules(app, method="GET"):
        for fmt in ("json", "xml") if "fmt" in rule.arguments else (None,):
            path = address(rule, ids, fmt=fmt, code="asb", request_id=str(ids["report_row_id"]))
            for query in QUERIES.get(rule.rule, [{}]):
                addresses.append(path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
    return addresses


def test_no_get_address_changes_anything_for_anyone(app, database_url, translator):
    world = build_world(app)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        report = create_report(session, reference=BENGALI, category="noise", language="bn", channel="webchat",
                               privacy="anonymous", agency_slugs=["council"], description="Gaan baje raate",
                               received_at=utcnow() - timedelta(hours=3), ward_slug="weavers")
        session.commit()
        ids = {**world.ids, "report_row_id": report.id}
    visitors = {"admin": sign_in(app, "admin"), "officer": sign_in(app, "council_officer"),
                "anyone": app.test_client()}
    addresses = _gets(app, ids) + [f"/staff/reports/{BENGALI}", f"/staff/reports/{SHARED}"]
    assert len(addresses) >= 45, addresses
    before = dump_by_column(database_url)
    answered = {}
    for name, client in visitors.items():
        for path in addresses:
            response = client.get(path)
            answered[(name, path)] = response.status_code
            response.close()
            assert response.status_code < 500, (name, path, response.status_code)
    after = dump_by_column(database_url)
    assert _without_what_views_keep(after) == _without_what_views_keep(before)
    # The pages were really shown (not all refused), and what views keep was kept.
    assert answered[("admin", f"/staff/reports/{BENGALI}")] == 200
    assert sum(status == 200 for status in answered.values()) >= 100, answered
    assert any(row["action"] == "report_viewed" for row in after["auditentry"])
    assert len(translator.requests) == 1  # the Bengali report, translated once for the first view
