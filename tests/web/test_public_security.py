"""Security of the public outputs beyond what they say (SQLite and PostgreSQL): a signed-in officer's session
cookie never rides on a response a shared cache may keep, a download's text cell is never a spreadsheet
formula, and the downloads are never sniffed into pages."""
from __future__ import annotations

import csv
import io

import pytest

from storage.public_figures import clear_public_figures_cache
from tests.test_public_privacy import ADMIN, OFFICER, add_staff, signed_in
from tests.web.test_staff_pages import clock  # noqa: F401 (a fixture)

CACHEABLE_PUBLIC_PATHS = ("/public", "/public/wards/weavers", "/public.json", "/public.csv",
                          "/public/wards/weavers.json", "/public/wards/weavers.csv", "/open311/v2/services.json",
                          "/open311/v2/requests.xml")


@pytest.fixture
def fresh_figures():
    clear_public_figures_cache()
    yield
    clear_public_figures_cache()


def test_a_signed_in_officers_cookie_never_goes_out_on_a_publicly_cacheable_response(app, clock, fresh_figures):
    add_staff(app, OFFICER, "officer", "council")
    officer = signed_in(app, OFFICER)
    for path in CACHEABLE_PUBLIC_PATHS:
        response = officer.get(path)
        assert response.status_code == 200, path
        assert "session=" in response.headers.get("Set-Cookie", ""), path  # Flask refreshes the session
        cache_control = response.cache_control
        assert not cache_control.public and cache_control.private and cache_control.max_age == 60, (
            path, response.headers["Cache-Control"])
    # Everyone else still gets the minute's shared caching the design allows.
    for path in CACHEABLE_PUBLIC_PATHS:
        response = app.test_client().get(path)
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["Cache-Control"] == "public, max-age=60", path


@pytest.mark.parametrize("agreed_with", ['=HYPERLINK("https://evil.example","Agreed")', "+1+cmd|' /C calc'!A0",
                                         "-2+3", "@SUM(1+1)"])
def test_an_agreed_target_that_looks_like_a_formula_is_text_in_the_csv(app, clock, fresh_figures, agreed_with):
    add_staff(app, ADMIN, "admin", None)
    admin = signed_in(app, ADMIN)
    page = admin.get("/staff/admin/targets").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = admin.post("/staff/admin/targets", data={
        "csrf_token": token, "measure": "first_response", "agency": "council", "ward": "", "working_days": "3",
        "share_percent": "", "agreed_with": agreed_with, "agreed_on": "2026-12-01", "effective_from": "2026-12-01",
        "note": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    download = app.test_client().get("/public.csv")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    (agreed,) = [row for row in rows if row["section"] == "target" and row["measure"] == "agreed_with"]
    assert agreed["value"] == "'" + agreed_with
    # The JSON is for programs, not spreadsheets: the words as agreed.
    (target,) = app.test_client().get("/public.json").get_json()["targets"]
    assert target["agreed_with"] == agreed_with


def test_the_downloads_are_never_sniffed_into_a_page(client, clock, fresh_figures):
    response = client.get("/public/wards/%3Cimg%20src=x%20onerror=alert(1)%3E.csv")
    assert response.status_code == 404 and response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/public.csv", "/public.json"):
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"
