"""The organisers' pages for events (GET/POST /staff/events...): add, edit, move and cancel events, see
answers and access needs, approve "have your say" items, read feedback."""
from __future__ import annotations

from web.staff import blueprint  # noqa: F401
