"""POST /chat/api/messages and /chat/api/updates: the contract, privacy between sessions, and bad input that
gets a clear answer and changes nothing."""
import io
import json

import pytest
from sqlalchemy import select

from flows.i18n import LANGUAGES
from storage import outbox
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, OutboxMessage
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.helpers import WebChat, dump_every_table, new_session_id


def test_a_first_message_offers_the_languages(client):
    chat = WebChat(client)
    replies = chat.send(choice="start")
    assert chat.keys == [f"lang:{language.code}" for language in LANGUAGES]
    assert set(replies[-1]) == {"text", "lang", "choices"}
    assert all(set(choice) == {"key", "label"} for choice in replies[-1]["choices"])


def test_the_session_carries_the_conversation(client):
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:bn")
    assert chat.replies[-1]["lang"] == "bn"
    again = WebChat(client, session_id=chat.session_id)
    again.send(choice="menu:report")
    assert again.keys == ["danger:yes", "danger:no"]


def test_a_page_language_hint_is_asked_first_and_one_tap_confirms_it(client):
    chat = WebChat(client, lang_hint="so")
    chat.send(choice="start")
    assert chat.keys[0] == "lang:so" and chat.replies[0]["lang"] == "so"
    chat.send("1")
    assert chat.replies[-1]["lang"] == "so"
    assert "menu:language" in chat.keys


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"{not json", "application/json", "JSON"),
        (b"[1, 2]", "application/json", "JSON object"),
        (json.dumps({"text": "hi"}).encode(), "application/json", "session"),
        (json.dumps({"session": "short", "text": "hi"}).encode(), "application/json", "session"),
        (json.dumps({"session": "x" * 200, "text": "hi"}).encode(), "application/json", "session"),
        (json.dumps({"session": "bad session id!!!!!", "text": "hi"}).encode(), "application/json", "session"),
        (json.dumps({"session": new_session_id()}).encode(), "application/json", "one of"),
        (json.dumps({"session": new_session_id(), "text": "hi", "choice": "menu"}).encode(), "application/json", "one of"),
        (json.dumps({"session": new_session_id(), "text": 5}).encode(), "application/json", "text"),
        (json.dumps({"session": new_session_id(), "choice": ""}).encode(), "application/json", "choice"),
        (json.dumps({"session": new_session_id(), "choice": ["menu"]}).encode(), "application/json", "choice"),
        (b"\xff\xfe", "application/json", "JSON"),
        (b'{"session": "abcdefghijklmnopqrstu", "text": "a\\u0000b"}', "application/json", "plain text"),
        (b'{"session": "abcdefghijklmnopqrstu", "text": "a\\ud800b"}', "application/json", "plain text"),
        (b'{"session": "abcdefghijklmnopqrstu", "choice": "x\\udfff"}', "application/json", "plain text"),
    ],
)
def test_bad_requests_get_400_with_a_clear_error_and_change_nothing(client, database_url, body, content_type, message):
    before = dump_every_table(database_url)
    response = client.post("/chat/api/messages", data=body, content_type=content_type)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert dump_every_table(database_url) == before


def test_a_body_over_64_kb_gets_413_and_changes_nothing(client, database_url):
    before = dump_every_table(database_url)
    body = json.dumps({"session": new_session_id(), "text": "x" * (65 * 1024)})
    response = client.post("/chat/api/messages", data=body, content_type="application/json")
    assert response.status_code == 413
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("lang, marker", [("en", "2000"), ("bn", "২০০০"), ("so", "2000")])
def test_text_over_2000_characters_asks_to_shorten_in_the_residents_language(client, database_url, lang, marker):
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice=f"lang:{lang}")
    chat.send(choice="menu:report")
    before = dump_every_table(database_url)
    chat.send("x" * 2001)
    assert chat.replies[-1]["lang"] == lang
    assert marker in chat.text
    assert dump_every_table(database_url) == before
    chat.send(choice="danger:no")  # the conversation is where it was
    assert chat.keys[0] == "cat:asb"


def test_too_long_text_from_a_new_session_keeps_no_trace(client, database_url):
    before = dump_every_table(database_url)
    WebChat(client).send("x" * 2001)
    assert dump_every_table(database_url) == before


def test_an_answer_that_fits_no_choice_is_re_asked_with_a_hint(client):
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send("purple")
    assert "number" in chat.text
    assert chat.keys[0] == "menu:report"


def test_a_choice_key_that_does_not_exist_is_re_asked(client):
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send(choice="menu:../../etc/passwd")
    assert chat.keys[0] == "menu:report"


def test_healthz_reports_database_and_a_missing_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["worker"] == {"running": False, "last_heartbeat_age_seconds": None}
    assert body["outbox"] == {"pending": 0, "sending": 0, "failed": 0, "held": 0, "expired": 0}


def test_healthz_sees_the_worker_heartbeat(app, client):
    from bot.worker import run_due_work
    from storage.types import utcnow

    run_due_work(app.extensions["safer_homes.engine"], app.extensions["safer_homes.settings"], {}, now=utcnow())
    body = client.get("/healthz").get_json()
    assert body["worker"]["running"] is True and body["worker"]["last_heartbeat_age_seconds"] < 5


def test_a_chunked_body_over_64_kb_is_refused_while_it_streams(client, database_url):
    before = dump_every_table(database_url)

    class CountingStream(io.BytesIO):
        consumed = 0

        def read(self, size=-1):
            data = super().read(size)
            CountingStream.consumed += len(data)
            return data

        def readinto(self, buffer):
            count = super().readinto(buffer)
            CountingStream.consumed += count
            return count

    body = b'{"session": "abcdefghijklmnopqrstu", "text": "' + b"x" * 2 * 1024 * 1024 + b'"}'
    # No Content-Length: the server learns the size only by reading, as with a chunked upload.
    response = client.post("/chat/api/messages", input_stream=CountingStream(body), content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert response.status_code == 413
    assert CountingStream.consumed < 256 * 1024  # stopped early, not after reading all 2 MB
    assert dump_every_table(database_url) == before


def test_the_chat_page_allows_only_its_own_nonced_script_and_style(client):
    import re

    response = client.get("/chat")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy
    page = response.get_data(as_text=True)
    assert f'<script nonce="{nonce}">' in page and f'<style nonce="{nonce}">' in page
    assert client.get("/chat").headers["Content-Security-Policy"] != policy  # fresh per response


def test_a_hostile_translation_cannot_inject_markup(app, client, monkeypatch):
    from flows import i18n

    real = i18n.translations

    class Hostile:
        def gettext(self, message):
            return 'Qarsoodi" onmouseover="alert(1)'

        def ngettext(self, singular, plural, n):
            return singular

    monkeypatch.setattr(i18n, "translations", lambda lang: Hostile() if lang == "so" else real(lang))
    page = client.get("/chat?lang=so").get_data(as_text=True)
    assert 'onmouseover="alert(1)"' not in page
    assert "Qarsoodi&#34; onmouseover=&#34;alert(1)" in page



# --- POST /chat/api/updates: what waits for the page, kept until the page says it showed it ----------

def _contact_with_waiting(client, engine, *texts: str) -> tuple[str, list[int]]:
    """A real web chat contact (made as the page makes it) with these notices waiting: (session, their ids)."""
    session_id = new_session_id()
    WebChat(client, session_id).send(choice="start")
    with new_session(engine) as session:
        contact_id = session.execute(select(Contact.id).where(
            Contact.channel == "webchat", Contact.address_hash == keyed_hash(TEST_SECRET_KEY, "webchat", session_id),
        )).scalar_one()
        ids = outbox.enqueue(session, contact_id=contact_id, channel="webchat", kind="event_notice", language="en",
                             payloads=[{"replies": [{"text": text, "lang": "en", "choices": []}]} for text in texts],
                             now=utcnow())
        session.commit()
    return session_id, ids


def _outbox(engine) -> dict[int, tuple[str, dict]]:
    with new_session(engine) as session:
        return {m.id: (m.status, m.payload) for m in session.execute(select(OutboxMessage)).scalars()}


def _updates(client, session_id: str, **body) -> list[dict]:
    response = client.post("/chat/api/updates", json={"session": session_id, **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["messages"]


def _texts(messages: list[dict]) -> list[str]:
    return [reply["text"] for message in messages for reply in message["replies"]]


def test_a_message_waits_until_the_page_says_it_showed_it(client, engine):
    session_id, [first, second] = _contact_with_waiting(client, engine, "The panel moved.", "A place opened.")
    shown = _updates(client, session_id)
    assert [m["id"] for m in shown] == [first, second]
    assert _texts(shown) == ["The panel moved.", "A place opened."]
    # That answer was lost on the way: asking again without acknowledging hands the same over.
    assert _updates(client, session_id) == shown
    assert [status for status, _payload in _outbox(engine).values()] == ["pending", "pending"]
    # Acknowledging the first marks it sent and drops its text, in the same transaction as the next look.
    assert [m["id"] for m in _updates(client, session_id, ack=[first])] == [second]
    assert _outbox(engine)[first] == ("sent", {})
    assert _outbox(engine)[second][0] == "pending" and _outbox(engine)[second][1] != {}
    assert _updates(client, session_id, ack=[second]) == []
    # The same acknowledgement again (its answer lost too) changes nothing and shows nothing.
    assert _updates(client, session_id, ack=[first, second]) == []
    assert _outbox(engine) == {first: ("sent", {}), second: ("sent", {})}


def test_a_session_sees_and_acknowledges_only_its_own_contacts_messages(client, engine):
    alice, [alices] = _contact_with_waiting(client, engine, "For Alice.")
    bola, [bolas] = _contact_with_waiting(client, engine, "For Bola.")
    assert _texts(_updates(client, alice)) == ["For Alice."]
    # Alice's page acknowledges Bola's message (a guessed id): nothing of Bola's changes.
    before = _outbox(engine)[bolas]
    assert _texts(_updates(client, alice, ack=[bolas])) == ["For Alice."]
    assert _updates(client, alice, ack=[alices, bolas]) == []
    assert _outbox(engine) == {alices: ("sent", {}), bolas: before} and before[0] == "pending"
    # Bola still gets it; a session with no contact sees nothing and can acknowledge nothing.
    assert [m["id"] for m in _updates(client, bola)] == [bolas]
    assert _updates(client, new_session_id(), ack=[bolas]) == []
    assert _outbox(engine)[bolas] == before


@pytest.mark.parametrize("ack", [
    "1", 1, None, {"1": 1}, [1.5], ["1"], [True], [0], [-3], [2**63], [[1]], [None], list(range(1, 52)),
])
def test_a_bad_acknowledgement_is_refused_and_changes_nothing(client, engine, database_url, ack):
    session_id, [message_id] = _contact_with_waiting(client, engine, "The panel moved.")
    before = dump_every_table(database_url)
    response = client.post("/chat/api/updates", json={"session": session_id, "ack": ack})
    assert response.status_code == 400 and "`ack`" in response.get_json()["error"]
    assert dump_every_table(database_url) == before


def test_an_acknowledgement_with_a_real_id_and_a_bad_one_changes_nothing(client, engine, database_url):
    session_id, [message_id] = _contact_with_waiting(client, engine, "The panel moved.")
    before = dump_every_table(database_url)
    for body in (f'{{"session": "{session_id}", "ack": [{message_id}.0]}}',
                 f'{{"session": "{session_id}", "ack": [{message_id}, "x"]}}'):
        response = client.post("/chat/api/updates", data=body, content_type="application/json")
        assert response.status_code == 400 and "`ack`" in response.get_json()["error"]
    assert dump_every_table(database_url) == before
    assert _outbox(engine)[message_id][0] == "pending"
