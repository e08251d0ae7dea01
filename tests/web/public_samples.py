"""PublicFigures built by hand, for the page and chart tests that must not depend on the database's sums."""
from __future__ import annotations

from datetime import date, datetime, timezone

from storage.models import TIMES_OF_DAY
from storage.public_figures import (AgencyTimes, MonthCounts, NightSafetyRow, PublicFigures, PublishedEntry,
                                    Satisfaction, TargetPoint, TargetSeries)

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)


def sample_figures(*, ward_slug: str | None = "weavers", ward_name: str | None = "Weavers") -> PublicFigures:
    months = tuple(MonthCounts(month=date(2025 + (3 + index) // 12, (3 + index) % 12 + 1, 1),
                               total=None if index % 4 == 1 else 5 + index)
                   for index in range(12))
    return PublicFigures(
        ward_slug=ward_slug, ward_name=ward_name, period_start=date(2025, 4, 1), period_end=date(2026, 3, 14),
        counted_at=NOW, total=123,
        by_category={"asb": 40, "drugs": 12, "harassment": None, "hate": None, "unsafe_place": 7, "noise": 60,
                     "other": None},
        by_status={"received": 9, "in_progress": None, "action_taken": 30, "referred": None, "closed": 80},
        months=months,
        agencies=(
            AgencyTimes(agency_slug="council", agency_names={"en": "Council ASB team"}, reports=90,
                        target_working_days=2, responded=85, first_response_median=1.5, first_response_p90=4.0,
                        within_target_percent=81.25, closed=70, close_median=9.0, close_p90=21.5),
            AgencyTimes(agency_slug="police", agency_names={"en": "Safer Neighbourhoods"}, reports=4,
                        target_working_days=3),
        ),
        satisfaction=Satisfaction(answers=20, yes=11, partly=6, no=None),
        targets=(TargetSeries(target_id=1, measure="first_response", agency_slug="council",
                              agency_names={"en": "Council ASB team"}, ward_slug=ward_slug, working_days=2,
                              share_percent=90, agreed_with="Weavers ward panel", agreed_on=date(2025, 6, 3),
                              effective_from=date(2025, 7, 1), retired_on=None,
                              points=(TargetPoint(date(2026, 1, 1), 12, 75.0), TargetPoint(date(2026, 2, 1), 3, None),
                                      TargetPoint(date(2026, 3, 1), 6, 100.0))),),
        night_safety=(NightSafetyRow(ward_slug=ward_slug, ward_name=ward_name,
                                     by_time_of_day={key: (6 if key == "night" else None) for key in TIMES_OF_DAY},
                                     women_and_girls_by_time_of_day={key: None for key in TIMES_OF_DAY},
                                     responded_percent=None),),
        entries=(PublishedEntry(entry_id=1, ward_slug=ward_slug, category="unsafe_place", agency_slug="council",
                                you_said="The path by the canal is dark at night.",
                                we_did="We fixed six street lights <in> March.",
                                translations={"bn": {"you_said": "খালের পাশের পথ রাতে অন্ধকার।",
                                                     "we_did": "আমরা মার্চে ছয়টি বাতি ঠিক করেছি।"}},
                                machine_translated=("bn",), published_at=NOW),),
    )
