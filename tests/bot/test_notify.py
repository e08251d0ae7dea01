"""bot/notify.py: "a place has opened for you" goes on the promoted resident's own channel, rendered by the
channels the caller already has (the web app's Deliverer, the CLI's), never rebuilt for each message."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import notify
from bot.delivery import Deliverer
from storage import events
from storage.crypto import keyed_hash
from storage.database import new_session
from storage.models import Contact, OutboxMessage, Rsvp
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.helpers import WebChat


class TextChannel:
    """Renders like a sending channel with credentials here (the delivery tests cover sending)."""

    def __init__(self, name):
        self.name = name

    def render(self, replies):
        return [{"text": reply.text} for reply in replies]


def test_a_place_given_back_in_the_web_chat_is_offered_through_the_apps_own_channels(app, client, engine, monkeypatch):
    telegram = TextChannel("telegram")
    app.extensions["safer_homes.deliverer"] = Deliverer(engine, app.extensions["safer_homes.settings"],
                                                        {"telegram": telegram})

    def rebuilt(_settings):
        raise AssertionError("the channels were built again for one message")

    monkeypatch.setattr("bot.channels.registry.configured_channels", rebuilt)
    now = utcnow()
    with new_session(engine) as session:
        event = events.create_event(session, title="Weavers ward panel", starts_at=now + timedelta(days=10), now=now,
                                    ward_slug="weavers", place="Weavers Community Centre", capacity=1)
        waiting = Contact(channel="telegram", address_hash=keyed_hash(TEST_SECRET_KEY, "telegram", "42"),
                          language="bn", created_at=now)
        session.add(waiting)
        session.flush()
        session.add(Rsvp(event_id=event.id, contact_id=waiting.id, status="waiting", needs=[], created_at=now,
                         updated_at=now, waiting_since=now))
        session.commit()
        event_id, waiting_id = event.id, waiting.id
    chat = WebChat(client)
    chat.send(choice="start")
    chat.send(choice="lang:en")
    with new_session(engine) as session:  # the web chat resident has the one place
        contact_id = session.execute(select(Contact.id).where(Contact.channel == "webchat")).scalar_one()
        session.add(Rsvp(event_id=event_id, contact_id=contact_id, status="attending", needs=[], created_at=now,
                         updated_at=now, confirmed_at=now))
        session.commit()

    chat.send(f"RSVP {event_id}")
    chat.send(choice="rsvp:no")

    with new_session(engine) as session:
        [offered] = session.execute(select(OutboxMessage)).scalars().all()
        status = session.execute(select(Rsvp.status).where(Rsvp.contact_id == waiting_id)).scalar_one()
    assert status == "attending"
    assert (offered.contact_id, offered.channel, offered.kind, offered.event_id, offered.language) == (
        waiting_id, "telegram", notify.PLACE_OFFERED, event_id, "bn")
    assert "Weavers ward panel" in offered.payload["text"] and f"/events/{event_id}.ics" in offered.payload["text"]


def test_no_notice_for_someone_on_a_channel_without_credentials_here(engine):
    now = utcnow()
    with new_session(engine) as session:
        event = events.create_event(session, title="Weavers ward panel", starts_at=now + timedelta(days=10), now=now,
                                    ward_slug="weavers", place="Weavers Community Centre")
        contact = Contact(channel="sms", address_hash="h-sms", language="so", created_at=now)
        session.add(contact)
        session.flush()
        session.add(Rsvp(event_id=event.id, contact_id=contact.id, status="attending", needs=[], created_at=now,
                         updated_at=now, confirmed_at=now))
        promoted = (events.PlaceOffered(contact_id=contact.id, channel="sms", language="so"),)
        assert notify.tell_of_places(session, {}, event_id=event.id, promoted=promoted,
                                     calendar_url="https://example.org/events/1.ics", now=now) == 0
        assert notify.tell_of_places(session, {"sms": TextChannel("sms")}, event_id=event.id, promoted=promoted,
                                     calendar_url="https://example.org/events/1.ics", now=now) == 1
        [message] = session.execute(select(OutboxMessage)).scalars().all()
        assert (message.channel, message.language, message.expires_at) == ("sms", "so", event.starts_at)
