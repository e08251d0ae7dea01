"""The staff side of the public pages through the Flask client (SQLite and PostgreSQL): "You said, we did"
entries from a draft through the care-language check to the public figures and back off them, who may draft,
publish and withdraw, CSRF, forms shown again as typed with nothing saved, machine translation shown before it
is kept, and the admin's agreed targets with the inbox's response clock following them; audit entries hold
ids, never words."""
from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from storage import contacts, public_entries, reports
from storage.database import new_session
from storage.models import Agency, AuditEntry, PublicEntry, SuccessTarget
from storage.public_entries import TRANSLATION_LANGUAGES
from storage.public_figures import public_figures
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.helpers import dump_every_table
from tests.web.test_staff_pages import NOW, _account, _login, clock  # noqa: F401 (clock is a fixture)
from web.staff_public import entry_care_digest

OFFICER = "officer@council.example"
# Words no page, list or audit entry may carry but the entry's own fields.
SAID = "Residents said the Brick Lane stairwell was dark MARKER-SAID"
DID = "We replaced the stairwell lights MARKER-DID"


def _signed_in(app, client, role="officer", agency="council", email=OFFICER) -> None:
    _account(app, email, role, agency)
    assert _login(client, email).status_code == 302


def _token(client, path="/staff/public/entries/new") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _entry_form(**changes) -> dict:
    form = {"ward": "weavers", "category": "unsafe_place", "report": "", "you_said": SAID, "we_did": DID}
    form |= {f"{field}_{code}": "" for code in TRANSLATION_LANGUAGES for field in ("you_said", "we_did")}
    form.update(changes)
    return form


def _new(client, token=None, **changes):
    return client.post("/staff/public/entries/new", data={"csrf_token": token or _token(client), **_entry_form(**changes)})


def _entry_id(response) -> int:
    assert response.status_code == 303, response.status_code
    return int(re.search(r"/staff/public/entries/(\d+)\?done=", response.headers["Location"]).group(1))


def _entries(app) -> list[PublicEntry]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return list(session.execute(select(PublicEntry).order_by(PublicEntry.id)).scalars())


def _published(app, ward_slug="weavers"):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return public_figures(session, ward_slug=ward_slug, now=NOW + timedelta(days=30)).entries


def _audit_entries(app) -> list[AuditEntry]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return list(session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


def _without_audit(database_url) -> dict:
    dump = dump_every_table(database_url)
    dump.pop("auditentry")
    return dump


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- from a draft to the public figures -----------------------------------------------------------------

def test_a_draft_is_flagged_reworded_published_shown_publicly_and_withdrawn(app, client, clock, database_url):
    _signed_in(app, client)
    token = _token(client)
    before = _without_audit(database_url)
    flagged = _new(client, token, we_did="We moved the yobs on and fixed the lights.")
    assert flagged.status_code == 400
    page = _page(flagged)
    assert "“yobs” — write “young people” instead" in page
    assert "We moved the yobs on and fixed the lights." in page  # shown again as typed
    assert _without_audit(database_url) == before  # nothing saved

    entry_id = _entry_id(_new(client, token))
    [draft] = _entries(app)
    assert (draft.state, draft.you_said, draft.we_did, draft.published_at) == ("draft", SAID, DID, None)
    assert _published(app) == ()  # a draft is not public

    entry_page = client.get(f"/staff/public/entries/{entry_id}?done=saved")
    assert "Publish the entry" in _page(entry_page) and "residents' own words" in _page(entry_page)
    clock.now = NOW + timedelta(hours=2)
    published = client.post(f"/staff/public/entries/{entry_id}/publish", data={"csrf_token": token})
    assert published.status_code == 303 and published.headers["Location"].endswith("done=published")
    [shown] = _published(app)
    assert (shown.entry_id, shown.you_said, shown.we_did, shown.ward_slug, shown.category, shown.agency_slug) == (
        entry_id, SAID, DID, "weavers", "unsafe_place", "council")
    assert shown.published_at == NOW + timedelta(hours=2)

    withdrawn = client.post(f"/staff/public/entries/{entry_id}/withdraw", data={"csrf_token": token})
    assert withdrawn.status_code == 303
    assert _published(app) == ()
    assert _entries(app)[0].state == "withdrawn"
    # Withdrawn is final: publishing again changes nothing.
    again = client.post(f"/staff/public/entries/{entry_id}/publish", data={"csrf_token": token})
    assert again.status_code == 409 and _entries(app)[0].state == "withdrawn"

    actions = [entry.action for entry in _audit_entries(app) if entry.action.startswith("public_entry")]
    assert actions == ["public_entry_added", "public_entry_published", "public_entry_withdrawn"]


def test_the_keep_my_words_tick_holds_only_for_the_words_it_was_given_for(app, client, clock):
    _signed_in(app, client)
    token = _token(client)
    kept = _entry_form(we_did="We talked with the youths about the lights.")
    other = _entry_form(we_did="We talked with the youths about the bins.")
    stale_tick = _new(client, token, we_did=other["we_did"], care_confirmed=entry_care_digest(kept))
    assert stale_tick.status_code == 400 and _entries(app) == []
    assert _entry_id(_new(client, token, we_did=kept["we_did"], care_confirmed=entry_care_digest(kept)))
    [entry] = _entries(app)
    assert entry.we_did == kept["we_did"]
    # The publisher sees the flags again (the word list may have grown; they may not be who wrote it).
    refused = client.post(f"/staff/public/entries/{entry.id}/publish", data={"csrf_token": token})
    assert refused.status_code == 400 and "“youths” — write “young people” instead" in _page(refused)
    assert _published(app) == ()
    page = _page(refused)
    tick = re.search(r'id="publish-care-confirmed" name="care_confirmed" value="([^"]+)"', page).group(1)
    assert client.post(f"/staff/public/entries/{entry.id}/publish",
                       data={"csrf_token": token, "care_confirmed": tick}).status_code == 303
    assert [item.entry_id for item in _published(app)] == [entry.id]
    published = [item for item in _audit_entries(app) if item.action == "public_entry_published"]
    assert published[0].detail["care_flags_confirmed"] == 1


def test_the_care_check_reads_every_language_field(app, client, clock):
    _signed_in(app, client)
    flagged = _new(client, you_said_so="Dadka ayaa sheegay in tramps ay jiraan", we_did_so="Waan hagaajinay")
    assert flagged.status_code == 400 and "“tramps” — write “people sleeping rough” instead" in _page(flagged)
    assert _entries(app) == []


def test_a_published_entry_corrected_is_published_again_dated_then(app, client, clock):
    _signed_in(app, client)
    token = _token(client)
    entry_id = _entry_id(_new(client, token))
    client.post(f"/staff/public/entries/{entry_id}/publish", data={"csrf_token": token})
    clock.now = NOW + timedelta(hours=3)  # within the staff session's 10 hours
    corrected = client.post(f"/staff/public/entries/{entry_id}",
                            data={"csrf_token": token, **_entry_form(we_did="We replaced the lights and a bulb.")})
    assert corrected.status_code == 303 and corrected.headers["Location"].endswith("done=revised")
    [shown] = _published(app)
    assert shown.we_did == "We replaced the lights and a bulb." and shown.published_at == NOW + timedelta(hours=3)


def test_a_draft_form_sent_after_a_colleague_published_the_entry_changes_nothing(app, client, clock):
    _signed_in(app, client)
    token = _token(client)
    entry_id = _entry_id(_new(client, token))
    assert 'name="shown_state" value="draft"' in _page(client.get(f"/staff/public/entries/{entry_id}"))
    with new_session(app.extensions["safer_homes.engine"]) as session:
        public_entries.publish_entry(session, entry_id=entry_id, now=NOW)
        session.commit()
    stale = client.post(f"/staff/public/entries/{entry_id}",
                        data={"csrf_token": token, "shown_state": "draft", **_entry_form(we_did="Meant as a draft.")})
    assert stale.status_code == 409 and "This entry changed while you had it open" in _page(stale)
    assert _published(app)[0].we_did == DID


# --- who may do what -------------------------------------------------------------------------------------

def test_organisers_draft_but_only_officers_and_admins_publish_or_withdraw(app, client, clock, database_url):
    _signed_in(app, client, role="organiser", email="organiser@council.example")
    token = _token(client)
    entry_id = _entry_id(_new(client, token))
    assert client.get("/staff/public/entries").status_code == 200
    before = _without_audit(database_url)
    for action in ("publish", "withdraw"):
        assert client.post(f"/staff/public/entries/{entry_id}/{action}", data={"csrf_token": token}).status_code == 403
    assert _without_audit(database_url) == before
    page = _page(client.get(f"/staff/public/entries/{entry_id}"))
    assert "Publish the entry" not in page and "Withdraw the entry" not in page
    # A draft is theirs to change; a published one (by an officer) no longer is.
    assert client.post(f"/staff/public/entries/{entry_id}",
                       data={"csrf_token": token, **_entry_form(we_did="We fixed it.")}).status_code == 303
    with new_session(app.extensions["safer_homes.engine"]) as session:
        public_entries.publish_entry(session, entry_id=entry_id, now=NOW)
        session.commit()
    assert client.post(f"/staff/public/entries/{entry_id}",
                       data={"csrf_token": token, **_entry_form(we_did="Quietly changed.")}).status_code == 403
    assert _published(app)[0].we_did == "We fixed it."


@pytest.mark.parametrize("path", ["/staff/public/entries", "/staff/public/entries/new", "/staff/admin/targets"])
def test_viewers_have_none_of_it(app, client, clock, path):
    _signed_in(app, client, role="viewer", email="viewer@council.example")
    assert client.get(path).status_code == 403
    assert "You said, we did" not in _page(client.get("/staff/"))  # no link either


def test_officers_do_not_see_the_targets_page_or_link(app, client, clock):
    _signed_in(app, client)
    assert client.get("/staff/admin/targets").status_code == 403
    page = _page(client.get("/staff/"))
    assert "You said, we did" in page and "Agreed targets" not in page


def test_another_agencys_entry_is_not_found(app, client, clock):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        housing = session.execute(select(Agency).where(Agency.slug == "housing")).scalar_one()
        theirs = public_entries.create_entry(session, you_said=SAID, we_did=DID, now=NOW, staff_user_id=None,
                                             agency_id=housing.id)
        session.commit()
        entry_id = theirs.id
    _signed_in(app, client)
    token = _token(client)
    assert client.get(f"/staff/public/entries/{entry_id}").status_code == 404
    for path in ("", "/publish", "/withdraw"):
        response = client.post(f"/staff/public/entries/{entry_id}{path}", data={"csrf_token": token, **_entry_form()})
        assert response.status_code == 404
    assert SAID not in _page(client.get("/staff/public/entries"))
    assert _entries(app)[0].state == "draft"


def test_an_admin_sees_every_agencys_entries_and_chooses_the_agency(app, client, clock):
    _signed_in(app, client, role="admin", agency=None, email="admin@example.org")
    entry_id = _entry_id(_new(client, agency="housing"))
    with new_session(app.extensions["safer_homes.engine"]) as session:
        assert session.get(PublicEntry, entry_id).agency_id == session.execute(
            select(Agency.id).where(Agency.slug == "housing")).scalar_one()
    assert SAID[:40] in _page(client.get("/staff/public/entries"))


def test_forms_without_a_valid_csrf_token_change_nothing(app, client, clock, database_url):
    _signed_in(app, client, role="admin", agency="council", email="admin@example.org")
    entry_id = _entry_id(_new(client))
    before = dump_every_table(database_url)
    for path, data in (("/staff/public/entries/new", _entry_form()),
                       (f"/staff/public/entries/{entry_id}", _entry_form(we_did="Changed")),
                       (f"/staff/public/entries/{entry_id}/publish", {}),
                       (f"/staff/public/entries/{entry_id}/withdraw", {}),
                       ("/staff/admin/targets", {"measure": "first_response", "working_days": "3",
                                                 "agreed_with": "Forum", "agreed_on": "2027-01-10",
                                                 "effective_from": "2027-01-10"})):
        assert client.post(path, data=data).status_code == 400
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert dump_every_table(database_url) == before


# --- bad input: the form again, as typed, nothing saved ----------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"you_said": ""}, "Say what residents raised."),
    ({"we_did": "   "}, "Say what was done."),
    ({"we_did": "x" * 601}, "Keep this to 600 characters."),
    ({"you_said_bn": "x" * 601, "we_did_bn": "আমরা ঠিক করেছি"}, "Keep this to 600 characters."),
    ({"you_said_so": "Waxaad tiraahdeen"}, "Give both parts in this language, or leave both empty."),
    ({"ward": "atlantis"}, "Choose a ward from the list."),
    ({"category": "weather"}, "Choose a category from the list."),
    ({"report": "TH-0000-0000"}, "There is no report with that reference shared with your organisation."),
    ({"report": "not a reference"}, "There is no report with that reference shared with your organisation."),
])
def test_bad_input_shows_the_form_again_as_typed_and_saves_nothing(app, client, clock, database_url, changes,
                                                                   message):
    _signed_in(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    response = _new(client, token, **changes)
    assert response.status_code == 400
    page = _page(response)
    assert message in page and "Nothing was saved." in page
    assert SAID in page or changes.get("you_said") == ""
    for name, value in changes.items():
        if value.strip() and name not in ("ward", "category"):
            assert value.strip() in page
    assert dump_every_table(database_url) == before


def test_validation_messages_come_in_the_pages_language(app, client, clock, monkeypatch):
    """The messages go through the page's catalogue (a catalogue with the string is stood in for here: the
    lead translates after this issue's strings settle)."""
    from flows import i18n

    class Bengali:
        def gettext(self, message):
            return "[bn] " + message

        def ngettext(self, singular, plural, count):
            return "[bn] " + (singular if count == 1 else plural)

    real = i18n.translations
    monkeypatch.setattr(i18n, "translations", lambda lang: Bengali() if lang == "bn" else real(lang))
    _signed_in(app, client)
    response = client.post("/staff/public/entries/new?lang=bn",
                           data={"csrf_token": _token(client), **_entry_form(you_said="")})
    assert response.status_code == 400 and "[bn] Say what residents raised." in _page(response)


def test_a_report_shared_with_the_agency_can_be_named_and_others_cannot(app, client, clock):
    with new_session(app.extensions["safer_homes.engine"]) as session:
        for reference, agencies in (("TH-7K3M-9QXR", ("council",)), ("TH-7K3M-9QXS", ("housing",))):
            reports.create_report(session, reference=reference, category="unsafe_place", language="en",
                                  channel="webchat", privacy="anonymous", agency_slugs=agencies,
                                  description="MARKER-RESIDENT words", received_at=NOW - timedelta(days=3))
        session.commit()
    _signed_in(app, client)
    token = _token(client)
    assert _new(client, token, report="th-7k3m-9qxs").status_code == 400
    entry_id = _entry_id(_new(client, token, report="th 7k3m 9qxr"))
    [entry] = _entries(app)
    assert entry.report_id is not None
    page = _page(client.get(f"/staff/public/entries/{entry_id}"))
    assert 'value="TH-7K3M-9QXR"' in page and "MARKER-RESIDENT" not in page
    [added] = [item for item in _audit_entries(app) if item.action == "public_entry_added"]
    assert added.report_id == entry.report_id


# --- machine translation, shown before it is kept -----------------------------------------------------

@pytest.fixture
def translated(database_url):
    """The app with TRANSLATOR=libre pointing at a fake LibreTranslate ("[bn] " + the text; no Somali model)."""
    from bot.conversations import forget_reference_data
    from webhook import create_app

    with FakeLibreTranslate() as server:
        forget_reference_data()
        app = create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
                          "translator": "libre", "libretranslate_url": server.url})
        app.extensions["safer_homes.clock"] = lambda: NOW
        yield app, server
        app.extensions["safer_homes.engine"].dispose()


def test_machine_translations_fill_the_form_marked_and_are_kept_only_when_saved(translated, database_url):
    app, server = translated
    client = app.test_client()
    _signed_in(app, client)
    token = _token(client)
    before = _without_audit(database_url)
    shown = client.post("/staff/public/entries/new",
                        data={"csrf_token": token, **_entry_form(), "translate": "yes"})
    assert shown.status_code == 200
    page = _page(shown)
    assert f"[bn] {SAID}" in page and f"[bn] {DID}" in page
    assert re.search(r'name="machine" value="bn" checked', page)
    assert not re.search(r'name="machine" value="so" checked', page)
    assert "No machine translation came back for Soomaali" in page
    assert _without_audit(database_url) == before  # nothing kept yet
    asked = len(server.requests)

    fields = _entry_form(you_said_bn=f"[bn] {SAID}", we_did_bn=f"[bn] {DID}")
    entry_id = _entry_id(client.post("/staff/public/entries/new",
                                     data={"csrf_token": token, **fields, "machine": "bn"}))
    assert len(server.requests) == asked  # saving translates nothing again
    [entry] = _entries(app)
    assert entry.id == entry_id and entry.machine_translated == ["bn"]
    assert entry.translations == {"bn": {"you_said": f"[bn] {SAID}", "we_did": f"[bn] {DID}"}}


def test_a_mark_without_words_in_that_language_is_dropped(app, client, clock):
    _signed_in(app, client)
    _entry_id(client.post("/staff/public/entries/new", data={"csrf_token": _token(client), **_entry_form(),
                                                             "machine": "so"}))
    assert _entries(app)[0].machine_translated == []


# --- audit entries -----------------------------------------------------------------------------------------

def test_audit_entries_hold_ids_never_words(app, client, clock):
    _signed_in(app, client)
    token = _token(client)
    entry_id = _entry_id(_new(client, token, you_said_bn="বাতি MARKER-BN", we_did_bn="ঠিক MARKER-BN"))
    client.post(f"/staff/public/entries/{entry_id}", data={"csrf_token": token, **_entry_form()})
    client.post(f"/staff/public/entries/{entry_id}/publish", data={"csrf_token": token})
    client.post(f"/staff/public/entries/{entry_id}/withdraw", data={"csrf_token": token})
    entries = [item for item in _audit_entries(app) if item.action.startswith("public_entry")]
    assert len(entries) == 4
    assert entries[0].detail["languages"] == ["bn"] and entries[0].detail["entry"] == entry_id
    stored = json.dumps([item.detail for item in entries], ensure_ascii=False)
    assert "MARKER" not in stored and "stairwell" not in stored


# --- agreed targets ------------------------------------------------------------------------------------------

def _target_form(**changes) -> dict:
    form = {"measure": "first_response", "working_days": "3", "share_percent": "90", "agency": "council", "ward": "",
            "agreed_with": "Weavers ward panel MARKER-WITH", "agreed_on": "2027-01-12", "effective_from": "2027-01-14",
            "note": ""}
    form.update(changes)
    return form


def _admin(app, client):
    _signed_in(app, client, role="admin", agency=None, email="admin@example.org")
    return _token(client, "/staff/admin/targets")


def _council_clock(app) -> int:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return session.execute(select(Agency.target_working_days).where(Agency.slug == "council")).scalar_one()


def test_an_admin_records_a_target_and_the_councils_inbox_clock_follows(app, client, clock):
    token = _admin(app, client)
    assert _council_clock(app) == 2  # as seeded
    recorded = client.post("/staff/admin/targets", data={"csrf_token": token, **_target_form()})
    assert recorded.status_code == 303
    assert _council_clock(app) == 3
    page = _page(client.get(recorded.headers["Location"]))
    assert "The target was recorded." in page
    assert "the inbox's response clock now counts against 3 working days" in page
    assert "First response within 3 working days" in page and "Weavers ward panel MARKER-WITH, 2027-01-12" in page
    [audited] = [item for item in _audit_entries(app) if item.action == "target_recorded"]
    assert audited.detail["agency_clocks"] == {"council": 3} and "MARKER" not in json.dumps(audited.detail)


def test_a_ward_target_does_not_move_the_clock(app, client, clock):
    token = _admin(app, client)
    assert client.post("/staff/admin/targets", data={"csrf_token": token,
                                                     **_target_form(ward="weavers")}).status_code == 303
    assert _council_clock(app) == 2


@pytest.mark.parametrize("changes, message", [
    ({"working_days": ""}, "Give a whole number of working days from 1 to 60."),
    ({"working_days": "61"}, "Give a whole number of working days from 1 to 60."),
    ({"working_days": "three"}, "Give a whole number of working days from 1 to 60."),
    ({"measure": "sorted", "working_days": "", "share_percent": ""},
     "Give the share as a whole number of per cent from 1 to 100."),
    ({"measure": "sorted"}, "This measure counts residents' answers, not days: leave the working days empty."),
    ({"share_percent": "0"}, "Give the share as a whole number of per cent from 1 to 100."),
    ({"agreed_with": ""}, "Say who agreed it"),
    ({"agreed_with": "x" * 201}, "Keep this to 200 characters."),
    ({"agreed_on": "2027-01-15"}, "Give the day it was agreed: today or earlier."),
    ({"agreed_on": "soon"}, "Give the day it was agreed: today or earlier."),
    ({"effective_from": ""}, "Give the day it applies from."),
    ({"agreed_on": "0001-01-01"}, "Give the day it was agreed: in 2000 or later."),
    ({"effective_from": "9999-12-31"}, "Give a day in 2000 or later, at most 5 years from today."),
    ({"effective_from": "1999-12-31"}, "Give a day in 2000 or later, at most 5 years from today."),
    ({"agency": "nobody"}, "Choose an organisation from the list."),
])
def test_a_refused_target_shows_the_form_as_typed_and_saves_nothing(app, client, clock, database_url, changes,
                                                                    message):
    token = _admin(app, client)
    before = dump_every_table(database_url)
    response = client.post("/staff/admin/targets", data={"csrf_token": token, **_target_form(**changes)})
    assert response.status_code == 400
    page = _page(response)
    assert message in page and "Nothing was saved." in page
    assert 'value="Weavers ward panel MARKER-WITH"' in page or changes.get("agreed_with") is not None
    assert dump_every_table(database_url) == before


def test_an_admin_retires_a_target(app, client, clock, database_url):
    token = _admin(app, client)
    client.post("/staff/admin/targets", data={"csrf_token": token, **_target_form()})
    with new_session(app.extensions["safer_homes.engine"]) as session:
        target_id = session.execute(select(SuccessTarget.id)).scalar_one()
    before = dump_every_table(database_url)
    early = client.post(f"/staff/admin/targets/{target_id}/retire",
                        data={"csrf_token": token, "retired_on": "2027-01-13"})
    assert early.status_code == 400 and "Give a day on or after the day the target applied from." in _page(early)
    assert dump_every_table(database_url) == before
    retired = client.post(f"/staff/admin/targets/{target_id}/retire",
                          data={"csrf_token": token, "retired_on": "2027-01-14"})
    assert retired.status_code == 303
    with new_session(app.extensions["safer_homes.engine"]) as session:
        assert session.get(SuccessTarget, target_id).retired_on == date(2027, 1, 14)
    page = _page(client.get(retired.headers["Location"]))
    assert "The target was retired." in page and "No targets are in force." in page
    assert "Applied from 2027-01-14 until 2027-01-14" in page
    assert client.post(f"/staff/admin/targets/{target_id}/retire",
                       data={"csrf_token": token, "retired_on": "2027-01-14"}).status_code == 400
    assert client.post("/staff/admin/targets/999999/retire",
                       data={"csrf_token": token, "retired_on": "2027-01-14"}).status_code == 404
    assert _council_clock(app) == 3  # the clock keeps the last agreed number


def test_officers_may_not_record_or_retire_targets(app, client, clock, database_url):
    _signed_in(app, client)
    token = _token(client)
    before = dump_every_table(database_url)
    assert client.post("/staff/admin/targets", data={"csrf_token": token, **_target_form()}).status_code == 403
    assert client.post("/staff/admin/targets/1/retire",
                       data={"csrf_token": token, "retired_on": "2027-01-14"}).status_code == 403
    assert dump_every_table(database_url) == before
