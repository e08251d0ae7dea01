"""The CSV and JSON downloads: their shapes as docs/public-data.md gives them, 404s, the cache header, and
no resident's words, name or reference in any byte of them."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.crypto import Sealer
from storage.database import new_session
from storage.models import PublicEntry, Report, ReportLink, ReportUpdate
from storage.public_figures import clear_public_figures_cache
from tests.conftest import TEST_SECRET_KEY
from tests.storage.test_public_figures import IN_JUNE, NOW, Reports

PATHS = ("/public.csv", "/public.json", "/public/wards/weavers.csv", "/public/wards/weavers.json")
CSV_HEADER = ["section", "month", "ward", "agency", "category", "status", "time_of_day", "target", "measure",
              "value", "suppressed"]


@pytest.fixture
def frozen_client(app):
    app.extensions["safer_homes.clock"] = lambda: NOW
    clear_public_figures_cache()
    yield app.test_client()
    clear_public_figures_cache()


def _seed(engine, **extra) -> Reports:
    with new_session(engine) as session:
        reports = Reports(session)
        for response in (0, 1, 1, 2, 3, 7):
            reports.add(category="asb", shared=[("council", response, response + 2)], **extra)
        reports.many(4, category="drugs", shared=[("council", None, None)], **extra)
        session.commit()
    return reports


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_json_follows_the_documented_schema(engine, frozen_client):
    _seed(engine)
    response = frozen_client.get("/public/wards/weavers.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["schema"] == "safer-homes-public/1"
    assert document["suppressed_below"] == 5
    assert set(document) == {"schema", "suppressed_below", "ward", "period", "counted_at", "reports", "agencies",
                             "satisfaction", "targets", "night_safety", "entries"}
    assert document["ward"] == {"slug": "weavers", "name": "Weavers"}
    assert document["period"] == {"start": "2025-07-01", "end": "2026-06-15", "months": 12}
    assert document["reports"]["total"] == 10
    assert document["reports"]["by_category"]["asb"] == 6
    assert document["reports"]["by_category"]["drugs"] is None  # four: null, never 4
    assert [month["month"] for month in document["reports"]["months"]][-2:] == ["2026-05", "2026-06"]
    council = next(agency for agency in document["agencies"] if agency["agency"] == "council")
    assert set(council) == {"agency", "names", "target_working_days", "reports", "responded",
                            "first_response_median_working_days", "first_response_p90_working_days",
                            "within_target_percent", "closed", "close_median_working_days", "close_p90_working_days"}
    # Six answered in 0, 1, 1, 2, 3, 7 working days (nearest rank: 3rd and 6th); closed two days later each.
    assert (council["reports"], council["responded"], council["first_response_median_working_days"],
            council["first_response_p90_working_days"], council["within_target_percent"]) == (10, 6, 1.0, 7.0, 66.7)
    assert (council["closed"], council["close_median_working_days"], council["close_p90_working_days"]) == (6, 3.0, 9.0)
    assert set(document["satisfaction"]) == {"answers", "yes", "partly", "no"}
    (night,) = document["night_safety"]
    assert set(night) == {"ward", "ward_name", "by_time_of_day", "women_and_girls_by_time_of_day", "responded_percent"}
    borough = frozen_client.get("/public.json").get_json()
    assert borough["ward"] is None and len(borough["night_safety"]) == 20


def test_csv_is_one_figure_a_row_with_suppressed_ones_empty(engine, frozen_client):
    _seed(engine)
    response = frozen_client.get("/public/wards/weavers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert 'filename="safer-homes-weavers-2026-06-15.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines()[0].split(",") == CSV_HEADER
    rows = _rows(response)

    def find(**where):
        (row,) = [row for row in rows if all(row[key] == value for key, value in where.items())]
        return row

    total = find(section="reports", month="", category="", status="", measure="count")
    assert (total["value"], total["suppressed"], total["ward"]) == ("10", "false", "weavers")
    drugs = find(section="reports", month="", category="drugs", measure="count")
    assert (drugs["value"], drugs["suppressed"]) == ("", "true")
    june_asb = find(section="reports", month="2026-06", category="asb", measure="count")
    assert june_asb["value"] == "6"
    median = find(section="agency", agency="council", measure="first_response_median_working_days")
    assert (median["value"], median["suppressed"]) == ("1.0", "false")
    assert find(section="agency", agency="police", measure="reports")["suppressed"] == "true"
    assert find(section="satisfaction", measure="answers")["suppressed"] == "true"
    assert {row["time_of_day"] for row in rows if row["section"] == "night_safety"} == {
        "morning", "afternoon", "evening", "night", ""}
    assert {row["section"] for row in rows} == {"reports", "agency", "satisfaction", "night_safety"}
    assert all(row["suppressed"] in ("true", "false") for row in rows)
    assert all((row["value"] == "") == (row["suppressed"] == "true") for row in rows if row["section"] != "target")


def test_unknown_wards_are_404_in_the_download_format(frozen_client):
    response = frozen_client.get("/public/wards/atlantis.json")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no ward with the slug 'atlantis'"}
    response = frozen_client.get("/public/wards/atlantis.csv")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert "atlantis" in response.get_data(as_text=True)


def test_no_resident_words_names_or_references_in_any_download(engine, frozen_client):
    markers = {
        "description": "MARKER-DESCRIPTION-41", "location_text": "MARKER-LOCATION-42", "when_text": "MARKER-WHEN-43",
    }
    sealer = Sealer(TEST_SECRET_KEY)
    with new_session(engine) as session:
        reports = Reports(session)
        made = []
        for index in range(6):
            made.append(reports.add(category="unsafe_place", time_of_day="night", woman_or_girl=True,
                                    shared=[("council", 1, 3)], **markers))
        for report in made:
            report.public_summary = "MARKER-SUMMARY-NOT-APPROVED"
            session.add(ReportUpdate(report_id=report.id, status="closed", action="status", created_at=IN_JUNE,
                                     public_message="MARKER-PUBLIC-REPLY", internal_note="MARKER-INTERNAL-NOTE",
                                     author="MARKER-OFFICER-NAME"))
            reports.answer(report, "no")  # with the comment MARKER-sorted-comment
        session.flush()
        from storage import contacts
        contact = contacts.find_or_create_contact(session, channel="webchat", address_hash="a" * 64,
                                                  address_sealed=None, now=NOW)
        session.add(ReportLink(report_id=made[0].id, contact_id=contact.id,
                               reporter_name_sealed=sealer.seal("MARKER-REPORTER-NAME")))
        session.add(PublicEntry(ward_id=reports.ward_ids["weavers"], you_said="MARKER-DRAFT-ENTRY", we_did="x",
                                state="draft", created_at=NOW, updated_at=NOW))
        session.add(PublicEntry(ward_id=reports.ward_ids["weavers"], you_said="Street lights on Weavers Fields",
                                we_did="Four lights fixed", state="published", published_at=NOW - timedelta(days=1),
                                created_at=NOW, updated_at=NOW))
        session.commit()
        references = list(session.execute(select(Report.reference)).scalars())
    forbidden = [*markers.values(), "MARKER-SUMMARY-NOT-APPROVED", "MARKER-PUBLIC-REPLY", "MARKER-INTERNAL-NOTE",
                 "MARKER-OFFICER-NAME", "MARKER-sorted-comment", "MARKER-REPORTER-NAME", "MARKER-DRAFT-ENTRY",
                 *references]
    for path in PATHS:
        response = frozen_client.get(path)
        assert response.status_code == 200, path
        body = response.get_data()
        for marker in forbidden:
            assert marker.encode() not in body, (path, marker)
        assert b"MARKER" not in body, path
    # The scan looks at the real thing: what is published is there.
    assert "Four lights fixed" in frozen_client.get("/public/wards/weavers.json").get_data(as_text=True)
    assert any(row["value"] == "6" and row["time_of_day"] == "night"
               for row in _rows(frozen_client.get("/public/wards/weavers.csv")))
