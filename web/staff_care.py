"""The care-language word list admins edit (rec 8): words that stigmatise young people, people sleeping
rough or people who use drugs or alcohol, with better wording."""
from __future__ import annotations

from flask import abort

from web.staff import blueprint, staff_required


@blueprint.get("/admin/care-words")
@staff_required("admin")
def care_words():
    abort(404)  # placeholder so the navigation links resolve; the real page replaces it
