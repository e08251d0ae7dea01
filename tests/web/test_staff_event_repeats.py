"""A move sent twice on the staff events pages is refused the second time, also for a time in the hour the
October clock change repeats (or the March one skips), where Python never finds a London time equal to
a UTC one (PEP 495) and so never saw the repeat. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.web.test_staff_events import _actions, _event, _organiser, _resident, _stored, _token_from
from tests.web.test_staff_pages import clock  # noqa: F401 (clock is a fixture)


@pytest.mark.parametrize("day, starts, utc", [
    ("2027-10-31", "01:30", datetime(2027, 10, 31, 0, 30, tzinfo=timezone.utc)),  # the first 01:30, still BST
    ("2027-03-28", "01:30", datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc)),  # no such time: read as GMT
])
def test_the_same_move_sent_twice_across_a_clock_change_moves_once(app, client, clock, day, starts, utc):
    event_id = _event(app)
    _resident(app, event_id, "coming")
    _organiser(app, client)
    move = {"csrf_token": _token_from(client, f"/staff/events/{event_id}"), "starts_date": day, "starts_time": starts}
    assert client.post(f"/staff/events/{event_id}/move", data=move).status_code == 303
    assert client.post(f"/staff/events/{event_id}/move", data=move).status_code == 400
    assert _stored(app, event_id).starts_at == utc
    assert [action for action, _detail in _actions(app)] == ["event_moved"]
