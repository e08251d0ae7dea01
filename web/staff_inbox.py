"""The inbox: the reports shared with the signed-in account's agency, filtered, newest first, with each
agency's response-time clock against its target (GET /staff/reports)."""
from __future__ import annotations

from web.staff import blueprint  # noqa: F401
