"""'You said, we did' entries and agreed targets in storage, on SQLite and PostgreSQL: drafts, publishing,
correcting and withdrawing entries and what the public figures read; recording and retiring targets, what is
in force, and the agencies' response clocks following the borough-wide first-response targets."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage import public_entries, targets
from storage.database import new_session
from storage.models import Agency, PublicEntry, SuccessTarget, Ward
from storage.public_entries import EntryInputError
from storage.public_figures import public_figures
from storage.targets import TargetInputError
from tests.helpers import dump_every_table

NOW = datetime(2027, 3, 10, 11, 0, tzinfo=timezone.utc)
TODAY = date(2027, 3, 10)


def _draft(session, **changes):
    fields = {"you_said": "The stairwell lights were out.", "we_did": "We replaced them.", "now": NOW,
              "staff_user_id": None, "ward_slug": "weavers"}
    fields.update(changes)
    return public_entries.create_entry(session, **fields)


def _public(session, ward_slug):
    """The entries the public page of the ward (None: the borough) carries."""
    return public_figures(session, ward_slug=ward_slug, now=NOW + timedelta(days=30)).entries


def _agency(session, slug) -> Agency:
    return session.execute(select(Agency).where(Agency.slug == slug)).scalar_one()


# --- entries -----------------------------------------------------------------------------------------------

def test_a_draft_is_not_public_until_published_then_the_public_figures_carry_it(engine):
    with new_session(engine) as session:
        council = _agency(session, "council")
        entry = _draft(session, category="unsafe_place", agency_id=council.id,
                       translations={"bn": {"you_said": "সিঁড়ির বাতি নিভে ছিল।", "we_did": "আমরা বদলে দিয়েছি।"},
                                     "so": {"you_said": "", "we_did": ""}},
                       machine_translated=["bn"])
        session.commit()
        entry_id = entry.id
        assert _public(session, "weavers") == ()

    with new_session(engine) as session:
        public_entries.publish_entry(session, entry_id=entry_id, now=NOW + timedelta(hours=1))
        session.commit()
    with new_session(engine) as session:
        [published] = _public(session, "weavers")
        assert published.entry_id == entry_id and published.ward_slug == "weavers"
        assert (published.category, published.agency_slug) == ("unsafe_place", "council")
        assert published.you_said == "The stairwell lights were out." and published.we_did == "We replaced them."
        # An empty pair is no translation at all.
        assert published.translations == {"bn": {"you_said": "সিঁড়ির বাতি নিভে ছিল।", "we_did": "আমরা বদলে দিয়েছি।"}}
        assert published.machine_translated == ("bn",)
        assert published.published_at == NOW + timedelta(hours=1)
        # The borough's page carries every entry; another ward's does not carry this one.
        assert [item.entry_id for item in _public(session, None)] == [entry_id]
        assert _public(session, "spitalfields-banglatown") == ()


def test_a_borough_wide_entry_shows_on_every_ward_page(engine):
    with new_session(engine) as session:
        entry = _draft(session, ward_slug=None)
        public_entries.publish_entry(session, entry_id=entry.id, now=NOW)
        session.commit()
        assert [item.ward_slug for item in _public(session, "weavers")] == [None]
        assert [item.ward_slug for item in _public(session, "spitalfields-banglatown")] == [None]

def test_withdrawn_entries_leave_the_public_figures_and_change_no_more(engine):
    with new_session(engine) as session:
        entry = _draft(session)
        public_entries.publish_entry(session, entry_id=entry.id, now=NOW)
        public_entries.withdraw_entry(session, entry_id=entry.id, now=NOW + timedelta(days=1))
        session.commit()
        entry_id = entry.id
    with new_session(engine) as session:
        assert _public(session, None) == ()
        stored = session.get(PublicEntry, entry_id)
        assert (stored.state, stored.published_at, stored.updated_at) == ("withdrawn", NOW, NOW + timedelta(days=1))
        for change in (lambda: public_entries.publish_entry(session, entry_id=entry_id, now=NOW),
                       lambda: public_entries.withdraw_entry(session, entry_id=entry_id, now=NOW),
                       lambda: public_entries.update_draft(session, entry_id=entry_id, you_said="a", we_did="b",
                                                           now=NOW),
                       lambda: public_entries.revise_published_entry(session, entry_id=entry_id, you_said="a",
                                                                     we_did="b", now=NOW)):
            with pytest.raises(EntryInputError):
                change()


def test_correcting_a_published_entry_republishes_it_dated_now(engine):
    with new_session(engine) as session:
        entry = _draft(session)
        public_entries.publish_entry(session, entry_id=entry.id, now=NOW)
        later = NOW + timedelta(days=2)
        public_entries.revise_published_entry(session, entry_id=entry.id, you_said="The lights were out.",
                                              we_did="We replaced them and check monthly.", ward_slug="weavers",
                                              now=later)
        session.commit()
        [published] = _public(session, "weavers")
        assert published.we_did == "We replaced them and check monthly." and published.published_at == later
        # A draft is edited with update_draft, not corrected: publishing it twice is refused too.
        with pytest.raises(EntryInputError) as refused:
            public_entries.publish_entry(session, entry_id=entry.id, now=later)
        assert refused.value.problem == "not_draft"


@pytest.mark.parametrize("changes, problem, field", [
    ({"you_said": "   "}, "missing", "you_said"),
    ({"we_did": ""}, "missing", "we_did"),
    ({"you_said": "x" * 601}, "too_long", "you_said"),
    ({"we_did": "x" * 601}, "too_long", "we_did"),
    ({"translations": {"bn": {"you_said": "x" * 601, "we_did": "y"}}}, "too_long", "you_said_bn"),
    ({"translations": {"so": {"you_said": "Waxaad tiraahdeen", "we_did": ""}}}, "translation_half", "we_did_so"),
    ({"translations": {"de": {"you_said": "Sie sagten", "we_did": "Wir taten"}}}, "unknown_language",
     "translations_de"),
    ({"machine_translated": ["so"]}, "unknown_language", "machine_so"),
    ({"ward_slug": "atlantis"}, "unknown_ward", "ward"),
    ({"category": "weather"}, "unknown_category", "category"),
    ({"agency_id": 999_999}, "unknown_agency", "agency"),
    ({"report_id": 999_999}, "unknown_report", "report"),
])
def test_refused_entries_write_nothing(engine, database_url, changes, problem, field):
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(EntryInputError) as refused:
            _draft(session, **changes)
        session.rollback()
    assert (refused.value.problem, refused.value.field) == (problem, field)
    assert dump_every_table(database_url) == before


def test_exactly_600_characters_are_allowed(engine):
    with new_session(engine) as session:
        entry = _draft(session, you_said="y" * 600, we_did="w" * 600)
        assert len(entry.you_said) == len(entry.we_did) == 600


def test_a_refused_draft_edit_leaves_the_draft_as_it_was(engine):
    with new_session(engine) as session:
        entry = _draft(session)
        session.commit()
        entry_id = entry.id
    with new_session(engine) as session:
        with pytest.raises(EntryInputError):
            public_entries.update_draft(session, entry_id=entry_id, you_said="New words", we_did="", now=NOW)
        session.rollback()
    with new_session(engine) as session:
        assert session.get(PublicEntry, entry_id).you_said == "The stairwell lights were out."


def test_staff_list_shows_an_agencys_own_entries_and_admins_every_one(engine):
    with new_session(engine) as session:
        council, housing = _agency(session, "council"), _agency(session, "housing")
        ours = _draft(session, agency_id=council.id)
        theirs = _draft(session, agency_id=housing.id, ward_slug=None)
        session.commit()
        assert [row.entry.id for row in public_entries.list_entries(session, agency_id=council.id)] == [ours.id]
        every = public_entries.list_entries(session, agency_id=None, every_agency=True)
        assert {row.entry.id for row in every} == {ours.id, theirs.id}
        weavers = session.execute(select(Ward.name).where(Ward.slug == "weavers")).scalar_one()
        assert {row.entry.id: row.ward_name for row in every} == {ours.id: weavers, theirs.id: None}


# --- targets -----------------------------------------------------------------------------------------------

def _record(session, **changes):
    fields = {"measure": "first_response", "working_days": 3, "agreed_with": "Borough residents' forum",
              "agreed_on": date(2027, 2, 1), "effective_from": date(2027, 3, 1), "now": NOW, "staff_user_id": None}
    fields.update(changes)
    return targets.record_target(session, **fields)


def test_a_borough_wide_first_response_target_for_an_agency_sets_its_response_clock(engine):
    with new_session(engine) as session:
        recorded = _record(session, agency_slug="council")
        session.commit()
        assert recorded.agency_clocks == {"council": 3}
    with new_session(engine) as session:
        assert _agency(session, "council").target_working_days == 3  # seeded with 2
        assert _agency(session, "housing").target_working_days == 5  # the seeded clock, untouched


def test_a_ward_target_or_a_close_target_leaves_the_clock_alone(engine):
    with new_session(engine) as session:
        ward = _record(session, agency_slug="council", ward_slug="weavers", working_days=9)
        close = _record(session, agency_slug="council", measure="close", working_days=20)
        session.commit()
        assert ward.agency_clocks == close.agency_clocks == {}
        assert _agency(session, "council").target_working_days == 2  # as seeded


def test_a_target_for_every_agency_sets_the_clocks_of_those_without_their_own(engine):
    with new_session(engine) as session:
        _record(session, agency_slug="council", working_days=3)
        recorded = _record(session, working_days=4)
        session.commit()
        assert recorded.agency_clocks.get("council") is None and recorded.agency_clocks["housing"] == 4
        assert _agency(session, "council").target_working_days == 3
        assert _agency(session, "police").target_working_days == 4


def test_a_target_taking_effect_later_changes_the_clock_only_from_that_day(engine):
    with new_session(engine) as session:
        recorded = _record(session, agency_slug="council", effective_from=date(2027, 4, 1))
        session.commit()
        assert recorded.agency_clocks == {}
        assert targets.apply_agency_targets(session, today=date(2027, 3, 31)) == {}
        assert targets.apply_agency_targets(session, today=date(2027, 4, 1)) == {"council": 3}
        assert targets.apply_agency_targets(session, today=date(2027, 4, 2)) == {}  # idempotent


def test_a_new_agreement_retires_the_old_one_from_the_day_it_applies(engine):
    with new_session(engine) as session:
        old = _record(session, agency_slug="council", working_days=5, effective_from=date(2027, 1, 1)).target
        new = _record(session, agency_slug="council", working_days=2, effective_from=date(2027, 3, 1))
        session.commit()
        assert new.retired == (old.id,)
        assert session.get(SuccessTarget, old.id).retired_on == date(2027, 3, 1)
        in_force = targets.targets_in_force(session, today=TODAY)
        assert [row.target.id for row in in_force] == [new.target.id]
        assert [row.target.id for row in targets.targets_in_force(session, today=date(2027, 2, 28))] == [old.id]
        assert [row.target.id for row in targets.target_history(session)] == [new.target.id, old.id]
        assert _agency(session, "council").target_working_days == 2


def test_retiring_a_target_ends_it_from_that_day_and_the_clock_keeps_its_number(engine):
    with new_session(engine) as session:
        target = _record(session, agency_slug="council", working_days=3).target
        retired, clocks = targets.retire_target(session, target_id=target.id, retired_on=TODAY, now=NOW)
        session.commit()
        assert retired.retired_on == TODAY and clocks == {}
        assert targets.targets_in_force(session, today=TODAY) == []
        assert _agency(session, "council").target_working_days == 3
        with pytest.raises(TargetInputError) as again:
            targets.retire_target(session, target_id=target.id, retired_on=TODAY, now=NOW)
        assert again.value.problem == "already_retired"
        with pytest.raises(LookupError):
            targets.retire_target(session, target_id=999_999, retired_on=TODAY, now=NOW)


def test_a_target_cannot_be_retired_before_it_applied(engine):
    with new_session(engine) as session:
        target = _record(session).target
        with pytest.raises(TargetInputError) as refused:
            targets.retire_target(session, target_id=target.id, retired_on=date(2027, 2, 28), now=NOW)
        assert refused.value.problem == "retired_before_effective"


@pytest.mark.parametrize("changes, problem, field", [
    ({"measure": "speed"}, "unknown_measure", "measure"),
    ({"working_days": None}, "working_days_missing", "working_days"),
    ({"working_days": 0}, "out_of_range", "working_days"),
    ({"working_days": 61}, "out_of_range", "working_days"),
    ({"measure": "close", "working_days": None}, "working_days_missing", "working_days"),
    ({"measure": "sorted", "working_days": None}, "share_missing", "share_percent"),
    ({"measure": "sorted", "working_days": 3, "share_percent": 80}, "working_days_not_counted", "working_days"),
    ({"measure": "sorted", "working_days": None, "share_percent": 0}, "out_of_range", "share_percent"),
    ({"share_percent": 101}, "out_of_range", "share_percent"),
    ({"agreed_with": "  "}, "agreed_with_missing", "agreed_with"),
    ({"agreed_with": "x" * 201}, "agreed_with_too_long", "agreed_with"),
    ({"agreed_on": date(2027, 3, 11)}, "agreed_in_future", "agreed_on"),
    ({"agreed_on": date(1, 1, 1)}, "date_out_of_range", "agreed_on"),
    ({"agreed_on": date(1999, 12, 31)}, "date_out_of_range", "agreed_on"),
    ({"effective_from": date(1999, 12, 31)}, "date_out_of_range", "effective_from"),
    ({"effective_from": date(2032, 3, 11)}, "date_out_of_range", "effective_from"),
    ({"effective_from": date(9999, 12, 31)}, "date_out_of_range", "effective_from"),
    ({"note": "n" * 501}, "note_too_long", "note"),
    ({"agency_slug": "nobody"}, "unknown_agency", "agency"),
    ({"ward_slug": "atlantis"}, "unknown_ward", "ward"),
])
def test_refused_targets_write_nothing(engine, database_url, changes, problem, field):
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(TargetInputError) as refused:
            _record(session, **changes)
        session.rollback()
    assert (refused.value.problem, refused.value.field) == (problem, field)
    assert dump_every_table(database_url) == before


def test_the_edges_of_the_ranges_and_today_are_accepted(engine):
    with new_session(engine) as session:
        _record(session, working_days=1, agreed_on=TODAY)
        _record(session, measure="close", working_days=60, share_percent=100)
        _record(session, measure="sorted", working_days=None, share_percent=1, ward_slug="weavers")
        session.commit()
        assert len(targets.targets_in_force(session, today=TODAY)) == 3


def test_targets_are_agreed_from_2000_and_take_effect_at_most_five_years_ahead(engine):
    with new_session(engine) as session:
        _record(session, agreed_on=date(2000, 1, 1), effective_from=date(2000, 1, 1))
        _record(session, measure="close", effective_from=date(2032, 3, 10))
        session.commit()
        assert [row.target.effective_from for row in targets.target_history(session)] == [date(2032, 3, 10),
                                                                                         date(2000, 1, 1)]
    assert targets.latest_effective_from(date(2028, 2, 29)) == date(2033, 2, 28)


def test_agreed_on_is_checked_against_the_london_day(engine):
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (BST): a target agreed "today" is 1 June.
    late = datetime(2027, 5, 31, 23, 30, tzinfo=timezone.utc)
    with new_session(engine) as session:
        recorded = _record(session, agreed_on=date(2027, 6, 1), now=late)
        assert recorded.target.agreed_on == date(2027, 6, 1)
