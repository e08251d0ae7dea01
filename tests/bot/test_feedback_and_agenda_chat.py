"""After a meeting and before the next, through the real web chat API: "how was it?" arrives in the outbox
(the page collects it), the resident answers it by typing a number, their idea for the next meeting shows
for the ward's next panel once an organiser approved it, where someone else backs it; organisers read both
on the command line."""
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.followups import ask_how_it_went
from bot.settings import Settings
from storage import events
from storage.database import new_session
from storage.models import AgendaBacking, AgendaItem, Contact, Event, EventFeedback, OutboxMessage, Ward
from storage.types import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.helpers import WebChat


def _panel(engine, *, days: float) -> int:
    with new_session(engine) as session:
        event = events.create_event(session, title="Weavers ward panel", starts_at=utcnow() + timedelta(days=days),
                                    now=utcnow(), ward_slug="weavers")
        event.kind = "ward_panel"  # residents may suggest topics for ward panels
        session.commit()
        return event.id


def _cli(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def test_how_was_it_then_have_your_say_for_the_next_meeting(client, engine, database_url):
    first = _panel(engine, days=5)
    hodan = WebChat(client)
    hodan.send(choice="start")
    hodan.send(choice="lang:bn")
    hodan.send(f"RSVP {first}")
    hodan.send(choice="rsvp:yes")
    hodan.send(choice="need:none")

    # The meeting happens: it ended an hour ago.
    with new_session(engine) as session:
        event = session.get(Event, first)
        event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
        session.commit()
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
    assert ask_how_it_went(engine, settings, {}, now=utcnow()) == 1
    with new_session(engine) as session:
        [question] = session.execute(select(OutboxMessage).where(OutboxMessage.kind == "feedback")).scalars()
        assert session.get(Contact, question.contact_id).channel == "webchat"
    assert [choice["key"] for choice in question.payload["replies"][-1]["choices"]][:5] == [
        "rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]

    hodan.send("৪")  # four, in Bengali digits
    hodan.send(choice="skip")
    hodan.send("সিঁড়ির আলো ঠিক করা দরকার")
    with new_session(engine) as session:
        [given] = session.execute(select(EventFeedback)).scalars()
        assert (given.event_id, given.rating, given.comment, given.language) == (first, 4, None, "bn")
        assert (given.created_on.hour, given.created_on.minute, given.created_on.second) == (0, 0, 0)
        [idea] = session.execute(select(AgendaItem)).scalars()
        weavers = session.execute(select(Ward.id).where(Ward.slug == "weavers")).scalar_one()
        assert (idea.event_id, idea.ward_id, idea.topic, idea.language) == (None, weavers, "other", "bn")

    # The next panel: an organiser approves Hodan's idea as written; Amina suggests a topic and backs it,
    # shown in Bengali and named in itself.
    second = _panel(engine, days=20)
    approved = _cli(database_url, "events", "agenda-approve", str(idea.id))
    assert approved.exit_code == 0, approved.output
    amina = WebChat(client)
    amina.send(choice="start")
    amina.send(choice="lang:en")
    amina.send(f"RSVP {second}")
    amina.send(choice="agenda")
    amina.send(choice="topic:drugs")
    amina.send("Dealing in the stairwell of Block C")
    assert amina.keys == [f"back:{idea.id}", "done", "skip"]
    assert amina.replies[-1]["choices"][0]["label"] == "☐ সিঁড়ির আলো ঠিক করা দরকার (বাংলা)"
    amina.send("1")
    amina.send(choice="done")

    # Amina's words name a block: the organiser approves them in their own wording. Hodan is offered that,
    # never her own item.
    with new_session(engine) as session:
        [amina_id] = session.execute(select(AgendaItem.id).where(AgendaItem.topic == "drugs")).scalars()
    reworded = _cli(database_url, "events", "agenda-approve", str(amina_id), "--text", "Drug dealing in stairwells")
    assert reworded.exit_code == 0, reworded.output
    hodan.send(f"RSVP {second}")
    hodan.send(choice="agenda")
    hodan.send(choice="topic:unsafe_place")
    hodan.send("পার্কে আরও আলো")
    assert [key for key in hodan.keys if key.startswith("back:")] == [f"back:{amina_id}"]
    assert hodan.replies[-1]["choices"][0]["label"] == "☐ Drug dealing in stairwells"
    assert "Block C" not in hodan.text
    with new_session(engine) as session:
        assert [(b.item_id,) for b in session.execute(select(AgendaBacking)).scalars()] == [(idea.id,)]

    listed = _cli(database_url, "events", "agenda", str(second))
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[1] == "Other (1 backer, 1 item)"
    assert f"  item {idea.id} (approved; Bengali; 1 backer): সিঁড়ির আলো ঠিক করা দরকার" in lines
    assert f"  item {amina_id} (approved; English; 0 backers): Dealing in the stairwell of Block C" in lines
    assert "      residents see: Drug dealing in stairwells" in lines
    assert "Drugs (0 backers, 1 item)" in lines and "Unsafe places (0 backers, 1 item)" in lines
    assert lines[-1].startswith("1 item waiting: other residents see an item only once you approve it")
    summary = _cli(database_url, "events", "feedback", str(first))
    assert "1 answer, average 4.0 out of 5" in summary.output and "  4: 1" in summary.output
