"""Sending the ward panel digest's link at the edges: a cancelled meeting is never sent it (its words say
"Before <the meeting>"), a meeting nobody is coming to yet is not marked sent (those who answer later still
get it), and two organisers pressing at once on PostgreSQL send it once. Web page, command line and storage."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.delivery import Deliverer
from bot.digest_send import DigestRefused, send_digest_link
from storage.database import new_session
from storage.models import DigestSend, Event, OutboxMessage
from tests.helpers import dump_every_table
from tests.storage.test_digest import NOW, weavers  # noqa: F401 (weavers is a fixture)
from tests.web.test_digest import TextChannel, _answered, _staff_page, at_now  # noqa: F401 (at_now is a fixture)
from tests.web.test_staff_pages import _account, _login

CHANNELS = {"telegram": TextChannel("telegram")}


def _send(engine, event_id, *, now=NOW):
    with new_session(engine) as session:
        sent = send_digest_link(session, event_id=event_id, staff_user_id=None, now=now, channels=CHANNELS,
                                base_url="https://saferhomes.example")
        session.commit()
    return sent


def _cancel(engine, event_id):
    with new_session(engine) as session:
        session.get(Event, event_id).cancelled_at = NOW - timedelta(days=1)
        session.commit()


def _markers_and_messages(engine):
    with new_session(engine) as session:
        return (session.execute(select(func.count()).select_from(DigestSend)).scalar_one(),
                session.execute(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.kind == "digest")).scalar_one())


def test_a_meeting_nobody_is_coming_to_yet_is_not_marked_sent_and_a_later_send_goes(engine, weavers):
    with pytest.raises(DigestRefused) as refused:
        _send(engine, weavers)
    assert refused.value.code == "nobody_coming"
    assert _markers_and_messages(engine) == (0, 0)
    _answered(engine, weavers)
    sent = _send(engine, weavers, now=NOW + timedelta(days=1))
    assert (sent.queued, sent.already_sent) == (2, False)
    assert _markers_and_messages(engine) == (1, 2)


def test_a_cancelled_meeting_is_not_sent_the_link(engine, weavers):
    _answered(engine, weavers)
    _cancel(engine, weavers)
    with pytest.raises(DigestRefused) as refused:
        _send(engine, weavers)
    assert refused.value.code == "cancelled"
    assert _markers_and_messages(engine) == (0, 0)


def test_a_link_sent_before_the_meeting_was_cancelled_says_so_and_sends_nothing_more(engine, weavers):
    _answered(engine, weavers)
    _send(engine, weavers)
    _cancel(engine, weavers)
    again = _send(engine, weavers, now=NOW + timedelta(hours=2))
    assert (again.queued, again.already_sent, again.sent_at) == (0, True, NOW)
    assert _markers_and_messages(engine) == (1, 2)


@pytest.fixture
def organiser(app, client, engine, at_now):
    app.extensions["safer_homes.deliverer"] = Deliverer(engine, app.extensions["safer_homes.settings"], CHANNELS)
    _account(app, "organiser@council.example", "organiser", "council")
    assert _login(client, "organiser@council.example").status_code == 302


def test_the_staff_button_refuses_a_cancelled_meeting_or_nobody_coming_and_changes_nothing(
        client, engine, database_url, organiser, weavers):
    page, token = _staff_page(client, weavers)
    path = f"/staff/events/{weavers}/digest"
    before = dump_every_table(database_url)
    nobody = client.post(path, data={"csrf_token": token, "confirmed": "yes"})
    assert nobody.status_code == 400
    assert "Nobody has said they are coming yet, so nothing was sent." in nobody.get_data(as_text=True)
    assert dump_every_table(database_url) == before

    _answered(engine, weavers)
    _cancel(engine, weavers)
    page, token = _staff_page(client, weavers)
    assert "Send the link to the" not in page  # no button for a cancelled meeting
    before = dump_every_table(database_url)
    cancelled = client.post(path, data={"csrf_token": token, "confirmed": "yes"})
    assert cancelled.status_code == 409
    assert "The meeting was cancelled, so the digest link was not sent." in cancelled.get_data(as_text=True)
    assert dump_every_table(database_url) == before


def test_the_command_line_refuses_a_cancelled_meeting_or_nobody_coming(database_url, engine, weavers):
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": "https://saferhomes.example"}
    nobody = CliRunner().invoke(main, ["events", "digest", str(weavers), "--send"], env=env)
    assert nobody.exit_code != 0 and "nobody has said they are coming" in nobody.output
    _answered(engine, weavers)
    _cancel(engine, weavers)
    cancelled = CliRunner().invoke(main, ["events", "digest", str(weavers), "--send"], env=env)
    assert cancelled.exit_code != 0 and "was cancelled" in cancelled.output
    assert _markers_and_messages(engine) == (0, 0)


def test_two_organisers_at_once_send_it_once(backend, engine, weavers):
    """Two transactions both past the "already sent?" read: the marker's key makes the second wait for the
    first and then learn it went (PostgreSQL; SQLite takes one writer at a time anyway)."""
    _answered(engine, weavers)
    first = new_session(engine)
    second = new_session(engine)
    try:
        sent_first = send_digest_link(first, event_id=weavers, staff_user_id=None, now=NOW, channels=CHANNELS,
                                      base_url="https://saferhomes.example")
        if backend == "sqlite":
            first.commit()
            sent_second = send_digest_link(second, event_id=weavers, staff_user_id=None, now=NOW, channels=CHANNELS,
                                           base_url="https://saferhomes.example")
        else:
            results = []
            waiting = threading.Thread(target=lambda: results.append(send_digest_link(
                second, event_id=weavers, staff_user_id=None, now=NOW, channels=CHANNELS,
                base_url="https://saferhomes.example")))
            waiting.start()
            waiting.join(0.5)  # the second insert waits on the first's uncommitted key
            first.commit()
            waiting.join()
            [sent_second] = results
        second.commit()
    finally:
        first.close()
        second.close()
    assert (sent_first.queued, sent_first.already_sent) == (2, False)
    assert (sent_second.queued, sent_second.already_sent) == (0, True)
    assert _markers_and_messages(engine) == (1, 2)
