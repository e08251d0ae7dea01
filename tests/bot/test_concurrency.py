"""A double tap, a retry or two processes at once never make two reports or lose one."""
import re
import threading

from sqlalchemy import func, select

from storage.database import make_engine, new_session
from storage.models import Contact, Report
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


def test_simultaneous_confirms_make_one_report(app, database_url):
    chat = WebChat(app.test_client())
    for message in JOURNEY:
        chat.send(**message)
    barrier = threading.Barrier(4)
    statuses = []

    def confirm():
        client = app.test_client()
        barrier.wait()
        response = client.post("/chat/api/messages", json={"session": chat.session_id, "choice": "confirm:yes"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 4
    assert _count(database_url, Report) == 1


def test_simultaneous_first_messages_make_one_contact(app, database_url):
    session_id = new_session_id()
    barrier = threading.Barrier(4)
    statuses = []

    def first_message():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/chat/api/messages", json={"session": session_id, "choice": "start"}).status_code)

    threads = [threading.Thread(target=first_message) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 4
    assert _count(database_url, Contact) == 1
