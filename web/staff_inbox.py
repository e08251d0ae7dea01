"""The inbox: the reports shared with the signed-in account's agency, filtered, newest first, with each
agency's response-time clock against its target (GET /staff/reports)."""
from __future__ import annotations

from flask import abort

from web.staff import blueprint, staff_required


@blueprint.get("/reports")
@staff_required()
def inbox():
    abort(404)  # placeholder so the navigation links resolve; the real page replaces it
