"""The inbox query on SQLite and PostgreSQL: filters, keyset pages, agency isolation, the response clock
across a weekend and a bank holiday, merged reports hidden."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from storage import contacts, inbox, reports
from storage.database import new_session
from storage.inbox import InboxFilters, excerpt_of, inbox_options, inbox_page, inbox_summary
from storage.models import Agency, Report, ReportAgency

# Thursday 25 March 2027, 10:00 London (GMT): Good Friday and Easter Monday follow.
BEFORE_EASTER = datetime(2027, 3, 25, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2027, 4, 2, 12, 0, tzinfo=timezone.utc)


def _agency_id(session, slug):
    return session.execute(select(Agency.id).where(Agency.slug == slug)).scalar_one()


def _report(session, number, *, at, agencies=("council", "housing"), **overrides):
    values = dict(reference=f"TH-AAAA-{number:04d}", category="noise", language="en", channel="webchat",
                  privacy="anonymous", agency_slugs=agencies, description=f"Report number {number}",
                  received_at=at, ward_slug="weavers")
    values.update(overrides)
    if values["privacy"] != "anonymous":
        values["sender_contact_id"] = contacts.find_or_create_contact(
            session, channel=values["channel"], address_hash=f"{number:064d}", address_sealed=None, now=at).id
    return reports.create_report(session, **values)


def _page(session, agency="council", now=NOW, **filters):
    return inbox_page(session, agency_id=_agency_id(session, agency), filters=InboxFilters(**filters), now=now)


def _references(page):
    return [row.reference for row in page.rows]


def test_newest_first_in_keyset_pages_that_ignore_new_arrivals(engine):
    start = datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
    with new_session(engine) as session:
        for number in range(7):
            # Two reports share each hour (anonymous ones keep only the hour), so ties break on id.
            _report(session, number, at=start + timedelta(hours=number // 2))
        session.commit()
        council = _agency_id(session, "council")
        first = inbox_page(session, agency_id=council, filters=InboxFilters(), now=NOW, page_size=3)
        assert _references(first) == ["TH-AAAA-0006", "TH-AAAA-0005", "TH-AAAA-0004"]
        _report(session, 99, at=start + timedelta(days=1))  # arrives while the officer reads page 1
        session.commit()
        second = inbox_page(session, agency_id=council, filters=InboxFilters(), now=NOW, page_size=3,
                            after=first.next_cursor)
        third = inbox_page(session, agency_id=council, filters=InboxFilters(), now=NOW, page_size=3,
                           after=second.next_cursor)
        assert _references(second) == ["TH-AAAA-0003", "TH-AAAA-0002", "TH-AAAA-0001"]
        assert _references(third) == ["TH-AAAA-0000"] and third.next_cursor is None


def test_an_agency_sees_only_what_was_shared_with_it(engine):
    with new_session(engine) as session:
        _report(session, 1, at=BEFORE_EASTER, agencies=("council", "housing"))
        _report(session, 2, at=BEFORE_EASTER, agencies=("police",))
        _report(session, 3, at=BEFORE_EASTER, agencies=("council", "police"))
        session.commit()
        assert _references(_page(session, "police")) == ["TH-AAAA-0003", "TH-AAAA-0002"]
        assert _references(_page(session, "council")) == ["TH-AAAA-0003", "TH-AAAA-0001"]
        assert _references(_page(session, "housing")) == ["TH-AAAA-0001"]
        # "Also shared with" narrows within the agency's own reports, never widens them.
        assert _references(_page(session, "council", also_shared_with="police")) == ["TH-AAAA-0003"]
        assert _references(_page(session, "housing", also_shared_with="police")) == []


def test_each_filter(engine):
    at = datetime(2027, 3, 30, 9, 0, tzinfo=timezone.utc)  # Tuesday
    with new_session(engine) as session:
        _report(session, 1, at=at - timedelta(days=60), ward_slug="bow-east", category="drugs")
        _report(session, 2, at=at - timedelta(days=10), language="so", channel="whatsapp", privacy="private")
        _report(session, 3, at=at - timedelta(days=3), language="bn", channel="telegram", category="asb")
        _report(session, 4, at=at + timedelta(hours=2), ward_slug=None)
        session.commit()
        reports.add_report_update(session, reference="TH-AAAA-0003", status="in_progress", at=at)
        session.commit()
        now = at + timedelta(hours=3)
        assert _references(_page(session, now=now, ward="bow-east")) == ["TH-AAAA-0001"]
        assert _references(_page(session, now=now, category="asb")) == ["TH-AAAA-0003"]
        assert _references(_page(session, now=now, status="in_progress")) == ["TH-AAAA-0003"]
        assert _references(_page(session, now=now, status="received")) == ["TH-AAAA-0004", "TH-AAAA-0002",
                                                                           "TH-AAAA-0001"]
        assert _references(_page(session, now=now, language="so", channel="whatsapp")) == ["TH-AAAA-0002"]
        assert _references(_page(session, now=now, language="so", channel="telegram")) == []
        assert _references(_page(session, now=now, age="today")) == ["TH-AAAA-0004"]
        assert _references(_page(session, now=now, age="week")) == ["TH-AAAA-0004", "TH-AAAA-0003"]
        assert _references(_page(session, now=now, age="month")) == ["TH-AAAA-0004", "TH-AAAA-0003", "TH-AAAA-0002"]
        assert _references(_page(session, now=now, age="older")) == ["TH-AAAA-0001"]
        assert inbox_options(session, agency_id=_agency_id(session, "council")).languages == ["bn", "en", "so"]


def test_closed_and_merged_reports(engine):
    with new_session(engine) as session:
        kept = _report(session, 1, at=BEFORE_EASTER)
        merged = _report(session, 2, at=BEFORE_EASTER + timedelta(hours=1))
        _report(session, 3, at=BEFORE_EASTER + timedelta(hours=2))
        session.flush()
        session.execute(update(Report).where(Report.id == merged.id).values(duplicate_of_id=kept.id, status="closed"))
        reports.add_report_update(session, reference="TH-AAAA-0003", status="closed", at=NOW)
        session.commit()
        assert _references(_page(session)) == ["TH-AAAA-0001"]
        assert _references(_page(session, status="received")) == ["TH-AAAA-0001"]
        closed = _page(session, status="closed")
        assert _references(closed) == ["TH-AAAA-0003", "TH-AAAA-0002"]
        assert [row.merged_into for row in closed.rows] == [None, "TH-AAAA-0001"]
        assert _references(_page(session, status="all")) == ["TH-AAAA-0003", "TH-AAAA-0002", "TH-AAAA-0001"]


def test_another_agencys_reports_show_neither_their_language_nor_a_merge_target(engine):
    # Found in review: the filter offered every language in any report, and a merged report named the
    # report it joined even when that one was not shared with the agency reading the inbox.
    with new_session(engine) as session:
        target = _report(session, 1, at=BEFORE_EASTER, agencies=("council",), language="so")
        merged = _report(session, 2, at=BEFORE_EASTER + timedelta(hours=1), agencies=("council", "housing"))
        session.flush()
        session.execute(update(Report).where(Report.id == merged.id).values(duplicate_of_id=target.id, status="closed"))
        session.commit()
        assert inbox_options(session, agency_id=_agency_id(session, "housing")).languages == ["en"]
        assert inbox_options(session, agency_id=_agency_id(session, "council")).languages == ["en", "so"]
        assert [row.merged_into for row in _page(session, agency="housing", status="closed").rows] == [None]
        assert [row.merged_into for row in _page(session, agency="council", status="closed").rows] == ["TH-AAAA-0001"]
        assert inbox_options(session, agency_id=None).languages == []


def test_the_clock_across_easter_and_a_weekend(engine):
    """Council's target is 2 working days, housing's 5. Shared Thursday 25 March 2027 at 10:00 (GMT):
    Good Friday, the weekend and Easter Monday pass, so council's deadline is Wednesday 31st at 10:00 BST."""
    with new_session(engine) as session:
        _report(session, 1, at=BEFORE_EASTER)
        session.commit()
        due = datetime(2027, 3, 31, 9, 0, tzinfo=timezone.utc)  # 10:00 London (BST)
        just_before, just_after = due - timedelta(minutes=1), due + timedelta(minutes=1)
        row = _page(session, now=just_before).rows[0]
        assert row.due_at == due and not row.overdue and row.working_days_elapsed == 1
        assert _references(_page(session, now=just_before, overdue=True)) == []
        late = _page(session, now=just_after).rows[0]
        assert late.overdue and late.overdue_by == 0
        assert _references(_page(session, now=just_after, overdue=True)) == ["TH-AAAA-0001"]
        three_days_later = _page(session, now=datetime(2027, 4, 5, 9, 30, tzinfo=timezone.utc)).rows[0]
        assert three_days_later.overdue_by == 3  # Thursday 1st, Friday 2nd, Monday 5th
        # Housing's 5 working days skip the 26th and 29th (holidays): 30, 31 March, 1, 2, 5 April.
        housing = _page(session, "housing", now=just_after).rows[0]
        assert housing.due_at == datetime(2027, 4, 5, 9, 0, tzinfo=timezone.utc) and not housing.overdue
        assert inbox_summary(session, agency_id=_agency_id(session, "council"), now=just_after) == \
            inbox.InboxSummary(open=1, overdue=1, reopened=0, target_working_days=2)
        assert inbox_summary(session, agency_id=_agency_id(session, "housing"), now=just_after) == \
            inbox.InboxSummary(open=1, overdue=0, reopened=0, target_working_days=5)


def test_a_response_stops_the_clock_for_that_agency_only(engine):
    with new_session(engine) as session:
        report = _report(session, 1, at=BEFORE_EASTER)
        session.flush()
        council = _agency_id(session, "council")
        session.execute(update(ReportAgency).where(ReportAgency.report_id == report.id, ReportAgency.agency_id == council)
                        .values(responded_at=BEFORE_EASTER + timedelta(days=1)))
        session.commit()
        late = datetime(2027, 4, 20, 9, 0, tzinfo=timezone.utc)
        council_row = _page(session, now=late).rows[0]
        assert not council_row.overdue and council_row.working_days_elapsed == 0  # answered on Good Friday
        assert _references(_page(session, now=late, overdue=True)) == []
        assert _references(_page(session, "housing", now=late, overdue=True)) == ["TH-AAAA-0001"]


@pytest.mark.parametrize("hours", range(0, 24 * 9, 5))
def test_the_overdue_filter_agrees_with_each_rows_clock(engine, hours):
    """The SQL filter (one cutoff per agency) and the per-row rule agree, whatever the hour."""
    with new_session(engine) as session:
        for number in range(12):
            _report(session, number, at=BEFORE_EASTER - timedelta(days=3) + timedelta(hours=17 * number),
                    privacy="private")
        session.commit()
        now = BEFORE_EASTER + timedelta(hours=hours)
        every = _page(session, now=now, status="all").rows
        most_overdue_first = sorted((row for row in every if row.overdue), key=lambda row: (row.shared_at, row.id))
        assert _references(_page(session, now=now, overdue=True)) == [row.reference for row in most_overdue_first]


def test_overdue_reports_come_most_overdue_first_in_keyset_pages(engine):
    """By when this agency's clock started, oldest first (ties on the report id), whatever order the
    reports arrived in; a report answered meanwhile drops out without shifting the next page."""
    start = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)  # Monday
    now = datetime(2027, 3, 24, 12, 0, tzinfo=timezone.utc)
    with new_session(engine) as session:
        # Received in one order, shared with the council in another: the order that counts is the sharing.
        shared_days = [4, 0, 9, 2, 2, 7, 11, 1]
        for number, days in enumerate(shared_days):
            _report(session, number, at=start + timedelta(hours=number))
        session.flush()
        council = _agency_id(session, "council")
        for number, days in enumerate(shared_days):
            reference = f"TH-AAAA-{number:04d}"
            report_id = session.execute(select(Report.id).where(Report.reference == reference)).scalar_one()
            session.execute(update(ReportAgency).where(ReportAgency.report_id == report_id,
                                                       ReportAgency.agency_id == council)
                            .values(shared_at=start + timedelta(days=days)))
        # Shared Tuesday 23 March: due Thursday 25th, so not overdue on the 24th.
        _report(session, 50, at=start + timedelta(days=22))
        session.commit()
        expected = ["TH-AAAA-0001", "TH-AAAA-0007", "TH-AAAA-0003", "TH-AAAA-0004", "TH-AAAA-0000",
                    "TH-AAAA-0005", "TH-AAAA-0002", "TH-AAAA-0006"]  # days 0, 1, 2, 2 (ids), 4, 7, 9, 11
        everything = inbox_page(session, agency_id=council, filters=InboxFilters(overdue=True), now=now)
        assert _references(everything) == expected and everything.next_cursor is None
        assert all(row.overdue for row in everything.rows)
        assert [row.overdue_by for row in everything.rows] == sorted((row.overdue_by for row in everything.rows),
                                                                    reverse=True)
        first = inbox_page(session, agency_id=council, filters=InboxFilters(overdue=True), now=now, page_size=3)
        assert _references(first) == expected[:3]
        # Shared the same day as the last row of page 1: the tie on shared_at is broken by the id.
        assert first.next_cursor == (first.rows[-1].shared_at, first.rows[-1].id)
        reports.add_report_update(session, reference="TH-AAAA-0000", status="in_progress", at=now)
        session.execute(update(ReportAgency).where(ReportAgency.agency_id == council,
                                                   ReportAgency.report_id == everything.rows[4].id)
                        .values(responded_at=now))
        session.commit()
        second = inbox_page(session, agency_id=council, filters=InboxFilters(overdue=True), now=now, page_size=3,
                            after=first.next_cursor)
        assert _references(second) == ["TH-AAAA-0004", "TH-AAAA-0005", "TH-AAAA-0002"]
        third = inbox_page(session, agency_id=council, filters=InboxFilters(overdue=True), now=now, page_size=3,
                           after=second.next_cursor)
        assert _references(third) == ["TH-AAAA-0006"] and third.next_cursor is None
        # Other filters keep this order and narrow it.
        narrowed = inbox_page(session, agency_id=council, filters=InboxFilters(overdue=True, ward="weavers"),
                              now=now)
        assert _references(narrowed) == [reference for reference in expected if reference != "TH-AAAA-0000"]
        assert inbox_summary(session, agency_id=council, now=now).overdue == 7


def test_the_list_shows_the_start_of_the_residents_words_only():
    words = "Loud music every night from the flat above, it goes on until three in the morning and the children cannot sleep"
    shown = excerpt_of(words + "\nSecond line with a name")
    assert shown.endswith("…") and len(shown) <= 81 and "Second" not in shown
    assert words.startswith(shown[:-1])
    assert excerpt_of("\n\n  Short  \nmore") == "Short"
