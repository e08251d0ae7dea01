"""storage/report_actions.py on SQLite and PostgreSQL: status changes with reasons, replies and notes, the
agency's response clock, referral and share (never to the police), merges without chains, and refusals
that write nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import contacts, report_actions, reports, staff
from storage.casework import StaffScope, shared_report
from storage.database import new_session
from storage.models import Agency, Report, ReportAgency, ReportUpdate
from tests.helpers import dump_every_table

AT = datetime(2027, 1, 11, 9, 30, tzinfo=timezone.utc)
LATER = AT + timedelta(hours=3)


def _agency_id(session, slug) -> int:
    return session.execute(select(Agency.id).where(Agency.slug == slug)).scalar_one()


def _report(session, reference="TH-7K3M-9QXR", *, privacy="private", agencies=("council", "housing")) -> Report:
    contact_id = None
    if privacy != "anonymous":
        contact_id = contacts.find_or_create_contact(session, channel="webchat", address_hash=reference.ljust(64, "h"),
                                                     address_sealed=None, now=AT).id
    return reports.create_report(session, reference=reference, category="noise", language="so", channel="webchat",
                                 privacy=privacy, agency_slugs=agencies, description="Music at night",
                                 received_at=AT, sender_contact_id=contact_id)


def _officer(session, agency="council") -> tuple[int, int]:
    user = staff.add_staff(session, email=f"officer@{agency}.example", role="officer", agency_slug=agency,
                           password="a long enough passphrase", now=AT)
    return user.id, user.agency_id


def _shared(session, reference="TH-7K3M-9QXR", agency_id=None):
    return shared_report(session, reference=reference, scope=StaffScope(agency_id=agency_id, role="officer"))


@pytest.fixture
def council(engine):
    """A private report shared with the council and housing, and a council officer: (user_id, agency_id)."""
    with new_session(engine) as session:
        _report(session)
        ids = _officer(session)
        session.commit()
    return ids


def test_a_status_change_records_who_why_and_stops_the_agencys_clock_once(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        shared = _shared(session, agency_id=agency_id)
        update = report_actions.change_status(session, shared=shared, status="in_progress", reason="Visit booked",
                                              staff_user_id=user_id, agency_id=agency_id, now=AT)
        session.commit()
        assert (update.action, update.status, update.reason, update.staff_user_id) == ("status", "in_progress",
                                                                                       "Visit booked", user_id)
    with new_session(engine) as session:
        shared = _shared(session, agency_id=agency_id)
        assert shared.report.status == "in_progress" and shared.sharing.responded_at == AT
        report_actions.change_status(session, shared=shared, status="action_taken", reason="Visited",
                                     staff_user_id=user_id, agency_id=agency_id, now=LATER)
        session.commit()
    with new_session(engine) as session:
        assert _shared(session, agency_id=agency_id).sharing.responded_at == AT  # the first response only
        housing = session.execute(select(ReportAgency).where(ReportAgency.agency_id == _agency_id(session, "housing"))
                                  ).scalar_one()
        assert housing.responded_at is None  # another agency's clock keeps running


def test_a_standard_reply_is_kept_by_key_and_shown_on_the_status_check(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status="in_progress",
                                     reason="Looking", standard_reply="in_progress.looking",
                                     public_message="We are looking into your report. We will tell you when there is news.",
                                     staff_user_id=user_id, agency_id=agency_id, now=AT)
        session.commit()
    with new_session(engine) as session:
        found = reports.public_status(session, reference="TH-7K3M-9QXR")
        assert (found.status, found.latest_standard_reply, found.latest_message_language) == (
            "in_progress", "in_progress.looking", "en")


def test_a_reply_or_note_without_a_status_change_needs_no_reason_and_a_note_is_no_response(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        note = report_actions.add_internal_note(session, shared=_shared(session, agency_id=agency_id),
                                                note="Called the caretaker", staff_user_id=user_id,
                                                agency_id=agency_id, now=AT)
        session.commit()
        assert (note.action, note.public_message, note.internal_note) == ("note", None, "Called the caretaker")
    with new_session(engine) as session:
        shared = _shared(session, agency_id=agency_id)
        assert shared.sharing.responded_at is None
        reply = report_actions.change_status(session, shared=shared, status="received", reason=None,
                                             public_message="Wakan eegaynaa.", message_language="so",
                                             original_message="We are looking.", machine_translated=True,
                                             staff_user_id=user_id, agency_id=agency_id, now=LATER)
        session.commit()
        assert (reply.action, reply.machine_translated, reply.original_message) == ("reply", True, "We are looking.")
        assert _shared(session, agency_id=agency_id).sharing.responded_at == LATER
    with new_session(engine) as session:
        found = reports.public_status(session, reference="TH-7K3M-9QXR")
        assert (found.latest_message, found.latest_machine_translated) == ("Wakan eegaynaa.", True)


@pytest.mark.parametrize("change, code", [
    (dict(status="solved", reason="x"), "unknown_status"),
    (dict(status="closed", reason="  "), "reason_needed"),
    (dict(status="received", reason=None), "empty_update"),
    (dict(status="received", reason=None, public_message="x" * 801), "message_too_long"),
    (dict(status="received", reason=None, standard_reply="received.thanks"), "standard_reply_text_needed"),
])
def test_refused_updates_raise_a_code_and_write_nothing(engine, database_url, council, change, code):
    user_id, agency_id = council
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(report_actions.ActionRefused) as refused:
            report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), staff_user_id=user_id,
                                         agency_id=agency_id, now=AT, **change)
        session.commit()
    assert refused.value.code == code
    assert dump_every_table(database_url) == before


def test_a_referral_shares_keeps_history_and_sets_referred_a_share_changes_no_status(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        _report(session, "TH-AAAA-BBBB", agencies=("council",))
        session.commit()
    with new_session(engine) as session:
        shared = _shared(session, "TH-AAAA-BBBB", agency_id=agency_id)
        update = report_actions.share_report(session, shared=shared, to_agency_slug="housing", route="referral",
                                             reason="Their estate", staff_user_id=user_id, agency_id=agency_id,
                                             now=AT, standard_reply="referred.housing", public_message="We have passed…")
        session.commit()
        housing_id = _agency_id(session, "housing")
        assert (update.action, update.status, update.to_agency_id) == ("referral", "referred", housing_id)
    with new_session(engine) as session:
        seen_by_housing = _shared(session, "TH-AAAA-BBBB", agency_id=_agency_id(session, "housing"))
        assert seen_by_housing.sharing.via == "referral" and not seen_by_housing.chosen_by_resident
        assert seen_by_housing.report.status == "referred"
        assert _shared(session, "TH-AAAA-BBBB", agency_id=agency_id) is not None  # the council keeps it

    with new_session(engine) as session:
        _report(session, "TH-CCCC-DDDD", agencies=("council",))
        session.commit()
    with new_session(engine) as session:
        update = report_actions.share_report(session, shared=_shared(session, "TH-CCCC-DDDD", agency_id=agency_id),
                                             to_agency_slug="housing", route="share", reason="For information",
                                             staff_user_id=user_id, agency_id=agency_id, now=AT)
        session.commit()
        assert (update.action, update.status, update.public_message) == ("share", "received", None)


@pytest.mark.parametrize("slug, route, reason, code", [
    ("police", "referral", "They should know", "police_refused"),
    ("housing", "referral", "Again", "already_shared"),
    ("mi5", "share", "Why not", "unknown_agency"),
    ("housing", "forward", "x", "unknown_route"),
    ("housing", "share", "", "reason_needed"),
])
def test_refused_referrals_write_nothing(engine, database_url, council, slug, route, reason, code):
    user_id, agency_id = council
    if code == "unknown_route" or code == "reason_needed":
        with new_session(engine) as session:
            _report(session, "TH-AAAA-BBBB", agencies=("council",))
            session.commit()
    reference = "TH-AAAA-BBBB" if code in ("unknown_route", "reason_needed") else "TH-7K3M-9QXR"
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(report_actions.ActionRefused) as refused:
            report_actions.share_report(session, shared=_shared(session, reference, agency_id=agency_id),
                                        to_agency_slug=slug, route=route, reason=reason, staff_user_id=user_id,
                                        agency_id=agency_id, now=AT)
        session.commit()
    assert refused.value.code == code
    assert dump_every_table(database_url) == before


def test_a_merge_closes_the_duplicate_points_at_the_root_and_leaves_no_chain(engine, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        for reference in ("TH-AAAA-0001", "TH-AAAA-0002"):
            _report(session, reference)
        session.commit()
    with new_session(engine) as session:
        # 0001 into 0002, then 0002 into the first report: 0001 must follow to the root.
        report_actions.merge_report(session, duplicate=_shared(session, "TH-AAAA-0001", agency_id=agency_id),
                                    into_reference="TH-AAAA-0002", staff_user_id=user_id, agency_id=agency_id, now=AT)
        update = report_actions.merge_report(session, duplicate=_shared(session, "TH-AAAA-0002", agency_id=agency_id),
                                             into_reference="TH-7K3M-9QXR", staff_user_id=user_id,
                                             agency_id=agency_id, now=LATER)
        session.commit()
        root_id = session.execute(select(Report.id).where(Report.reference == "TH-7K3M-9QXR")).scalar_one()
        assert (update.action, update.status, update.merged_into_id) == ("merge", "closed", root_id)
    with new_session(engine) as session:
        rows = dict(session.execute(select(Report.reference, Report.duplicate_of_id)).all())
        assert rows == {"TH-7K3M-9QXR": None, "TH-AAAA-0001": root_id, "TH-AAAA-0002": root_id}
        # Merging into a duplicate merges into its root.
        _report(session, "TH-AAAA-0003")
        session.flush()
        report_actions.merge_report(session, duplicate=_shared(session, "TH-AAAA-0003", agency_id=agency_id),
                                    into_reference="TH-AAAA-0001", staff_user_id=user_id, agency_id=agency_id, now=LATER)
        session.commit()
        assert session.execute(select(Report.duplicate_of_id).where(Report.reference == "TH-AAAA-0003")
                               ).scalar_one() == root_id
        # The old reference still answers the status check.
        assert reports.public_status(session, reference="TH-AAAA-0001").status == "closed"


def test_refused_merges_write_nothing(engine, database_url, council):
    user_id, agency_id = council
    with new_session(engine) as session:
        _report(session, "TH-AAAA-0001")
        _report(session, "TH-POL1-0001", agencies=("police",))
        _report(session, "TH-AAAA-0002")
        session.flush()
        report_actions.merge_report(session, duplicate=_shared(session, "TH-AAAA-0002", agency_id=agency_id),
                                    into_reference="TH-AAAA-0001", staff_user_id=user_id, agency_id=agency_id, now=AT)
        session.commit()
    before = dump_every_table(database_url)
    cases = [("TH-AAAA-0001", "TH-AAAA-0001", "merge_same_report"),
             ("TH-AAAA-0001", "TH-AAAA-0002", "merge_same_report"),  # its own duplicate: a loop
             ("TH-AAAA-0001", "TH-POL1-0001", "merge_target_not_found"),  # not shared with the council
             ("TH-AAAA-0001", "TH-ZZZZ-ZZZZ", "merge_target_not_found"),
             ("TH-AAAA-0002", "TH-7K3M-9QXR", "report_merged")]
    for duplicate, into, code in cases:
        with new_session(engine) as session:
            with pytest.raises(report_actions.ActionRefused) as refused:
                report_actions.merge_report(session, duplicate=_shared(session, duplicate, agency_id=agency_id),
                                            into_reference=into, staff_user_id=user_id, agency_id=agency_id, now=LATER)
            session.commit()
        assert refused.value.code == code, (duplicate, into)
    with new_session(engine) as session:
        with pytest.raises(report_actions.ActionRefused) as refused:
            report_actions.change_status(session, shared=_shared(session, "TH-AAAA-0002", agency_id=agency_id),
                                         status="in_progress", reason="x", staff_user_id=user_id,
                                         agency_id=agency_id, now=LATER)
        assert refused.value.code == "report_merged"
    assert dump_every_table(database_url) == before


def test_the_contact_of_a_report_is_found_only_through_its_link(engine, council):
    with new_session(engine) as session:
        _report(session, "TH-ANON-0001", privacy="anonymous")
        session.commit()
        private_id = session.execute(select(Report.id).where(Report.reference == "TH-7K3M-9QXR")).scalar_one()
        anonymous_id = session.execute(select(Report.id).where(Report.reference == "TH-ANON-0001")).scalar_one()
        assert report_actions.report_contact(session, report_id=private_id).channel == "webchat"
        assert report_actions.report_contact(session, report_id=anonymous_id) is None


def test_police_are_never_offered_to_share_with(engine, council):
    with new_session(engine) as session:
        _report(session, "TH-AAAA-BBBB", agencies=("council",))
        session.commit()
        report_id = session.execute(select(Report.id).where(Report.reference == "TH-AAAA-BBBB")).scalar_one()
        offered = [agency.slug for agency in report_actions.agencies_to_share_with(session, report_id=report_id)]
        assert "police" not in offered and "council" not in offered and "housing" in offered


@pytest.mark.parametrize("explanation", [dict(public_message="We have asked the caretaker to fix the light."),
                                         dict(internal_note="Caretaker booked for Tuesday.")])
def test_a_reply_or_a_note_explains_a_status_change_without_a_reason_field(engine, council, explanation):
    # design.md's update form has `status`, `message` and `internal_note` only: either words say why.
    user_id, agency_id = council
    with new_session(engine) as session:
        update = report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status="in_progress",
                                              reason=None, staff_user_id=user_id, agency_id=agency_id, now=AT,
                                              **explanation)
        session.commit()
        assert (update.status, update.reason) == ("in_progress", None)
