"""The worker moves an agency's response clock on the day an agreed first-response target takes effect
(one recorded for a later day cannot move it when it is recorded), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from bot.settings import Settings
from bot.worker import run_due_work
from storage import targets
from storage.database import new_session
from storage.models import Agency

RECORDED = datetime(2027, 3, 10, 19, 0, tzinfo=timezone.utc)


def _council_days(engine) -> int:
    with new_session(engine) as session:
        return session.execute(select(Agency.target_working_days).where(Agency.slug == "council")).scalar_one()


def test_a_target_taking_effect_later_moves_the_clock_on_its_day(engine, tmp_path):
    before = _council_days(engine)
    with new_session(engine) as session:
        targets.record_target(session, measure="first_response", agreed_with="Weavers ward panel",
                              agreed_on=date(2027, 3, 9), effective_from=date(2027, 4, 1), now=RECORDED,
                              staff_user_id=None, working_days=before + 2, agency_slug="council")
        session.commit()
    assert _council_days(engine) == before  # not yet in force

    settings = Settings(secret_key="x" * 32, media_dir=str(tmp_path / "media"))
    the_day_before = datetime(2027, 3, 31, 22, 30, tzinfo=timezone.utc)  # 23:30 in London, still March
    assert run_due_work(engine, settings, {}, now=the_day_before)["agency_targets_applied"] == 0
    assert _council_days(engine) == before
    # 00:30 on 1 April in London (British Summer Time) is still 31 March in UTC.
    counts = run_due_work(engine, settings, {}, now=the_day_before + timedelta(hours=1))
    assert counts["agency_targets_applied"] == 1
    assert _council_days(engine) == before + 2
    assert run_due_work(engine, settings, {}, now=the_day_before + timedelta(hours=2))["agency_targets_applied"] == 0
