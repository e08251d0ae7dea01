"""Identical reports merged on arrival (storage/identical_reports.py): a copy of a report received within
IDENTICAL_REPORT_HOURS is saved closed, merged into the first, and counts once in the public figures and
the inbox; a different word, a different choice, too little to compare or too long ago is a report of its
own. Two identical reports saved at once still leave exactly one counted. On SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select, text

from storage import contacts, identical_reports, inbox, reports
from storage.database import new_session
from storage.identical_reports import content_fingerprint, normalise
from storage.models import Agency, Report, ReportAgency, ReportUpdate
from storage.public_figures import public_figures
from tests.concurrency import hold_until_blocked_or_done, named_engine, run_together

KEY = "identical-reports-test-key-0123456789abcdef"
OLD_KEY = "identical-reports-old-key-0123456789abcdef"
AT = datetime(2027, 1, 11, 9, 30, tzinfo=timezone.utc)
WORDS = "Loud music from the flat above every night until 3am"
WINDOW = timedelta(hours=48)

_numbers = iter(range(1, 10_000))


def _reference() -> str:
    return f"TH-DUPL-{next(_numbers):04d}"


def _save(session, *, description=WORDS, category="noise", ward_slug="weavers", location_text="Vallance Road",
          privacy="anonymous", agencies=("council", "housing"), at=AT, keys=(KEY,), latitude=None, longitude=None,
          reference=None):
    contact_id = None
    if privacy != "anonymous":
        contact_id = contacts.find_or_create_contact(session, channel="webchat", address_hash=f"{next(_numbers):064d}",
                                                     address_sealed=None, now=at).id
    return reports.create_report(
        session, reference=reference or _reference(), category=category, language="en", channel="webchat",
        privacy=privacy, agency_slugs=agencies, description=description, received_at=at, ward_slug=ward_slug,
        location_text=location_text, latitude=latitude, longitude=longitude, sender_contact_id=contact_id,
        fingerprint_keys=keys, identical_within=WINDOW)


def _fingerprint(**overrides):
    fields = dict(category="noise", ward_slug="weavers", location_text="Vallance Road", latitude=None, longitude=None,
                  description=WORDS, privacy="anonymous", agency_slugs=("council", "housing"))
    fields.update(overrides)
    return content_fingerprint(KEY, **fields)


# --- what counts as the same ----------------------------------------------------------------------

@pytest.mark.parametrize("same", [
    "loud music from the flat above every night until 3am",
    "  Loud   music from the flat above, every night until 3am!!  ",
    "LOUD MUSIC FROM THE FLAT ABOVE EVERY NIGHT UNTIL 3AM.",
    "Loud music from the flat\u200b above every night until 3am",  # a zero-width space is no new word
    "Ｌｏｕｄ music from the flat above every night until 3am",  # full-width letters (NFKC)
])
def test_case_punctuation_spacing_and_invisible_characters_do_not_make_a_new_report(same):
    assert _fingerprint(description=same) == _fingerprint()


@pytest.mark.parametrize("change", [
    {"description": "Loud music from the flat below every night until 3am"},
    {"category": "asb"},
    {"ward_slug": "bow-east"},
    {"location_text": "Hanbury Street"},
    {"latitude": 51.52, "longitude": -0.06},
    {"privacy": "private"},  # sent again to be kept informed: that report stands
    {"agency_slugs": ("council", "housing", "police")},  # sent again to add the police: that report stands
])
def test_any_other_word_or_choice_is_a_report_of_its_own(change):
    assert _fingerprint(**change) != _fingerprint()


def test_the_order_agencies_were_ticked_in_does_not_matter():
    assert _fingerprint(agency_slugs=("housing", "council")) == _fingerprint()


def test_a_shared_location_is_compared_to_about_ten_metres():
    here = _fingerprint(latitude=51.515512, longitude=-0.072201, location_text=None)
    assert _fingerprint(latitude=51.515498, longitude=-0.072234, location_text=None) == here
    assert _fingerprint(latitude=51.5165, longitude=-0.0722, location_text=None) != here


@pytest.mark.parametrize("description, location_text", [("", None), ("", "Bow"), ("Noise", None), ("!!!", "...")])
def test_too_little_to_compare_gets_no_fingerprint(description, location_text):
    assert _fingerprint(description=description, location_text=location_text) is None


def test_the_fingerprint_is_keyed_and_holds_none_of_the_words():
    mine = _fingerprint()
    assert content_fingerprint(OLD_KEY, category="noise", ward_slug="weavers", location_text="Vallance Road",
                               latitude=None, longitude=None, description=WORDS, privacy="anonymous",
                               agency_slugs=("council", "housing")) != mine
    assert len(mine) == 64 and all(word.lower() not in mine for word in WORDS.split() if len(word) > 2)


def test_bengali_words_keep_their_vowel_signs():
    assert normalise("রাতে উচ্চ শব্দ।") == "রাতে উচ্চ শব্দ"
    assert normalise("রাতে উচ্চ শব্দ") != normalise("রাত উচ্চ শব্দ")


@hypothesis_settings(max_examples=200, deadline=None)
@given(words=st.lists(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12),
                      min_size=1, max_size=8),
       separators=st.lists(st.sampled_from([" ", "  ", ", ", "! ", " - ", "\n", "\t", "... "]), min_size=8, max_size=8))
def test_only_the_words_matter_whatever_separates_them(words, separators):
    plain = " ".join(words)
    decorated = "".join(word + separators[index] for index, word in enumerate(words))
    assert normalise(decorated) == normalise(plain)


# --- merging on arrival ---------------------------------------------------------------------------

def _counted(session) -> int:
    figures = public_figures(session, ward_slug=None, now=AT + timedelta(hours=1))
    return figures.total


def test_a_copy_is_merged_into_the_first_closed_with_its_history_and_counted_once(engine):
    with new_session(engine) as session:
        first = _save(session)
        distinct = [_save(session, description=f"{WORDS} (seen on day {day})") for day in range(1, 5)]
        copies = [_save(session, at=AT + timedelta(minutes=10 * n)) for n in range(1, 6)]
        session.commit()
        assert all(copy.duplicate_of_id == first.id and copy.status == "closed" for copy in copies)
        assert first.duplicate_of_id is None and all(report.duplicate_of_id is None for report in distinct)
        assert _counted(session) == 5  # the first and the four distinct ones; the copies do not count

        history = session.execute(select(ReportUpdate.action, ReportUpdate.status, ReportUpdate.merged_into_id,
                                         ReportUpdate.standard_reply, ReportUpdate.staff_user_id)
                                  .where(ReportUpdate.report_id == copies[0].id).order_by(ReportUpdate.id)).all()
        assert [tuple(row) for row in history] == [("received", "received", None, None, None),
                                                   ("merge", "closed", first.id, "closed.duplicate", None)]
        # The copy's status check says what happened, in the words staff merges use.
        status = reports.public_status(session, reference=copies[0].reference)
        assert status.status == "closed" and status.latest_standard_reply == "closed.duplicate"
        assert status.closed_at is None  # a merged report is not asked "was this sorted?"

        council = session.execute(select(Agency.id).where(Agency.slug == "council")).scalar_one()
        assert inbox.inbox_summary(session, agency_id=council, now=AT + timedelta(hours=1)).open == 5
        # An anonymous copy keeps no time finer than the hour, its merge included.
        assert {update.created_at.minute for update in session.execute(
            select(ReportUpdate).where(ReportUpdate.report_id.in_([copy.id for copy in copies]))).scalars()} == {0}


def test_without_merging_the_same_copies_would_count_as_many(engine):
    """The figure the test above checks, with nothing compared (no key): every copy counts."""
    with new_session(engine) as session:
        for n in range(6):
            _save(session, at=AT + timedelta(minutes=n), keys=())
        session.commit()
        assert _counted(session) == 6


def test_a_private_copy_from_a_resident_keeps_its_link_and_reference(engine):
    with new_session(engine) as session:
        first = _save(session, privacy="private")
        copy = _save(session, privacy="private", at=AT + timedelta(minutes=3))
        session.commit()
        assert copy.duplicate_of_id == first.id
        assert reports.public_status(session, reference=copy.reference) is not None


def test_nothing_is_merged_without_enough_words_or_after_the_window(engine):
    with new_session(engine) as session:
        silent = [_save(session, description="", location_text=None, at=AT + timedelta(minutes=n)) for n in range(3)]
        first = _save(session)
        late = _save(session, at=AT + WINDOW + timedelta(hours=1, minutes=1))
        session.commit()
        assert all(report.duplicate_of_id is None for report in silent + [first, late])
        assert all(report.content_fingerprint is None for report in silent)


def test_the_window_is_identical_report_hours_from_the_earlier_copy(engine):
    with new_session(engine) as session:
        first = _save(session, privacy="private")
        inside = _save(session, privacy="private", at=AT + WINDOW - timedelta(minutes=1))
        other = _save(session, privacy="private", description=WORDS + " again")
        outside = _save(session, privacy="private", description=WORDS + " again", at=AT + WINDOW + timedelta(minutes=1))
        session.commit()
        assert inside.duplicate_of_id == first.id
        assert other.duplicate_of_id is None and outside.duplicate_of_id is None


def test_a_copy_joins_the_report_its_first_was_merged_into(engine):
    """Duplicates always point at a report that is not one (no chains), as staff merges keep them."""
    with new_session(engine) as session:
        first = _save(session)
        second = _save(session, at=AT + timedelta(minutes=5))
        third = _save(session, at=AT + timedelta(minutes=9))
        session.commit()
        assert second.duplicate_of_id == first.id and third.duplicate_of_id == first.id


def test_a_report_fingerprinted_under_the_previous_key_is_still_found_after_a_rotation(engine):
    with new_session(engine) as session:
        first = _save(session, keys=(OLD_KEY,))
        copy = _save(session, at=AT + timedelta(minutes=5), keys=(KEY, OLD_KEY))
        session.commit()
        assert copy.duplicate_of_id == first.id
        assert copy.content_fingerprint == _fingerprint()  # stored under the current key


def test_the_look_up_reads_the_partial_index(engine):
    with new_session(engine) as session:
        _save(session)
        session.commit()
        since = AT - WINDOW
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in session.execute(text(
                "EXPLAIN QUERY PLAN SELECT id, duplicate_of_id FROM report "
                "WHERE content_fingerprint IN (:a, :b) AND created_at >= :since ORDER BY id LIMIT 1"),
                {"a": "x" * 64, "b": "y" * 64, "since": since}))
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(row[0] for row in session.execute(text(
                "EXPLAIN SELECT id, duplicate_of_id FROM report "
                "WHERE content_fingerprint IN (:a, :b) AND created_at >= :since ORDER BY id LIMIT 1"),
                {"a": "x" * 64, "b": "y" * 64, "since": since}))
        assert "ix_report_content_fingerprint" in plan, plan


# --- two at once ----------------------------------------------------------------------------------

def test_two_identical_reports_saved_at_once_leave_exactly_one_counted(engine, database_url):
    first_saved, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first():
        own = named_engine(database_url, "identical-first")
        try:
            with new_session(own) as session:
                _save(session, reference="TH-RACE-0001")
                first_saved.set()
                # Hold the transaction open until the second is waiting for it (or got on without waiting:
                # what happens if nothing makes them take turns).
                hold_until_blocked_or_done(database_url, second_done, "identical-second")
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)
        finally:
            first_saved.set()
            own.dispose()

    def second():
        own = named_engine(database_url, "identical-second")
        try:
            first_saved.wait(20)
            with new_session(own) as session:
                _save(session, reference="TH-RACE-0002", at=AT + timedelta(seconds=1))
                session.commit()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            second_done.set()
            own.dispose()

    threads = run_together(first, second)
    assert not any(thread.is_alive() for thread in threads) and errors == []
    with new_session(engine) as session:
        rows = dict(session.execute(select(Report.reference, Report.duplicate_of_id)).all())
        first_id = session.execute(select(Report.id).where(Report.reference == "TH-RACE-0001")).scalar_one()
        assert rows == {"TH-RACE-0001": None, "TH-RACE-0002": first_id}
        shared = session.execute(select(ReportAgency.report_id)).scalars().all()
        assert len(shared) == 4  # both keep their sharing: the copy is closed, not lost
