"""Addresses holding ids or ward slugs no row can have lead nowhere (404), on SQLite and PostgreSQL, instead
of reaching a query the database refuses (500): PostgreSQL's ids stop at 2,147,483,647 and its text holds
no NUL. The public digest, the downloads and the staff pages new with the public pages (plus the older
event pages, which share the rule)."""
from __future__ import annotations

import pytest

from tests.web.test_staff_public import _admin
from tests.web.test_staff_pages import clock  # noqa: F401 (a fixture)
from web.row_ids import LARGEST_ROW_ID

TOO_LARGE = [str(LARGEST_ROW_ID + 1), "99999999999999999999999"]


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_a_meeting_id_no_row_can_have_is_404_on_the_public_digest(client, too_large):
    for suffix in ("", ".pdf"):
        response = client.get(f"/public/wards/weavers/meetings/{too_large}{suffix}")
        assert response.status_code == 404, (suffix, response.status_code)


@pytest.mark.parametrize("slug", ["%00", "weavers%00", "%E0%A6%AC%E0%A6%BE", "a" * 3000, "Weavers"])
def test_a_ward_slug_that_is_not_a_slug_is_404_in_each_download(client, slug):
    for suffix in (".json", ".csv"):
        response = client.get(f"/public/wards/{slug}{suffix}")
        assert response.status_code == 404, (suffix, response.status_code)
    assert client.get("/public/wards/weavers.json").status_code == 200  # the rule lets real slugs through


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_staff_addresses_with_an_id_no_row_can_have_are_404(app, client, clock, too_large):
    token = _admin(app, client)
    for path in (f"/staff/public/entries/{too_large}", f"/staff/events/{too_large}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/staff/public/entries/{too_large}", f"/staff/public/entries/{too_large}/publish",
                 f"/staff/public/entries/{too_large}/withdraw", f"/staff/admin/targets/{too_large}/retire",
                 f"/staff/events/{too_large}/digest"):
        response = client.post(path, data={"csrf_token": token, "retired_on": "2027-01-20"})
        # Werkzeug's matcher says 405 where a GET rule shares the address: still refused before any query.
        assert response.status_code in (404, 405), (path, response.status_code)
    assert client.get(f"/staff/public/entries/{LARGEST_ROW_ID}").status_code == 404  # the largest id: no row
