"""storage/report_publishing.py on SQLite and PostgreSQL: marking a report not genuine and counting it again,
approving and withdrawing its public summary; who may, what the history says, and refusals that write
nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import report_actions, report_publishing, staff
from storage.database import new_session
from storage.models import Report, ReportAgency, ReportUpdate
from storage.report_actions import ActionRefused
from tests.helpers import dump_every_table
from tests.storage.test_report_actions import AT, LATER, _officer, _report, _shared

REFERENCE = "TH-7K3M-9QXR"


@pytest.fixture
def council(engine):
    """A private report shared with the council and housing, and a council officer: (user_id, agency_id)."""
    with new_session(engine) as session:
        _report(session)
        ids = _officer(session)
        session.commit()
    return ids


def _updates(session) -> list[ReportUpdate]:
    return list(session.execute(select(ReportUpdate).order_by(ReportUpdate.id)).scalars())


def test_marking_spam_records_who_and_why_and_keeps_the_status_and_the_clock(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        update = report_publishing.mark_spam(session, shared=_shared(session, agency_id=agency_id),
                                             staff_user_id=user_id, agency_id=agency_id, reason="A test message",
                                             now=AT)
        session.commit()
        assert (update.action, update.status, update.reason, update.staff_user_id, update.agency_id) == (
            "spam", "received", "A test message", user_id, agency_id)
    with new_session(engine) as session:
        shared = _shared(session, agency_id=agency_id)
        assert shared.report.spam_at == AT and shared.report.status == "received"
        assert shared.sharing.responded_at is None  # marking spam is no reply to the resident
        assert shared.report.public_summary is None


def test_counting_again_alternates_with_marking_and_the_history_tells_them_apart(engine, council):
    user_id, agency_id = council
    steps = [(report_publishing.mark_spam, "Looked like a test"), (report_publishing.unmark_spam, "It was real"),
             (report_publishing.mark_spam, "Abuse after all")]
    for number, (action, reason) in enumerate(steps):
        with new_session(engine) as session:
            action(session, shared=_shared(session, agency_id=agency_id), staff_user_id=user_id, agency_id=agency_id,
                   reason=reason, now=AT + timedelta(minutes=number))
            session.commit()
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert report.spam_at == AT + timedelta(minutes=2)
        spam = [update for update in _updates(session) if update.action == "spam"]
        assert [update.reason for update in spam] == ["Looked like a test", "It was real", "Abuse after all"]
        assert report_publishing.spam_marks(session, report_id=report.id) == {
            spam[0].id: True, spam[1].id: False, spam[2].id: True}


def test_marking_spam_withdraws_the_public_summary(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        report_publishing.approve_public_summary(session, shared=_shared(session, agency_id=agency_id),
                                                 text="Loud music from a flat at night.", staff_user_id=user_id,
                                                 agency_id=agency_id, now=AT)
        report_publishing.mark_spam(session, shared=_shared(session, agency_id=agency_id), staff_user_id=user_id,
                                    agency_id=agency_id, reason="Made up", now=LATER)
        session.commit()
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert (report.public_summary, report.public_summary_approved_at, report.public_summary_staff_id) == (
            None, None, None)


def test_approving_a_summary_keeps_the_words_who_and_when_and_replaces_an_earlier_one(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        report_publishing.approve_public_summary(session, shared=_shared(session, agency_id=agency_id),
                                                 text="  Loud music at night.  ", staff_user_id=user_id,
                                                 agency_id=agency_id, now=AT)
        session.commit()
    with new_session(engine) as session:
        colleague = staff.add_staff(session, email="second@council.example", role="admin", agency_slug="council",
                                    password="a long enough passphrase", now=AT).id
        report_publishing.approve_public_summary(session, shared=_shared(session, agency_id=agency_id),
                                                 text="Loud music from a flat, most nights.", staff_user_id=colleague,
                                                 agency_id=agency_id, now=LATER)
        session.commit()
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert (report.public_summary, report.public_summary_approved_at, report.public_summary_staff_id) == (
            "Loud music from a flat, most nights.", LATER, colleague)
        published = [update for update in _updates(session) if update.action == "publish"]
        assert [update.original_message for update in published] == ["Loud music at night.",
                                                                       "Loud music from a flat, most nights."]
        assert all(update.public_message is None for update in published)  # never a reply on the status check


def test_withdrawing_takes_the_summary_off_and_says_so_in_the_history(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        shared = _shared(session, agency_id=agency_id)
        report_publishing.approve_public_summary(session, shared=shared, text="Broken door entry fixed.",
                                                 staff_user_id=user_id, agency_id=agency_id, now=AT)
        update = report_publishing.withdraw_public_summary(session, shared=shared, staff_user_id=user_id,
                                                           agency_id=agency_id, now=LATER)
        session.commit()
        assert (update.action, update.original_message, update.reason) == ("publish", None, None)
    with new_session(engine) as session:
        report = session.execute(select(Report)).scalar_one()
        assert report.public_summary is None and report.public_summary_approved_at is None


def test_500_characters_are_taken_and_501_refused(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        report_publishing.approve_public_summary(session, shared=_shared(session, agency_id=agency_id),
                                                 text="a" * 500, staff_user_id=user_id, agency_id=agency_id, now=AT)
        with pytest.raises(ActionRefused) as refused:
            report_publishing.approve_public_summary(session, shared=_shared(session, agency_id=agency_id),
                                                     text="a" * 501, staff_user_id=user_id, agency_id=agency_id,
                                                     now=LATER)
        assert refused.value.code == "summary_too_long"


def _refusal(engine, database_url, council, call) -> str:
    """Run `call(session, shared, user_id, agency_id)`, expecting a refusal; nothing may have changed."""
    user_id, agency_id = council
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(ActionRefused) as refused:
            call(session, _shared(session, agency_id=agency_id), user_id, agency_id)
        session.commit()
    assert dump_every_table(database_url) == before
    return refused.value.code


@pytest.mark.parametrize("call, code", [
    (lambda s, sh, u, a: report_publishing.mark_spam(s, shared=sh, staff_user_id=u, agency_id=a, reason="  ", now=AT),
     "reason_needed"),
    (lambda s, sh, u, a: report_publishing.mark_spam(s, shared=sh, staff_user_id=u, agency_id=a, reason="x" * 4001,
                                                     now=AT), "note_too_long"),
    (lambda s, sh, u, a: report_publishing.unmark_spam(s, shared=sh, staff_user_id=u, agency_id=a, reason="Real",
                                                       now=AT), "not_spam"),
    (lambda s, sh, u, a: report_publishing.approve_public_summary(s, shared=sh, text=" ", staff_user_id=u,
                                                                  agency_id=a, now=AT), "summary_needed"),
    (lambda s, sh, u, a: report_publishing.withdraw_public_summary(s, shared=sh, staff_user_id=u, agency_id=a,
                                                                   now=AT), "no_summary"),
    (lambda s, sh, u, a: report_publishing.mark_spam(s, shared=sh, staff_user_id=u, agency_id=a, reason="Test",
                                                     now=AT, expected_update_id=999_999), "report_changed"),
])
def test_bad_input_is_refused_and_writes_nothing(engine, database_url, council, call, code):
    assert _refusal(engine, database_url, council, call) == code


@pytest.mark.parametrize("role", ["viewer", "organiser"])
def test_viewers_and_organisers_may_not_decide(engine, database_url, council, role):
    with new_session(engine) as session:
        reader = staff.add_staff(session, email=f"{role}@council.example", role=role, agency_slug="council",
                                 password="a long enough passphrase", now=AT).id
        session.commit()
    code = _refusal(engine, database_url, council, lambda s, sh, u, a: report_publishing.approve_public_summary(
        s, shared=sh, text="Loud music", staff_user_id=reader, agency_id=a, now=AT))
    assert code == "not_allowed"
    code = _refusal(engine, database_url, council, lambda s, sh, u, a: report_publishing.mark_spam(
        s, shared=sh, staff_user_id=reader, agency_id=a, reason="Test", now=AT))
    assert code == "not_allowed"


def test_an_officer_of_another_agency_may_not_act_through_this_agencys_view(engine, database_url, council):
    with new_session(engine) as session:
        other_id, other_agency = _officer(session, "housing")
        session.commit()
    code = _refusal(engine, database_url, council, lambda s, sh, u, a: report_publishing.mark_spam(
        s, shared=sh, staff_user_id=other_id, agency_id=other_agency, reason="Test", now=AT))
    assert code == "not_allowed"


def test_a_spam_report_gets_no_summary_and_a_merged_one_neither(engine, database_url, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        report_publishing.mark_spam(session, shared=_shared(session, agency_id=agency_id), staff_user_id=user_id,
                                    agency_id=agency_id, reason="Test", now=AT)
        session.commit()
    assert _refusal(engine, database_url, council, lambda s, sh, u, a: report_publishing.approve_public_summary(
        s, shared=sh, text="Loud music", staff_user_id=u, agency_id=a, now=LATER)) == "summary_of_spam"
    assert _refusal(engine, database_url, council, lambda s, sh, u, a: report_publishing.mark_spam(
        s, shared=sh, staff_user_id=u, agency_id=a, reason="Again", now=LATER)) == "already_spam"

    with new_session(engine) as session:
        _report(session, "TH-4D2B-8KPW")
        session.commit()
    with new_session(engine) as session:
        report_actions.merge_report(session, duplicate=_shared(session, "TH-4D2B-8KPW", agency_id),
                                    into_reference=REFERENCE, staff_user_id=user_id, agency_id=agency_id, now=LATER)
        session.commit()
    with new_session(engine) as session:
        with pytest.raises(ActionRefused) as refused:
            report_publishing.approve_public_summary(session, shared=_shared(session, "TH-4D2B-8KPW", agency_id),
                                                     text="Noise", staff_user_id=user_id, agency_id=agency_id,
                                                     now=LATER)
        assert refused.value.code == "report_merged"


def test_the_sharing_rows_are_untouched(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        before = [(row.agency_id, row.responded_at, row.response_working_days)
                  for row in session.execute(select(ReportAgency).order_by(ReportAgency.agency_id)).scalars()]
        shared = _shared(session, agency_id=agency_id)
        report_publishing.approve_public_summary(session, shared=shared, text="Noise at night", staff_user_id=user_id,
                                                 agency_id=agency_id, now=AT)
        report_publishing.mark_spam(session, shared=shared, staff_user_id=user_id, agency_id=agency_id,
                                    reason="Test", now=AT)
        session.commit()
        after = [(row.agency_id, row.responded_at, row.response_working_days)
                 for row in session.execute(select(ReportAgency).order_by(ReportAgency.agency_id)).scalars()]
    assert after == before
