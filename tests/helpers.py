"""Shared test helpers: talking to the web chat API and looking inside the whole database."""
from __future__ import annotations

import secrets

from sqlalchemy import MetaData, select

from storage.database import make_engine


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def scripted_keys(keys: list[str] | str, lang: str) -> list[str]:
    """The keys a conversation script expects, in `lang`: a script lists the main menu as every language
    has it, and the easy-words choice closes it where easy read is offered (tests/flows/test_easy_read.py);
    "every language" is the language question's keys, one per shipped language in LANGUAGES' order."""
    from flows import easy_read
    from flows.home import MENU_KEYS
    from flows.i18n import LANGUAGES

    if keys == "every language":
        return [f"lang:{language.code}" for language in LANGUAGES]
    if keys == list(MENU_KEYS[:-1]) and easy_read.offered(lang):
        return keys + [MENU_KEYS[-1]]
    return keys


class WebChat:
    """A resident in the web chat, through the real HTTP API of the Flask app."""

    def __init__(self, client, session_id: str | None = None, lang_hint: str | None = None):
        self.client = client
        self.session_id = session_id or new_session_id()
        self.lang_hint = lang_hint
        self.replies: list[dict] = []

    def send(self, text: str | None = None, *, choice: str | None = None) -> list[dict]:
        body = {"session": self.session_id}
        if text is not None:
            body["text"] = text
        if choice is not None:
            body["choice"] = choice
        if self.lang_hint:
            body["lang"] = self.lang_hint
        response = self.client.post("/chat/api/messages", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        self.replies = response.get_json()["replies"]
        return self.replies

    @property
    def keys(self) -> list[str]:
        return [choice["key"] for choice in self.replies[-1]["choices"]]

    @property
    def text(self) -> str:
        return "\n".join(reply["text"] for reply in self.replies)


def dump_every_table(database_url: str) -> dict[str, list[tuple]]:
    """Every row of every table, as reflected from the live database (nothing filtered)."""
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        dump = {name: [tuple(row) for row in connection.execute(select(table))] for name, table in metadata.tables.items()}
    engine.dispose()
    return dump


def row_counts(database_url: str) -> dict[str, int]:
    return {name: len(rows) for name, rows in dump_every_table(database_url).items()}


def queue_telegram_messages(database_url: str, *, secret_key: str, chat_ids, text: str = "update {n}",
                            kind: str = "status_update") -> None:
    """One outbox message for each Telegram chat id (contacts made as the webhook would make them)."""
    from storage import contacts, outbox
    from storage.crypto import Sealer, keyed_hash
    from storage.database import new_session
    from storage.types import utcnow

    engine = make_engine(database_url)
    sealer = Sealer(secret_key)
    now = utcnow()
    with new_session(engine) as session:
        for n, chat_id in enumerate(str(chat) for chat in chat_ids):
            contact = contacts.find_or_create_contact(
                session, channel="telegram", address_hash=keyed_hash(secret_key, "telegram", chat_id),
                address_sealed=sealer.seal(chat_id), now=now,
            )
            outbox.enqueue(session, contact_id=contact.id, channel="telegram", payloads=[{"text": text.format(n=n)}],
                           kind=kind, language="en", now=now)
        session.commit()
    engine.dispose()
