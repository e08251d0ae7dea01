"""The name a resident typed into a named report they have not sent yet is sealed in their conversation
(bot/conversations.py), under the key of the turn that saved it. `keys check` counts it and `keys rotate`
re-seals it like every other sealed value: with it left under the old key, `keys check` said everything was
under SECRET_KEY, and once SECRET_KEY_PREVIOUS went the resident's unfinished report was dropped (its name
could not be opened) and they were back at the menu."""
from __future__ import annotations

from sqlalchemy import select

from storage import contacts
from storage.crypto import KeyRing, Sealer, keyed_hash
from storage.database import make_engine, new_session
from storage.models import Conversation
from storage.types import utcnow
from tests.test_key_rotation import NEW, OLD, counts_line, keys_command

TYPED = "Marker Draft-Name"
KIND = "names in unfinished reports"


def _resident_typing_their_name(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with new_session(engine) as session:
            contact = contacts.find_or_create_contact(
                session, channel="telegram", address_hash=keyed_hash(OLD, "telegram", "4242"),
                address_sealed=Sealer(OLD).seal("4242"), now=utcnow())
            conversation = contacts.open_conversation(session, contact_id=contact.id, now=utcnow())
            contacts.save_conversation_state(session, conversation=conversation, now=utcnow(), state={
                "lang": "en", "flow": "report", "step": "confirm",
                "draft": {"category": "noise", "privacy": "named", "name": {"sealed": Sealer(OLD).seal(TYPED)}}})
            session.commit()
    finally:
        engine.dispose()


def _draft_name(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with new_session(engine) as session:
            state = session.execute(select(Conversation.state)).scalar_one()
    finally:
        engine.dispose()
    return state["draft"]["name"]["sealed"]


def test_a_name_in_an_unfinished_report_is_counted_and_moved_to_the_new_key(database_url):
    _resident_typing_their_name(database_url)
    checked = keys_command("check", database_url, NEW, (OLD,))
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert counts_line(checked.stdout, KIND) == (0, 1, 0)

    rotated = keys_command("rotate", database_url, NEW, (OLD,))
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert KeyRing(NEW).sealer.open_with_key_index(_draft_name(database_url)) == (0, TYPED)

    # The old key can go: the name still opens, and the check with the new key alone finds nothing left.
    alone = keys_command("check", database_url, NEW)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert counts_line(alone.stdout, KIND) == (1, 0, 0)
