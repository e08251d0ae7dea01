"""What organisers see of an event's answers (storage/organiser.py): totals checked against counts worked
out by hand, the kept summary after the answers are deleted, and export rows that never say who answered."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from storage import events, organiser
from storage.models import Contact, Event, Rsvp

NOW = datetime(2099, 1, 10, 12, 0, tzinfo=timezone.utc)

# (status, needs, interpreter language): twelve answers whose totals are counted by hand below.
ANSWERS = [
    ("attending", ["interpreter", "childcare"], "bn"),
    ("attending", ["interpreter"], "bn"),
    ("attending", ["interpreter", "food", "step_free"], "so"),
    ("attending", ["interpreter"], "syl"),
    ("attending", ["childcare", "food"], None),
    ("attending", ["food"], None),
    ("attending", [], None),
    ("waiting", ["interpreter", "childcare"], "bn"),  # waiting: counted as waiting, not in the needs
    ("waiting", [], None),
    ("declined", [], None),
    ("declined", [], None),
    ("declined", [], None),
]
# attending 7, waiting 2, not coming 3; of those attending: interpreters Bengali 2, Somali 1, Sylheti 1;
# childcare 2 (rows 1 and 5); step-free 1 (row 3); food 3 (rows 3, 5, 6).


@pytest.fixture
def session(engine):
    from storage.database import new_session

    with new_session(engine) as session:
        yield session


def _event(session, **details) -> Event:
    return events.create_event(session, title="Weavers ward panel", starts_at=NOW + timedelta(days=7), now=NOW,
                               **details)


def _answer(session, event_id: int, answers, *, start: datetime = NOW) -> None:
    for number, (status, needs, language) in enumerate(answers):
        contact = Contact(channel="webchat", address_hash=f"hash-{event_id}-{number}", created_at=start)
        session.add(contact)
        session.flush()
        moment = start + timedelta(hours=number)
        session.add(Rsvp(event_id=event_id, contact_id=contact.id, status=status, needs=needs,
                         interpreter_language=language, created_at=moment, updated_at=moment,
                         waiting_since=moment if status == "waiting" else None))
    session.flush()


def test_totals_match_the_hand_count(session):
    event = _event(session)
    other = _event(session)
    _answer(session, event.id, ANSWERS)
    _answer(session, other.id, [("attending", ["interpreter", "food"], "ur")])  # another event's answer
    totals = organiser.count_rsvps(session, event_id=event.id)
    assert totals == organiser.RsvpTotals(attending=7, waiting=2, declined=3,
                                          interpreters={"bn": 2, "so": 1, "syl": 1},
                                          childcare=2, step_free=1, food=3)
    assert organiser.describe_needs(totals) == ("interpreters: Bengali 2, Somali 1, Sylheti 1; childcare: 2; "
                                                "step-free: 1; food: 3")
    assert organiser.describe_answers(totals) == "attending 7 · waiting 2 · not coming 3"


def test_an_event_nobody_answered_counts_zero(session):
    totals = organiser.count_rsvps(session, event_id=_event(session).id)
    assert totals == organiser.RsvpTotals()
    assert organiser.describe_needs(totals) == "no needs given"


def test_the_kept_summary_is_shown_once_the_answers_are_gone(session):
    event = _event(session)
    _answer(session, event.id, ANSWERS)
    counted = organiser.count_rsvps(session, event_id=event.id)
    event.rsvp_summary = counted.as_summary()
    session.execute(delete(Rsvp).where(Rsvp.event_id == event.id))
    totals, kept = organiser.event_totals(session, event=event)
    assert kept and totals == counted
    # A summary written by older code, with keys missing, still reads (as zeros).
    assert organiser.RsvpTotals.from_summary({"attending": 4}) == organiser.RsvpTotals(attending=4)


def test_export_rows_say_what_to_plan_for_and_never_who(session):
    event = _event(session)
    _answer(session, event.id, ANSWERS)
    rows = list(organiser.rsvp_rows(session, event_id=event.id, batch=3))
    assert [row.status for row in rows] == ["attending"] * 7 + ["waiting"] * 2 + ["declined"] * 3
    assert rows[0].needs == ("interpreter", "childcare") and rows[0].interpreter_language == "bn"
    assert rows[0].answered_on == date(2099, 1, 10)
    waiting = rows[7:9]
    assert [(row.waiting_position, row.waiting_since) for row in waiting] == [(1, date(2099, 1, 10)), (2, date(2099, 1, 10))]
    assert all(row.waiting_position is None and row.waiting_since is None for row in rows if row.status != "waiting")
    assert set(organiser.RsvpRow.__dataclass_fields__) == {
        "status", "needs", "interpreter_language", "answered_on", "waiting_position", "waiting_since"}
