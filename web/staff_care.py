"""The care-language word list admins edit (rec 8): words that stigmatise young people, people sleeping
rough or people who use drugs or alcohol, with better wording."""
from __future__ import annotations

from web.staff import blueprint  # noqa: F401
