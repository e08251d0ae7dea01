"""Abuse of the web chat's quick exit on the server (POST /chat/api/forget) and of the admins' subject access
and erasure page (/staff/admin/subjects), docs/security-tests.md. SQLite and PostgreSQL.

The web chat's session id is a bearer secret: the page makes it (16 to 128 random characters), keeps it in
the tab's session storage and sends it in the body only, and the server keeps only its keyed hash.
Whoever holds it is, to the service, that resident: they can read the conversation on and forget it.
These tests check that nothing else opens a session (another field, a made-up id, a burst of guesses),
and that the subject access page tells nobody but an admin whether an address or reference is known."""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import event, select

from storage.database import new_session
from storage.models import Contact
from tests.helpers import WebChat, dump_every_table, new_session_id, row_counts
from tests.web.pentest_world import COUNCIL_ONLY, MISSING, app_with_media, build_world, csrf_token, sign_in

PAGE = "/staff/admin/subjects"
KNOWN_TELEGRAM = "7000001"  # the world's resident (an answer to the ward panel)
UNKNOWN_TELEGRAM = "7000002"


@pytest.fixture
def app(database_url, tmp_path):
    yield from app_with_media(database_url, tmp_path)


def _chatting(client) -> WebChat:
    chat = WebChat(client)
    for message in (dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
                    dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text="Loud music")):
        chat.send(**message)
    return chat


def _forget(client, body, **options):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/chat/api/forget", data=data, content_type="text/plain;charset=UTF-8", **options)


# --- the web chat's quick exit ---------------------------------------------------------------------------

def test_only_the_session_id_itself_forgets_a_session_and_it_goes_in_the_body_only(app, database_url):
    resident, other = _chatting(app.test_client()), _chatting(app.test_client())
    stranger = app.test_client()
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contacts = list(session.execute(select(Contact.id, Contact.address_hash)).all())
    before = dump_every_table(database_url)
    # Anything but the id itself: the contact's row id, its stored hash, the id in the address or a header.
    for body in ({"session": new_session_id(), "contact_id": contacts[0][0]},
                 {"session": new_session_id(), "address_hash": contacts[0][1]},
                 {"session": contacts[0][1][:128]}, {"session": resident.session_id.upper()},
                 {"session": resident.session_id[:-1]}):
        assert _forget(stranger, body).get_json() == {"forgotten": True}
    assert stranger.post(f"/chat/api/forget?session={resident.session_id}", data="{}").status_code == 400
    assert stranger.get(f"/chat/api/forget?session={resident.session_id}").status_code == 405
    assert dump_every_table(database_url) == before
    # The id itself, from another browser and address: the session is forgotten (a bearer secret), and only it.
    assert _forget(stranger, {"session": resident.session_id},
                   environ_base={"REMOTE_ADDR": "198.51.100.7"}).get_json() == {"forgotten": True}
    assert row_counts(database_url)["contact"] == 1
    other.send("menu")
    assert "menu:report" in other.keys


@pytest.mark.parametrize("body", [
    b"[" * 50_000, b'{"session": 1e400}', b'{"session": ["' + b"a" * 20 + b'"]}', b'{"session": null}',
    '{"session": "aaaaaaaaaaaaaaaa\\u0000"}'.encode(), '{"session": "aaaaaaaaaaaaaaaa\\ud800"}'.encode(),
    json.dumps({"session": "a" * 129}).encode(), json.dumps({"session": "a" * 15}).encode(),
    json.dumps({"session": "../" * 10}).encode(), b"\xff\xfe\x00", b"",
])
def test_a_malformed_forget_is_400_and_changes_nothing(app, database_url, body):
    _chatting(app.test_client())
    before = dump_every_table(database_url)
    response = _forget(app.test_client(), body)
    assert response.status_code == 400 and "error" in response.get_json()
    assert dump_every_table(database_url) == before


def test_a_huge_forget_is_413_however_it_is_sent(app, database_url):
    chat = _chatting(app.test_client())
    before = dump_every_table(database_url)
    huge = json.dumps({"session": chat.session_id, "padding": "x" * (2 * 1024 * 1024)}).encode()
    client = app.test_client()
    assert _forget(client, huge).status_code == 413
    chunked = client.post("/chat/api/forget", content_type="text/plain", input_stream=io.BytesIO(huge),
                          environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert chunked.status_code == 413
    assert dump_every_table(database_url) == before


def test_a_burst_of_made_up_ids_is_answered_alike_and_forgets_nobody(app, database_url):
    """Quick exit has no flood limit (someone leaving in a hurry must never wait): guessing ids is answered
    exactly as a real forget is, and a 128-bit id is not found by guessing."""
    chat = _chatting(app.test_client())
    before = dump_every_table(database_url)
    client = app.test_client()
    answers = {(response.status_code, response.get_data()) for response in
               (_forget(client, {"session": new_session_id()}) for _ in range(300))}
    assert dump_every_table(database_url) == before
    assert answers == {(200, _forget(client, {"session": chat.session_id}).get_data())}


# --- the subject access and erasure page ----------------------------------------------------------------

def _without_tokens(page: str) -> str:
    return re.sub(r'(nonce-|nonce="|csrf_token" value=")[A-Za-z0-9_.-]+', "", page)


class _Queries:
    """The SQL the app's engine runs while a block runs."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _record(self, _connection, _cursor, statement, *_args):
        self.statements.append(statement.lower())

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def touched(self, *tables) -> list[str]:
        return [statement for statement in self.statements
                if any(re.search(rf"\b{table}\b", statement) for table in tables)]


@pytest.mark.parametrize("role", ["council_officer", "housing_organiser", "police_officer", "council_viewer", None])
def test_no_one_but_an_admin_learns_whether_an_address_or_a_reference_is_known(app, database_url, role):
    """Every other role gets the same 403 (signed out: the same 302 or 400) for a known and an unknown
    address or reference, and is refused before anything is looked up: no query of the tables that hold
    people or reports runs, so not even the time taken can differ."""
    build_world(app)
    client = sign_in(app, role) if role else app.test_client()
    token = csrf_token(client) if role else "none"
    before = dump_every_table(database_url)
    with _Queries(app.extensions["safer_homes.engine"]) as queries:
        for path in (PAGE, f"{PAGE}/download", f"{PAGE}/erase"):
            answers = []
            for form in ({"channel": "telegram", "address": KNOWN_TELEGRAM},
                         {"channel": "telegram", "address": UNKNOWN_TELEGRAM},
                         {"reference": COUNCIL_ONLY}, {"reference": MISSING}):
                response = client.post(path, data={"csrf_token": token, "confirm": "yes", **form})
                page = _without_tokens(response.get_data(as_text=True))
                for typed in form.values():
                    page = page.replace(typed, "TYPED")
                answers.append((response.status_code, page))
            assert len(set(answers)) == 1, (path, [status for status, _page in answers])
            assert answers[0][0] == (403 if role else 400), (path, answers[0][0])
    assert queries.touched("contact", "report", "reportlink", "rsvp", "conversation") == []
    assert dump_every_table(database_url) == before


def test_an_admins_forged_lookups_use_up_none_of_their_allowance(app):
    """A lookup limit per admin (web/staff_subjects.py): forged posts are refused before they count, so a
    page elsewhere cannot spend an admin's lookups to keep them from answering a real request."""
    build_world(app)
    admin = sign_in(app, "admin")
    for _ in range(30):
        assert admin.post(PAGE, data={"channel": "telegram", "address": KNOWN_TELEGRAM}).status_code == 400
    answer = admin.post(PAGE, data={"csrf_token": csrf_token(admin, PAGE), "channel": "telegram",
                                    "address": KNOWN_TELEGRAM})
    assert answer.status_code == 200


def test_an_admin_gets_the_same_kind_of_answer_for_a_known_and_an_unknown_address(app):
    """What an admin may see differs (what is held); how it is answered does not: the same status and
    headers, one audit entry each with the same fields, and nothing of anyone else."""
    world = build_world(app)
    admin = sign_in(app, "admin")
    token = csrf_token(admin, PAGE)
    known = admin.post(PAGE, data={"csrf_token": token, "channel": "telegram", "address": KNOWN_TELEGRAM})
    unknown = admin.post(PAGE, data={"csrf_token": token, "channel": "telegram", "address": UNKNOWN_TELEGRAM})
    assert known.status_code == unknown.status_code == 200
    assert set(known.headers.keys()) == set(unknown.headers.keys())
    assert "Weavers ward panel" not in unknown.get_data(as_text=True)
    from storage.models import AuditEntry

    with new_session(app.extensions["safer_homes.engine"]) as session:
        entries = list(session.execute(select(AuditEntry.detail).where(AuditEntry.action == "subject_access")
                                       .order_by(AuditEntry.id)).scalars())
    assert len(entries) == 2 and set(entries[0]) == set(entries[1])
    assert entries[0]["found"] is True and entries[1]["found"] is False
    assert KNOWN_TELEGRAM not in repr(entries) and str(world.ids["contact_id"]) not in repr(entries[1])
