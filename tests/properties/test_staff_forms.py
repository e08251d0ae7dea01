"""Every staff form, posted with a valid CSRF token and any values at all (NUL, markup, huge numbers, dates
that do not exist, words in any script), on SQLite and PostgreSQL: a page, a redirect or a clear refusal,
never a 500; what was typed never comes back as markup; and an officer's forms never reach a report their
agency was not given."""
from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.database import new_session
from storage.models import Event, Report
from tests.properties import strategies as S
from tests.properties.counting import table_counts
from tests.properties.test_web_queries import COUNCIL_REPORT, POLICE_REPORT, POLICE_WORDS, _report
from tests.web.test_staff_pages import PASSWORD, _account, _login

SHARED_APP = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ALLOWED = {200, 302, 303, 400, 403, 404, 409, 422, 429}
_tags = itertools.count(1)


class Staff:
    """Signed-in clients of each role, each with its session's CSRF token, and the rows forms may name."""

    def __init__(self, app):
        self.app = app
        self.clients, self.tokens = {}, {}
        _report(app, COUNCIL_REPORT, ("council", "housing"), "Music every night")
        _report(app, POLICE_REPORT, ("police",), POLICE_WORDS)
        for role, agency in (("officer", "council"), ("organiser", "council"), ("admin", None)):
            email = f"{role}@example.org"
            _account(app, email, role, agency)
            client = app.test_client()
            assert _login(client, email).status_code == 302
            page = client.get("/staff/").get_data(as_text=True)
            self.clients[role] = client
            self.tokens[role] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        with new_session(app.extensions["safer_homes.engine"]) as session:
            event_row = Event(title="Weavers ward panel", starts_at=datetime.now(timezone.utc) + timedelta(days=20),
                              place="Weavers Community Centre", created_at=datetime.now(timezone.utc))
            session.add(event_row)
            session.commit()
            self.event_id = event_row.id

    def __repr__(self) -> str:
        return "Staff()"


@pytest.fixture
def staff(app):
    return Staff(app)


values = st.one_of(
    S.hostile_text, st.text(max_size=30), st.integers(-2**70, 2**70).map(str),
    st.sampled_from(("", " ", "0", "1", "-1", "²", "٣", "1e9", "99999999999999999999", "nan", "\x00", "a\x00b",
                     "2027-02-30", "2027-13-01", "0001-01-01", "9999-12-31", "27:61", "18:30", "2027-02-04",
                     "received", "in_progress", "closed", "council", "police", "housing", "weavers", "noise",
                     "officer", "admin", "viewer", "organiser", "telegram", "sms", "+447700900123", "yes", "on",
                     COUNCIL_REPORT, POLICE_REPORT, "TH-0000-0000", "ward_panel", "asb")),
    S.too_long_text,
)
values_without_nul = values.filter(lambda value: "\x00" not in value)
# Values a form would accept, mixed with anything: so the examples get past the first check to the next.
_dates = st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2100, 1, 1).date()).map(str) | \
    st.sampled_from(("9999-12-31", "0001-01-01"))
plausible = {
    "status": st.sampled_from(("received", "in_progress", "action_taken", "referred", "closed")),
    "agency": st.sampled_from(("council", "housing", "police")), "ward": st.sampled_from(("weavers", "bow-east", "")),
    "kind": st.sampled_from(("ward_panel", "community_forum", "tra_meeting")),
    "starts_date": _dates, "agreed_on": _dates, "effective_from": _dates, "retired_on": _dates,
    "starts_time": st.times().map(lambda moment: moment.strftime("%H:%M")),
    "ends_time": st.times().map(lambda moment: moment.strftime("%H:%M")),
    "capacity": st.integers(-5, 10**6).map(str), "working_days": st.integers(-5, 400).map(str),
    "share_percent": st.integers(-5, 150).map(str), "role": st.sampled_from(("officer", "admin", "viewer", "organiser")),
    "channel": st.sampled_from(("telegram", "whatsapp", "sms", "webchat")),
    "category": st.sampled_from(("asb", "noise", "unsafe_place", "other")),
    "measure": st.sampled_from(("first_response", "close", "satisfaction", "share")),
    "into_reference": st.sampled_from((COUNCIL_REPORT, POLICE_REPORT, "TH-0000-0000", "th cccc 0001")),
    "confirmed": st.just("yes"), "confirm": st.just("yes"),
}
plausible = {name: strategy | values_without_nul for name, strategy in plausible.items()}
REPORT_FIELDS = ("status", "message", "internal_note", "standard_reply", "agency", "reason", "route", "into_reference",
                 "summary", "expected_update_id", "care_confirmed", "preview", "send", "translated",
                 "translation_engine", "translation_signature")
EVENT_FIELDS = ("title", "description", "kind", "ward", "space", "place", "starts_date", "starts_time", "ends_time",
                "capacity", "interpreters", "food", "childcare", "step_free", "voucher", "decision_makers",
                "care_confirmed", "confirmed", "how", "wording")
FORMS = {
    # path (formatted with the report reference or the event id), the roles that post it, its fields
    "/staff/reports/{report}": (("officer",), REPORT_FIELDS),
    "/staff/reports/{report}/refer": (("officer",), REPORT_FIELDS),
    "/staff/reports/{report}/merge": (("officer",), REPORT_FIELDS),
    "/staff/reports/{report}/spam": (("officer",), REPORT_FIELDS),
    "/staff/reports/{report}/spam/undo": (("officer",), REPORT_FIELDS),
    "/staff/reports/{report}/public-summary": (("officer",), REPORT_FIELDS),
    "/staff/reports/{report}/public-summary/withdraw": (("officer",), REPORT_FIELDS),
    "/staff/events/new": (("organiser",), EVENT_FIELDS),
    "/staff/events/{event}/edit": (("organiser",), EVENT_FIELDS),
    "/staff/events/{event}/move": (("organiser",), EVENT_FIELDS),
    "/staff/events/{event}/cancel": (("organiser",), EVENT_FIELDS),
    "/staff/events/{event}/digest": (("organiser",), EVENT_FIELDS),
    "/staff/events/{event}/agenda/1/approve": (("organiser",), EVENT_FIELDS),
    "/staff/public/entries/new": (("officer",), ("agency", "category", "ward", "you_said", "we_did", "report",
                                                 "care_confirmed", "machine", "translate", "shown_state")),
    "/staff/admin/targets": (("admin",), ("agency", "ward", "measure", "working_days", "share_percent", "agreed_with",
                                          "agreed_on", "effective_from", "note", "retired_on")),
    "/staff/admin/care-words": (("admin",), ("term", "suggestion", "group")),
    "/staff/admin/users": (("admin",), ("email", "role", "agency", "password")),
    "/staff/admin/subjects": (("admin",), ("channel", "address", "reference", "confirm")),
    "/staff/admin/subjects/download": (("admin",), ("channel", "address", "reference", "confirm")),
    "/staff/admin/subjects/erase": (("admin",), ("channel", "address", "reference", "confirm")),
}


@SHARED_APP
@given(path=st.sampled_from(sorted(FORMS)), data=st.data())
@example(path="/staff/events/new", data=None)
def test_every_staff_form_answers_any_values_without_a_500(staff, path, data):
    roles, fields = FORMS[path]
    if data is None:  # the explicit example: NUL in every field of a new event
        role, form = roles[0], {name: "a\x00b" for name in fields}
    else:
        role = data.draw(st.sampled_from(roles))
        names = data.draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))
        names += data.draw(st.lists(st.text(max_size=5), max_size=1))
        # NUL is refused before any form is read (the explicit example): without it, the forms themselves answer.
        form = {name: data.draw(plausible[name] if name in plausible else values_without_nul) for name in names}
    tags = []
    for name in list(form)[:3]:
        tag = f"<x-probe{next(_tags)}>"
        form[name] = f"{form[name]}{tag}"
        tags.append(tag)
    url = path.format(report=COUNCIL_REPORT, event=staff.event_id)
    response = staff.clients[role].post(url, data={"csrf_token": staff.tokens[role], **form})
    event(f"{path} {response.status_code}")
    assert response.status_code in ALLOWED, (url, form, response.status_code)
    page = response.get_data(as_text=True)
    for tag in tags:
        assert tag not in page, f"{tag} came back as markup"
    assert POLICE_WORDS not in page


@pytest.mark.parametrize("day", ["9999-12-31", "2200-01-01"])
def test_an_event_years_away_is_refused_with_a_reason_and_adds_nothing(staff, day):
    """It was added, and its calendar file (two hours after a start in 9999) then failed with a 500."""
    engine = staff.app.extensions["safer_homes.engine"]
    before = table_counts(engine)
    response = staff.clients["organiser"].post("/staff/events/new", data={
        "csrf_token": staff.tokens["organiser"], "kind": "ward_panel", "title": "Far away", "ward": "weavers",
        "starts_date": day, "starts_time": "23:30", "place": "Hall"})
    assert response.status_code == 400
    assert "more than a hundred years away" in response.get_data(as_text=True)
    assert table_counts(engine) == before


@SHARED_APP
@given(path=st.sampled_from([path for path in FORMS if "{report}" in path]),
       form=st.dictionaries(st.sampled_from(REPORT_FIELDS), values, max_size=6),
       typed=st.sampled_from((POLICE_REPORT, POLICE_REPORT.lower(), POLICE_REPORT.replace("-", " "))))
def test_an_officers_form_never_reaches_a_report_their_agency_was_not_given(staff, path, form, typed):
    engine = staff.app.extensions["safer_homes.engine"]
    with new_session(engine) as session:
        before = session.execute(select(Report).where(Report.reference == POLICE_REPORT)).scalar_one().model_dump()
    officer = staff.clients["officer"]
    response = officer.post(path.format(report=typed), data={"csrf_token": staff.tokens["officer"], **form})
    # As for a report that does not exist: a 404, or the same refusal of the form itself (a NUL in a field).
    nowhere = officer.post(path.format(report="TH-0000-0000"), data={"csrf_token": staff.tokens["officer"], **form})
    assert response.status_code == nowhere.status_code and response.status_code in (400, 404), response.status_code
    assert POLICE_WORDS not in response.get_data(as_text=True)
    with new_session(engine) as session:
        after = session.execute(select(Report).where(Report.reference == POLICE_REPORT)).scalar_one().model_dump()
    assert after == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=values, password=values, next_page=st.none() | values | st.sampled_from(
    ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/staff/reports")))
def test_signing_in_with_anything_is_refused_cleanly(app, client, email, password, next_page):
    page = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"email": email, "password": password, "csrf_token": token,
            **({"next": next_page} if next_page is not None else {})}
    response = client.post("/staff/login", data=form)
    assert response.status_code in (200, 400, 429), response.status_code


_signed_in = itertools.count(1)


# Each example makes an account and signs in (two argon2 hashes): few examples, the nasty cases all explicit.
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(next_page=values | st.sampled_from(("//evil.example/", "https://evil.example/x", "/\\evil.example",
                                            "\\\\evil.example", "javascript:alert(1)", "/%2F%2Fevil.example",
                                            "/staff/reports?status=all", "http:/evil.example", " //evil.example",
                                            "/\t/evil.example", "/staff/../..//evil.example")))
@example(next_page="/\\evil.example")
@example(next_page="//evil.example/")
@example(next_page="https://evil.example/x")
@example(next_page="/\t/evil.example")
def test_signing_in_never_sends_anyone_to_another_site(app, next_page):
    """After a good sign-in, `next` leads to a page of this site or to the staff home, never elsewhere."""
    email = f"officer{next(_signed_in)}@council.example"
    _account(app, email, "officer", "council")
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD, "csrf_token": token,
                                                 "next": next_page})
    if response.status_code == 400:
        return  # refused before signing in (a NUL in a field): nowhere to go
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    parsed = urlsplit(location)
    assert not parsed.scheme and not parsed.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "\\" not in location, location
