"""`safer-homes events agenda ID` and `events feedback ID`: what organisers read before and after a meeting."""
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from bot.cli import main
from storage import agenda, contacts, feedback
from storage.database import new_session
from storage.models import Event

AT = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)


def _run(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32})


def _event(session) -> int:
    event = Event(title="Weavers ward panel", starts_at=AT + timedelta(days=10), created_at=AT)
    session.add(event)
    session.flush()
    return event.id


def test_agenda_prints_topics_most_asked_for_first_with_ids_approval_backers_and_languages(engine, database_url):
    with new_session(engine) as session:
        panel = _event(session)
        people = [contacts.find_or_create_contact(session, channel="webchat", address_hash=f"h{n}", address_sealed=None,
                                                  now=AT) for n in range(3)]
        session.flush()
        stairs = agenda.save_item(session, event_id=panel, topic="drugs", text="সিঁড়িতে মাদক বিক্রি", language="bn", now=AT)
        needles = agenda.save_item(session, event_id=panel, topic="drugs", text="Needles by the swings", language="en",
                                   now=AT)
        night = agenda.save_item(session, event_id=panel, topic="noise", text="Buuq habeenkii", language="so", now=AT)
        agenda.approve_item(session, item_id=stairs.id, now=AT, shown_text="সিঁড়িতে মাদক")
        for person in people:
            agenda.back_item(session, item_id=stairs.id, contact_id=person.id, now=AT)
        agenda.hide_item(session, item_id=night.id, now=AT)
        session.commit()
    result = _run(database_url, "events", "agenda", str(panel))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Agenda items for event {panel}: Weavers ward panel",
        "Drugs (3 backers, 2 items)",
        f"  item {stairs.id} (approved; Bengali; 3 backers): সিঁড়িতে মাদক বিক্রি",
        "      residents see: সিঁড়িতে মাদক",
        f"  item {needles.id} (waiting for approval; English; 0 backers): Needles by the swings",
        "Noise (0 backers, 1 item)",
        f"  item {night.id} (hidden; Somali; 0 backers): Buuq habeenkii",
        "Items not in English are shown as written: no translator is configured (TRANSLATOR=none).",
        "1 item waiting: other residents see an item only once you approve it (events agenda-approve ITEM_ID "
        "[--text \"your wording, without names or addresses\"]); events agenda-hide ITEM_ID keeps one from them.",
    ]


def test_feedback_prints_the_count_average_each_rating_and_the_comments(engine, database_url):
    with new_session(engine) as session:
        panel = _event(session)
        for rating, comment, language in [(5, "Very welcoming", "en"), (3, None, "bn"), (4, "Waan ku faraxsanahay", "so")]:
            feedback.save_feedback(session, event_id=panel, rating=rating, comment=comment, language=language, now=AT)
        session.commit()
    result = _run(database_url, "events", "feedback", str(panel))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Feedback for event {panel}: Weavers ward panel",
        "3 answers, average 4.0 out of 5",
        "  5: 1", "  4: 1", "  3: 1", "  2: 0", "  1: 0",
        "Comments:",
        "  [English] Very welcoming",
        "  [Somali] Waan ku faraxsanahay",
    ]


def test_nothing_yet_and_unknown_events_are_said_plainly(engine, database_url):
    with new_session(engine) as session:
        panel = _event(session)
        session.commit()
    assert _run(database_url, "events", "agenda", str(panel)).output.splitlines()[-1] == "no items yet"
    assert _run(database_url, "events", "feedback", str(panel)).output.splitlines()[-1] == "no answers yet"
    for command in ("agenda", "feedback"):
        missing = _run(database_url, "events", command, "999")
        assert missing.exit_code != 0 and "there is no event 999" in missing.output
        not_a_number = _run(database_url, "events", command, "twelve")
        assert not_a_number.exit_code != 0 and "not a valid integer" in not_a_number.output
