"""The inbox: the reports shared with the signed-in account's agency, filtered, newest first (most overdue
first with the overdue filter), with each agency's response-time clock against its target, and the reports
residents reopened ("was this sorted?" answered no) flagged, counted and listable alone (GET /staff/reports)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Optional

from babel import Locale, UnknownLocaleError
from babel.dates import format_time
from flask import current_app, g, render_template, request

from flows import i18n
from flows.i18n import _N
from flows.report import CATEGORIES
from flows.working_days import LONDON
from storage.inbox import (AGE_FILTERS, CHANNELS, STATUS_FILTERS, Cursor, InboxFilters, InboxSummary,
                           inbox_options, inbox_page, inbox_summary)
from web.staff import (CHANNEL_LABELS, STATUS_LABELS, _now, _when, agency_label, blueprint, current_staff,
                       staff_required, staff_session)

PAGE_SIZE = 50
# The header's counts cost in proportion to how many reports are open (tens to hundreds of milliseconds
# with 100,000 open: bench/inbox.py) and every page of the inbox shows them, so each worker process keeps
# an agency's counts this long and the page says when they were counted. The list itself is always live.
SUMMARY_FRESH_FOR = timedelta(seconds=60)

# Category keys as stored ("noise"), with the report flow's own translated labels.
CATEGORY_LABELS = {key.removeprefix("cat:"): label for key, label in CATEGORIES.items()}

STATUS_FILTER_LABELS = {
    # TRANSLATORS: an option of the inbox's status filter: every report not yet closed (the default).
    "open": _N("Open (not closed)"),
    # TRANSLATORS: an option of the inbox's status filter: every report, closed ones included.
    "all": _N("Any status"),
    **STATUS_LABELS,
}

AGE_LABELS = {
    # TRANSLATORS: an option of the inbox's age filter: reports that arrived today.
    "today": _N("Today"),
    # TRANSLATORS: an option of the inbox's age filter.
    "week": _N("In the last 7 days"),
    # TRANSLATORS: an option of the inbox's age filter.
    "month": _N("In the last 30 days"),
    # TRANSLATORS: an option of the inbox's age filter.
    "older": _N("More than 30 days ago"),
}

PRIVACY_LABELS = {
    # TRANSLATORS: on the staff inbox: the resident kept no link to themselves (status only by reference).
    "anonymous": _N("Anonymous"),
    # TRANSLATORS: on the staff inbox: staff never see who sent it, but updates reach the resident.
    "private": _N("Private"),
    # TRANSLATORS: on the staff inbox: the resident shared their name with the agencies they chose.
    "named": _N("Named"),
}

VIA_LABELS = {
    # TRANSLATORS: on the staff inbox: how the report reached this agency: the resident chose it.
    "resident": _N("chosen by the resident"),
    # TRANSLATORS: on the staff inbox: how the report reached this agency: another agency referred it.
    "referral": _N("referred by another agency"),
    # TRANSLATORS: on the staff inbox: how the report reached this agency: another agency shared it.
    "share": _N("shared by another agency"),
}

# The next-page cursor: microseconds since 1970 (UTC) and the report id of the last row shown.
_CURSOR = re.compile(r"^(\d{1,16})-(\d{1,12})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class BadFilter(ValueError):
    """A filter value the form never offers: the page says which, with status 400."""


def language_name(code: str) -> str:
    """A language as its speakers write it: the shipped endonym, else Babel's, else the code."""
    if code in i18n.BY_CODE:
        return i18n.BY_CODE[code].endonym
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name() or code
    except (ValueError, UnknownLocaleError):
        return code


def _choice(name: str, allowed) -> Optional[str]:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadFilter(name)
    return value


def _checkbox(name: str) -> bool:
    value = request.args.get(name, "").strip()
    if value not in ("", "1"):
        raise BadFilter(name)
    return value == "1"


def _read_filters(options) -> tuple[InboxFilters, Optional[Cursor]]:
    languages = set(options.languages) | set(i18n.BY_CODE)
    overdue = _checkbox("overdue")
    reopened = _checkbox("reopened")
    filters = InboxFilters(
        ward=_choice("ward", {slug for slug, _name in options.wards}),
        category=_choice("category", CATEGORY_LABELS),
        status=_choice("status", STATUS_FILTERS) or "open",
        also_shared_with=_choice("agency", {slug for slug, _names in options.agencies}),
        language=_choice("language", languages),
        channel=_choice("channel", CHANNELS),
        age=_choice("age", AGE_FILTERS),
        overdue=overdue,
        reopened=reopened,
    )
    after = None
    cursor = request.args.get("after", "").strip()
    if cursor:
        matched = _CURSOR.match(cursor)
        if not matched:
            raise BadFilter("after")
        try:
            moment = _EPOCH + timedelta(microseconds=int(matched.group(1)))
        except OverflowError:
            raise BadFilter("after") from None
        after = (moment, int(matched.group(2)))
    return filters, after


def _cursor(position: Cursor) -> str:
    moment, report_id = position
    return f"{(moment - _EPOCH) // timedelta(microseconds=1)}-{report_id}"


def _summary(database, *, agency_id: int, now: datetime) -> tuple[datetime, InboxSummary]:
    """The agency's header counts and when they were counted: kept per app (so per worker process, and
    never shared between test apps) for SUMMARY_FRESH_FOR."""
    kept = current_app.extensions.setdefault("safer_homes.inbox_summaries", {})
    counted = kept.get(agency_id)
    if counted is None or not timedelta(0) <= now - counted[0] < SUMMARY_FRESH_FOR:
        counted = kept[agency_id] = (now, inbox_summary(database, agency_id=agency_id, now=now))
    return counted


def _clock_time(moment: datetime) -> str:
    """A time of day in London (14:05), in the page's language."""
    language = g.get("lang", i18n.DEFAULT_LANGUAGE)
    return format_time(moment.astimezone(LONDON), "short", locale=language.replace("-", "_"))


FILTER_NAMES = {
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "ward": _N("Ward"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "category": _N("Category"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "status": _N("Status"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "agency": _N("Also shared with"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "language": _N("Language"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "channel": _N("Channel"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "age": _N("Received"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "overdue": _N("Overdue only"),
    # TRANSLATORS: in the inbox's message about a filter value it does not know: the filter's name.
    "reopened": _N("Reopened by the resident"),
    # TRANSLATORS: in the inbox's message about a broken "next page" link: what was wrong.
    "after": _N("Next page"),
}


@blueprint.get("/reports")
@staff_required()
def inbox():
    me = current_staff()
    database = staff_session()
    options = inbox_options(database, agency_id=me.agency_id)
    problem = None
    try:
        filters, after = _read_filters(options)
    except BadFilter as bad:
        problem = FILTER_NAMES[str(bad)]
        filters, after = InboxFilters(), None
    context = dict(options=options, filters=filters, problem=problem, category_labels=CATEGORY_LABELS,
                   status_labels=STATUS_FILTER_LABELS, channel_labels=CHANNEL_LABELS, age_labels=AGE_LABELS,
                   privacy_labels=PRIVACY_LABELS, via_labels=VIA_LABELS, language_name=language_name,
                   language_choices=_language_options(options), channels=CHANNELS, statuses=STATUS_FILTERS,
                   ages=AGE_FILTERS, when=_when, page=None, summary=None, counted_at=None, next_url_args=None,
                   agency_label=agency_label, rtl=lambda code: code in i18n.BY_CODE and i18n.BY_CODE[code].rtl)
    if me.agency_id is not None and problem is None:
        now = _now()
        counted_at, context["summary"] = _summary(database, agency_id=me.agency_id, now=now)
        context["counted_at"] = _clock_time(counted_at)
        page = inbox_page(database, agency_id=me.agency_id, filters=filters, now=now, page_size=PAGE_SIZE,
                          after=after)
        context["page"] = page
        if page.next_cursor is not None:
            kept = {name: value for name, value in request.args.items() if value and name != "after"}
            context["next_url_args"] = {**kept, "after": _cursor(page.next_cursor)}
    return render_template("staff/inbox.html", **context), 400 if problem else 200


def _language_options(options) -> list[str]:
    shipped = [language.code for language in i18n.LANGUAGES]
    return shipped + sorted(set(options.languages) - set(shipped), key=language_name)
