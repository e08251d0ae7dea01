"""The organisers' pages for events (GET/POST /staff/events...): add, edit, move and cancel events, see
answers and access needs, approve "have your say" items, read feedback."""
from __future__ import annotations

from flask import abort

from web.staff import blueprint, staff_required


@blueprint.get("/events")
@staff_required()
def events():
    abort(404)  # placeholder so the navigation links resolve; the real page replaces it
