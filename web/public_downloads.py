"""The public figures as downloads for machines: GET /public.csv, /public.json and
/public/wards/<slug>.csv, .json (docs/public-data.md documents both schemas field by field).

They carry exactly what the public pages show, from the same storage.public_figures (already suppressed:
a hidden figure is an empty value with suppressed=true in the CSV, null in the JSON), so a download can
never say more than a page. Cached for at most 60 seconds, as the pages are (design.md).
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any, Iterator, Optional

from flask import Blueprint, Response, current_app, jsonify

from storage.database import new_session
from storage.public_figures import SUPPRESS_BELOW, PublicFigures, cached_public_figures
from web.public import _SLUG as WARD_SLUG

blueprint = Blueprint("public_downloads", __name__)

SCHEMA = "safer-homes-public/1"
CSV_COLUMNS = ("section", "month", "ward", "agency", "category", "status", "time_of_day", "target", "measure",
               "value", "suppressed")
CACHE_CONTROL = "public, max-age=60"


@blueprint.after_request
def _no_sniffing(response):
    # The 404 repeats the slug asked for, as text/plain: a browser must never take it for a page.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/public.json")
def borough_json():
    return _json(None)


@blueprint.get("/public.csv")
def borough_csv():
    return _csv(None)


@blueprint.get("/public/wards/<slug>.json")
def ward_json(slug: str):
    return _json(slug)


@blueprint.get("/public/wards/<slug>.csv")
def ward_csv(slug: str):
    return _csv(slug)


def _figures(ward_slug: Optional[str]) -> Optional[PublicFigures]:
    if ward_slug is not None and not WARD_SLUG.fullmatch(ward_slug):
        # Not a slug, so no ward (as the pages say): never a query, which PostgreSQL answers 500 for a NUL.
        return None
    now = current_app.extensions["safer_homes.clock"]()
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        try:
            return cached_public_figures(session, ward_slug=ward_slug, now=now)
        except LookupError:
            return None


def _json(ward_slug: Optional[str]):
    figures = _figures(ward_slug)
    if figures is None:
        return jsonify(error=f"no ward with the slug {ward_slug!r}"), 404
    response = Response(json.dumps(document(figures), ensure_ascii=False, indent=1),
                        mimetype="application/json")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _csv(ward_slug: Optional[str]):
    figures = _figures(ward_slug)
    if figures is None:
        return Response(f"No ward with the slug {ward_slug!r}.\n", status=404, mimetype="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(figures):
        writer.writerow([spreadsheet_safe(row.get(column, "")) for column in CSV_COLUMNS])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Cache-Control"] = CACHE_CONTROL
    name = f"safer-homes-{figures.ward_slug or 'borough'}-{figures.period_end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) and worse).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a leading ' so it is shown as text. The
    words here are what admins typed (a target's agreed_with), and a download is opened by anyone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _month(month: date) -> str:
    return month.strftime("%Y-%m")


def document(figures: PublicFigures) -> dict[str, Any]:
    """The JSON download: every figure the page shows, null where it is suppressed."""
    return {
        "schema": SCHEMA,
        "suppressed_below": SUPPRESS_BELOW,
        "ward": {"slug": figures.ward_slug, "name": figures.ward_name} if figures.ward_slug else None,
        "period": {"start": figures.period_start.isoformat(), "end": figures.period_end.isoformat(),
                   "months": len(figures.months)},
        "counted_at": _iso(figures.counted_at),
        "reports": {
            "total": figures.total,
            "by_category": figures.by_category,
            "by_status": figures.by_status,
            "months": [{"month": _month(month.month), "total": month.total, "by_category": month.by_category,
                        "by_status": month.by_status} for month in figures.months],
        },
        "agencies": [{
            "agency": agency.agency_slug,
            "names": agency.agency_names,
            "target_working_days": agency.target_working_days,
            "reports": agency.reports,
            "responded": agency.responded,
            "first_response_median_working_days": agency.first_response_median,
            "first_response_p90_working_days": agency.first_response_p90,
            "within_target_percent": agency.within_target_percent,
            "closed": agency.closed,
            "close_median_working_days": agency.close_median,
            "close_p90_working_days": agency.close_p90,
        } for agency in figures.agencies],
        "satisfaction": {"answers": figures.satisfaction.answers, "yes": figures.satisfaction.yes,
                         "partly": figures.satisfaction.partly, "no": figures.satisfaction.no},
        "targets": [{
            "target": target.target_id,
            "measure": target.measure,
            "agency": target.agency_slug,
            "agency_names": target.agency_names,
            "ward": target.ward_slug,
            "working_days": target.working_days,
            "share_percent": target.share_percent,
            "agreed_with": target.agreed_with,
            "agreed_on": target.agreed_on.isoformat(),
            "effective_from": target.effective_from.isoformat(),
            "retired_on": target.retired_on.isoformat() if target.retired_on else None,
            "points": [{"month": _month(point.month), "counted": point.counted, "met_percent": point.met_percent}
                       for point in target.points],
        } for target in figures.targets],
        "night_safety": [{
            "ward": row.ward_slug,
            "ward_name": row.ward_name,
            "by_time_of_day": row.by_time_of_day,
            "women_and_girls_by_time_of_day": row.women_and_girls_by_time_of_day,
            "responded_percent": row.responded_percent,
        } for row in figures.night_safety],
        "entries": [{
            "entry": entry.entry_id,
            "ward": entry.ward_slug,
            "category": entry.category,
            "agency": entry.agency_slug,
            "you_said": entry.you_said,
            "we_did": entry.we_did,
            "translations": entry.translations,
            "machine_translated": list(entry.machine_translated),
            "published_on": entry.published_at.date().isoformat(),
        } for entry in figures.entries],
    }


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def csv_rows(figures: PublicFigures) -> Iterator[dict[str, Any]]:
    """The CSV download, one figure a row (long format); entries are words, not figures: JSON only."""
    scope = figures.ward_slug or ""

    def figure(section: str, measure: str, value, **where) -> dict[str, Any]:
        # Only counts and figures from counts can be suppressed; a None there is a hidden figure.
        return {"section": section, "ward": scope, "measure": measure, **where,
                "value": "" if value is None else value, "suppressed": "true" if value is None else "false"}

    def reports(month: str, total, by_category, by_status):
        yield figure("reports", "count", total, month=month)
        for key, value in by_category.items():
            yield figure("reports", "count", value, month=month, category=key)
        for key, value in by_status.items():
            yield figure("reports", "count", value, month=month, status=key)

    yield from reports("", figures.total, figures.by_category, figures.by_status)
    for month in figures.months:
        yield from reports(_month(month.month), month.total, month.by_category, month.by_status)
    for agency in figures.agencies:
        for measure, value in (("target_working_days", agency.target_working_days), ("reports", agency.reports),
                               ("responded", agency.responded),
                               ("first_response_median_working_days", agency.first_response_median),
                               ("first_response_p90_working_days", agency.first_response_p90),
                               ("within_target_percent", agency.within_target_percent),
                               ("closed", agency.closed), ("close_median_working_days", agency.close_median),
                               ("close_p90_working_days", agency.close_p90)):
            yield figure("agency", measure, value, agency=agency.agency_slug)
    satisfaction = figures.satisfaction
    for measure, value in (("answers", satisfaction.answers), ("yes", satisfaction.yes),
                           ("partly", satisfaction.partly), ("no", satisfaction.no)):
        yield figure("satisfaction", measure, value)
    for target in figures.targets:
        where = {"agency": target.agency_slug or "", "target": target.target_id}
        # What was agreed: never suppressed (no resident is counted in it); empty when not agreed.
        for measure, value in (("measure", target.measure), ("working_days", target.working_days), ("share_percent", target.share_percent),
                               ("agreed_with", target.agreed_with), ("agreed_on", target.agreed_on.isoformat()),
                               ("effective_from", target.effective_from.isoformat()),
                               ("retired_on", target.retired_on.isoformat() if target.retired_on else None)):
            yield {**figure("target", measure, value, **where), "ward": target.ward_slug or "",
                   "suppressed": "false"}
        for point in target.points:
            yield {**figure("target", "counted", point.counted, month=_month(point.month), **where),
                   "ward": scope}
            yield {**figure("target", "met_percent", point.met_percent, month=_month(point.month), **where),
                   "ward": scope}
    for row in figures.night_safety:
        for time_of_day, value in row.by_time_of_day.items():
            yield {**figure("night_safety", "unsafe_place_reports", value, time_of_day=time_of_day),
                   "ward": row.ward_slug or ""}
        for time_of_day, value in row.women_and_girls_by_time_of_day.items():
            yield {**figure("night_safety", "women_and_girls_reports", value, time_of_day=time_of_day),
                   "ward": row.ward_slug or ""}
        yield {**figure("night_safety", "responded_percent", row.responded_percent), "ward": row.ward_slug or ""}
