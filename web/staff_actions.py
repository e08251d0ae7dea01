"""What officers do to a report (POST /staff/reports/<reference>...): change its status with a reason,
reply to the resident (a standard reply or their own words, machine-translated with a preview), add an
internal note, refer or share it with another agency, merge a duplicate."""
from __future__ import annotations

from web.staff import blueprint  # noqa: F401
