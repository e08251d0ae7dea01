"""The public "You said, we did" pages: GET /public (the borough) and /public/wards/<slug> (one ward).

Anyone may open them, in any shipped language (?lang=, else Accept-Language). They show only what
storage.public_figures gives them, already suppressed: a count or a figure worked out from fewer than 5
reports arrives as None and is written as the words "fewer than 5" (`fewer_than_five`, the one place that
says it). No resident's words are shown: the only free text is the "You said, we did" entries staff wrote
and published. Approved public summaries of single reports are not shown here either (they belong to
Open311, a report at a time; a ward page is about patterns, and a single report's words add nothing).

Other public pages (the ward panel digest) extend templates/public/base.html: they call
`begin_public_page()` before rendering and `public_page_headers(response)` on the way out.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Callable, Optional

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import Blueprint, abort, current_app, g, make_response, render_template
from markupsafe import Markup, escape

from flows import i18n
from flows.dates import DATE, london_day_and_time, month_and_year
from flows.i18n import _N, babel_locale
from flows.report import CATEGORIES, DAYPARTS
from flows.status import STATUS_LABELS
from storage import places
from storage.database import new_session
from storage.models import TIMES_OF_DAY
from storage.public_figures import AgencyTimes, PublicFigures, PublishedEntry, TargetSeries, cached_public_figures
from web import charts
from web.i18n import _, current_language, ngettext, translator

blueprint = Blueprint("public", __name__)

# Figures may be cached for at most a minute (design.md): fresh enough for anyone who just reported.
CACHE_CONTROL = "public, max-age=60"

# When a place feels unsafe, in the words the report flow offered the resident (and the staff report page
# shows), so a table and the question never name a time of day two ways.
TIME_OF_DAY_LABELS = {time_of_day: DAYPARTS[f"daypart:{time_of_day}"] for time_of_day in TIMES_OF_DAY}

SATISFACTION_LABELS = {
    # TRANSLATORS: on the public pages, an answer residents gave to "Was this sorted?".
    "yes": _N("Yes, it was sorted"),
    # TRANSLATORS: on the public pages, an answer residents gave to "Was this sorted?".
    "partly": _N("Partly sorted"),
    # TRANSLATORS: on the public pages, an answer residents gave to "Was this sorted?".
    "no": _N("No, it was not sorted"),
}


# --- numbers and "fewer than 5", in a given language (the ward panel digest, web/digest.py, writes its
# figures with these too, so a page and a digest never write one number two ways) ----------------------

def fewer_than_five_text(lang: str) -> str:
    # TRANSLATORS: on the public pages and the ward panel digest, in place of any number under 5 (hidden so nobody can be identified).
    return translator(lang)._("fewer than 5")


def fewer_than_five(lang: str) -> Markup:
    """What every table cell shows for a suppressed figure."""
    return Markup('<span class="fewer">%s</span>') % fewer_than_five_text(lang)


def in_own_digits(text: str, lang: str) -> str:
    """Babel's digits in the language's own (Babel writes Latin digits for Bengali; the chat, the status
    check and the posters write ১২৩, so the pages do too, in the tables and the charts alike)."""
    return i18n.localise_digits(text, lang)


def number_text(value: float, lang: str) -> str:
    return in_own_digits(format_decimal(value, format="#,##0.#", locale=babel_locale(lang)), lang)


def percent_text(value: float, lang: str) -> str:
    return in_own_digits(format_percent(value / 100, format="#,##0%", locale=babel_locale(lang)), lang)


def count(value: Optional[int], lang: str) -> Markup:
    return fewer_than_five(lang) if value is None else escape(number_text(value, lang))


def days(value: Optional[float], lang: str) -> Markup:
    return fewer_than_five(lang) if value is None else escape(number_text(value, lang))


def percent(value: Optional[float], lang: str) -> Markup:
    return fewer_than_five(lang) if value is None else escape(percent_text(value, lang))


# --- the page's words -----------------------------------------------------------------------------------

def _plain(value: Optional[float], as_text=number_text) -> str:
    """A figure as chart text in the page's language: the number, or "fewer than 5"."""
    lang = current_language()
    return fewer_than_five_text(lang) if value is None else as_text(value, lang)


def category_label(key: str) -> str:
    """The category as residents chose it in the chat (the flow's careful words: "Drug dealing or drug
    use nearby", never a word for people)."""
    label = CATEGORIES.get(f"cat:{key}")
    return _(label) if label else key


def status_label(key: str) -> str:
    label = STATUS_LABELS.get(key)
    return _(label) if label else key


def agency_name(names: dict) -> str:
    return names.get(current_language()) or names.get("en") or ""


def _page_date(day: date, pattern: str) -> str:
    lang = current_language()
    return in_own_digits(format_date(day, pattern, locale=babel_locale(lang)), lang)


def month_short(month: date) -> str:
    # A chart's axis label: kept to the short fixed "Mar 26" in every language, as the charts' room is
    # measured for it (CLDR's yyMMM skeleton gives a four-digit year in Arabic and Chinese, past the edge).
    return _page_date(month, "LLL yy")


def month_long(month: date) -> str:
    return month_and_year(current_language(), month)


def long_date(day: date) -> str:
    return _page_date(day, "long")


def target_words(target: TargetSeries) -> str:
    """What was agreed, as one sentence in the page's language."""
    lang = current_language()
    if target.measure == "sorted":
        if target.share_percent is not None:
            # TRANSLATORS: on the public pages, an agreed success measure. %(share)s is a percentage, e.g. "80%".
            return _("At least %(share)s of residents who answer say their report was sorted (yes or partly)",
                     share=percent_text(target.share_percent, lang))
        # TRANSLATORS: on the public pages, an agreed success measure.
        return _("Residents who answer say their report was sorted (yes or partly)")
    working_days = target.working_days or 0
    if target.measure == "close":
        if target.share_percent is not None:
            # TRANSLATORS: on the public pages, an agreed target. %(share)s is a percentage ("90%"); %(days)s a number of working days.
            return ngettext("%(share)s of reports closed within %(days)s working day",
                            "%(share)s of reports closed within %(days)s working days", working_days,
                            share=percent_text(target.share_percent, lang), days=number_text(working_days, lang))
        # TRANSLATORS: on the public pages, an agreed target. %(days)s is a number of working days.
        return ngettext("Reports closed within %(days)s working day", "Reports closed within %(days)s working days",
                        working_days, days=number_text(working_days, lang))
    if target.share_percent is not None:
        # TRANSLATORS: on the public pages, an agreed target. %(share)s is a percentage ("90%"); %(days)s a number of working days.
        return ngettext("%(share)s of reports answered within %(days)s working day",
                        "%(share)s of reports answered within %(days)s working days", working_days,
                        share=percent_text(target.share_percent, lang), days=number_text(working_days, lang))
    # TRANSLATORS: on the public pages, an agreed target: the first response to a report. %(days)s is a number of working days.
    return ngettext("Reports answered within %(days)s working day", "Reports answered within %(days)s working days",
                    working_days, days=number_text(working_days, lang))


@dataclass(frozen=True)
class EntryWords:
    """A "You said, we did" entry as a page shows it: both fields from one language, and which."""

    you_said: str
    we_did: str
    lang: str  # the language of both fields, for the lang attribute around them
    machine_translated: bool
    in_english: bool  # the reader chose another language, but the entry has no translation to it yet


def entry_words(entry: PublishedEntry, lang: str) -> EntryWords:
    """An entry in `lang` when it has both fields in it (marked when a machine wrote them), else in English,
    which pages mark lang="en" so a screen reader reads it as English. Never one field from each: a
    half-done translation reads as English until it is whole (the public pages and the digest alike)."""
    translated = entry.translations.get(lang) if lang != i18n.DEFAULT_LANGUAGE else None
    if translated and translated.get("you_said") and translated.get("we_did"):
        return EntryWords(you_said=translated["you_said"], we_did=translated["we_did"], lang=lang,
                          machine_translated=lang in entry.machine_translated, in_english=False)
    return EntryWords(you_said=entry.you_said, we_did=entry.we_did, lang=i18n.DEFAULT_LANGUAGE,
                      machine_translated=False, in_english=lang != i18n.DEFAULT_LANGUAGE)


# --- the charts ---------------------------------------------------------------------------------------

def _script() -> dict:
    """How the page's script sits in a chart: its direction, and the room between lines Urdu's Nastaliq needs."""
    lang = current_language()
    return {"rtl": i18n.BY_CODE[lang].rtl,
            "line_gap": charts.NASTALIQ_LINE_GAP if lang == "ur" else charts.LINE_GAP}


def months_chart(figures: PublicFigures) -> Markup:
    first, last = figures.months[0].month, figures.months[-1].month
    return charts.line_chart(
        chart_id="chart-months",
        # TRANSLATORS: the title of a chart on the public pages.
        title=_("Reports each month"),
        # TRANSLATORS: the text alternative of a chart on the public pages; the months are e.g. "April 2025" and "March 2026".
        description=_("A line showing how many reports were made each month from %(first)s to %(last)s. "
                      "The table after the chart gives every month's number.",
                      first=month_long(first), last=month_long(last)),
        points=[charts.Point(month_short(month.month), month.total) for month in figures.months],
        number=partial(number_text, lang=current_language()), suppressed_label=fewer_than_five_text(current_language()),
        **_script())


def categories_chart(figures: PublicFigures) -> Markup:
    return charts.bar_chart(
        chart_id="chart-categories",
        # TRANSLATORS: the title of a chart on the public pages.
        title=_("Reports by what they were about"),
        # TRANSLATORS: the text alternative of a chart on the public pages.
        description=_("Bars showing how many reports there were of each kind. The table after the chart gives "
                      "the same numbers."),
        groups=[charts.BarGroup(category_label(key), (charts.Bar("", value, _plain(value)),))
                for key, value in figures.by_category.items()],
        suppressed_label=fewer_than_five_text(current_language()), **_script())


def agencies_chart(agencies: tuple[AgencyTimes, ...]) -> Markup:
    groups = []
    for agency in agencies:
        target = float(agency.target_working_days)
        groups.append(charts.BarGroup(agency_name(agency.agency_names), (
            # TRANSLATORS: a bar's label in a chart on the public pages (working days).
            charts.Bar(_("Typical (median) days to first response"), agency.first_response_median,
                       _plain(agency.first_response_median), target=target),
            # TRANSLATORS: a bar's label: 9 in 10 reports had a first response within this many working days.
            charts.Bar(_("9 in 10 had a first response within (days)"), agency.first_response_p90,
                       _plain(agency.first_response_p90), target=target),
            # TRANSLATORS: a bar's label in a chart on the public pages (working days).
            charts.Bar(_("Typical (median) days to close"), agency.close_median, _plain(agency.close_median)),
            # TRANSLATORS: a bar's label: 9 in 10 closed reports were closed within this many working days.
            charts.Bar(_("9 in 10 were closed within (days)"), agency.close_p90, _plain(agency.close_p90)),
        )))
    return charts.bar_chart(
        chart_id="chart-agencies",
        # TRANSLATORS: the title of a chart on the public pages.
        title=_("How quickly each organisation responded, in working days"),
        # TRANSLATORS: the text alternative of a chart on the public pages.
        description=_("Bars for each organisation: the typical and the slowest-but-one-in-ten number of working "
                      "days to a first response and to closing a report, with a dashed line at the agreed "
                      "target for a first response. The table after the chart gives the same numbers."),
        groups=groups, suppressed_label=fewer_than_five_text(current_language()),
        # TRANSLATORS: the legend of the dashed line in a chart on the public pages.
        target_label=_("Agreed target for a first response"), **_script())


def target_chart(target: TargetSeries, index: int) -> Markup:
    return charts.line_chart(
        chart_id=f"chart-target-{index}",
        title=target_words(target),
        # TRANSLATORS: the text alternative of a chart on the public pages.
        description=_("A line showing, month by month, the share of reports that met this target. The table "
                      "after the chart gives every month's figure."),
        points=[charts.Point(month_short(point.month), point.met_percent) for point in target.points],
        number=partial(percent_text, lang=current_language()), suppressed_label=fewer_than_five_text(current_language()), y_max=100.0,
        target=float(target.share_percent) if target.share_percent is not None else None,
        # TRANSLATORS: the legend of the dashed line in a chart on the public pages: the share agreed as the target.
        target_label=_("Agreed share"), **_script())


# --- the pages ----------------------------------------------------------------------------------------

def begin_public_page() -> None:
    """A fresh nonce for this response's one inline <style> (the base template reads g.csp_nonce)."""
    g.csp_nonce = secrets.token_urlsafe(16)


def public_page_headers(response):
    """No scripts, only our own nonce'd style, nothing fetched from elsewhere; cacheable for a minute."""
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Accept-Language"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.before_request
def _start() -> None:
    begin_public_page()


@blueprint.after_request
def _finish(response):
    return public_page_headers(response)


@blueprint.context_processor
def _helpers() -> dict:
    lang = current_language()
    return {"count": partial(count, lang=lang), "days": partial(days, lang=lang),
            "percent": partial(percent, lang=lang), "fewer_than_five": partial(fewer_than_five, lang),
            "category_label": category_label, "status_label": status_label, "agency_name": agency_name,
            "month_long": month_long, "long_date": long_date, "target_words": target_words,
            "entry_words": partial(entry_words, lang=lang), "time_of_day_labels": TIME_OF_DAY_LABELS,
            "times_of_day": TIMES_OF_DAY, "satisfaction_labels": SATISFACTION_LABELS}


def not_found_page():
    """The public 404 page, in the reader's language: web/errors.py answers every 404 under /public with it
    (an unknown ward, an address no route matches, a digest's meeting not in the ward)."""
    if "csp_nonce" not in g:  # no public blueprint's before_request ran (the router matched nothing)
        begin_public_page()
    # TRANSLATORS: title of the public page for an address that leads nowhere (e.g. a ward name mistyped).
    page = render_template("public/not_found.html", title=_("Page not found"))
    return public_page_headers(make_response(page, 404))


# The wards (slug, name) for the pages' list and for telling a ward from a mistyped slug, kept per database
# for at most a minute, as the figures beside them are (design.md): wards change when an admin adds one, a
# few times a decade. Keyed by the engine's id, the engine held so the id is not reused while kept.
WARD_LIST_SECONDS = 60.0
_ward_lists: dict[int, tuple[float, object, tuple[tuple[str, str], ...]]] = {}
_ward_lists_lock = threading.Lock()


def _ward_links(session, *, clock: Callable[[], float] = time.monotonic) -> tuple[tuple[str, str], ...]:
    engine = session.get_bind()
    moment = clock()
    with _ward_lists_lock:
        kept = _ward_lists.get(id(engine))
    if kept is not None and moment - kept[0] < WARD_LIST_SECONDS:
        return kept[2]
    wards = tuple((ward.slug, ward.name) for ward in places.list_wards(session))
    with _ward_lists_lock:
        # Drop what has expired, so databases come and go (tests) without the dict growing.
        for key in [key for key, (at, _engine, _wards) in _ward_lists.items() if moment - at >= WARD_LIST_SECONDS]:
            del _ward_lists[key]
        _ward_lists[id(engine)] = (moment, engine, wards)
    return wards


def clear_ward_list_cache() -> None:
    """Forget the kept ward lists (tests that add a ward; entries expire within a minute anyway)."""
    with _ward_lists_lock:
        _ward_lists.clear()


def _render(ward_slug: Optional[str]):
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        wards = _ward_links(session)
        if ward_slug is not None and ward_slug not in {slug for slug, _name in wards}:
            abort(404)
        now = current_app.extensions["safer_homes.clock"]()
        try:
            # The downloads read the same per-process cache, so a page and its CSV agree.
            figures = cached_public_figures(session, ward_slug=ward_slug, now=now)
        except LookupError:  # a ward removed between the two reads
            abort(404)
    lang = current_language()
    lang_suffix = "" if lang == i18n.DEFAULT_LANGUAGE else f"?lang={lang}"
    download_base = "/public" if ward_slug is None else f"/public/wards/{ward_slug}"
    downloads = [
        # TRANSLATORS: a link on the public pages to download this page's figures as a spreadsheet file (CSV).
        (_("These figures as CSV (for spreadsheets)"), f"{download_base}.csv"),
        # TRANSLATORS: a link on the public pages to download this page's figures as JSON (for programmers).
        (_("These figures as JSON"), f"{download_base}.json"),
    ]
    # TRANSLATORS: the heading of the public page for the whole borough (all 20 wards).
    title = figures.ward_name or _("Tower Hamlets, all wards")
    page = render_template(
        "public/figures.html", title=title, figures=figures, wards=wards, lang_suffix=lang_suffix,
        downloads=downloads, counted_at=london_day_and_time(lang, figures.counted_at, DATE),
        period_start=long_date(figures.period_start), period_end=long_date(figures.period_end),
        months_chart=months_chart(figures) if figures.months else None,
        categories_chart=categories_chart(figures) if figures.by_category else None,
        agencies_chart=agencies_chart(figures.agencies) if figures.agencies else None,
        target_charts=[target_chart(target, index) for index, target in enumerate(figures.targets)],
    )
    return make_response(page)


@blueprint.get("/public")
def borough():
    """The whole borough: every ward's reports together, and the night-safety view ward by ward."""
    return _render(None)


# A slug is lowercase ASCII words joined by "-" (design.md); anything else cannot be a ward.
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@blueprint.get("/public/wards/<slug>")
def ward(slug: str):
    """One ward's figures; an unknown ward is the public 404 page, in the page's language."""
    if not _SLUG.fullmatch(slug):
        abort(404)
    return _render(slug)
