"""The community spaces directory on SQLite and PostgreSQL: add, edit, remove, list, and refusals."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import events, spaces
from storage.database import new_session
from storage.models import Event, Space, Ward
from storage.reports import UnknownChoice
from tests.helpers import dump_every_table

AT = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)


def _add(session, name="Hall", **overrides):
    values = dict(name=name, address="1 Example Street, E1 0AA", now=AT)
    values.update(overrides)
    return spaces.add_space(session, **values)


def _space_and_ward_name(session, space_id):
    space = session.get(Space, space_id)
    return space, session.get(Ward, space.ward_id).name if space.ward_id is not None else None


def test_a_space_is_stored_with_its_ward_cost_and_features(engine):
    with new_session(engine) as session:
        space = _add(session, "  Weavers  Community Centre ", ward_slug="weavers", cost="affordable",
                     booking="Ask at reception", opening_hours="Mon-Fri 9:00-21:00",
                     features=["step_free", "kitchen", " hearing_loop "])
        session.commit()
        space_id = space.id
    with new_session(engine) as session:
        space, ward_name = _space_and_ward_name(session, space_id)
        assert (space.name, ward_name, space.cost) == ("Weavers Community Centre", "Weavers", "affordable")
        assert spaces.features_of(space) == ("step_free", "hearing_loop", "kitchen")
        assert (space.booking, space.opening_hours) == ("Ask at reception", "Mon-Fri 9:00-21:00")


def test_the_list_puts_free_first_then_affordable_then_paid_then_by_name(engine):
    with new_session(engine) as session:
        _add(session, "Zeta hall", cost="free", ward_slug="bow-east")
        _add(session, "Alpha rooms", cost="paid", ward_slug="bow-east")
        _add(session, "Beta library room", cost="affordable")
        _add(session, "Alpha hall", cost="free", ward_slug="weavers")
        session.commit()
    with new_session(engine) as session:
        everything = [space.name for space, _ in spaces.list_spaces(session)]
        assert everything == ["Alpha hall", "Zeta hall", "Beta library room", "Alpha rooms"]
        cheap = [space.name for space, _ in spaces.list_spaces(session, costs=("free", "affordable"))]
        assert cheap == ["Alpha hall", "Zeta hall", "Beta library room"]
        in_bow = [(space.name, ward) for space, ward in spaces.list_spaces(session, ward_slug="bow-east")]
        assert in_bow == [("Zeta hall", "Bow East"), ("Alpha rooms", "Bow East")]
        assert spaces.list_spaces(session, ward_slug="poplar") == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(name="   "), "name must not be empty"),
        (dict(name="x" * 201), "name must be at most 200"),
        (dict(address=""), "address must not be empty"),
        (dict(booking="x" * 501), "booking must be at most 500"),
        (dict(opening_hours="x" * 301), "hours must be at most 300"),
        (dict(cost="cheap"), "unknown cost cheap"),
        (dict(features=["step_free", "swimming_pool"]), "unknown features swimming_pool"),
        (dict(ward_slug="atlantis"), "unknown ward 'atlantis'"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_added(engine, database_url, overrides, message):
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(ValueError, match=message):
            _add(session, **overrides)
        session.commit()
    assert dump_every_table(database_url) == before


def test_an_unknown_ward_is_an_unknown_choice_and_unknown_costs_are_refused_when_listing(engine):
    with new_session(engine) as session:
        with pytest.raises(UnknownChoice):
            spaces.list_spaces(session, ward_slug="atlantis")
        with pytest.raises(ValueError, match="unknown cost"):
            spaces.list_spaces(session, costs=("free", "gratis"))


def test_an_edit_changes_only_what_is_given_and_empty_text_clears(engine):
    with new_session(engine) as session:
        space_id = _add(session, "Hall", ward_slug="weavers", booking="Ring the office", features=["kitchen"]).id
        session.commit()
    with new_session(engine) as session:
        spaces.update_space(session, space_id=space_id, now=AT + timedelta(days=1), cost="affordable", booking="")
        session.commit()
    with new_session(engine) as session:
        space, ward_name = _space_and_ward_name(session, space_id)
        assert (space.name, ward_name, space.cost, space.booking) == ("Hall", "Weavers", "affordable", None)
        assert spaces.features_of(space) == ("kitchen",)
        assert space.updated_at == AT + timedelta(days=1) and space.created_at == AT
        spaces.update_space(session, space_id=space_id, now=AT, ward_slug="", features=[])
        session.commit()
        space, ward_name = _space_and_ward_name(session, space_id)
        assert ward_name is None and spaces.features_of(space) == ()


def test_a_refused_edit_changes_nothing(engine, database_url):
    with new_session(engine) as session:
        space_id = _add(session, "Hall").id
        session.commit()
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(ValueError, match="unknown ward"):
            spaces.update_space(session, space_id=space_id, now=AT, name="New name", ward_slug="atlantis")
        with pytest.raises(LookupError, match="no space 999"):
            spaces.update_space(session, space_id=999, now=AT, name="New name")
        session.commit()
    assert dump_every_table(database_url) == before


def test_a_space_with_an_upcoming_event_cannot_be_removed_but_past_events_keep_its_name(engine, database_url):
    with new_session(engine) as session:
        space_id = _add(session, "Tenants' hall", address="Ocean Estate, E1").id
        upcoming = events.create_event(session, title="Panel", starts_at=AT + timedelta(days=3), now=AT)
        past = events.create_event(session, title="Forum", starts_at=AT + timedelta(hours=1), now=AT)
        upcoming.space_id = past.space_id = space_id
        session.commit()
        upcoming_id = upcoming.id
    before = dump_every_table(database_url)
    later = AT + timedelta(days=1)
    with new_session(engine) as session:
        with pytest.raises(spaces.SpaceInUse, match=f"upcoming event\\(s\\) {upcoming_id}"):
            spaces.remove_space(session, space_id=space_id, now=later)
        session.rollback()
    assert dump_every_table(database_url) == before
    with new_session(engine) as session:
        events.cancel_event(session, event_id=upcoming_id, now=later)
        spaces.remove_space(session, space_id=space_id, now=later)
        session.commit()
    with new_session(engine) as session:
        assert session.execute(select(Space)).first() is None
        held = session.execute(select(Event.title, Event.space_id, Event.place).order_by(Event.id)).all()
        assert [tuple(row) for row in held] == [("Panel", None, "Tenants' hall, Ocean Estate, E1"),
                                                ("Forum", None, "Tenants' hall, Ocean Estate, E1")]
        with pytest.raises(LookupError, match="no space"):
            spaces.remove_space(session, space_id=space_id, now=later)
