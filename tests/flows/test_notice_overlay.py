"""The neutral notice's overlay (flows/report_notices.py): "1" or the button shows what it was about, in the
resident's language, then carries on where they were; a "was this sorted?" notice asks the question itself;
anything else passes it over and is answered as usual."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from flows import i18n
from flows.report_notices import (MAX_NOTICES, merged_notice, neutral_notice, sorted_notice, status_update_notice,
                                  update_notice, with_notice)
from flows.types import ReportStatus, ReportUpdateInfo
from tests.flows.helpers import FIXED_NOW, Chat, make_context

REFERENCE = "TH-7K3M-9QXR"
MENU = ["menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces", "menu:gethelp",
        "menu:easy"]
UPDATES = {
    (REFERENCE, 41): ReportUpdateInfo(reference=REFERENCE, action="reply", status="action_taken",
                                      public_message="We spoke to the neighbour", message_language="en"),
    (REFERENCE, 42): ReportUpdateInfo(reference=REFERENCE, action="merge", status="closed"),
}
CLOSED_AT = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)


def _chat(lang="en") -> Chat:
    context = replace(make_context(reports={REFERENCE: ReportStatus(REFERENCE, "action_taken", "en", FIXED_NOW)}),
                      lookup_update=lambda reference, update_id: UPDATES.get((reference, update_id)))
    chat = Chat(context=context)
    chat.send(choice="start")
    chat.send(choice=f"lang:{lang}")
    return chat


def _notice(chat: Chat, *notices: dict) -> None:
    for notice in notices:
        chat.state = with_notice(chat.state, notice)


def test_the_neutral_notice_says_nothing_of_a_report_and_offers_one_choice():
    notice = neutral_notice("en")
    assert notice.text == "Safer Homes: there is an update for you. Reply 1 to see it."
    assert [choice.key for choice in notice.choices] == ["notice:show"]


@pytest.mark.parametrize("answer", [dict(choice="notice:show"), dict(text="1"), dict(text="১"), dict(text="See the update")])
def test_1_shows_each_update_as_it_was_written_then_the_menu(answer):
    chat = _chat()
    _notice(chat, update_notice(reference=REFERENCE, update_id=41), update_notice(reference=REFERENCE, update_id=42))
    chat.send(**answer)
    expected = status_update_notice("en", reference=REFERENCE, status="action_taken",
                                    message="We spoke to the neighbour", message_language="en")
    assert [reply.text for reply in chat.last[:2]] == [expected, merged_notice("en", reference=REFERENCE)]
    assert chat.keys == MENU
    assert "notices" not in chat.state and "pending" not in chat.state


def test_in_the_middle_of_a_report_it_carries_on_with_the_same_question():
    chat = _chat()
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send(choice="cat:noise")
    where = (chat.state["flow"], chat.state["step"])
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send("1")
    assert "We spoke to the neighbour" in chat.text and "Let's carry on where you were." in chat.text
    assert (chat.state["flow"], chat.state["step"]) == where and chat.state["draft"]["category"] == "noise"


def test_a_sorted_notice_asks_the_question_itself_after_any_updates():
    chat = _chat("bn")
    _notice(chat, sorted_notice(reference=REFERENCE, closed_at=CLOSED_AT), update_notice(reference=REFERENCE, update_id=41))
    chat.send(choice="notice:show")
    assert chat.keys == ["sorted:yes", "sorted:partly", "sorted:no"]
    assert REFERENCE in chat.last[-1].text and all(reply.lang == "bn" for reply in chat.last)
    assert "We spoke to the neighbour" in chat.last[0].text
    assert chat.state["flow"] == "sorted" and chat.state["draft"]["closed_at"] == CLOSED_AT.isoformat()


def test_anything_else_passes_the_notice_over_and_it_is_not_shown_later():
    chat = _chat()
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send("2")  # not "1": the menu's second choice, as ever
    assert "We spoke to the neighbour" not in chat.text and chat.state["flow"] == "status"
    assert "notices" not in chat.state
    # A later notice brings only itself, not the one passed over.
    _notice(chat, update_notice(reference=REFERENCE, update_id=42))
    assert chat.state["notices"] == [update_notice(reference=REFERENCE, update_id=42)]


def test_a_command_word_passes_the_notice_over():
    chat = _chat()
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send("forget me")
    assert chat.keys == ["confirm:yes", "confirm:no"] and "notices" not in chat.state


def test_an_update_gone_since_is_told_by_the_status_check():
    chat = _chat()
    _notice(chat, update_notice(reference=REFERENCE, update_id=999))
    chat.send("1")
    assert f"Report {REFERENCE}" in chat.text  # the status check's answer, not an error


def test_notices_are_kept_once_each_and_at_most_max():
    state: dict = {"lang": "en"}
    for update_id in range(MAX_NOTICES + 3):
        state = with_notice(state, update_notice(reference=REFERENCE, update_id=update_id))
        state = with_notice(state, update_notice(reference=REFERENCE, update_id=update_id))
    assert [notice["update_id"] for notice in state["notices"]] == list(range(3, MAX_NOTICES + 3))
    assert state["pending"] == "notice"


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_the_notice_and_what_it_shows_are_in_the_residents_language(lang):
    assert neutral_notice(lang).lang == lang
    chat = _chat(lang)
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send(i18n.localise_digits("1", lang))
    assert all(reply.lang == lang for reply in chat.last)
    assert REFERENCE in chat.text


def test_a_malformed_notice_in_the_state_is_passed_over_without_a_crash():
    chat = _chat()
    chat.state.update(pending="notice", notices=[{"kind": "update"}, {"kind": "sorted", "reference": REFERENCE,
                                                                     "closed_at": "not a time"}, "junk", None,
                                                 update_notice(reference=REFERENCE, update_id=41)])
    chat.send("1")
    assert "We spoke to the neighbour" in chat.text and chat.keys == MENU


def _at_the_last_step_of_a_report(chat: Chat) -> None:
    for answer in (dict(choice="menu:report"), dict(choice="danger:no"), dict(choice="cat:noise"),
                   dict(choice="ward:weavers"), dict(choice="when:now"), dict(text="loud music every night"),
                   dict(choice="privacy:private"), dict(choice="done")):
        chat.send(**answer)
    assert chat.state["step"] == "confirm" and "confirm:yes" in chat.keys  # "Send it"


@pytest.mark.parametrize("answer", [dict(choice="confirm:yes"), dict(text="Yes, forget me")])
def test_a_notice_arriving_over_forget_me_leaves_yes_forgetting_them_not_sending_their_report(answer):
    """They ask to be forgotten at a report's last step; a notice about another report arrives before they
    answer. Their "Yes, forget me" passes the notice over and answers the question it came over: with the
    question gone, it reached the report's own step, whose "Send it" has the same key, and sent the report."""
    from flows.types import ForgetContact, SubmitReport

    chat = _chat()
    _at_the_last_step_of_a_report(chat)
    chat.send("forget me")
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send(**answer)
    assert not [intent for intent in chat.intents if isinstance(intent, SubmitReport)]
    assert [intent for intent in chat.intents if isinstance(intent, ForgetContact)] == [ForgetContact()]


def test_no_to_forget_me_after_a_notice_came_over_it_carries_on_with_the_report():
    chat = _chat()
    _at_the_last_step_of_a_report(chat)
    chat.send("forget me")
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send(choice="confirm:no")
    assert "Nothing has been deleted." in chat.text and chat.state["step"] == "confirm"
    assert "pending" not in chat.state


def test_one_after_a_notice_came_over_forget_me_shows_the_update_and_forgets_nothing():
    from flows.types import ForgetContact

    chat = _chat()
    _at_the_last_step_of_a_report(chat)
    chat.send("forget me")
    _notice(chat, update_notice(reference=REFERENCE, update_id=41))
    chat.send("1")  # the notice asked for it last: "Reply 1 to see it"
    assert "We spoke to the neighbour" in chat.text
    assert not [intent for intent in chat.intents if isinstance(intent, ForgetContact)]
    assert "pending" not in chat.state
