"""One report as an agency may see it (GET /staff/reports/<reference>): the resident's words beside a
labelled machine translation, photos and voice notes, the history; 404 for a report not shared with the
account's agency (storage/casework.py)."""
from __future__ import annotations

from web.staff import blueprint  # noqa: F401
