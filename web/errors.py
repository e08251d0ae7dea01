"""The app's one answer to an address that leads nowhere (404) or a method it does not take (405), by
where the address is: each part of the service says it in its own way, in the reader's language.

- /staff/...: the staff pages' 404 (web/staff.py), the same for a missing page as for a report the
  officer's agency may not see, so it never reveals that a report exists (design.md).
- /public and /public/...: the public 404 page (web/public.py), whether no route matched
  (/public/wards/a/b), a ward is unknown, or a ward panel digest's meeting is not the ward's.
- /open311/...: the GeoReport v2 error document (`[{"code": 404, "description": ...}]`, in XML for an
  address ending .xml), for a 404 and for a 405 alike, as council systems read every other error.
- anything else: Flask's own answer.

Registered once for the whole app, so a route's blueprint never decides it (a router that matched nothing
has no blueprint) and no part's handler shadows another's.
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import MethodNotAllowed, NotFound


def _under(prefix: str) -> bool:
    return request.path == prefix or request.path.startswith(prefix + "/")


def not_found(error: NotFound):
    from web import open311, public, staff

    if _under("/staff"):
        return staff.not_found_page()
    if _under("/public"):
        return public.not_found_page()
    if _under("/open311"):
        return open311.not_found_answer()
    return error


def method_not_allowed(error: MethodNotAllowed):
    from web import open311

    if _under("/open311"):
        return open311.method_not_allowed_answer(error.valid_methods or ())
    return error


def install(app: Flask) -> None:
    app.register_error_handler(NotFound, not_found)
    app.register_error_handler(MethodNotAllowed, method_not_allowed)

