"""The protective headers every answer carries, whatever part of the app made it (the staff and public
pages, the chat page and its API, Open311, the webhooks, calendar files, Flask's own 404 and 405).

Each part sets what is particular to it (its Content-Security-Policy with a nonce, its caching); this fills
what a part left out, and never replaces what it set:

- `X-Content-Type-Options: nosniff`: a JSON answer, a resident's photo or a CSV of someone's words is never
  sniffed into a page.
- `X-Frame-Options: DENY` and, where a part set no policy of its own, `Content-Security-Policy:
  default-src 'none'; frame-ancestors 'none'`: no other site shows one of our answers inside its own page.
- `Referrer-Policy: no-referrer`: following a link away (quick exit from the chat) tells the next site
  nothing about where the person was. The staff pages set `same-origin` themselves (web/staff.py): their
  addresses (a report reference, a filter) reach only this site, whose forms need them over https.
- `Strict-Transport-Security` when the service is on https: PUBLIC_BASE_URL says so (TLS ended at a proxy,
  docs/deploy.md), or the request itself came over TLS. X-Forwarded-Proto is not read for it (webhook.py
  trusts proxies for the client address only); a browser ignores the header over plain http anyway.
"""
from __future__ import annotations

from flask import Flask, request

# A year: long enough to matter, and the usual value; no includeSubDomains, as other services of the same
# domain are not ours to decide for.
HSTS = "max-age=31536000"
DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def install(app: Flask, settings) -> None:
    on_https = settings.public_base_url.startswith("https://")

    @app.after_request
    def protect_every_answer(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = DEFAULT_POLICY
        elif "frame-ancestors" not in headers["Content-Security-Policy"]:
            headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
        if on_https or request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
