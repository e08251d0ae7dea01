"""Every page's query string, path parameter and filter, given anything, on SQLite and PostgreSQL: the
staff pages (signed in as an officer and as an admin), the inbox's filters, the public pages and their
downloads, Open311, event calendar files and posters answer with a page or a clear refusal, never a 500;
nothing typed comes back as markup; a report another agency was not given stays a 404 however its
reference is written."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from storage import contacts, reports
from storage.database import new_session
from storage.references import CROCKFORD
from tests.properties import strategies as S
from tests.properties.counting import table_counts
from tests.web.test_staff_pages import _account, _login

SHARED_APP = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NEVER = {500, 501, 502, 503}
_tags = itertools.count(1)

COUNCIL_REPORT, POLICE_REPORT = "TH-CCCC-0001", "TH-PPPP-0002"
POLICE_WORDS = "Only the police were told about this"


def _report(app, reference: str, agencies: tuple[str, ...], description: str, privacy: str = "private") -> None:
    now = datetime.now(timezone.utc) - timedelta(hours=2)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact = contacts.find_or_create_contact(session, channel="webchat", address_hash=reference.ljust(64, "0"),
                                                  address_sealed=None, now=now)
        reports.create_report(session, reference=reference, category="noise", language="en", channel="webchat",
                              privacy=privacy, agency_slugs=agencies, description=description, received_at=now,
                              ward_slug="weavers", sender_contact_id=contact.id)
        session.commit()


@pytest.fixture
def officer(app, client):
    """The council's officer, signed in; one report for the council and one only the police were given."""
    _account(app, "officer@council.example", "officer", "council")
    _report(app, COUNCIL_REPORT, ("council", "housing"), "Music every night")
    _report(app, POLICE_REPORT, ("police",), POLICE_WORDS)
    _login(client, "officer@council.example")
    return client


@pytest.fixture
def admin(app):
    _account(app, "admin@example.org", "admin")
    client = app.test_client()
    _login(client, "admin@example.org")
    return client


def tagged(value: str) -> tuple[str, str]:
    """`value` with a tag of its own inside: if the tag ever comes back as a tag, typed words became markup."""
    tag = f"<x-probe{next(_tags)}>"
    return f"{value}{tag}", tag


query_values = st.one_of(
    S.hostile_text, st.text(max_size=20),
    st.integers(-2**70, 2**70).map(str),
    st.sampled_from(("", "1", "0", "-1", "²", "٣", "1e9", "99999999999999999999", "9" * 40, "weavers", "noise",
                     "open", "all", "closed", "in_progress", "council", "police", "housing", "bn", "so", "en", "xx",
                     "telegram", "webchat", "today", "week", "older", "past", "1234567890123456-7", "0-0",
                     "9999999999999999-999999999999", "\x00", "%00", "../..", "<script>alert(1)</script>")),
)
INBOX_NAMES = ("ward", "category", "status", "agency", "language", "channel", "age", "overdue", "reopened", "after",
               "lang", "page", "q")
queries = st.lists(st.tuples(st.sampled_from(INBOX_NAMES) | st.text(max_size=8), query_values), max_size=6)


def _html_is_safe(response, tags: list[str]) -> None:
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        for tag in tags:
            assert tag not in page, f"{tag} came back as markup"


def _tagged_query(query):
    pairs, tags = [], []
    for name, value in query:
        value, tag = tagged(value)
        pairs.append((name, value))
        tags.append(tag)
    return pairs, tags


# --- the staff pages ------------------------------------------------------------------------------------------

@SHARED_APP
@given(query=queries)
@example(query=[("after", "99999999999999999-1")])
@example(query=[("after", "9999999999999999-999999999999")])
@example(query=[("ward", "\x00"), ("language", "\x00")])
def test_the_inbox_answers_any_filters_with_a_page_or_a_clear_400(officer, query):
    pairs, tags = _tagged_query(query)
    response = officer.get("/staff/reports", query_string=pairs)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 400), response.status_code
    _html_is_safe(response, tags)
    assert POLICE_WORDS not in response.get_data(as_text=True)


STAFF_PAGES = ("/staff/", "/staff/reports", "/staff/events", "/staff/events/new", "/staff/public/entries",
               "/staff/public/entries/new", "/staff/admin/audit", "/staff/admin/care-words", "/staff/admin/targets",
               "/staff/admin/users", "/staff/admin/subjects", "/staff/account/password", "/staff/login",
               f"/staff/reports/{COUNCIL_REPORT}")
STAFF_NAMES = ("before", "when", "done", "try", "clock", "told", "next", "lang", "reference", "channel", "address")


@SHARED_APP
@given(path=st.sampled_from(STAFF_PAGES), role=st.sampled_from(("officer", "admin")),
       query=st.lists(st.tuples(st.sampled_from(STAFF_NAMES) | st.text(max_size=6), query_values), max_size=4))
@example(path="/staff/admin/audit", role="admin", query=[("before", "99999999999999999999")])
@example(path="/staff/admin/audit", role="admin", query=[("before", "-99999999999999999999")])
@example(path="/staff/admin/targets", role="admin", query=[("clock", "\x00")])
def test_every_staff_page_answers_any_query(officer, admin, path, role, query):
    pairs, tags = _tagged_query(query)
    response = (officer if role == "officer" else admin).get(path, query_string=pairs)
    event(f"status {response.status_code}")
    assert response.status_code not in NEVER, (path, query, response.status_code)
    _html_is_safe(response, tags)


def _as_typed(reference: str, form: str) -> str:
    return {"lower": reference.lower(), "spaced": reference.replace("-", " "), "bare": reference.replace("-", ""),
            "padded": f" {reference} ", "quoted": quote(reference.lower())}.get(form, reference)


@SHARED_APP
@given(form=st.sampled_from(("as is", "lower", "spaced", "bare", "padded", "quoted")),
       suffix=st.sampled_from(("", "/media/x.jpg", "/media/..%2F..%2Fetc%2Fpasswd", "/media/%00")))
def test_a_report_another_agency_was_given_is_a_404_however_it_is_written(officer, form, suffix):
    response = officer.get(f"/staff/reports/{_as_typed(POLICE_REPORT, form)}{suffix}")
    assert response.status_code == 404
    assert POLICE_WORDS not in response.get_data(as_text=True)


@SHARED_APP
@given(reference=st.one_of(S.hostile_text, st.text(alphabet=CROCKFORD + "ILOU-", max_size=14),
                           st.sampled_from(("TH-0000-0000", "TH-CCCC-0001\x00", "th-cccc-0001", "TH-CCCC-00001"))))
def test_any_reference_in_an_address_is_a_report_or_a_404(officer, reference):
    path = quote(reference.replace("/", ""), safe="") or "x"
    response = officer.get(f"/staff/reports/{path}")
    assert response.status_code in (200, 404), (reference, response.status_code)
    assert POLICE_WORDS not in response.get_data(as_text=True)


# --- row ids in addresses ---------------------------------------------------------------------------------------

row_ids = st.integers(0, 2**31 + 5) | st.sampled_from((2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30))
ROW_ID_PAGES = ("/events/{}.ics", "/events/{}/poster", "/public/wards/weavers/meetings/{}",
                "/public/wards/weavers/meetings/{}.pdf", "/staff/events/{}", "/staff/public/entries/{}")


@SHARED_APP
@given(page=st.sampled_from(ROW_ID_PAGES), row_id=row_ids)
def test_any_row_id_in_an_address_is_a_page_or_a_404(officer, page, row_id):
    response = officer.get(page.format(row_id))
    assert response.status_code in (200, 404), (page, row_id, response.status_code)


@SHARED_APP
@given(page=st.sampled_from(("/staff/events/{}/cancel", "/staff/events/{}/edit", "/staff/admin/care-words/{}/remove",
                             "/staff/public/entries/{}/publish", "/staff/admin/users/{}/active")), row_id=row_ids)
def test_a_form_posted_to_any_row_id_is_refused_cleanly(officer, admin, page, row_id):
    for client in (officer, admin):
        response = client.post(page.format(row_id), data={"csrf_token": "wrong"})
        assert response.status_code in (400, 403, 404), (page, row_id, response.status_code)


# --- the public pages and their downloads -----------------------------------------------------------------------

slugs = st.one_of(st.sampled_from(("weavers", "bow-east", "st-katharines-wapping", "WEAVERS", "weavers-", "-", "..",
                                   "weavers\x00", "a" * 300, "spitalfields-banglatown")),
                  S.hostile_text.filter(bool), st.text(min_size=1, max_size=20))
languages = st.sampled_from(("en", "bn", "so", "ar", "zh-Hans", "bn-BD", "", "xx", "\x00", "e" * 200)) | st.text(max_size=8)
PUBLIC_PAGES = ("/public/wards/{}", "/public/wards/{}.csv", "/public/wards/{}.json", "/public/wards/{}/meetings/1")


@SHARED_APP
@given(page=st.sampled_from(PUBLIC_PAGES + ("/public", "/public.csv", "/public.json", "/chat", "/open311/v2/discovery.json")),
       slug=slugs, lang=languages,
       accept=st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30) | st.sampled_from(
           ("bn;q=0.9, so", "*", "so-SO", "bn;q=nan", "so;q=-1, en;q=2", ",,,;;;")))
@example(page="/public/wards/{}", slug="weavers", lang="\x00", accept=None)
def test_the_public_pages_answer_any_slug_and_language(client, page, slug, lang, accept):
    path = page.format(quote(slug, safe=""))
    headers = {"Accept-Language": accept} if accept is not None else {}
    query = [("lang", tagged(lang)[0])]
    response = client.get(path, query_string=query, headers=headers)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 404), (path, lang, response.status_code)
    if response.mimetype == "text/html":
        page_text = response.get_data(as_text=True)
        assert "<x-probe" not in page_text
        assert any(f'<html lang="{code}"' in page_text for code in S.LANGUAGE_CODES)


# --- Open311 -----------------------------------------------------------------------------------------------------

w3c_times = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from((timezone.utc, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)))))
    .map(lambda moment: moment.isoformat().replace("+00:00", "Z")),
    st.sampled_from(("2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z", "2026-01-01",
                     "2026-01-01T00:00:00", "2026-01-01T00:00:00 01:00", "0001-01-01T00:00:00+01:00",
                     "9999-12-31T23:59:59-01:00", "2026-01-01T00:00:00.1234567Z", "２０２６-01-01T00:00:00Z")),
    query_values,
)
OPEN311_NAMES = ("service_request_id", "service_code", "start_date", "end_date", "status", "page", "locale",
                 "jurisdiction_id", "api_key")
open311_queries = st.lists(st.tuples(st.sampled_from(OPEN311_NAMES), w3c_times | query_values), max_size=5)


@SHARED_APP
@given(fmt=st.sampled_from(("json", "xml")), query=open311_queries)
@example(fmt="json", query=[("start_date", "0001-01-01T00:00:00+01:00")])
@example(fmt="json", query=[("service_request_id", "999999999999")])
@example(fmt="xml", query=[("service_request_id", "1," * 1000)])
def test_open311_requests_answer_any_query_with_results_or_a_400(client, officer, fmt, query):
    response = client.get(f"/open311/v2/requests.{fmt}", query_string=query)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 400), (query, response.status_code)
    body = response.get_data(as_text=True)
    assert POLICE_WORDS not in body and "Music every night" not in body  # no resident's words, ever
    if fmt == "json" and response.status_code == 200:
        assert isinstance(response.get_json(), list)


@SHARED_APP
@given(kind=st.sampled_from(("requests/{}", "services/{}")), fmt=st.sampled_from(("json", "xml")),
       identifier=S.hostile_text.filter(bool) | st.integers(-5, 10**15).map(str) | st.sampled_from(
           ("noise", "asb", "harassment", "1", "0", "2147483648", "99999999999999999999", "%00", "..")),
       locale=st.none() | languages)
@example(kind="requests/{}", fmt="json", identifier="2147483648", locale=None)
def test_open311_single_requests_and_services_are_found_or_a_404(client, officer, kind, fmt, identifier, locale):
    path = f"/open311/v2/{kind.format(quote(identifier.replace('/', ''), safe=''))}.{fmt}"
    response = client.get(path, query_string={"locale": locale} if locale is not None else {})
    assert response.status_code in (200, 404), (path, response.status_code)
    assert POLICE_WORDS not in response.get_data(as_text=True)


@SHARED_APP
@given(fields=st.dictionaries(st.sampled_from(("api_key", "service_code", "description", "lat", "long", "address_string",
                                              "email", "first_name", "locale", "media_url", "jurisdiction_id")) |
                              st.text(max_size=6), query_values, max_size=7),
       fmt=st.sampled_from(("json", "xml")))
def test_open311_posts_without_a_valid_key_are_refused_and_change_nothing(app, client, fields, fmt):
    before = table_counts(app.extensions["safer_homes.engine"])
    response = client.post(f"/open311/v2/requests.{fmt}", data=fields)
    # One app serves every example, so after 20 wrong keys from this address the key-guessing limit answers
    # 429 (web/open311.py): a refusal too, which must change nothing either.
    assert response.status_code in (400, 403, 429), (fields, response.status_code)
    assert table_counts(app.extensions["safer_homes.engine"]) == before
