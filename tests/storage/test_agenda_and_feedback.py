"""Agenda items, backing, and feedback after an event, on SQLite and PostgreSQL (storage/agenda.py,
storage/feedback.py)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import agenda, contacts, feedback
from storage.database import new_session
from storage.models import AgendaBacking, AgendaItem, Event, EventFeedback, Ward
from storage.reports import UnknownChoice
from tests.helpers import dump_every_table

AT = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)


def _event(session, *, days: float, ward="weavers", cancelled=False, title="Ward panel") -> int:
    ward_id = session.execute(select(Ward.id).where(Ward.slug == ward)).scalar_one() if ward else None
    event = Event(title=title, ward_id=ward_id, starts_at=AT + timedelta(days=days), created_at=AT,
                  cancelled_at=AT if cancelled else None)
    session.add(event)
    session.flush()
    return event.id


def _contact(session, n: int) -> int:
    contact = contacts.find_or_create_contact(session, channel="webchat", address_hash=f"hash-{n}",
                                              address_sealed=None, now=AT)
    session.flush()
    return contact.id


def _item(session, text, *, days=0.0, contact_id=None, topic="other", approved=False, **where):
    item_id = agenda.save_item(session, topic=topic, text=text, language="en", now=AT + timedelta(days=days),
                               contact_id=contact_id, **where).id
    if approved:
        agenda.approve_item(session, item_id=item_id, now=AT)
    return item_id


def test_a_meeting_lists_its_own_items_and_its_wards_items_sent_since_the_previous_meeting(engine):
    with new_session(engine) as session:
        previous = _event(session, days=-20)
        _event(session, days=-10, cancelled=True)  # a cancelled meeting is not "the previous meeting"
        panel = _event(session, days=10)
        later = _event(session, days=40)
        elsewhere = _event(session, days=12, ward="bow-east")
        own = _item(session, "For this panel", event_id=panel)
        before_previous = _item(session, "Sent before the last meeting", days=-25, ward_slug="weavers")
        since_previous = _item(session, "Sent after the last meeting", days=-15, ward_slug="weavers")
        since_cancelled = _item(session, "Sent after the cancelled one", days=-5, ward_slug="weavers")
        after_panel = _item(session, "Sent after this panel", days=11, ward_slug="weavers")
        _item(session, "Another ward", days=-5, ward_slug="bow-east")
        session.commit()
        ids = lambda event_id: {item.item_id for item in agenda.review_items(session, event_id=event_id)}
        assert ids(panel) == {own, since_previous, since_cancelled}
        assert ids(previous) == {before_previous}
        assert ids(later) == {after_panel}
        assert len(ids(elsewhere)) == 1
        assert agenda.items_for_meeting(session, event_id=999) == agenda.review_items(session, event_id=999) == []


def test_backing_once_never_your_own_and_the_most_backed_first(engine):
    with new_session(engine) as session:
        panel = _event(session, days=10)
        sender, first, second = (_contact(session, n) for n in range(3))
        quiet = _item(session, "Quiet item", event_id=panel, contact_id=sender, approved=True)
        popular = _item(session, "Popular item", days=0.1, event_id=panel, contact_id=sender, approved=True)
        assert agenda.back_item(session, item_id=popular, contact_id=first, now=AT)
        assert agenda.back_item(session, item_id=popular, contact_id=second, now=AT)
        assert not agenda.back_item(session, item_id=popular, contact_id=first, now=AT)  # once
        assert not agenda.back_item(session, item_id=popular, contact_id=sender, now=AT)  # not their own
        assert not agenda.back_item(session, item_id=12345, contact_id=first, now=AT)  # gone
        session.commit()
        listed = agenda.items_for_meeting(session, event_id=panel)
        assert [(item.item_id, item.backers) for item in listed] == [(popular, 2), (quiet, 0)]
        assert agenda.backed_by(session, contact_id=first, item_ids=[quiet, popular]) == {popular}
        assert len(session.execute(select(AgendaBacking)).all()) == 2


def test_organisers_see_topics_grouped_most_asked_for_first(engine):
    with new_session(engine) as session:
        panel = _event(session, days=10)
        backers = [_contact(session, n) for n in range(4)]
        noise = _item(session, "Night-time noise", event_id=panel, topic="noise", approved=True)
        drugs_one = _item(session, "Dealing by the stairs", event_id=panel, topic="drugs")  # waiting: listed too
        drugs_two = _item(session, "Needles in the play area", event_id=panel, topic="drugs", approved=True)
        for contact_id in backers[:3]:
            agenda.back_item(session, item_id=drugs_two, contact_id=contact_id, now=AT)
        agenda.back_item(session, item_id=noise, contact_id=backers[3], now=AT)
        session.commit()
        groups = agenda.grouped_agenda(session, event_id=panel)
        assert [(group.topic, group.backers, len(group.items)) for group in groups] == [("drugs", 3, 2), ("noise", 1, 1)]
        assert [item.item_id for item in groups[0].items] == [drugs_two, drugs_one]
        assert groups[0].items[0].translation is None  # no translator until TRANSLATOR (issue 6)


def test_other_residents_see_only_approved_items_in_the_approved_wording_and_back_only_those(engine):
    with new_session(engine) as session:
        panel = _event(session, days=10)
        sender, reader = _contact(session, 0), _contact(session, 1)
        waiting = _item(session, "MARKER-WAITING Dealing at Flat 12", event_id=panel, contact_id=sender)
        as_written = _item(session, "More lighting on the estate", event_id=panel, contact_id=sender)
        reworded = _item(session, "MARKER-NAMED Mr X deals by Block C", event_id=panel, contact_id=sender)
        hidden = _item(session, "MARKER-HIDDEN about a neighbour", event_id=panel, contact_id=sender)
        agenda.approve_item(session, item_id=as_written, now=AT)
        agenda.approve_item(session, item_id=reworded, now=AT, shown_text="  Drug dealing near the blocks ")
        agenda.approve_item(session, item_id=hidden, now=AT)
        assert agenda.back_item(session, item_id=hidden, contact_id=reader, now=AT)  # backed while it showed
        agenda.hide_item(session, item_id=hidden, now=AT + timedelta(hours=1))
        session.commit()

        shown = agenda.items_for_meeting(session, event_id=panel)
        assert [(item.item_id, item.text) for item in shown] == [
            (as_written, "More lighting on the estate"), (reworded, "Drug dealing near the blocks")]
        # The organiser's wording is not in the resident's language, so none is claimed for it.
        assert [item.language for item in shown] == ["en", None]
        assert "MARKER" not in repr(shown)
        # Never backed unless shown: waiting or hidden items are refused and nothing is stored.
        assert not agenda.back_item(session, item_id=waiting, contact_id=reader, now=AT)
        assert not agenda.back_item(session, item_id=hidden, contact_id=reader, now=AT)
        assert agenda.back_item(session, item_id=reworded, contact_id=reader, now=AT)
        session.commit()
        assert sorted(b.item_id for b in session.execute(select(AgendaBacking)).scalars()) == sorted([hidden, reworded])

        # Organisers see every item, in the resident's words, with what residents see.
        review = {item.item_id: item for item in agenda.review_items(session, event_id=panel)}
        assert {item_id: item.status for item_id, item in review.items()} == {
            waiting: "waiting", as_written: "approved", reworded: "approved", hidden: "hidden"}
        assert review[reworded].text == "MARKER-NAMED Mr X deals by Block C"
        assert review[reworded].shown_text == "Drug dealing near the blocks"
        assert review[hidden].backers == 1 and review[hidden].approved_at is None

        # Approving again as written shows the resident's own words; approving a hidden item shows it.
        agenda.approve_item(session, item_id=reworded, now=AT, as_written=True)
        agenda.approve_item(session, item_id=hidden, now=AT)
        session.commit()
        texts = {item.item_id: item.text for item in agenda.items_for_meeting(session, event_id=panel)}
        assert texts[reworded] == "MARKER-NAMED Mr X deals by Block C" and hidden in texts
        assert session.get(AgendaItem, hidden).hidden_at is None


def test_approving_or_hiding_refuses_bad_input_and_changes_nothing(engine, database_url):
    with new_session(engine) as session:
        panel = _event(session, days=10)
        item_id = _item(session, "Stairwell lights", event_id=panel)
        session.commit()
    before = dump_every_table(database_url)
    cases = [
        (agenda.approve_item, dict(item_id=item_id, shown_text="   "), ValueError),
        (agenda.approve_item, dict(item_id=item_id, shown_text="x" * 2001), ValueError),
        (agenda.approve_item, dict(item_id=999, shown_text="Fine words"), LookupError),
        (agenda.approve_item, dict(item_id=999), LookupError),
        (agenda.hide_item, dict(item_id=999), LookupError),
    ]
    for command, values, error in cases:
        with new_session(engine) as session, pytest.raises(error):
            command(session, now=AT, **values)
    assert dump_every_table(database_url) == before


def test_bad_items_are_refused_and_nothing_is_stored(engine, database_url):
    with new_session(engine) as session:
        panel = _event(session, days=10)
        session.commit()
    before = dump_every_table(database_url)
    cases = [
        (dict(topic="other", text="   ", event_id=panel), ValueError),
        (dict(topic="other", text="x" * 2001, event_id=panel), ValueError),
        (dict(topic="weather", text="Rain", event_id=panel), UnknownChoice),
        (dict(topic="other", text="Both", event_id=panel, ward_slug="weavers"), ValueError),
        (dict(topic="other", text="Neither"), ValueError),
        (dict(topic="other", text="No such ward", ward_slug="atlantis"), UnknownChoice),
        (dict(topic="other", text="No such event", event_id=999), LookupError),
    ]
    for values, error in cases:
        with new_session(engine) as session, pytest.raises(error):
            agenda.save_item(session, language="en", now=AT, **values)
    assert dump_every_table(database_url) == before


def test_feedback_is_kept_by_the_day_without_who_gave_it_and_summarised(engine):
    with new_session(engine) as session:
        panel = _event(session, days=-1)
        other = _event(session, days=-1, ward="bow-east")
        for rating, comment, language in [(5, "Very welcoming", "en"), (4, None, "bn"), (4, "  ", "so"),
                                          (2, "খুব ভিড় ছিল", "bn")]:
            feedback.save_feedback(session, event_id=panel, rating=rating, comment=comment, language=language, now=AT)
        feedback.save_feedback(session, event_id=other, rating=1, comment=None, language="en", now=AT)
        session.commit()
        summary = feedback.feedback_summary(session, event_id=panel)
        assert (summary.count, summary.average) == (4, 3.75)
        assert summary.distribution == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
        assert summary.comments == (("Very welcoming", "en"), ("খুব ভিড় ছিল", "bn"))
        days = {row.created_on for row in session.execute(select(EventFeedback)).scalars()}
        assert days == {datetime(2026, 12, 2, tzinfo=timezone.utc)}
        assert "contact_id" not in EventFeedback.model_fields
        empty = feedback.feedback_summary(session, event_id=999)
        assert (empty.count, empty.average, empty.comments) == (0, None, ())


def test_bad_feedback_is_refused_and_nothing_is_stored(engine, database_url):
    with new_session(engine) as session:
        panel = _event(session, days=-1)
        session.commit()
    before = dump_every_table(database_url)
    for values, error in [(dict(event_id=panel, rating=0), ValueError), (dict(event_id=panel, rating=6), ValueError),
                          (dict(event_id=999, rating=3), LookupError)]:
        with new_session(engine) as session, pytest.raises(error):
            feedback.save_feedback(session, comment=None, language="en", now=AT, **values)
    assert dump_every_table(database_url) == before


def test_approving_again_keeps_the_organisers_wording_unless_told_to_show_the_residents_words(engine):
    with new_session(engine) as session:
        panel = _event(session, days=10)
        item_id = _item(session, "MARKER-NAMED Mr X deals by Block C", event_id=panel, contact_id=_contact(session, 0))
        agenda.approve_item(session, item_id=item_id, now=AT, shown_text="Drug dealing near the blocks")
        agenda.hide_item(session, item_id=item_id, now=AT)
        agenda.approve_item(session, item_id=item_id, now=AT)  # shown again: still in the organiser's words
        assert [item.text for item in agenda.items_for_meeting(session, event_id=panel)] == ["Drug dealing near the blocks"]
        with pytest.raises(ValueError, match="not both"):
            agenda.approve_item(session, item_id=item_id, now=AT, shown_text="Other words", as_written=True)
        agenda.approve_item(session, item_id=item_id, now=AT, as_written=True)
        assert [item.text for item in agenda.items_for_meeting(session, event_id=panel)] == [
            "MARKER-NAMED Mr X deals by Block C"]
