"""The protective headers on every answer the app gives (docs/security-tests.md, "Headers"): every GET and
POST address in the URL map, the webhooks' and the chat API's refusals, and the app's 404, 405 and 413
answers, HTML, JSON, XML, CSV, calendar and PDF alike. SQLite and PostgreSQL.

- `X-Content-Type-Options: nosniff`: no browser turns a JSON answer, a resident's photo or a CSV holding
  someone's words into a page.
- Framing forbidden: `X-Frame-Options: DENY`, and `frame-ancestors 'none'` in the Content-Security-Policy,
  so no other site can show a page under its own (clickjacking a staff form, or the chat).
- `Referrer-Policy: no-referrer`: a link followed from the chat page (quick exit goes to another site) does
  not tell that site the person was on Safer Homes. The staff pages say `same-origin`: a staff page's
  address (a report's reference, an inbox filter) never travels to another site, while their own forms
  carry it, as Flask-WTF asks over https.
- `Strict-Transport-Security` whenever the service is on https (PUBLIC_BASE_URL, or TLS straight to the
  process), and never over plain http, where a browser would ignore it anyway.
"""
from __future__ import annotations

import pytest

from tests.web.pentest_world import address, app_with_media, build_world, rules, sign_in

HSTS = "max-age=31536000"


def _answers(app, world) -> list[tuple[str, object]]:
    """(label, response) for every address the app answers, and its refusals."""
    admin, anyone = sign_in(app, "admin"), app.test_client()
    answers = []
    for rule in rules(app, method="GET"):
        for fmt in ("json", "xml") if "fmt" in rule.arguments else (None,):
            path = address(rule, world.ids, fmt=fmt, code="asb", request_id="1")
            client = admin if rule.rule.startswith("/staff") else anyone
            answers.append((f"GET {path}", client.get(path)))
    session = {"session": "s" * 24}
    for path, body in (("/chat/api/messages", {"json": {**session, "text": "hello"}}),
                       ("/chat/api/messages", {"data": "not json"}),
                       ("/chat/api/messages", {"data": b"x" * (70 * 1024)}),
                       ("/chat/api/updates", {"json": session}), ("/chat/api/forget", {"json": session}),
                       ("/webhooks/telegram", {"json": {"update_id": 1}}), ("/webhooks/twilio", {"data": {}}),
                       ("/webhooks/twilio/status", {"data": {}}), ("/open311/v2/requests.json", {"data": {}}),
                       ("/open311/v2/requests.xml", {"data": "x" * (2 * 1024 * 1024)}),
                       ("/staff/login", {"data": {"email": "x", "password": "y"}})):
        answers.append((f"POST {path}", anyone.post(path, **body)))
    for path in ("/nowhere", "/events/99999.ics", "/events/99999/poster", "/open311/v2/nowhere.json",
                 "/public/nowhere/x/y", "/staff/nowhere"):
        answers.append((f"GET {path}", anyone.get(path)))
    answers.append(("PUT /chat", anyone.put("/chat")))
    answers.append(("DELETE /open311/v2/requests.json", anyone.delete("/open311/v2/requests.json")))
    return answers


@pytest.fixture
def app(database_url, tmp_path):
    yield from app_with_media(database_url, tmp_path)


def test_every_answer_forbids_sniffing_framing_and_referrers(app):
    world = build_world(app)
    answers = _answers(app, world)
    assert len(answers) >= 55, len(answers)
    kinds = set()
    for label, response in answers:
        response.close()
        headers = response.headers
        kinds.add(response.mimetype)
        assert headers.get("X-Content-Type-Options") == "nosniff", (label, response.status_code)
        assert headers.get("X-Frame-Options") == "DENY", (label, response.status_code)
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), (label, response.status_code)
        # The staff pages' own forms carry their address (same-origin); no other site ever gets it.
        referrers = ("same-origin",) if label.split()[1].startswith("/staff") else ("no-referrer",)
        assert headers.get("Referrer-Policy") in referrers, (label, response.status_code)
        assert "Strict-Transport-Security" not in headers, label  # http://127.0.0.1 here
    assert {"text/html", "application/json", "text/xml", "text/csv", "text/calendar", "application/pdf",
            "image/jpeg", "text/plain"} <= kinds, kinds


def test_the_pages_own_policies_are_kept_not_replaced(app):
    """The defaults fill what a page left out; the chat's nonce'd script and the staff pages' own policy
    stay exactly as they set them."""
    chat = app.test_client().get("/chat")
    policy = chat.headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in policy and "connect-src 'self'" in policy
    assert chat.headers["Cache-Control"] == "no-store"
    login = app.test_client().get("/staff/login")
    assert "form-action 'self'" in login.headers["Content-Security-Policy"]


@pytest.mark.parametrize("public_base_url", ["https://saferhomes.example.org"])
def test_on_https_every_answer_says_to_keep_to_https(database_url, tmp_path, public_base_url):
    for app in app_with_media(database_url, tmp_path, public_base_url=public_base_url):
        world = build_world(app)
        https = {"base_url": public_base_url, "headers": {"Referer": public_base_url + "/staff/login"}}
        client = app.test_client()
        for path in ("/chat", "/public", "/open311/v2/services.json", "/staff/login", "/healthz", "/nowhere",
                     f"/events/{world.ids['event_id']}.ics"):
            assert client.get(path, **https).headers.get("Strict-Transport-Security") == HSTS, path
        assert client.post("/chat/api/messages", data="{}", **https).headers.get(
            "Strict-Transport-Security") == HSTS


def test_tls_straight_to_the_process_gets_hsts_too(app):
    """PUBLIC_BASE_URL left at http, but the request came over https (TLS ended by the server itself)."""
    response = app.test_client().get("/public", base_url="https://localhost")
    assert response.headers.get("Strict-Transport-Security") == HSTS


def _as_a_browser_posts(client, page_url: str, page, path: str, data: dict):
    """Post a form from `page` as a browser would: with the page's address as Referer only when the page's
    Referrer-Policy lets a same-origin request carry one."""
    policy = page.headers.get("Referrer-Policy", "strict-origin-when-cross-origin")
    sends_referer = policy in ("same-origin", "origin", "strict-origin", "origin-when-cross-origin",
                               "strict-origin-when-cross-origin", "no-referrer-when-downgrade", "unsafe-url")
    headers = {"Referer": page_url} if sends_referer else {}
    return client.post(path, data=data, headers=headers, base_url="https://localhost")


def test_staff_forms_work_when_tls_reaches_the_process_and_their_address_stays_on_this_site(app):
    """Over https Flask-WTF also wants a same-site Referer on every form (WTF_CSRF_SSL_STRICT): a policy of
    no Referer at all would refuse every staff form, sign-in first, when TLS ends at the process. The staff
    pages send their address to this site only; no other site ever gets it."""
    world = build_world(app)
    client = app.test_client()
    login = client.get("/staff/login", base_url="https://localhost")
    token = login.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = _as_a_browser_posts(client, "https://localhost/staff/login", login, "/staff/login", {
        "email": "officer@council.example", "password": "a long enough passphrase", "csrf_token": token})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:300]
    report_url = f"https://localhost/staff/reports/{world.ids['reference']}"
    page = client.get(report_url)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    changed = _as_a_browser_posts(client, report_url, page, f"/staff/reports/{world.ids['reference']}",
                                  {"csrf_token": token, "status": "in_progress", "message": "", "reason": "checking"})
    assert changed.status_code in (302, 303), changed.get_data(as_text=True)
