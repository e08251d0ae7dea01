"""Every `<int:...>` in a route is a table's row id, so it matches only numbers a row id can be.

PostgreSQL keeps ids as `integer` (at most 2,147,483,647): a larger number in an address reached the query
and PostgreSQL refused it ("integer out of range", a 500), as SQLite did past 2**63. An address holding
one now leads nowhere, as any other unknown id does: each blueprint's own 404 page.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

# PostgreSQL's `integer`, the narrowest type any id column has on either database.
LARGEST_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """Werkzeug's `int` (digits only, no sign) with the row id's upper bound unless a route gives its own."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ROW_ID, signed=False):  # noqa: A002 (Werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install(app: Flask) -> None:
    """Before any blueprint is registered: a rule picks its converter when it is added."""
    app.url_map.converters["int"] = RowIdConverter
