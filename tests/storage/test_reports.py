"""Storage functions on SQLite and PostgreSQL: reports, sharing, updates, the sealed link."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from storage import contacts, reports
from storage.models import Contact, Report, ReportAgency, ReportLink, ReportUpdate
from storage.database import new_session

AT = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)


def _contact(session) -> int:
    return contacts.find_or_create_contact(session, channel="webchat", address_hash="h" * 64, address_sealed=None, now=AT).id


def _report(session, **overrides):
    values = dict(
        reference="TH-7K3M-9QXR", category="noise", language="so", channel="webchat", privacy="anonymous",
        agency_slugs=("council", "housing"), description="Music at night", received_at=AT, ward_slug="weavers",
    )
    values.update(overrides)
    return reports.create_report(session, **values)


def test_an_anonymous_report_keeps_no_link_and_only_the_hour(engine):
    with new_session(engine) as session:
        _report(session)
        session.commit()
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert report.created_at == datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)
        assert session.execute(select(func.count()).select_from(ReportLink)).scalar() == 0
        update = session.execute(select(ReportUpdate)).scalar_one()
        assert update.created_at == report.created_at and update.status == "received"
        shared = session.execute(select(ReportAgency.agency_id)).scalars().all()
        assert len(shared) == 2


def test_an_anonymous_report_refuses_a_sender(engine):
    with new_session(engine) as session:
        contact_id = _contact(session)
        with pytest.raises(ValueError):
            _report(session, sender_contact_id=contact_id)


def test_a_private_report_keeps_the_sealed_link_and_the_exact_time(engine):
    with new_session(engine) as session:
        contact_id = _contact(session)
        _report(session, privacy="private", sender_contact_id=contact_id)
        session.commit()
    with new_session(engine) as session:
        link = session.execute(select(ReportLink)).scalar_one()
        assert link.contact_id == contact_id and link.reporter_name_sealed is None
        assert session.execute(select(Report.created_at)).scalar_one() == AT


def test_a_private_report_needs_a_sender(engine):
    with new_session(engine) as session, pytest.raises(ValueError):
        _report(session, privacy="private")


@pytest.mark.parametrize("bad", [dict(ward_slug="atlantis"), dict(agency_slugs=("council", "mi5")), dict(agency_slugs=())])
def test_unknown_wards_and_agencies_are_refused(engine, bad):
    with new_session(engine) as session, pytest.raises(reports.UnknownChoice):
        _report(session, **bad)


def test_references_are_unique(engine):
    from sqlalchemy.exc import IntegrityError

    with new_session(engine) as session:
        _report(session)
        session.commit()
        with pytest.raises(IntegrityError):
            _report(session)
            session.commit()


def test_public_status_gives_the_latest_public_message_only(engine):
    with new_session(engine) as session:
        _report(session)
        reports.add_report_update(session, reference="TH-7K3M-9QXR", status="in_progress", at=AT,
                                  public_message="We are looking into it.", message_language="en")
        reports.add_report_update(session, reference="TH-7K3M-9QXR", status="in_progress",
                                  at=AT.replace(hour=15), internal_note="Known address, see case 12")
        session.commit()
    with new_session(engine) as session:
        found = reports.public_status(session, reference="TH-7K3M-9QXR")
        assert found.status == "in_progress"
        assert found.latest_message == "We are looking into it."
        assert "case 12" not in repr(found)
        assert reports.public_status(session, reference="TH-0000-0000") is None


def test_an_unknown_status_is_refused(engine):
    with new_session(engine) as session:
        _report(session)
        with pytest.raises(ValueError):
            reports.add_report_update(session, reference="TH-7K3M-9QXR", status="solved", at=AT)


def test_a_contact_is_found_again_by_its_hash(engine):
    with new_session(engine) as session:
        first = _contact(session)
        session.commit()
    with new_session(engine) as session:
        assert _contact(session) == first
        assert session.execute(select(func.count()).select_from(Contact)).scalar() == 1


def test_conversation_state_round_trips(engine):
    with new_session(engine) as session:
        contact_id = _contact(session)
        conversation = contacts.open_conversation(session, contact_id=contact_id, now=AT)
        contacts.save_conversation_state(session, conversation=conversation, state={"lang": "bn", "step": "where"}, now=AT)
        session.commit()
    with new_session(engine) as session:
        assert contacts.load_conversation_state(session, contact_id=contact_id) == {"lang": "bn", "step": "where"}


def test_media_is_kept_with_the_report(engine):
    from storage.models import ReportMedia

    with new_session(engine) as session:
        _report(session, media=(("a1b2.jpg", "photo"), ("c3d4.ogg", "voice")))
        session.commit()
    with new_session(engine) as session:
        rows = session.execute(select(ReportMedia.media_id, ReportMedia.kind).order_by(ReportMedia.id)).all()
    assert [tuple(row) for row in rows] == [("a1b2.jpg", "photo"), ("c3d4.ogg", "voice")]


# --- night safety: unsafe places only --------------------------------------------------------------------

def test_an_unsafe_place_keeps_its_time_of_day_and_a_woman_or_girl_who_said_so(engine):
    with new_session(engine) as session:
        _report(session, category="unsafe_place", time_of_day="night", woman_or_girl=True)
        _report(session, reference="TH-4D2B-8KPW", category="unsafe_place")
        session.commit()
    with new_session(engine) as session:
        rows = session.execute(select(Report.reference, Report.time_of_day, Report.woman_or_girl)
                               .order_by(Report.reference)).all()
    assert [tuple(row) for row in rows] == [("TH-4D2B-8KPW", None, None), ("TH-7K3M-9QXR", "night", True)]


@pytest.mark.parametrize("overrides", [
    dict(category="unsafe_place", time_of_day="midnight"),  # not one of TIMES_OF_DAY
    dict(category="unsafe_place", time_of_day="Night"),
    dict(category="unsafe_place", woman_or_girl=False),  # never a "no"
    dict(category="noise", time_of_day="night"),  # only unsafe places are asked
    dict(category="harassment", woman_or_girl=True),
])
def test_night_safety_answers_that_cannot_be_true_are_refused(engine, overrides):
    with new_session(engine) as session:
        with pytest.raises(ValueError):
            _report(session, **overrides)
        assert session.execute(select(func.count()).select_from(Report)).scalar() == 0
