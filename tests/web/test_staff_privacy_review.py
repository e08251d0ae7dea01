"""A privacy review of the staff workspace: what a report page or its media could give away beyond the access
rule (an anonymous report's exact time, a report another agency alone was given), SQLite and PostgreSQL."""
from __future__ import annotations

import os
from datetime import timedelta

from storage.database import new_session
from tests.web.test_staff_report import NOW, _account, _login, _report, app  # noqa: F401 (app is a fixture)

PHOTO = "e" * 32 + ".jpg"
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 10


def test_an_anonymous_reports_photo_is_served_without_the_moment_it_was_kept(app):
    """An anonymous report keeps no time finer than an hour (design.md); the kept file's own time (when the
    resident sent it) must not reach the page through Last-Modified either."""
    media_dir = app.extensions["safer_homes.settings"].media_dir
    with open(f"{media_dir}/{PHOTO}", "wb") as kept:
        kept.write(JPEG)
    sent_at = (NOW - timedelta(hours=5, minutes=37, seconds=11)).timestamp()
    os.utime(f"{media_dir}/{PHOTO}", (sent_at, sent_at))
    with new_session(app.extensions["safer_homes.engine"]) as session:
        _report(session, "TH-AAAA-0050", "anonymous", ("council",), media=[(PHOTO, "photo")])
        session.commit()
    _account(app, "officer@council.example", "officer", "council")
    client = app.test_client()
    _login(client, "officer@council.example")
    response = client.get(f"/staff/reports/TH-AAAA-0050/media/{PHOTO}")
    assert response.status_code == 200 and response.data == JPEG
    assert "Last-Modified" not in response.headers
    assert "ETag" not in response.headers
    response.close()


def test_a_duplicate_only_the_police_were_given_is_not_even_counted_on_the_report_it_was_merged_into(app):
    """The police merged a report its resident gave them alone into one shared with the council too: the
    council must not learn that the other report exists (not its reference, not a line for it)."""
    with new_session(app.extensions["safer_homes.engine"]) as session:
        root = _report(session, "TH-AAAA-0060", "private", ("council", "police"))
        police_only = _report(session, "TH-AAAA-0061", "anonymous", ("police",))
        police_only.duplicate_of_id, police_only.status = root.id, "closed"
        shared_duplicate = _report(session, "TH-AAAA-0062", "private", ("council", "police"))
        shared_duplicate.duplicate_of_id, shared_duplicate.status = root.id, "closed"
        session.commit()
    _account(app, "officer@council.example", "officer", "council")
    _account(app, "officer@police.example", "officer", "police")
    council, police = app.test_client(), app.test_client()
    _login(council, "officer@council.example")
    _login(police, "officer@police.example")
    seen_by_council = council.get("/staff/reports/TH-AAAA-0060").get_data(as_text=True)
    assert 'href="/staff/reports/TH-AAAA-0062' in seen_by_council
    assert "TH-AAAA-0061" not in seen_by_council
    assert "A report not shared with your agency" not in seen_by_council
    seen_by_police = police.get("/staff/reports/TH-AAAA-0060").get_data(as_text=True)
    assert 'href="/staff/reports/TH-AAAA-0061' in seen_by_police and 'href="/staff/reports/TH-AAAA-0062' in seen_by_police
