"""A staff form sent twice (a double click, a browser retry) or from a page another officer has since
changed: the resident is told once, and the stale form changes nothing. Input a database cannot keep
(NUL) is a 400, not a 500. SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from tests.web.test_staff_actions import (OTHER, REFERENCE, _outbox, _report, _report_row, _signed_in, _updates,
                                          _without_audit)
from tests.web.test_staff_pages import _account, _login, clock  # noqa: F401 (clock is a fixture)


def _form_fields(page: str, action: str) -> dict:
    """The hidden fields of the page's form that posts to `action` (its csrf token and version)."""
    form = re.search(r'<form method="post" action="' + re.escape(action) + r'[^"]*"[^>]*>(.*?)</form>', page, re.S)
    assert form, action
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


def _page(client, reference=REFERENCE) -> str:
    response = client.get(f"/staff/reports/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_status_change_sent_twice_tells_the_resident_once(app, client, clock):
    _report(app)
    _signed_in(app, client)
    fields = _form_fields(_page(client), f"/staff/reports/{REFERENCE}")
    data = {**fields, "status": "in_progress", "reason": "Visit booked", "standard_reply": "in_progress.looking"}
    assert client.post(f"/staff/reports/{REFERENCE}", data=data).status_code == 303
    again = client.post(f"/staff/reports/{REFERENCE}", data=data)
    assert again.status_code == 409
    assert "changed while you had it open" in again.get_data(as_text=True)
    assert len(_outbox(app)) == 1
    assert [update.action for update in _updates(app)] == ["received", "status"]


def test_a_form_from_before_another_officers_change_changes_nothing(app, client, clock, database_url):
    _report(app, agencies=("council",))
    _report(app, OTHER, agencies=("council",))
    _signed_in(app, client)
    colleague = app.test_client()
    _account(app, "colleague@council.example", "officer", "council")
    _login(colleague, "colleague@council.example")
    stale = _form_fields(_page(client), f"/staff/reports/{REFERENCE}")
    fresh = _form_fields(_page(colleague), f"/staff/reports/{REFERENCE}")
    assert colleague.post(f"/staff/reports/{REFERENCE}", data={**fresh, "status": "closed", "reason": "Sorted",
                                                               "standard_reply": "closed.resolved"}).status_code == 303
    before = _without_audit(database_url)
    for path, data in (("", {"status": "in_progress", "reason": "Visit booked"}),
                       ("/refer", {"agency": "housing", "route": "share", "reason": "x"}),
                       ("/merge", {"into_reference": OTHER})):
        response = client.post(f"/staff/reports/{REFERENCE}{path}", data={**stale, **data})
        assert response.status_code == 409, path
    assert _without_audit(database_url) == before
    assert _report_row(app).status == "closed"
    # Shown again, the page carries the new state, so sending once more goes through.
    fresh_again = _form_fields(_page(client), f"/staff/reports/{REFERENCE}")
    assert client.post(f"/staff/reports/{REFERENCE}", data={**fresh_again, "status": "in_progress",
                                                            "reason": "Reopened"}).status_code == 303
    assert _report_row(app).status == "in_progress"


@pytest.mark.parametrize("path, data", [
    ("", {"status": "in_progress", "reason": "Visit\x00booked"}),
    ("", {"message": "Hello\x00there"}),
    ("", {"internal_note": "\x00"}),
    ("/refer", {"agency": "hou\x00sing", "route": "share", "reason": "x"}),
    ("/refer", {"agency": "housing", "route": "share", "reason": "x\x00"}),
    ("/merge", {"into_reference": "TH-AAAA-\x000001"}),
])
def test_a_nul_byte_is_a_clear_400_that_changes_nothing(app, client, clock, database_url, path, data):
    _report(app)
    _signed_in(app, client)
    fields = _form_fields(_page(client), f"/staff/reports/{REFERENCE}")
    before = _without_audit(database_url)
    response = client.post(f"/staff/reports/{REFERENCE}{path}", data={**fields, **data})
    assert response.status_code == 400
    assert _without_audit(database_url) == before
