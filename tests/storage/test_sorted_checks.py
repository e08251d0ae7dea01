"""storage/sorted_checks.py on SQLite and PostgreSQL: which closings are due a "was this sorted?" question,
claiming one exactly once, and answers: kept the moment they are given, one per closing (the latest
different one wins, each in the history, the same one again writes nothing), "no" reopening the report
with its close clocks cleared so it is open in the inbox again even if no comment ever follows, a comment
added to its answer's own history entry, refusals that write nothing, and the hour as the finest time an
answer leaves."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import inbox, report_actions, reports, sorted_checks
from storage.database import new_session
from storage.models import Report, ReportAgency, ReportUpdate, SortedCheck
from tests.helpers import dump_every_table
from tests.storage.test_report_actions import AT, _officer, _report, _shared

REFERENCE = "TH-7K3M-9QXR"
CLOSED = AT + timedelta(days=1, minutes=7)  # Tuesday 09:37
AFTER = timedelta(days=14)
DUE = CLOSED + AFTER
CHANNELS = ("webchat",)


def _closed_report(engine, reference=REFERENCE, *, privacy="private") -> tuple[int, int]:
    """A report the council closed at CLOSED: (report id, council officer's agency id)."""
    with new_session(engine) as session:
        report = _report(session, reference, privacy=privacy)
        user_id, agency_id = _officer(session)
        report_actions.change_status(session, shared=_shared(session, reference, agency_id=agency_id), status="closed",
                                     reason="Noise abatement notice served", staff_user_id=user_id,
                                     agency_id=agency_id, now=CLOSED)
        session.commit()
        return report.id, agency_id


def _due(engine, now, channels=CHANNELS, limit=100):
    with new_session(engine) as session:
        return sorted_checks.sorted_due(session, now=now, after=AFTER, channels=channels, limit=limit)


def _claim(engine, item, now=DUE):
    with new_session(engine) as session:
        target = sorted_checks.claim_question(session, report_id=item.report_id, contact_id=item.contact_id,
                                              closed_at=item.closed_at, now=now, after=AFTER)
        session.commit()
        return target


def test_due_from_sorted_after_the_closing_until_two_weeks_later_never_late(engine):
    report_id, _agency = _closed_report(engine)
    assert _due(engine, DUE - timedelta(seconds=1)) == []
    [item] = _due(engine, DUE)
    assert (item.report_id, item.closed_at) == (report_id, CLOSED)
    assert _due(engine, DUE + sorted_checks.ASK_WITHIN - timedelta(seconds=1)) == [item]
    assert _due(engine, DUE + sorted_checks.ASK_WITHIN) == []  # older closings are never asked late
    assert _due(engine, DUE, channels=("telegram",)) == []  # a channel this installation cannot send on


def test_anonymous_merged_and_spam_reports_are_never_due(engine):
    _closed_report(engine, privacy="anonymous")
    assert _due(engine, DUE) == []  # no link to anyone: anonymous residents answer through the status check
    with new_session(engine) as session:
        spam = _report(session, "TH-SPAM-0001")
        spam.status, spam.closed_at, spam.spam_at = "closed", CLOSED, CLOSED
        merged = _report(session, "TH-DUP0-0001")
        merged.status, merged.closed_at, merged.duplicate_of_id = "closed", CLOSED, spam.id
        session.commit()
    assert _due(engine, DUE) == []


def test_at_most_limit_closings_are_due_at_once_the_longest_closed_first(engine):
    with new_session(engine) as session:
        ids = {}
        for reference, closed_later_by in (("TH-LATE-0002", 2), ("TH-LATE-0000", 0), ("TH-LATE-0001", 1)):
            report = _report(session, reference)
            report.status, report.closed_at = "closed", CLOSED + timedelta(hours=closed_later_by)
            ids[closed_later_by] = report.id
        session.commit()
    now = DUE + timedelta(hours=3)
    assert [item.report_id for item in _due(engine, now)] == [ids[0], ids[1], ids[2]]
    assert [item.report_id for item in _due(engine, now, limit=2)] == [ids[0], ids[1]]


def test_claimed_exactly_once_even_after_a_restart(engine, database_url):
    _closed_report(engine)
    [item] = _due(engine, DUE)
    target = _claim(engine, item)
    assert target is not None and target.expires_at == DUE + sorted_checks.ASK_WITHIN
    assert _claim(engine, item) is None  # a second worker, or the same one again
    from storage.database import make_engine

    restarted = make_engine(database_url)  # a new process: the row, not memory, says it was asked
    try:
        assert _due(restarted, DUE + timedelta(hours=1)) == []
    finally:
        restarted.dispose()
    with new_session(engine) as session:
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.closed_at, check.asked_at, check.answer) == (CLOSED, DUE, None)


def test_a_released_claim_is_due_again_and_a_second_closing_is_asked_again(engine):
    _closed_report(engine)
    [item] = _due(engine, DUE)
    with new_session(engine) as session:
        target = sorted_checks.claim_question(session, report_id=item.report_id, contact_id=item.contact_id,
                                              closed_at=item.closed_at, now=DUE, after=AFTER)
        sorted_checks.release_question(session, target=target)
        session.commit()
    assert _due(engine, DUE) == [item]
    _claim(engine, item)
    # Reopened and closed again a week later: a new closing, asked about in its own time.
    with new_session(engine) as session:
        user_id, agency_id = session.execute(select(ReportUpdate.staff_user_id, ReportUpdate.agency_id)
                                             .where(ReportUpdate.staff_user_id.is_not(None))).first()
        for status, at in (("in_progress", DUE + timedelta(days=1)), ("closed", DUE + timedelta(days=7))):
            report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status=status,
                                         reason="Again", staff_user_id=user_id, agency_id=agency_id, now=at)
        session.commit()
    second_closing = DUE + timedelta(days=7)
    [again] = _due(engine, second_closing + AFTER)
    assert again.closed_at == second_closing


def _answer(engine, answer, comment=None, *, now=DUE + timedelta(days=2, minutes=41), via="question", **kwargs):
    """The answer, then (a message later, as the flow sends it) the comment, each in its own transaction."""
    with new_session(engine) as session:
        recorded = sorted_checks.record_answer(session, reference=REFERENCE, answer=answer, now=now, via=via,
                                               **kwargs)
        session.commit()
        closing = recorded.check.closed_at
    if comment is not None:
        _comment(engine, comment, closed_at=closing)
    return recorded.reopened


def _comment(engine, comment, *, closed_at=CLOSED, language="so"):
    with new_session(engine) as session:
        check = sorted_checks.add_comment(session, reference=REFERENCE, closed_at=closed_at, comment=comment,
                                          language=language)
        session.commit()
        return check.comment


def _history(engine):
    with new_session(engine) as session:
        return session.execute(select(ReportUpdate.action, ReportUpdate.reason, ReportUpdate.internal_note)
                               .where(ReportUpdate.action.in_(("sorted", "reopen"))).order_by(ReportUpdate.id)).all()


def test_no_reopens_clears_the_close_clocks_writes_history_and_is_open_in_the_inbox(engine):
    report_id, agency_id = _closed_report(engine)
    _claim(engine, _due(engine, DUE)[0])
    answered = DUE + timedelta(days=2, minutes=41)
    assert _answer(engine, "no", "  Wali waa la sameeyaa buuqa  ", now=answered, closed_at=CLOSED) is True
    hour = answered.replace(minute=0, second=0, microsecond=0)
    with new_session(engine) as session:
        report = session.get(Report, report_id)
        assert (report.status, report.closed_at) == ("in_progress", None)
        assert {row.close_working_days for row in session.execute(select(ReportAgency)).scalars()} == {None}
        sorted_update, reopen = session.execute(
            select(ReportUpdate).where(ReportUpdate.action.in_(("sorted", "reopen"))).order_by(ReportUpdate.id)
        ).scalars()
        assert (sorted_update.action, sorted_update.status, sorted_update.reason, sorted_update.internal_note,
                sorted_update.message_language, sorted_update.created_at, sorted_update.public_message) == (
            "sorted", "closed", "no", "Wali waa la sameeyaa buuqa", "so", hour, None)
        assert (reopen.action, reopen.status, reopen.created_at) == ("reopen", "in_progress", hour)
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.answer, check.comment, check.comment_language, check.answered_at, check.via) == (
            "no", "Wali waa la sameeyaa buuqa", "so", hour, "question")
        page = inbox.inbox_page(session, agency_id=agency_id, filters=inbox.InboxFilters(), now=answered)
        assert [(row.reference, row.status) for row in page.rows] == [(REFERENCE, "in_progress")]
        # The status check sees an open report again, with nothing to ask about.
        status = reports.public_status(session, reference=REFERENCE)
        assert (status.status, status.closed_at, status.sorted_answer) == ("in_progress", None, None)


def test_one_answer_per_closing_the_latest_wins_and_each_is_in_the_history(engine):
    _closed_report(engine)
    with new_session(engine) as session:
        assert reports.public_status(session, reference=REFERENCE).closed_at == CLOSED
    assert _answer(engine, "yes") is False
    with new_session(engine) as session:
        status = reports.public_status(session, reference=REFERENCE)
        assert (status.status, status.sorted_answer) == ("closed", "yes")
    assert _answer(engine, "partly", "The lights are fixed, the door is not", via="status_check") is False
    with new_session(engine) as session:
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.answer, check.via, check.asked_at) == ("partly", "status_check", None)
        answers = session.execute(select(ReportUpdate.reason).where(ReportUpdate.action == "sorted")
                                  .order_by(ReportUpdate.id)).scalars().all()
        assert answers == ["yes", "partly"]
        assert session.get(Report, check.report_id).status == "closed"


def test_no_then_silence_is_reopened_and_open_in_the_inbox_and_a_later_comment_joins_the_same_entry(engine):
    report_id, agency_id = _closed_report(engine)
    answered = DUE + timedelta(days=2, minutes=41)
    assert _answer(engine, "no", now=answered, closed_at=CLOSED) is True  # and then nothing more, for now
    with new_session(engine) as session:
        assert session.get(Report, report_id).status == "in_progress"
        page = inbox.inbox_page(session, agency_id=agency_id, filters=inbox.InboxFilters(), now=answered)
        assert [(row.reference, row.status) for row in page.rows] == [(REFERENCE, "in_progress")]
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.answer, check.comment, check.comment_language) == ("no", None, None)
    assert _history(engine) == [("sorted", "no", None), ("reopen", None, None)]

    # The comment arrives (the next message, or hours later before the conversation went idle).
    assert _comment(engine, "  Wali waa la sameeyaa buuqa  ") == "Wali waa la sameeyaa buuqa"
    assert _history(engine) == [("sorted", "no", "Wali waa la sameeyaa buuqa"), ("reopen", None, None)]
    with new_session(engine) as session:
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.comment, check.comment_language) == ("Wali waa la sameeyaa buuqa", "so")
        entry = session.execute(select(ReportUpdate).where(ReportUpdate.action == "sorted")).scalar_one()
        assert (entry.message_language, entry.created_at) == ("so", check.answered_at)
        assert session.get(Report, report_id).status == "in_progress"  # reopened once, not again


def test_the_same_answer_again_writes_nothing_and_reopens_nothing_more(engine):
    _closed_report(engine)
    assert _answer(engine, "no", "Still loud", closed_at=CLOSED) is True
    before = _history(engine)
    # A double tap that got through, or the same answer from a second device, later that day.
    assert _answer(engine, "no", closed_at=CLOSED, now=DUE + timedelta(days=2, hours=5)) is False
    assert _history(engine) == before == [("sorted", "no", "Still loud"), ("reopen", None, None)]
    with new_session(engine) as session:
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.answer, check.comment) == ("no", "Still loud")  # the comment stays with its answer
        assert check.answered_at == (DUE + timedelta(days=2, minutes=41)).replace(minute=0)  # the first answer's hour


def _recorded(engine, answer, **kwargs):
    with new_session(engine) as session:
        recorded = sorted_checks.record_answer(session, reference=REFERENCE, answer=answer, via="status_check",
                                               now=DUE + timedelta(days=2), closed_at=CLOSED, **kwargs)
        session.commit()
        return recorded.check.answer, recorded.reopened, recorded.ignored


def test_after_three_changes_of_answer_more_change_nothing_but_a_no_that_reopens(engine):
    report_id, _agency = _closed_report(engine)
    assert sorted_checks.MAX_ANSWER_CHANGES == 3
    assert _recorded(engine, "yes") == ("yes", False, None)
    assert _recorded(engine, "yes") == ("yes", False, "same_answer")
    for answer in ("partly", "yes", "partly"):  # three changes, each kept
        assert _recorded(engine, answer) == (answer, False, None)
    # Someone flipping it again: taken without complaint, but the row and the history stay as they were.
    assert _recorded(engine, "yes") == ("partly", False, "too_many_changes")
    assert _history(engine) == [("sorted", answer, None) for answer in ("yes", "partly", "yes", "partly")]
    # A "no" that reopens still counts: the resident is told at once that it was reopened.
    assert _recorded(engine, "no") == ("no", True, None)
    with new_session(engine) as session:
        assert session.get(Report, report_id).status == "in_progress"
    # Now open, nothing more can reopen it, and the cap holds again.
    assert _recorded(engine, "yes") == ("no", False, "too_many_changes")
    assert _history(engine)[-2:] == [("sorted", "no", None), ("reopen", None, None)]
    assert len(_history(engine)) == 6


def test_a_no_after_a_yes_reopens_and_a_comment_goes_with_the_latest_answer(engine):
    report_id, _agency = _closed_report(engine)
    assert _answer(engine, "yes", "Thanks", now=DUE + timedelta(days=1)) is False
    assert _answer(engine, "no", now=DUE + timedelta(days=3), closed_at=CLOSED) is True
    _comment(engine, "It started again")
    assert _history(engine) == [("sorted", "yes", "Thanks"), ("sorted", "no", "It started again"),
                                ("reopen", None, None)]
    with new_session(engine) as session:
        assert session.get(Report, report_id).status == "in_progress"
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.answer, check.comment) == ("no", "It started again")


def test_an_anonymous_residents_answer_makes_the_row_with_no_time_finer_than_the_hour(engine):
    _closed_report(engine, privacy="anonymous")
    _answer(engine, "no", via="status_check", now=CLOSED + timedelta(hours=2, minutes=50))  # 12:27
    with new_session(engine) as session:
        [check] = session.execute(select(SortedCheck)).scalars()
        assert (check.asked_at, check.answer, check.via) == (None, "no", "status_check")
        assert check.answered_at == CLOSED.replace(hour=12, minute=0)
        times = session.execute(select(ReportUpdate.action, ReportUpdate.created_at).order_by(ReportUpdate.id)).all()
        assert times[-2:] == [("sorted", check.answered_at), ("reopen", check.answered_at)]


def test_an_answer_within_the_hour_of_the_closing_is_dated_the_closing_so_the_history_keeps_its_order(engine):
    _closed_report(engine, privacy="anonymous")
    _answer(engine, "yes", via="status_check", now=CLOSED + timedelta(minutes=13))  # 09:50; the hour, 09:00, is earlier
    with new_session(engine) as session:
        assert session.execute(select(SortedCheck.answered_at)).scalar_one() == CLOSED  # the officer's time, not theirs
        actions = session.execute(select(ReportUpdate.action)
                                  .order_by(ReportUpdate.created_at, ReportUpdate.id)).scalars()
        assert list(actions)[-2:] == ["status", "sorted"]


def test_a_no_about_an_older_closing_does_not_reopen_a_newer_one(engine):
    report_id, agency_id = _closed_report(engine)
    with new_session(engine) as session:
        user_id = session.execute(select(ReportUpdate.staff_user_id).where(ReportUpdate.staff_user_id.is_not(None))
                                  ).scalars().first()
        for status, at in (("in_progress", CLOSED + timedelta(days=1)), ("closed", CLOSED + timedelta(days=2))):
            report_actions.change_status(session, shared=_shared(session, agency_id=agency_id), status=status,
                                         reason="Again", staff_user_id=user_id, agency_id=agency_id, now=at)
        session.commit()
    assert _answer(engine, "no", closed_at=CLOSED) is False
    with new_session(engine) as session:
        assert session.get(Report, report_id).status == "closed"
        assert session.execute(select(SortedCheck.closed_at)).scalar_one() == CLOSED


@pytest.mark.parametrize("kwargs, code", [
    ({"answer": "maybe"}, "unknown_answer"),
    ({"answer": "no", "via": "carrier_pigeon"}, "unknown_route"),
    ({"answer": "no", "reference": "TH-0000-0000"}, "unknown_report"),
])
def test_refused_answers_change_nothing(engine, database_url, kwargs, code):
    _closed_report(engine)
    before = dump_every_table(database_url)
    arguments = {"reference": REFERENCE, "now": DUE, "via": "question", **kwargs}
    with new_session(engine) as session:
        with pytest.raises(sorted_checks.AnswerRefused) as refused:
            sorted_checks.record_answer(session, **arguments)
        session.commit()
    assert refused.value.code == code
    assert dump_every_table(database_url) == before


def test_an_open_report_with_no_closing_named_is_refused(engine, database_url):
    with new_session(engine) as session:
        _report(session)
        session.commit()
    before = dump_every_table(database_url)
    with new_session(engine) as session:
        with pytest.raises(sorted_checks.AnswerRefused, match="not closed"):
            sorted_checks.record_answer(session, reference=REFERENCE, answer="no", now=DUE, via="status_check")
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("kwargs, code", [
    ({"comment": "x" * (sorted_checks.MAX_COMMENT_LENGTH + 1)}, "comment_too_long"),
    ({"comment": "   "}, "empty_comment"),
    ({"reference": "TH-0000-0000"}, "unknown_report"),
    ({"closed_at": CLOSED + timedelta(days=1)}, "not_answered"),  # no answer about that closing
])
def test_refused_comments_change_nothing(engine, database_url, kwargs, code):
    _closed_report(engine)
    _answer(engine, "partly", closed_at=CLOSED)
    before = dump_every_table(database_url)
    arguments = {"reference": REFERENCE, "closed_at": CLOSED, "comment": "The door", "language": "en", **kwargs}
    with new_session(engine) as session:
        with pytest.raises(sorted_checks.AnswerRefused) as refused:
            sorted_checks.add_comment(session, **arguments)
        session.commit()
    assert refused.value.code == code
    assert dump_every_table(database_url) == before


def test_a_comment_about_a_closing_asked_but_not_answered_is_refused(engine):
    _closed_report(engine)
    _claim(engine, _due(engine, DUE)[0])  # the worker's row: asked, no answer yet
    with new_session(engine) as session:
        with pytest.raises(sorted_checks.AnswerRefused) as refused:
            sorted_checks.add_comment(session, reference=REFERENCE, closed_at=CLOSED, comment="Hi", language="en")
    assert refused.value.code == "not_answered"
