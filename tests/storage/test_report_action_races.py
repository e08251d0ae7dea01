"""Two officers acting on the same reports at once (real connections on PostgreSQL; SQLite's BEGIN IMMEDIATE
serialises them): merging A into B while another merges B into A leaves no cycle."""
from __future__ import annotations

import threading

from sqlalchemy import select

from storage import report_actions
from storage.database import new_session
from storage.models import Report
from tests.concurrency import hold_until_blocked_or_done, named_engine, run_together
from tests.storage.test_report_actions import AT, _officer, _report, _shared


def test_two_officers_merging_a_into_b_and_b_into_a_at_once_make_no_cycle(engine, database_url, monkeypatch):
    with new_session(engine) as session:
        _report(session, "TH-AAAA-0001")
        _report(session, "TH-AAAA-0002")
        user_id, agency_id = _officer(session)
        session.commit()
    first_name = "merge-first"
    first_checked, second_done = threading.Event(), threading.Event()
    outcomes, errors = {}, []
    real_update = report_actions.update

    def pause_first_before_writing(*args, **kwargs):
        # The first merge has decided it may go ahead and has written nothing yet.
        if threading.current_thread().name == first_name:
            first_checked.set()
            hold_until_blocked_or_done(database_url, second_done, "merge-second")
        return real_update(*args, **kwargs)

    monkeypatch.setattr(report_actions, "update", pause_first_before_writing)

    def merge(duplicate, into, name):
        def run():
            threading.current_thread().name = name
            own = named_engine(database_url, name)
            try:
                if name == "merge-second":
                    first_checked.wait(20)
                with new_session(own) as session:
                    try:
                        report_actions.merge_report(session, duplicate=_shared(session, duplicate, agency_id=agency_id),
                                                    into_reference=into, staff_user_id=user_id, agency_id=agency_id,
                                                    now=AT)
                        session.commit()
                        outcomes[name] = "merged"
                    except report_actions.ActionRefused as refused:
                        session.rollback()
                        outcomes[name] = refused.code
            except BaseException as error:  # noqa: BLE001 - reported by the assert below
                errors.append(error)
            finally:
                if name == "merge-second":
                    second_done.set()
                own.dispose()
        return run

    threads = run_together(merge("TH-AAAA-0001", "TH-AAAA-0002", first_name),
                           merge("TH-AAAA-0002", "TH-AAAA-0001", "merge-second"))
    assert not any(thread.is_alive() for thread in threads) and errors == []
    assert sorted(outcomes.values()) == ["merge_same_report", "merged"], outcomes
    with new_session(engine) as session:
        pointers = dict(session.execute(select(Report.reference, Report.duplicate_of_id)).all())
    assert [pointer for pointer in pointers.values() if pointer is None] != [], pointers  # one root remains
