"""Identical reports merged on every path a report arrives by: the web chat (as every chat channel, through
bot/conversations.py) and Open311's POST. The resident who sent the copy gets the usual acknowledgement
with a reference of its own, and that reference's status says the same problem was already reported.
On SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from flows.staff_replies import STANDARD_REPLIES
from flows.status import STATUS_LABELS
from storage import api_keys
from storage.database import new_session
from storage.models import Report
from storage.types import utcnow
from tests.helpers import WebChat

REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
PLACE = "The bins behind Vallance Road"
DESCRIPTION = "Someone sets the bins on fire most evenings around nine"


def _report(client, *, description=DESCRIPTION, privacy="anonymous") -> tuple[str, str]:
    """A whole report through the web chat's API; (the acknowledgement, the reference)."""
    chat = WebChat(client)
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"),
                    dict(choice="danger:no"), dict(choice="cat:asb"), dict(text=PLACE), dict(choice="when:today"),
                    dict(text=description), dict(choice=f"privacy:{privacy}"), dict(choice="done"),
                    dict(choice="confirm:yes")]:
        chat.send(**message)
    return chat.text, REFERENCE.search(chat.text).group(0)


def _reports(engine) -> dict[str, Report]:
    with new_session(engine) as session:
        found = {report.reference: report for report in session.execute(select(Report)).scalars()}
        session.expunge_all()
    return found


def test_the_same_report_from_two_web_chats_is_merged_and_the_copys_status_says_so(app, client):
    engine = app.extensions["safer_homes.engine"]
    first_ack, first = _report(client)
    copy_ack, copy = _report(client)
    # The usual acknowledgement, with its own reference: sending a copy tells nobody whether it was reported.
    assert copy != first and copy_ack.replace(copy, "REF") == first_ack.replace(first, "REF")

    saved = _reports(engine)
    assert saved[first].duplicate_of_id is None and saved[first].status == "received"
    assert saved[copy].duplicate_of_id == saved[first].id and saved[copy].status == "closed"

    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send(f"status {copy}")
    assert STATUS_LABELS["closed"] in chat.text
    assert STANDARD_REPLIES["closed.duplicate"].text in chat.text


def test_a_report_with_one_word_changed_stands_on_its_own(app, client):
    engine = app.extensions["safer_homes.engine"]
    _ack, first = _report(client)
    _ack, other = _report(client, description=DESCRIPTION.replace("nine", "ten"))
    _ack, private = _report(client, privacy="private")  # the same words, but asking to be kept informed
    saved = _reports(engine)
    assert [saved[reference].duplicate_of_id for reference in (first, other, private)] == [None, None, None]


def test_the_same_service_request_posted_twice_through_open311_is_merged(app, client):
    engine = app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        _row, key = api_keys.create_api_key(session, name="Council CRM", now=utcnow() - timedelta(days=1))
        session.commit()
    form = dict(api_key=key, service_code="unsafe_place", description="The stairwell light is out again",
                address_string="Stairwell B, Weavers ward, London")
    answers = [client.post("/open311/v2/requests.json", data=form) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    ids = [answer.get_json()[0]["service_request_id"] for answer in answers]
    assert ids[0] != ids[1]
    first, copy = sorted(_reports(engine).values(), key=lambda report: report.id)
    assert first.duplicate_of_id is None and copy.duplicate_of_id == first.id and copy.status == "closed"
    # Open311 lists counted reports only, as it does after staff merge a duplicate: the copy is not there.
    assert client.get(f"/open311/v2/requests/{ids[0]}.json").status_code == 200
    assert client.get(f"/open311/v2/requests/{ids[1]}.json").status_code == 404
