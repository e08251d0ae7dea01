""""Have your say" items reach other residents only once an organiser approved them, in the organiser's
wording when given: through the flow with the chat's real lookups, end to end through the web chat, and the
`events agenda-approve` / `events agenda-hide` commands (which refuse bad input and change nothing)."""
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.conversations import _agenda_items
from flows.engine import begin
from flows.types import BackAgendaItem, EventInfo
from storage import agenda, contacts, events
from storage.database import new_session
from storage.models import AgendaBacking, AgendaItem
from storage.types import utcnow
from tests.flows.helpers import Chat, make_context
from tests.helpers import WebChat, dump_every_table

AT = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)
WAITING = "MARKER-WAITING Dealing in the stairwell of Block C"
HIDDEN = "MARKER-HIDDEN the family at number 4"
NAMED = "MARKER-NAMED Mr X at Flat 9 sells drugs"
REWORDED = "Drug dealing near the flats"


def _cli(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


class RecordingChat(WebChat):
    """A web chat resident whose every reply (texts and choice labels) is kept, to search afterwards."""

    def __init__(self, client):
        super().__init__(client)
        self.seen: list[str] = []

    def send(self, text=None, *, choice=None):
        replies = super().send(text, choice=choice)
        for reply in replies:
            self.seen.append(reply["text"])
            self.seen.extend(choice["label"] for choice in reply.get("choices", ()))
        return replies


def _panel_with_items(session, *, starts_at):
    """A ward panel with one item waiting, one hidden after it was approved, one approved as written and one
    approved in the organiser's wording; the sender is another resident."""
    panel = events.create_event(session, title="Weavers ward panel", starts_at=starts_at, now=AT, ward_slug="weavers")
    panel.kind = "ward_panel"
    sender = contacts.find_or_create_contact(session, channel="webchat", address_hash="sender", address_sealed=None,
                                             now=AT)
    session.flush()
    ids = {}
    for name, text in (("waiting", WAITING), ("hidden", HIDDEN), ("as_written", "More lighting on the estate"),
                       ("named", NAMED)):
        ids[name] = agenda.save_item(session, event_id=panel.id, topic="drugs", text=text, language="en",
                                     contact_id=sender.id, now=AT).id
    agenda.approve_item(session, item_id=ids["hidden"], now=AT)
    agenda.hide_item(session, item_id=ids["hidden"], now=AT)
    agenda.approve_item(session, item_id=ids["as_written"], now=AT)
    agenda.approve_item(session, item_id=ids["named"], now=AT, shown_text=REWORDED)
    session.commit()
    return panel.id, ids


def test_the_flow_with_the_chats_lookups_offers_only_approved_items_in_the_approved_wording(engine):
    with new_session(engine) as session:
        panel_id, ids = _panel_with_items(session, starts_at=AT + timedelta(days=10))
        reader = contacts.find_or_create_contact(session, channel="webchat", address_hash="reader",
                                                 address_sealed=None, now=AT)
        session.flush()
        panel = EventInfo(event_id=panel_id, title="Weavers ward panel", starts_at=AT + timedelta(days=10),
                          ward_slug="weavers", kind="ward_panel")
        chat = Chat(context=make_context(lookup_event={panel_id: panel}.get,
                                         agenda_items=lambda event_id: _agenda_items(session, event_id,
                                                                                     contact_id=reader.id)))
        step = begin({"lang": "en", "flow": "events", "step": "event"}, chat.context, flow="agenda", step="topic",
                     draft={"event_id": panel_id})
        chat.state, seen = step.state, [reply.text for reply in step.replies]
        for message in ({"choice": "topic:noise"}, {"text": "Music at night"}, {"choice": f"back:{ids['waiting']}"},
                        {"choice": f"back:{ids['hidden']}"}, {"choice": f"back:{ids['named']}"}, {"choice": "done"}):
            replies = chat.send(**message)
            seen += [reply.text for reply in replies] + [c.label for reply in replies for c in reply.choices]
    assert "MARKER" not in "\n".join(seen)
    assert f"☐ {REWORDED}" in seen and "☐ More lighting on the estate (English)" in seen
    # A forged tap on an item nobody approved is not offered, so it backs nothing.
    assert [intent for intent in chat.intents if isinstance(intent, BackAgendaItem)] == [BackAgendaItem(ids["named"])]


def test_through_the_web_chat_an_unapproved_item_never_reaches_another_resident(client, engine, database_url):
    with new_session(engine) as session:
        panel_id, ids = _panel_with_items(session, starts_at=utcnow() + timedelta(days=10))
    amina = RecordingChat(client)
    amina.send(choice="start")
    amina.send(choice="lang:en")
    amina.send(f"RSVP {panel_id}")
    amina.send(choice="agenda")
    amina.send(choice="topic:noise")
    amina.send("Music at night")
    assert amina.keys == [f"back:{ids['as_written']}", f"back:{ids['named']}", "done", "skip"]
    assert amina.replies[-1]["choices"][1]["label"] == f"☐ {REWORDED}"
    amina.send(choice=f"back:{ids['waiting']}")  # forged: not offered
    amina.send(choice=f"back:{ids['named']}")
    amina.send(choice="done")
    assert "MARKER" not in "\n".join(amina.seen)
    with new_session(engine) as session:
        assert [(b.item_id,) for b in session.execute(select(AgendaBacking)).scalars()] == [(ids["named"],)]
        [music] = session.execute(select(AgendaItem).where(AgendaItem.text == "Music at night")).scalars()
        assert music.approved_at is None  # a new item waits for the organisers

    # Amina's own item waits too: the next resident is not offered it until an organiser approves it.
    hodan = RecordingChat(client)
    hodan.send(choice="start")
    hodan.send(choice="lang:bn")
    hodan.send(f"RSVP {panel_id}")
    hodan.send(choice="agenda")
    hodan.send(choice="topic:asb")
    hodan.send("পার্কে আরও আলো")
    assert f"back:{music.id}" not in hodan.keys and "Music at night" not in "\n".join(hodan.seen)
    assert _cli(database_url, "events", "agenda-approve", str(music.id)).exit_code == 0
    hodan.send(choice="skip")
    hodan.send(f"RSVP {panel_id}")
    hodan.send(choice="agenda")
    hodan.send(choice="topic:asb")
    hodan.send("সিঁড়িতে আলো")
    assert f"back:{music.id}" in hodan.keys and "MARKER" not in "\n".join(hodan.seen)


def test_approve_and_hide_change_what_residents_see(engine, database_url):
    with new_session(engine) as session:
        panel_id, ids = _panel_with_items(session, starts_at=AT + timedelta(days=10))
    shown = lambda: {item.item_id: item.text for item in _items_for(engine, panel_id)}

    result = _cli(database_url, "events", "agenda-approve", str(ids["waiting"]), "--text", "Dealing in stairwells")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"agenda item {ids['waiting']} approved: other residents see it in your "
                                     "wording and can back it")
    assert shown()[ids["waiting"]] == "Dealing in stairwells"

    result = _cli(database_url, "events", "agenda-hide", str(ids["waiting"]))
    assert result.exit_code == 0, result.output
    assert ids["waiting"] not in shown()
    listed = _cli(database_url, "events", "agenda", str(panel_id)).output
    assert f"  item {ids['waiting']} (hidden; English; 0 backers): {WAITING}" in listed.splitlines()

    result = _cli(database_url, "events", "agenda-approve", str(ids["hidden"]))
    assert result.exit_code == 0 and "as written" in result.output
    assert shown()[ids["hidden"]] == HIDDEN

    # Shown again after the hide: still in the organiser's wording, until they ask for the resident's words.
    result = _cli(database_url, "events", "agenda-approve", str(ids["waiting"]))
    assert result.exit_code == 0 and "in your wording" in result.output
    assert shown()[ids["waiting"]] == "Dealing in stairwells"
    result = _cli(database_url, "events", "agenda-approve", str(ids["waiting"]), "--as-written")
    assert result.exit_code == 0 and "as written" in result.output
    assert shown()[ids["waiting"]] == WAITING


def _items_for(engine, event_id):
    with new_session(engine) as session:
        return agenda.items_for_meeting(session, event_id=event_id)


def test_the_commands_refuse_bad_input_and_change_nothing(engine, database_url):
    with new_session(engine) as session:
        _panel_id, ids = _panel_with_items(session, starts_at=AT + timedelta(days=10))
    before = dump_every_table(database_url)
    cases = [
        (("agenda-approve", "999"), "not approved: there is no agenda item 999"),
        (("agenda-approve", "999", "--text", "Fine words"), "not approved: there is no agenda item 999"),
        (("agenda-approve", str(ids["waiting"]), "--text", "   "), "not approved: the wording shown to residents "
                                                                   "must be 1 to 2000 characters"),
        (("agenda-approve", str(ids["waiting"]), "--text", "x" * 2001), "must be 1 to 2000 characters"),
        (("agenda-approve", "twelve"), "not a valid integer"),
        (("agenda-approve", str(ids["waiting"]), "--text", "Words", "--as-written"), "not both"),
        (("agenda-approve",), "Missing argument"),
        (("agenda-hide", "999"), "not hidden: there is no agenda item 999"),
        (("agenda-hide", "-3"), "No such option '-3'"),
        (("agenda-hide", "twelve"), "not a valid integer"),
    ]
    for args, message in cases:
        result = _cli(database_url, "events", *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    assert dump_every_table(database_url) == before
