"""A double tap, a retry or two processes at once never make two reports or lose one."""
import re
import threading

from sqlalchemy import func, select

from storage.database import make_engine, new_session
from storage.models import Contact, Report
from tests.concurrency import run_together
from tests.helpers import WebChat, new_session_id

JOURNEY = [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
           dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text="Drilling at 2am"),
           dict(choice="privacy:anonymous"), dict(choice="done")]


def _count(database_url, model) -> int:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        count = session.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return count


def test_a_repeated_confirm_makes_one_report(client, database_url):
    chat = WebChat(client)
    for message in JOURNEY:
        chat.send(**message)
    chat.send(choice="confirm:yes")
    assert re.search(r"TH-\w{4}-\w{4}", chat.text)
    chat.send(choice="confirm:yes")  # the retry of a request whose answer was lost
    assert _count(database_url, Report) == 1
    assert chat.keys[0] == "menu:report"


def _at_once(app, body: dict, times: int = 4) -> list[int]:
    """Post the same body from `times` threads released together; the status codes they got."""
    barrier = threading.Barrier(times)
    statuses = []

    def post():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/chat/api/messages", json=body).status_code)

    run_together(*[post] * times)
    return statuses


def test_simultaneous_confirms_make_one_report(app, database_url):
    chat = WebChat(app.test_client())
    for message in JOURNEY:
        chat.send(**message)
    assert _at_once(app, {"session": chat.session_id, "choice": "confirm:yes"}) == [200] * 4
    assert _count(database_url, Report) == 1


def test_simultaneous_first_messages_make_one_contact(app, database_url):
    assert _at_once(app, {"session": new_session_id(), "choice": "start"}) == [200] * 4
    assert _count(database_url, Contact) == 1
