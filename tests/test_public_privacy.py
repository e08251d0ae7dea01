"""Nothing private reaches any public output (SQLite and PostgreSQL).

One borough is seeded through the real code paths: the web chat API (a named and an anonymous resident), the
storage functions (reports five a ward and category, so figures are shown rather than hidden; "was this
sorted?"; agenda items for a ward panel), the staff pages (a free reply, an internal note, status reasons, a
spam mark, public summaries approved, withdrawn and refused, "You said, we did" entries drafted, published and
withdrawn, an agreed target) and the Open311 POST with the spec's personal fields. Every field a resident or an
officer wrote holds a marker of its own. Then every public output is fetched in English, Bengali and Somali:
/public and the seeded wards' pages and downloads, the ward panel digest (HTML and the PDF's text), and every
Open311 endpoint in JSON and XML. No marker may appear in any of them (bytes, any case), nor the exact minute
an anonymous report was made, nor a count from 1 to 4 in the machine-readable outputs; and the words staff
did approve for the public must appear where the outputs show them, so the test can fail.
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from flows import i18n
from flows.events import LONDON
from storage import agenda, api_keys, contacts, events, reports, sorted_checks, staff
from storage.database import new_session
from storage.models import Report
from storage.public_figures import clear_public_figures_cache

UTC = timezone.utc
# Seeding happens at SEED: 13:47 UTC, 14:47 in London. Every report is made at minute 47 of its hour, and the
# pages are fetched at FETCH (minute 5), so "13:47"/"14:47" in any output could only come from a report's time.
SEED = datetime(2026, 6, 10, 13, 47, tzinfo=UTC)  # a Wednesday
FETCH = datetime(2026, 6, 15, 9, 5, tzinfo=UTC)
MEETING = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
LANGUAGES = ("en", "bn", "so")
WARDS = ("weavers", "bow-east")
CATEGORIES = ("asb", "noise")
PASSWORD = "a long enough passphrase"
OFFICER = "officer.qz7m@council.example"
ADMIN = "admin.qz7m@example.org"

# Resident and staff words that no public output may carry, each unique.
MARKERS = {
    "description": "qzdesc-5521",
    "location_text": "qzplace-6610",
    "when_text": "qzwhen-7702",
    "chat_description": "qzchatdesc-1187",
    "chat_location": "qzchatplace-2298",
    "chat_when": "qzchatwhen-3309",
    "reporter_name": "Qzname Hodanova",
    "latitude": "51.52345678",
    "longitude": "0.07123456",
    "sorted_comment": "qzsorted-4410",
    "free_reply": "qzreply-5532",
    "internal_note": "qznote-6643",
    "status_reason": "qzreason-7754",
    "closing_reason": "qzclosing-8865",
    "spam_reason": "qzspam-9976",
    "agenda_original": "qzagenda-original-1021",
    "agenda_waiting": "qzagenda-waiting-1132",
    "agenda_hidden": "qzagenda-hidden-1243",
    "agenda_hidden_wording": "qzagenda-hiddenwording-1354",
    "entry_draft_said": "qzdraft-said-2465",
    "entry_draft_did": "qzdraft-did-2576",
    "entry_withdrawn_said": "qzwithdrawn-said-2687",
    "entry_withdrawn_did": "qzwithdrawn-did-2798",
    "summary_refused": "qzsummary-refused-3809",
    "summary_withdrawn": "qzsummary-withdrawn-3910",
    "summary_of_spam": "qzsummary-spam-4021",
    "target_note": "qztarget-note-4132",
    "officer_email": OFFICER,
    "admin_email": ADMIN,
    "open311_description": "qzopen311desc-5243",
    "open311_address": "qzopen311addr-5354",
    "open311_address_id": "qzopen311addrid-5465",
    "open311_latitude": "51.51876543",
    "open311_longitude": "0.06987654",
    "open311_email": "qz.open311@example.net",
    "open311_first_name": "Qzfirst",
    "open311_last_name": "Qzlastname",
    "open311_phone": "+447700900123",
    "open311_device_id": "qzdevice-6576",
    "open311_account_id": "qzaccount-6687",
    "open311_media_url": "qzmedia-6798",
}
# Words staff approved for the public: they must appear where an output shows them.
APPROVED = {
    "entry_said": "Residents said the Weavers stairwell was dark qzok-said",
    "entry_did": "We replaced the stairwell lights qzok-did",
    "summary": "A broken light on a stairwell was reported and fixed qzok-summary",
    "agenda": "Lighting on the canal path qzok-agenda",
    "agreed_with": "Weavers ward panel qzok-agreed",
}
# Integers in the JSON outputs that are not counts of reports or answers (so 1 to 4 may stand there).
NOT_COUNTS = {"suppressed_below", "months", "target_working_days", "working_days", "share_percent", "entry",
              "target", "code"}
CSV_NOT_COUNTS = {"target_working_days", "working_days", "share_percent"}

_references = count(1)


# --- seeding ---------------------------------------------------------------------------------------------

class Clock:
    now = SEED


@pytest.fixture
def clock(app):
    app.extensions["safer_homes.clock"] = lambda: Clock.now
    Clock.now = SEED
    clear_public_figures_cache()
    yield Clock
    clear_public_figures_cache()


def _engine(app):
    return app.extensions["safer_homes.engine"]


def _reference() -> str:
    # Crockford base32 without I, L, O, U: TH-QZ00-0001 and so on.
    return f"TH-QZ{next(_references):02d}-{7000 + next(_references):04d}"


def seed_reports(app) -> dict:
    """Five reports a ward and category (the first private, the rest anonymous), one more marked spam later;
    every free-text field a marker, the first with a precise location. Returns their references by role."""
    made = {"all": [], "anonymous": [], "private": {}}
    with new_session(_engine(app)) as session:
        for ward in WARDS:
            for category in CATEGORIES:
                for index in range(5):
                    reference = _reference()
                    contact_id = None
                    privacy = "private" if index == 0 else "anonymous"
                    if privacy == "private":
                        contact = contacts.find_or_create_contact(
                            session, channel="webchat", address_hash=reference.ljust(64, "h"), address_sealed=None,
                            now=SEED)
                        contact_id = contact.id
                        made["private"][(ward, category)] = reference
                    else:
                        made["anonymous"].append(reference)
                    precise = index == 0 and ward == "weavers"
                    reports.create_report(
                        session, reference=reference, category=category, language="en", channel="webchat",
                        privacy=privacy, agency_slugs=("council", "housing"),
                        description=f"{MARKERS['description']} {ward} {category} {index}",
                        received_at=SEED - timedelta(days=index + 1), ward_slug=ward,
                        location_text=f"{MARKERS['location_text']} {index}", when_kind="text",
                        when_text=f"{MARKERS['when_text']} {index}",
                        latitude=float(MARKERS["latitude"]) if precise else None,
                        longitude=-float(MARKERS["longitude"]) if precise else None,
                        sender_contact_id=contact_id)
                    made["all"].append(reference)
        spam = _reference()
        reports.create_report(session, reference=spam, category="asb", language="en", channel="webchat",
                              privacy="anonymous", agency_slugs=("council",), description=MARKERS["description"],
                              received_at=SEED - timedelta(days=2), ward_slug="weavers")
        made["spam"] = spam
        made["all"].append(spam)
        made["anonymous"].append(spam)
        session.commit()
    return made


def chat_report(client, *, privacy: str, name: str | None = None) -> str:
    """A resident reports harassment through the web chat API, their place, time and words in markers."""
    steps = [dict(choice="start"), dict(choice="lang:en"), dict(choice="menu:report"), dict(choice="danger:no"),
             dict(choice="cat:harassment"), dict(text=MARKERS["chat_location"]), dict(text=MARKERS["chat_when"]),
             dict(text=MARKERS["chat_description"]), dict(choice=f"privacy:{privacy}")]
    if name:
        steps.append(dict(text=name))
    steps += [dict(choice="done"), dict(choice="confirm:yes")]
    session_id = f"qz-privacy-session-{privacy}-0001"
    text = ""
    for step in steps:
        response = client.post("/chat/api/messages", json={"session": session_id, **step})
        assert response.status_code == 200, response.get_data(as_text=True)
        text = "\n".join(reply["text"] for reply in response.get_json()["replies"])
    return re.search(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)


def add_staff(app, email: str, role: str, agency: str | None) -> None:
    with new_session(_engine(app)) as session:
        staff.add_staff(session, email=email, role=role, agency_slug=agency, password=PASSWORD, now=SEED)
        session.commit()


def signed_in(app, email: str):
    client = app.test_client()
    login = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _report_page(client, reference: str) -> str:
    response = client.get(f"/staff/reports/{reference}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def staff_post(client, reference: str, action: str, data: dict):
    """Post `data` to `action` with the hidden fields (token, version) of the page's form for it."""
    page = _report_page(client, reference)
    form = re.search(r'<form method="post" action="' + re.escape(action) + r'[^"]*"[^>]*>(.*?)</form>', page, re.S)
    assert form, action
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    return client.post(action, data={**fields, **data})


def _token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def act_as_officer(app, made: dict) -> None:
    """On one private report: a free reply with a status reason, an internal note, closing with a reason; on
    others: public summaries approved (kept), approved then withdrawn, refused by the care check, and one on a
    report then marked spam."""
    officer = signed_in(app, OFFICER)
    worked = made["private"][("weavers", "asb")]
    base = f"/staff/reports/{worked}"
    replied = staff_post(officer, worked, base, {"status": "in_progress", "reason": MARKERS["status_reason"],
                                                 "message": f"Hello, {MARKERS['free_reply']}"})
    assert replied.status_code == 303, replied.get_data(as_text=True)
    assert staff_post(officer, worked, base, {"internal_note": MARKERS["internal_note"]}).status_code == 303
    closed = staff_post(officer, worked, base, {"status": "closed", "reason": MARKERS["closing_reason"],
                                                "standard_reply": "closed.resolved"})
    assert closed.status_code == 303
    assert staff_post(officer, worked, f"{base}/public-summary", {"summary": APPROVED["summary"]}).status_code == 303

    withdrawn = made["anonymous"][0]
    assert staff_post(officer, withdrawn, f"/staff/reports/{withdrawn}/public-summary",
                      {"summary": MARKERS["summary_withdrawn"]}).status_code == 303
    assert staff_post(officer, withdrawn, f"/staff/reports/{withdrawn}/public-summary/withdraw",
                      {}).status_code == 303
    refused = made["anonymous"][1]
    response = staff_post(officer, refused, f"/staff/reports/{refused}/public-summary",
                          {"summary": f"The yobs again {MARKERS['summary_refused']}"})
    assert response.status_code == 400  # the care-language check: not approved, not saved

    spam = made["spam"]
    assert staff_post(officer, spam, f"/staff/reports/{spam}/public-summary",
                      {"summary": MARKERS["summary_of_spam"]}).status_code == 303
    assert staff_post(officer, spam, f"/staff/reports/{spam}/spam",
                      {"reason": MARKERS["spam_reason"]}).status_code == 303

    # "You said, we did": one published, one left a draft, one published and withdrawn.
    token = _token(officer, "/staff/public/entries/new")

    def entry(said: str, did: str) -> int:
        form = {"csrf_token": token, "ward": "weavers", "category": "asb", "report": "", "you_said": said,
                "we_did": did, "you_said_bn": "", "we_did_bn": "", "you_said_so": "", "we_did_so": ""}
        response = officer.post("/staff/public/entries/new", data=form)
        assert response.status_code == 303, response.get_data(as_text=True)
        return int(re.search(r"/staff/public/entries/(\d+)", response.headers["Location"]).group(1))

    published = entry(APPROVED["entry_said"], APPROVED["entry_did"])
    entry(MARKERS["entry_draft_said"], MARKERS["entry_draft_did"])
    withdrawn_entry = entry(MARKERS["entry_withdrawn_said"], MARKERS["entry_withdrawn_did"])
    for entry_id, actions in ((published, ("publish",)), (withdrawn_entry, ("publish", "withdraw"))):
        for action in actions:
            response = officer.post(f"/staff/public/entries/{entry_id}/{action}", data={"csrf_token": token})
            assert response.status_code == 303, (action, response.status_code)


def record_target(app) -> None:
    admin = signed_in(app, ADMIN)
    token = _token(admin, "/staff/admin/targets")
    response = admin.post("/staff/admin/targets", data={
        "csrf_token": token, "measure": "first_response", "agency": "council", "ward": "", "working_days": "3",
        "share_percent": "80", "agreed_with": APPROVED["agreed_with"], "agreed_on": "2026-01-10",
        "effective_from": "2026-01-10", "note": MARKERS["target_note"]})
    assert response.status_code == 303, response.get_data(as_text=True)


def answer_sorted(app, reference: str) -> None:
    with new_session(_engine(app)) as session:
        closed_at = session.execute(select(Report.closed_at).where(Report.reference == reference)).scalar_one()
        sorted_checks.record_answer(session, reference=reference, answer="partly", now=SEED, via="status_check")
        sorted_checks.add_comment(session, reference=reference, closed_at=closed_at,
                                  comment=MARKERS["sorted_comment"], language="en")
        session.commit()


def seed_meeting(app) -> int:
    """A Weavers ward panel with an approved item (shown in the organiser's wording), a waiting and a hidden
    one (hidden after approval, with a wording of its own)."""
    with new_session(_engine(app)) as session:
        meeting = events.create_event(session, title="Weavers ward panel", starts_at=MEETING,
                                      now=SEED - timedelta(days=30), ward_slug="weavers", kind="ward_panel",
                                      place="Oxford House")
        approved = agenda.save_item(session, topic="unsafe_place", text=MARKERS["agenda_original"], language="en",
                                    now=SEED, event_id=meeting.id)
        agenda.approve_item(session, item_id=approved.id, now=SEED, shown_text=APPROVED["agenda"])
        agenda.save_item(session, topic="asb", text=MARKERS["agenda_waiting"], language="en", now=SEED,
                         event_id=meeting.id)
        hidden = agenda.save_item(session, topic="drugs", text=MARKERS["agenda_hidden"], language="en", now=SEED,
                                  event_id=meeting.id)
        agenda.approve_item(session, item_id=hidden.id, now=SEED, shown_text=MARKERS["agenda_hidden_wording"])
        agenda.hide_item(session, item_id=hidden.id, now=SEED)
        session.commit()
        return meeting.id


def post_open311(app, client) -> str:
    """A council system's report with every personal field the spec allows; returns its reference."""
    with new_session(_engine(app)) as session:
        _row, key = api_keys.create_api_key(session, name="Council CRM", now=SEED)
        session.commit()
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "asb", "description": MARKERS["open311_description"],
        "address_string": f"{MARKERS['open311_address']}, Weavers", "address_id": MARKERS["open311_address_id"],
        "lat": MARKERS["open311_latitude"], "long": "-" + MARKERS["open311_longitude"],
        "email": MARKERS["open311_email"], "first_name": MARKERS["open311_first_name"],
        "last_name": MARKERS["open311_last_name"], "phone": MARKERS["open311_phone"],
        "device_id": MARKERS["open311_device_id"], "account_id": MARKERS["open311_account_id"],
        "media_url": f"https://example.org/{MARKERS['open311_media_url']}.jpg",
    })
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return re.search(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}", response.get_json()[0]["service_notice"]).group(0)


@pytest.fixture
def seeded(app, client, clock):
    add_staff(app, OFFICER, "officer", "council")
    add_staff(app, ADMIN, "admin", None)
    made = seed_reports(app)
    named = chat_report(client, privacy="named", name=MARKERS["reporter_name"])
    anonymous = chat_report(client, privacy="anonymous")
    made["all"] += [named, anonymous]
    made["anonymous"].append(anonymous)
    made["not_listed"] = [named, anonymous]  # harassment: counted on the pages, never listed by Open311
    act_as_officer(app, made)
    answer_sorted(app, made["private"][("weavers", "asb")])
    record_target(app)
    made["meeting"] = seed_meeting(app)
    opened = post_open311(app, client)
    made["all"].append(opened)
    made["anonymous"].append(opened)
    with new_session(_engine(app)) as session:
        rows = session.execute(select(Report.reference, Report.id, Report.privacy, Report.ward_id)).all()
    made["ids"] = {reference: report_id for reference, report_id, _privacy, _ward in rows}
    assert {privacy for reference, _id, privacy, _ward in rows if reference == named} == {"named"}
    assert len(rows) == len(made["all"]) == 2 * 2 * 5 + 1 + 2 + 1
    clock.now = FETCH
    clear_public_figures_cache()
    return made


# --- fetching every public output --------------------------------------------------------------------------

def public_outputs(client, made: dict) -> dict[str, bytes]:
    """Every public output, by address (the PDF as its extracted text)."""
    outputs: dict[str, bytes] = {}

    def get(path: str) -> bytes:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.data

    meeting = made["meeting"]
    ids = sorted(made["ids"].values())
    for lang in LANGUAGES:
        pages = ["/public", *[f"/public/wards/{ward}" for ward in WARDS]]
        for page in pages:
            outputs[f"{page}?lang={lang}"] = get(f"{page}?lang={lang}")
            for suffix in (".csv", ".json"):
                outputs[f"{page}{suffix}?lang={lang}"] = get(f"{page}{suffix}?lang={lang}")
        digest = f"/public/wards/weavers/meetings/{meeting}"
        outputs[f"{digest}?lang={lang}"] = get(f"{digest}?lang={lang}")
        pdf = PdfReader(io.BytesIO(get(f"{digest}.pdf?lang={lang}")))
        outputs[f"{digest}.pdf?lang={lang}"] = "\n".join(page.extract_text() for page in pdf.pages).encode()
        for fmt in ("json", "xml"):
            paths = [f"discovery.{fmt}", f"services.{fmt}", f"services/asb.{fmt}", f"requests.{fmt}",
                     f"requests.{fmt}?service_code=asb,noise", f"requests.{fmt}?status=open",
                     f"requests.{fmt}?status=closed",
                     f"requests.{fmt}?start_date=2026-05-01T00:00:00Z&end_date=2026-06-15T09:00:00Z",
                     f"requests.{fmt}?service_request_id={','.join(str(report_id) for report_id in ids)}",
                     *[f"requests/{report_id}.{fmt}" for report_id in ids
                       if report_id not in {made["ids"][reference] for reference in (made["spam"], *made["not_listed"])}]]
            for path in paths:
                joiner = "&" if "?" in path else "?"
                outputs[f"/open311/v2/{path}{joiner}lang={lang}"] = get(f"/open311/v2/{path}{joiner}lang={lang}")
    return outputs


def _minutes_of(made_at: datetime) -> set[str]:
    """How an exact minute could be written: UTC and London, in each page's digits."""
    forms = set()
    for moment in (made_at.astimezone(UTC), made_at.astimezone(LONDON)):
        for lang in LANGUAGES:
            forms.add(i18n.localise_digits(moment.strftime("%H:%M"), lang))
    return forms


def _counts_in_json(value, key=None, path="") -> list[str]:
    """Where a JSON document publishes an integer from 1 to 4 under a key that holds a count."""
    found = []
    if isinstance(value, dict):
        for name, item in value.items():
            found += _counts_in_json(item, name, f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _counts_in_json(item, key, f"{path}[{index}]")
    elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4 and key not in NOT_COUNTS:
        found.append(f"{path}={value}")
    return found


def _counts_in_csv(data: bytes) -> list[str]:
    found = []
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        value = row["value"]
        if value.isdigit() and 1 <= int(value) <= 4 and row["measure"] not in CSV_NOT_COUNTS:
            found.append(repr(row))
    return found


# --- the test ----------------------------------------------------------------------------------------------

def test_no_private_words_times_or_small_counts_reach_any_public_output(client, seeded):
    outputs = public_outputs(client, seeded)
    forbidden = {**{f"marker {name}": marker for name, marker in MARKERS.items()},
                 **{f"reference {reference}": reference for reference in seeded["all"]}}
    # Anonymous reports were made at minute 47 (the chat's and Open311's at SEED); published times are hours.
    for minute in _minutes_of(SEED):
        forbidden[f"minute {minute}"] = minute
    problems = []
    for address, data in outputs.items():
        lowered = data.lower()
        for what, text in forbidden.items():
            if text.lower().encode() in lowered:
                problems.append(f"{what} in {address}")
        if address.split("?")[0].endswith(".json"):
            problems += [f"count {where} in {address}" for where in _counts_in_json(json.loads(data))]
        if address.split("?")[0].endswith(".csv"):
            problems += [f"count {row} in {address}" for row in _counts_in_csv(data)]
    assert problems == []

    # The approved words are there, where each output shows them: the test can see what it looks for.
    def shows(address: str, text: str) -> bool:
        return text.lower().encode() in outputs[address].lower()

    meeting = seeded["meeting"]
    for lang in LANGUAGES:
        for page in ("/public", "/public/wards/weavers"):
            for suffix in ("", ".json"):
                for words in (APPROVED["entry_said"], APPROVED["entry_did"], APPROVED["agreed_with"]):
                    assert shows(f"{page}{suffix}?lang={lang}", words), (page, suffix, lang, words)
        assert shows(f"/public.csv?lang={lang}", APPROVED["agreed_with"])
        digest = f"/public/wards/weavers/meetings/{meeting}"
        assert shows(f"{digest}?lang={lang}", APPROVED["agenda"])
        assert shows(f"{digest}?lang={lang}", APPROVED["entry_did"])
        for fmt in ("json", "xml"):
            assert shows(f"/open311/v2/requests.{fmt}?lang={lang}", APPROVED["summary"]), (fmt, lang)
            worked = seeded["ids"][seeded["private"][("weavers", "asb")]]
            assert shows(f"/open311/v2/requests/{worked}.{fmt}?lang={lang}", APPROVED["summary"])
    assert "qzok-agenda" in outputs[f"/public/wards/weavers/meetings/{meeting}.pdf?lang=en"].decode()

    # And the figures are shown, not hidden: five asb and five noise reports in Bow East, six asb in Weavers
    # (the Open311 one; the spam one is not counted), and the named and anonymous chat reports in the borough.
    bow_east = json.loads(outputs["/public/wards/bow-east.json?lang=en"])
    assert (bow_east["reports"]["by_category"]["asb"], bow_east["reports"]["by_category"]["noise"]) == (5, 5)
    weavers = json.loads(outputs["/public/wards/weavers.json?lang=en"])
    assert (weavers["reports"]["by_category"]["asb"], weavers["reports"]["total"]) == (6, 11)
    borough = json.loads(outputs["/public.json?lang=en"])
    assert borough["reports"]["total"] == 23 and borough["reports"]["by_category"]["harassment"] is None
    requests = json.loads(outputs["/open311/v2/requests.json?lang=en"])
    # Every counted report but the two harassment ones (person-directed reports are never listed one by one).
    assert len(requests) == 21
