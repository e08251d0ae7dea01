"""Acting on a report through the staff pages (SQLite and PostgreSQL): a status change or reply notifies a
private or named resident through the outbox in their language, an anonymous one only on the status check;
roles, agencies and CSRF are refused before anything changes; a free reply is machine-translated, previewed
and sent as previewed; the care-language check; referral (never to the police) and merge."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from flows import i18n
from flows.staff_replies import standard_reply_text
from flows.status import STATUS_LABELS
from web.staff_actions import care_digest
from storage import contacts, reports
from storage.database import new_session
from storage.models import AuditEntry, OutboxMessage, Report, ReportAgency, ReportUpdate
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.helpers import WebChat, dump_every_table
from tests.web.test_staff_pages import NOW, _account, _login, clock  # noqa: F401 (clock is a fixture)

REFERENCE = "TH-7K3M-9QXR"
OTHER = "TH-4D2B-8KPW"
OFFICER = "officer@council.example"


def _report(app, reference=REFERENCE, *, privacy="private", language="so", agencies=("council", "housing"),
            channel="webchat") -> None:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact_id = None
        if privacy != "anonymous":
            contact = contacts.find_or_create_contact(session, channel=channel, address_hash=reference.ljust(64, "h"),
                                                      address_sealed=None, now=NOW)
            contact.language = language
            contact_id = contact.id
        reports.create_report(session, reference=reference, category="noise", language=language, channel=channel,
                              privacy=privacy, agency_slugs=agencies, description="Muusig habeenkii",
                              received_at=NOW - timedelta(days=1), sender_contact_id=contact_id,
                              reporter_name_sealed=None)
        session.commit()


def _page_token(client, reference=REFERENCE) -> str:
    page = client.get(f"/staff/reports/{reference}")
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _signed_in(app, client, role="officer", agency="council", email=OFFICER) -> None:
    _account(app, email, role, agency)
    assert _login(client, email).status_code == 302


def _post(client, data, path="", reference=REFERENCE, token=None):
    body = {"csrf_token": token or _page_token(client, reference), **data}
    return client.post(f"/staff/reports/{reference}{path}", data=body)


def _outbox(app) -> list[OutboxMessage]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def _notice_text(message: OutboxMessage) -> str:
    return "\n".join(reply["text"] for reply in message.payload["replies"])


def _report_row(app, reference=REFERENCE) -> Report:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return session.execute(select(Report).where(Report.reference == reference)).scalar_one()


def _updates(app, reference=REFERENCE) -> list[ReportUpdate]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return list(session.execute(
            select(ReportUpdate).join(Report, Report.id == ReportUpdate.report_id)
            .where(Report.reference == reference).order_by(ReportUpdate.id)
        ).scalars())


def _audits(app, action) -> list[AuditEntry]:
    with new_session(app.extensions["safer_homes.engine"]) as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _without_audit(database_url) -> dict:
    """Every table but the audit log (a page shown again records its view, as every view is recorded)."""
    tables = dump_every_table(database_url)
    tables.pop("auditentry")
    return tables


def _catalogue(lang, msgid, **params) -> str:
    text = i18n.translations(lang).gettext(msgid)
    return text % params if params else text


# --- the status change and the resident's notice ----------------------------------------------------------

@pytest.mark.parametrize("privacy, language", [("private", "so"), ("named", "bn")])
def test_a_status_change_with_a_standard_reply_notifies_the_resident_in_their_language(app, client, clock, privacy,
                                                                                       language):
    _report(app, privacy=privacy, language=language)
    _signed_in(app, client)
    response = _post(client, {"status": "in_progress", "reason": "Visit booked", "standard_reply": "in_progress.looking"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/reports/{REFERENCE}?done=sent")

    [message] = _outbox(app)
    assert (message.kind, message.language, message.channel, message.status) == (
        "status_update", language, "webchat", "pending")
    text = _notice_text(message)
    assert _catalogue(language, "Update on your report %(reference)s: %(status)s.", reference=REFERENCE,
                      status=_catalogue(language, STATUS_LABELS["in_progress"])) in text
    assert standard_reply_text("in_progress.looking", language) in text
    assert "Visit booked" not in text  # the reason is for staff only

    report = _report_row(app)
    assert report.status == "in_progress"
    update = _updates(app)[-1]
    assert (update.action, update.reason, update.standard_reply) == ("status", "Visit booked", "in_progress.looking")
    [entry] = _audits(app, "report_updated")
    assert entry.report_id == report.id and entry.detail["status"] == "in_progress"
    assert entry.detail["notices_queued"] == 1 and "Visit booked" not in str(entry.detail)
    # The confirmation shows on the report page.
    assert "Saved." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_anonymous_report_queues_nothing_but_the_status_check_shows_the_reply_in_the_askers_language(
        app, client, clock):
    _report(app, privacy="anonymous", language="so")
    _signed_in(app, client)
    response = _post(client, {"status": "action_taken", "reason": "Visited", "standard_reply": "action_taken.visit"})
    assert response.status_code == 303
    assert _outbox(app) == []
    resident = WebChat(app.test_client())
    resident.send(f"status {REFERENCE}")
    assert standard_reply_text("action_taken.visit", "so") in resident.text
    assert _catalogue("so", STATUS_LABELS["action_taken"]) in resident.text


def test_an_internal_note_is_never_sent_nor_shown_on_the_status_check(app, client, clock):
    _report(app)
    _signed_in(app, client)
    response = _post(client, {"internal_note": "Caretaker says it is flat 12"})
    assert response.status_code == 303 and response.headers["Location"].endswith("?done=saved")
    assert _outbox(app) == []
    assert _updates(app)[-1].action == "note"
    resident = WebChat(app.test_client())
    resident.send(f"status {REFERENCE}")
    assert "flat 12" not in resident.text


def test_an_unreachable_resident_gets_nothing_queued(app, client, clock):
    _report(app)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        contact = _contact_of(session)
        contact.unreachable = True
        session.commit()
    _signed_in(app, client)
    assert _post(client, {"status": "closed", "reason": "Done", "standard_reply": "closed.resolved"}).status_code == 303
    assert _outbox(app) == []
    assert _report_row(app).status == "closed"


def _contact_of(session):
    from storage.report_actions import report_contact

    report_id = session.execute(select(Report.id).where(Report.reference == REFERENCE)).scalar_one()
    return report_contact(session, report_id=report_id)


# --- who may act, and refusals that change nothing ----------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "organiser"])
def test_viewers_and_organisers_may_read_but_not_act(app, client, clock, database_url, role):
    _report(app)
    _signed_in(app, client, role=role, email=f"{role}@council.example")
    token = _page_token(client)
    assert "Act on this report" not in client.get(f"/staff/reports/{REFERENCE}").get_data(as_text=True)
    before = _without_audit(database_url)
    for path, data in (("", {"status": "closed", "reason": "x"}), ("/refer", {"agency": "housing", "route": "share",
                                                                            "reason": "x"}),
                       ("/merge", {"into_reference": OTHER})):
        assert _post(client, data, path, token=token).status_code == 403
    assert _without_audit(database_url) == before


def test_another_agencys_report_answers_404_before_anything_else(app, client, clock, database_url):
    _report(app, agencies=("council",))
    _report(app, OTHER, agencies=("police",))
    _signed_in(app, client)
    token = _page_token(client)
    viewer = app.test_client()
    _account(app, "viewer@housing.example", "viewer", "housing")
    _login(viewer, "viewer@housing.example")
    before = dump_every_table(database_url)
    for path in ("", "/refer", "/merge"):
        assert _post(client, {"status": "nonsense"}, path, reference=OTHER, token=token).status_code == 404
        assert _post(client, {}, path, reference="TH-0000-0000", token=token).status_code == 404
    # A viewer of another agency also gets 404, not 403: the report's existence is not revealed.
    viewer_token = re.search(r'name="csrf_token" value="([^"]+)"', viewer.get("/staff/").get_data(as_text=True)).group(1)
    assert viewer.post(f"/staff/reports/{OTHER}", data={"csrf_token": viewer_token}).status_code == 404
    assert dump_every_table(database_url) == before


def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, client, clock, database_url):
    _report(app)
    _signed_in(app, client)
    _page_token(client)
    before = dump_every_table(database_url)
    for token in (None, "forged"):
        data = {"status": "closed", "reason": "x", "standard_reply": "closed.resolved"}
        if token:
            data["csrf_token"] = token
        assert client.post(f"/staff/reports/{REFERENCE}", data=data).status_code == 400
    assert dump_every_table(database_url) == before


@pytest.mark.parametrize("data, shown", [
    ({"status": "solved", "reason": "x"}, "Choose a status from the list."),
    ({"status": "closed", "reason": ""}, "Say why"),
    ({"status": "received"}, "Nothing to save"),
    ({"standard_reply": "received.thanks", "message": "Hello"}, "not both"),
    ({"standard_reply": "received.bribe"}, "Choose a standard reply from the list."),
    ({"message": "x" * 801}, "The reply is too long"),
])
def test_bad_input_is_shown_again_with_a_clear_message_and_changes_nothing(app, client, clock, database_url, data,
                                                                            shown):
    _report(app)
    _signed_in(app, client)
    token = _page_token(client)
    before = _without_audit(database_url)
    response = _post(client, data, token=token)
    assert response.status_code == 400
    assert shown in response.get_data(as_text=True)
    assert _without_audit(database_url) == before


# --- a free reply: machine translation, preview, send --------------------------------------------------------

@pytest.fixture
def translated(database_url):
    """The app with TRANSLATOR=libre pointing at a fake LibreTranslate ("[bn] " + the text)."""
    with FakeLibreTranslate() as server:
        for app in _translated_app(database_url, server.url):
            yield app, server


def _translated_app(database_url, url):
    from bot.conversations import forget_reference_data
    from webhook import create_app

    forget_reference_data()
    app = create_app({"database_url": database_url, "secret_key": TEST_SECRET_KEY, "TESTING": True,
                      "translator": "libre", "libretranslate_url": url})
    app.extensions["safer_homes.clock"] = lambda: NOW
    yield app
    app.extensions["safer_homes.engine"].dispose()


def _replies_translated(server) -> list[dict]:
    """The requests that translated a reply (the report page also asks for the resident's words in English)."""
    return [asked for asked in server.requests if asked["source"] == "en"]


def test_a_free_reply_is_previewed_in_the_residents_language_then_sent_as_previewed(translated, database_url):
    app, server = translated
    client = app.test_client()
    _report(app, language="bn")
    _signed_in(app, client)
    token = _page_token(client)
    words = "We have asked the caretaker to fix the light."
    before = _without_audit(database_url)
    preview = _post(client, {"status": "in_progress", "reason": "Repair asked", "message": words, "preview": "yes"},
                    token=token)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert f"[bn] {words}" in page
    assert _catalogue("bn", "(This message was translated by a machine.)") in page
    assert _without_audit(database_url) == before  # a preview changes nothing
    assert len(_replies_translated(server)) == 1

    fields = dict(re.findall(r'name="(translated|translation_engine|translation_signature)" value="([^"]*)"', page))
    assert fields["translated"] == f"[bn] {words}"
    sent = _post(client, {"status": "in_progress", "reason": "Repair asked", "message": words, **fields}, token=token)
    assert sent.status_code == 303
    assert len(_replies_translated(server)) == 1  # sent as previewed, never translated again
    [message] = _outbox(app)
    text = _notice_text(message)
    assert f"[bn] {words}" in text and _catalogue("bn", "(This message was translated by a machine.)") in text
    update = _updates(app)[-1]
    assert (update.public_message, update.original_message, update.machine_translated, update.message_language) == (
        f"[bn] {words}", words, True, "bn")


def test_a_translation_changed_after_the_preview_is_not_sent(translated, database_url):
    app, server = translated
    client = app.test_client()
    _report(app, language="bn")
    _signed_in(app, client)
    token = _page_token(client)
    words = "We will visit on Monday."
    page = _post(client, {"message": words, "preview": "yes"}, token=token).get_data(as_text=True)
    fields = dict(re.findall(r'name="(translated|translation_engine|translation_signature)" value="([^"]*)"', page))
    before = _without_audit(database_url)
    tampered = _post(client, {"message": words, **fields, "translated": "[bn] We will never visit."}, token=token)
    assert tampered.status_code == 200 and "What the resident will get" in tampered.get_data(as_text=True)
    edited = _post(client, {"message": "We will visit on Tuesday.", **fields}, token=token)
    assert edited.status_code == 200 and "[bn] We will visit on Tuesday." in edited.get_data(as_text=True)
    assert _without_audit(database_url) == before


def test_without_a_translator_the_officers_words_go_as_written_marked_as_english(app, client, clock):
    _report(app, language="so")
    _signed_in(app, client)
    words = "We have asked for the lock to be mended."
    assert _post(client, {"message": words}).status_code == 303
    [message] = _outbox(app)
    assert _catalogue("so", "%(message)s (written in English)", message=words) in _notice_text(message)
    assert _updates(app)[-1].message_language == "en"


# --- the care-language check ------------------------------------------------------------------------------

def _care_term(app, term, suggestion, group) -> None:
    """The word on the list whatever the backend's test set-up kept of migration 0011's seeded terms."""
    from storage import care_language

    with new_session(app.extensions["safer_homes.engine"]) as session:
        if not any(rule.term == term for rule in care_language.care_rules(session)):
            care_language.add_term(session, term=term, suggestion=suggestion, group=group, now=NOW)
            session.commit()


def test_a_stigmatising_word_is_flagged_until_confirmed_or_edited(app, client, clock, database_url):
    _care_term(app, "yobs", "young people", "young_people")
    _report(app, language="en")
    _signed_in(app, client)
    token = _page_token(client)
    before = _without_audit(database_url)
    flagged = _post(client, {"message": "We moved the yobs on."}, token=token)
    assert flagged.status_code == 400
    page = flagged.get_data(as_text=True)
    assert "yobs" in page and "young people" in page and 'name="care_confirmed"' in page
    assert _without_audit(database_url) == before

    assert _post(client, {"message": "We spoke to the young people."}, token=token).status_code == 303
    # The tick names the words it was given for: a tick for other words (or a bare "yes") is no tick.
    assert _post(client, {"message": "We moved the yobs on.", "care_confirmed": "yes"}, token=token).status_code == 400
    kept_for_other_words = care_digest("We moved the yobs on quickly.")
    assert _post(client, {"message": "We moved the yobs on.", "care_confirmed": kept_for_other_words},
                 token=token).status_code == 400
    assert _post(client, {"message": "We moved the yobs on.", "care_confirmed": care_digest("We moved the yobs on.")},
                 token=token).status_code == 303
    assert [_notice_text(message).count("young people") + _notice_text(message).count("yobs")
            for message in _outbox(app)] == [1, 1]


# --- refer, share, merge ---------------------------------------------------------------------------------

def test_referring_to_the_police_is_refused_and_to_housing_tells_the_resident(app, client, clock, database_url):
    _report(app, agencies=("council",))
    _signed_in(app, client)
    token = _page_token(client)
    before = _without_audit(database_url)
    refused = _post(client, {"agency": "police", "route": "referral", "reason": "They should know"}, "/refer",
                    token=token)
    assert refused.status_code == 400 and "only if the resident chose that" in refused.get_data(as_text=True)
    assert _without_audit(database_url) == before

    referred = _post(client, {"agency": "housing", "route": "referral", "reason": "Their block"}, "/refer", token=token)
    assert referred.status_code == 303 and referred.headers["Location"].endswith("?done=referred")
    assert _report_row(app).status == "referred"
    [message] = _outbox(app)
    assert standard_reply_text("referred.housing", "so") in _notice_text(message)
    [entry] = _audits(app, "report_referred")
    assert entry.detail["route"] == "referral" and "Their block" not in str(entry.detail)
    with new_session(app.extensions["safer_homes.engine"]) as session:
        assert session.execute(select(ReportAgency.via).where(ReportAgency.via == "referral")).scalar_one()


def test_merging_closes_the_duplicate_and_tells_its_resident_their_reference_still_works(app, client, clock):
    _report(app)
    _report(app, OTHER, language="bn")
    _signed_in(app, client)
    response = _post(client, {"into_reference": REFERENCE.lower()}, "/merge", reference=OTHER)
    assert response.status_code == 303 and response.headers["Location"].endswith("?done=merged")
    duplicate = _report_row(app, OTHER)
    assert duplicate.status == "closed" and duplicate.duplicate_of_id == _report_row(app).id
    [message] = _outbox(app)
    assert message.language == "bn" and OTHER in _notice_text(message)
    assert _catalogue("bn", "Your report %(reference)s is about the same problem as another report, so we have "
                            "joined them and will deal with them together. Nothing you told us is lost.",
                      reference=OTHER) in _notice_text(message)
    assert _audits(app, "report_merged")[0].detail["merged_into_id"] == _report_row(app).id
    # A second merge, or any change, is refused on the merged report.
    again = _post(client, {"status": "in_progress", "reason": "x"}, reference=OTHER)
    assert again.status_code == 400 and "merged into another" in again.get_data(as_text=True)
    bad = _post(client, {"into_reference": "not a reference"}, "/merge")
    assert bad.status_code == 400


# --- the web chat: the reply arrives when the page asks ------------------------------------------------------

def test_a_web_chat_resident_sees_the_reply_when_their_page_asks(app, client, clock):
    resident = WebChat(app.test_client())
    resident.send("hello")
    resident.send(choice="lang:so")
    for key in ("menu:report", "danger:no", "cat:noise", "skip", "when:now"):
        resident.send(choice=key)
    resident.send("Muusig aad u qaylo badan ayaa habeen walba ka yimaada dabaqa sare")
    resident.send(choice="privacy:private")
    resident.send(choice="done")
    resident.send(choice="confirm:yes")
    reference = re.search(r"TH-[0-9A-Z]{4}-[0-9A-Z]{4}", resident.text).group(0)

    _signed_in(app, client)
    assert _post(client, {"status": "in_progress", "reason": "Looking", "standard_reply": "in_progress.looking"},
                 reference=reference).status_code == 303
    answer = app.test_client().post("/chat/api/updates", json={"session": resident.session_id}).get_json()
    [message] = answer["messages"]
    shown = "\n".join(reply["text"] for reply in message["replies"])
    assert standard_reply_text("in_progress.looking", "so") in shown and reference in shown
    assert message["replies"][0]["lang"] == "so"


def test_the_officers_page_offers_labelled_forms_with_each_standard_reply_in_english_and_the_residents_language(
        app, client, clock):
    _report(app, language="so")
    _signed_in(app, client)
    page = client.get(f"/staff/reports/{REFERENCE}").get_data(as_text=True)
    assert "Act on this report" in page
    for field in ("action-status", "action-reason", "action-message", "action-note", "refer-agency", "merge-into"):
        assert f'<label for="{field}"' in page and f'id="{field}"' in page
    assert 'value="in_progress.looking"' in page
    assert STANDARD_REPLY_EN in page and standard_reply_text("in_progress.looking", "so") in page
    assert "Soomaali" in page
    assert 'value="police"' not in page  # never offered for a referral or share


STANDARD_REPLY_EN = "We are looking into your report. We will tell you when there is news."
