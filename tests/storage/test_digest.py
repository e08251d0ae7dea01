"""The ward panel digest's figures (storage/digest.py) against hand-computed ones, on SQLite and PostgreSQL.

One ward (Weavers) with a ward panel on Wednesday 10 June 2026 at 18:00 UTC, counted on Monday 1 June 2026 at
noon; its previous ward panel was on 8 April 2026 at 18:00. So the period is 8 April 18:00 to 1 June 12:00
(53 days 18 hours) and the period before it starts 53 days 18 hours earlier: 14 February 2026 at 00:00.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from sqlalchemy import select

from storage import agenda
from storage.database import new_session
from storage.digest import ward_digest
from storage.models import (AgendaBacking, Agency, Contact, Event, PublicEntry, Report, ReportAgency, ReportUpdate,
                            Ward)

UTC = timezone.utc
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MEETING_START = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
PREVIOUS_START = datetime(2026, 4, 8, 18, 0, tzinfo=UTC)
PREVIOUS_PERIOD_START = datetime(2026, 2, 14, 0, 0, tzinfo=UTC)
IN_PERIOD = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # a Friday
BEFORE = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)

_references = count(1)


def _ids(session, model, column="slug"):
    return {getattr(row, column): row.id for row in session.execute(select(model)).scalars()}


def _event(session, *, ward_id, starts_at, kind="ward_panel", title="Weavers ward panel", cancelled=False, titles=None):
    event = Event(kind=kind, title=title, titles=titles or {}, ward_id=ward_id, starts_at=starts_at,
                  place="Oxford House", created_at=starts_at - timedelta(days=60),
                  cancelled_at=starts_at - timedelta(days=1) if cancelled else None)
    session.add(event)
    session.flush()
    return event


def _report(session, *, ward_id, category, created_at, status="received", spam=False, duplicate_of=None,
            shared=()):
    """A report; `shared` lists (agency id, shared_at, responded_at) for each agency it reached."""
    report = Report(reference=f"TH-TEST-{next(_references):04d}", category=category, ward_id=ward_id,
                    description="RESIDENT-DESCRIPTION-MARKER", location_text="RESIDENT-LOCATION-MARKER",
                    language="en", channel="webchat", privacy="anonymous", status=status,
                    spam_at=created_at if spam else None, duplicate_of_id=duplicate_of,
                    closed_at=created_at if status == "closed" else None, created_at=created_at, updated_at=created_at)
    session.add(report)
    session.flush()
    for agency_id, shared_at, responded_at in shared:
        session.add(ReportAgency(report_id=report.id, agency_id=agency_id, shared_at=shared_at, responded_at=responded_at))
    session.flush()
    return report


def _status_update(session, report, *, status, at, action="status"):
    session.add(ReportUpdate(report_id=report.id, status=status, action=action, created_at=at,
                             internal_note="STAFF-NOTE-MARKER"))
    session.flush()


@pytest.fixture
def weavers(engine):
    """The data of the module docstring; returns the meeting's event id."""
    return weavers_data(engine)


def weavers_data(engine) -> int:
    """The data of the module docstring (also the browser test's); returns the meeting's event id."""
    with new_session(engine) as session:
        wards, agencies = _ids(session, Ward), _ids(session, Agency)
        weavers, other = wards["weavers"], wards["spitalfields-banglatown"]
        council, housing = agencies["council"], agencies["housing"]
        meeting = _event(session, ward_id=weavers, starts_at=MEETING_START, titles={"bn": "উইভার্স ওয়ার্ড প্যানেল"})
        _event(session, ward_id=weavers, starts_at=PREVIOUS_START)
        # Neither is "the last meeting": another kind, and a cancelled ward panel.
        _event(session, ward_id=weavers, starts_at=datetime(2026, 5, 20, 18, tzinfo=UTC), kind="tra_meeting")
        _event(session, ward_id=weavers, starts_at=datetime(2026, 5, 6, 18, tzinfo=UTC), cancelled=True)
        _event(session, ward_id=weavers, starts_at=datetime(2025, 12, 3, 18, tzinfo=UTC))

        # This period. asb: 6 (5 open, 1 closed), every open one unanswered by the council since 1 May: past target.
        asb = [_report(session, ward_id=weavers, category="asb", created_at=IN_PERIOD + timedelta(hours=n),
                       status="closed" if n == 5 else "in_progress",
                       shared=[(council, IN_PERIOD + timedelta(hours=n), None)]) for n in range(6)]
        # drugs: 5 open (plus a spam one and a duplicate, never counted). Past target: d3 (housing has not
        # answered) and d4 (neither has: counted once); not d1, d2 (answered) nor d5 (shared this morning).
        answered = IN_PERIOD + timedelta(days=1)
        drugs = [
            _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD, shared=[(council, IN_PERIOD, answered)]),
            _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD, shared=[(council, IN_PERIOD, answered)]),
            _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD,
                    shared=[(council, IN_PERIOD, answered), (housing, IN_PERIOD, None)]),
            _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD,
                    shared=[(council, IN_PERIOD, None), (housing, IN_PERIOD, None)]),
            _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD,
                    shared=[(council, datetime(2026, 6, 1, 9, tzinfo=UTC), None)]),
        ]
        _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD, spam=True, shared=[(council, IN_PERIOD, None)])
        _report(session, ward_id=weavers, category="drugs", created_at=IN_PERIOD, status="closed", duplicate_of=drugs[0].id)
        # noise: 4, all closed; one made at the very start of the period (counted in it, not before it).
        noise = [_report(session, ward_id=weavers, category="noise", created_at=created, status="closed")
                 for created in (PREVIOUS_START, IN_PERIOD, IN_PERIOD, IN_PERIOD)]
        # Elsewhere, or after the count: never counted.
        for _ in range(7):
            _report(session, ward_id=other, category="asb", created_at=IN_PERIOD, shared=[(council, IN_PERIOD, None)])
        _report(session, ward_id=weavers, category="asb", created_at=NOW + timedelta(minutes=5), status="closed")

        # The period before: asb 5 (closed), noise 2 (action taken: open, unanswered: past target).
        for n in range(5):
            _report(session, ward_id=weavers, category="asb", created_at=BEFORE + timedelta(hours=n), status="closed")
        for n in range(2):
            _report(session, ward_id=weavers, category="noise", created_at=BEFORE, status="action_taken",
                    shared=[(council, BEFORE, None)])
        # The first moment of the period before counts; the hour before it does not.
        _report(session, ward_id=weavers, category="hate", created_at=PREVIOUS_PERIOD_START, status="closed")
        _report(session, ward_id=weavers, category="hate", created_at=PREVIOUS_PERIOD_START - timedelta(hours=1),
                status="closed")

        # Actions in the period: "action taken" on asb 0-4 (asb 0 twice: counted once) = 5; closed: asb 5 and
        # noise 0-3 = 5. A reply on a closed report, an earlier change and another ward's change do not count.
        for report in asb[:5]:
            _status_update(session, report, status="action_taken", at=IN_PERIOD + timedelta(days=2))
        _status_update(session, asb[0], status="action_taken", at=IN_PERIOD + timedelta(days=3))
        for report in [asb[5], *noise]:
            _status_update(session, report, status="closed", at=IN_PERIOD + timedelta(days=4))
        _status_update(session, noise[0], status="closed", at=IN_PERIOD + timedelta(days=5), action="reply")
        _status_update(session, drugs[0], status="closed", at=BEFORE)
        elsewhere = session.execute(select(Report).where(Report.ward_id == other)).scalars().first()
        _status_update(session, elsewhere, status="closed", at=IN_PERIOD)

        # "You said, we did": only the ward's entries published in the period.
        for ward_id, state, published_at, words in (
            (weavers, "published", IN_PERIOD, "SHOWN-ENTRY"),
            (weavers, "draft", None, "DRAFT-ENTRY"),
            (weavers, "withdrawn", IN_PERIOD, "WITHDRAWN-ENTRY"),
            (weavers, "published", BEFORE, "EARLIER-ENTRY"),
            (other, "published", IN_PERIOD, "OTHER-WARD-ENTRY"),
        ):
            session.add(PublicEntry(ward_id=ward_id, agency_id=council, category="asb", you_said=f"{words} said",
                                    we_did=f"{words} did", state=state, published_at=published_at,
                                    translations={"bn": {"you_said": "আপনি বলেছেন", "we_did": "আমরা করেছি"}},
                                    machine_translated=["bn"], created_at=IN_PERIOD, updated_at=IN_PERIOD))
        session.commit()
        return meeting.id


def agenda_data(engine, meeting_id):
    """Items: two approved for the meeting (reworded: 2 backers; as written: none), one waiting, one hidden,
    one approved for "the next meeting" in the ward (1 backer)."""
    with new_session(engine) as session:
        contacts = []
        for n in range(3):
            contact = Contact(channel="webchat", address_hash=f"hash-{n}", language="en", created_at=NOW)
            session.add(contact)
            contacts.append(contact)
        session.flush()
        reworded = agenda.save_item(session, topic="drugs", text="ORIGINAL-WORDS-MARKER at 12 Fake Street",
                                    language="bn", now=IN_PERIOD, event_id=meeting_id)
        agenda.approve_item(session, item_id=reworded.id, now=IN_PERIOD, shown_text="Drug dealing near the estate")
        as_written = agenda.save_item(session, topic="noise", text="Loud music late at night", language="en",
                                      now=IN_PERIOD, event_id=meeting_id)
        agenda.approve_item(session, item_id=as_written.id, now=IN_PERIOD, as_written=True)
        agenda.save_item(session, topic="asb", text="UNAPPROVED-MARKER", language="en", now=IN_PERIOD, event_id=meeting_id)
        hidden = agenda.save_item(session, topic="asb", text="HIDDEN-MARKER", language="en", now=IN_PERIOD,
                                  event_id=meeting_id)
        agenda.approve_item(session, item_id=hidden.id, now=IN_PERIOD, shown_text="HIDDEN-WORDING-MARKER")
        agenda.hide_item(session, item_id=hidden.id, now=IN_PERIOD)
        # Sent after the ward's last meeting of any kind (the TRA meeting on 20 May: storage/agenda.py's rule).
        for_next = agenda.save_item(session, topic="unsafe_place", text="NEXT-ORIGINAL-MARKER", language="so",
                                    now=datetime(2026, 5, 25, 9, tzinfo=UTC), ward_slug="weavers")
        agenda.approve_item(session, item_id=for_next.id, now=IN_PERIOD, shown_text="Lighting on the canal path")
        for contact in contacts[:2]:
            session.add(AgendaBacking(item_id=reworded.id, contact_id=contact.id, created_at=IN_PERIOD))
        session.add(AgendaBacking(item_id=for_next.id, contact_id=contacts[2].id, created_at=IN_PERIOD))
        session.commit()


def test_period_runs_from_the_last_meeting_of_the_same_kind_to_now(engine, weavers):
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=NOW)
    assert digest.previous_meeting is not None and digest.previous_meeting.starts_at == PREVIOUS_START
    assert (digest.period_start, digest.period_end) == (PREVIOUS_START, NOW)
    assert digest.previous_period_start == PREVIOUS_PERIOD_START
    assert digest.meeting.ward_slug == "weavers" and digest.meeting.title_in("bn") == "উইভার্স ওয়ার্ড প্যানেল"
    assert digest.meeting.title_in("so") == "Weavers ward panel"


def test_period_ends_at_the_meeting_once_it_has_begun(engine, weavers):
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=MEETING_START + timedelta(days=30))
    assert (digest.period_start, digest.period_end) == (PREVIOUS_START, MEETING_START)


def test_trends_by_category_against_the_period_before_suppressed_under_5(engine, weavers):
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=NOW)
    trends = {trend.category: (trend.this_period, trend.previous_period) for trend in digest.trends}
    # asb 6 / 5; drugs 5 (spam and duplicate left out) / 0; noise 4 (hidden) / 2 (hidden); hate 0 / 1.
    assert trends == {"asb": (6, 5), "drugs": (5, None), "harassment": (None, None), "hate": (None, None),
                      "unsafe_place": (None, None), "noise": (None, None), "other": (None, None)}
    assert (digest.reports_this_period, digest.reports_previous_period) == (15, 8)


def test_actions_taken_and_entries_published_in_the_period(engine, weavers):
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=NOW)
    assert (digest.action_taken, digest.closed) == (5, 5)
    assert [entry.you_said for entry in digest.entries] == ["SHOWN-ENTRY said"]
    assert digest.entries[0].translations["bn"]["we_did"] == "আমরা করেছি" and digest.entries[0].agency_slug == "council"


def test_outstanding_by_category_and_past_the_agency_target(engine, weavers):
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=NOW)
    outstanding = {row.category: (row.open, row.past_target) for row in digest.outstanding}
    # Open: asb 5 (all past target), drugs 5 (d3 and d4 past target: hidden), noise 2 (past target: hidden).
    assert outstanding["asb"] == (5, 5)
    assert outstanding["drugs"] == (5, None)
    assert outstanding["noise"] == (None, None)
    assert (digest.outstanding_total, digest.outstanding_past_target) == (12, 9)


def test_suppression_at_the_threshold_4_hidden_5_shown(engine, weavers):
    """Closing one more asb report makes the open asb count 4: hidden, where 5 was shown. The total (11)
    stays shown: with noise (2) hidden too, nobody can tell asb's 4 from it."""
    with new_session(engine) as session:
        report = session.execute(select(Report).where(Report.category == "asb", Report.status == "in_progress")).scalars().first()
        report.status = "closed"
        session.commit()
        digest = ward_digest(session, event_id=weavers, now=NOW)
    outstanding = {row.category: row.open for row in digest.outstanding}
    assert outstanding["asb"] is None and digest.outstanding_total == 11
    # 11 = drugs 5 + asb 4 + noise 2: with drugs shown, asb + noise = 6 is known, not either one.
    assert outstanding["drugs"] == 5


def test_agenda_backers_are_published_from_5_and_hidden_at_4(engine, weavers):
    with new_session(engine) as session:
        backers = [Contact(channel="webchat", address_hash=f"backer-{n}", language="en", created_at=NOW)
                   for n in range(9)]
        session.add_all(backers)
        session.flush()
        for topic, wording, backed_by in (("noise", "Five back this", backers[:5]),
                                          ("asb", "Four back this", backers[5:])):
            item = agenda.save_item(session, topic=topic, text=wording, language="en", now=IN_PERIOD,
                                    event_id=weavers)
            agenda.approve_item(session, item_id=item.id, now=IN_PERIOD, as_written=True)
            session.add_all(AgendaBacking(item_id=item.id, contact_id=contact.id, created_at=IN_PERIOD)
                            for contact in backed_by)
        session.commit()
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=NOW)
    assert [(item.text, item.backers) for item in digest.agenda] == [("Five back this", 5), ("Four back this", None)]


def test_only_approved_agenda_items_in_the_approved_wording(engine, weavers):
    agenda_data(engine, weavers)
    with new_session(engine) as session:
        digest = ward_digest(session, event_id=weavers, now=NOW)
    # Most backed first (2, 1, 0), as residents see them in the chat; each count under 5 is not published.
    assert [(item.topic, item.text, item.backers) for item in digest.agenda] == [
        ("drugs", "Drug dealing near the estate", None),
        ("unsafe_place", "Lighting on the canal path", None),
        ("noise", "Loud music late at night", None),
    ]
    shown = repr(digest)
    for marker in ("ORIGINAL-WORDS-MARKER", "UNAPPROVED-MARKER", "HIDDEN-MARKER", "HIDDEN-WORDING-MARKER",
                   "NEXT-ORIGINAL-MARKER", "RESIDENT-DESCRIPTION-MARKER", "RESIDENT-LOCATION-MARKER",
                   "STAFF-NOTE-MARKER", "TH-TEST", "DRAFT-ENTRY", "hash-"):
        assert marker not in shown


def test_without_an_earlier_meeting_the_period_is_three_months(engine):
    with new_session(engine) as session:
        ward_id = _ids(session, Ward)["bow-east"]
        meeting = _event(session, ward_id=ward_id, starts_at=datetime(2026, 5, 31, 17, tzinfo=UTC))
        # A later meeting of the same kind is not "the last" one.
        _event(session, ward_id=ward_id, starts_at=datetime(2026, 7, 1, 17, tzinfo=UTC))
        session.commit()
        digest = ward_digest(session, event_id=meeting.id, now=NOW)
    assert digest.previous_meeting is None
    # Three calendar months before 31 May is 28 February (the month's last day).
    assert (digest.period_start, digest.period_end) == (datetime(2026, 2, 28, 17, tzinfo=UTC), datetime(2026, 5, 31, 17, tzinfo=UTC))
    assert digest.reports_this_period is None and digest.agenda == ()


def test_unknown_meeting_or_one_with_no_ward(engine):
    with new_session(engine) as session:
        borough_wide = Event(title="Borough forum", starts_at=MEETING_START, created_at=NOW)
        session.add(borough_wide)
        session.commit()
        for event_id in (borough_wide.id, 987654):
            with pytest.raises(LookupError):
                ward_digest(session, event_id=event_id, now=NOW)


def test_a_cancelled_meeting_still_has_its_digest(engine):
    with new_session(engine) as session:
        meeting = _event(session, ward_id=_ids(session, Ward)["weavers"], starts_at=MEETING_START, cancelled=True)
        session.commit()
        assert ward_digest(session, event_id=meeting.id, now=NOW).meeting.cancelled is True
