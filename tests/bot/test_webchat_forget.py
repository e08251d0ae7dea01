"""POST /chat/api/forget, the web chat's quick exit on the server, on SQLite and PostgreSQL: a body in any
content type (the page sends a text/plain beacon) forgets the session's contact, conversation, waiting
messages and links to its reports; the answer is the same whether or not there was anything (no oracle);
a malformed body is refused and changes nothing."""
from __future__ import annotations

import json

from sqlalchemy import select

from storage import outbox
from storage.database import new_session
from storage.models import Contact, Report
from storage.types import utcnow
from tests.helpers import WebChat, new_session_id, row_counts


def _private_report(client) -> tuple[WebChat, str]:
    chat = WebChat(client)
    for message in [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text="Loud music"),
                    dict(choice="privacy:named"), dict(text="Marker Named Person"), dict(choice="done"),
                    dict(choice="confirm:yes")]:
        chat.send(**message)
    return chat, chat.text


def _forget(client, body, content_type="text/plain;charset=UTF-8"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/chat/api/forget", data=data, content_type=content_type)


def test_quick_exit_forgets_the_session_whatever_the_content_type(app, client, database_url):
    chat, _ = _private_report(client)
    engine = app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        contact = session.execute(select(Contact)).scalar_one()
        outbox.enqueue(session, contact_id=contact.id, channel="webchat", payloads=[{"replies": []}], kind="reminder",
                       language="en", now=utcnow())
        session.commit()
    counts = row_counts(database_url)
    assert (counts["contact"], counts["conversation"], counts["reportlink"], counts["outboxmessage"]) == (1, 1, 1, 1)

    response = _forget(client, {"session": chat.session_id})
    assert response.status_code == 200 and response.get_json() == {"forgotten": True}
    counts = row_counts(database_url)
    assert (counts["contact"], counts["conversation"], counts["reportlink"], counts["outboxmessage"]) == (0, 0, 0, 0)
    with new_session(engine) as session:
        assert session.execute(select(Report.privacy)).scalar_one() == "anonymous"

    # Again, and for a session never used: the very same answer, and nothing changes.
    before = row_counts(database_url)
    for session_id in (chat.session_id, new_session_id()):
        again = _forget(client, {"session": session_id}, content_type="application/json")
        assert (again.status_code, again.get_json()) == (response.status_code, response.get_json())
    assert row_counts(database_url) == before


def test_a_malformed_forget_is_refused_and_changes_nothing(client, database_url):
    chat, _ = _private_report(client)
    before = row_counts(database_url)
    for body in (b"not json", {"session": "short"}, {"no": "session"}, [chat.session_id], b"\xff\xfe"):
        assert _forget(client, body).status_code == 400
    assert _forget(client, b"{" + b" " * (64 * 1024 + 1) + b"}").status_code == 413
    assert row_counts(database_url) == before


def test_another_session_is_untouched(client, database_url):
    mine, _ = _private_report(client)
    theirs, _ = _private_report(client)
    _forget(client, {"session": mine.session_id})
    counts = row_counts(database_url)
    assert (counts["contact"], counts["conversation"], counts["reportlink"]) == (1, 1, 1)
    theirs.send("menu")
    assert "menu:report" in theirs.keys
