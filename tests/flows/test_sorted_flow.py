""""Was this sorted?" (flows/sorted.py): asked by the worker or after the status check of a closed report;
yes / partly / no saved at once, an optional comment added to it, thanks; bad answers re-ask and save
nothing."""
from datetime import datetime, timedelta, timezone

import pytest

from flows.engine import begin
from flows.sorted import COMMENT_MAX, draft_for
from flows.types import AddSortedComment, ReportStatus, SaveSortedAnswer
from tests.flows.helpers import FIXED_NOW, Chat, make_context

REFERENCE = "TH-7K3M-9QXR"
CLOSED_AT = datetime(2026, 11, 17, 10, 5, tzinfo=timezone.utc)
KEYS = ["sorted:yes", "sorted:partly", "sorted:no"]


def _asked(lang="en") -> Chat:
    """A resident who chose `lang` earlier, as the worker asks them."""
    chat = Chat()
    step = begin({"lang": lang, "flow": "home", "step": "menu"}, chat.context, flow="sorted", step="answer",
                 draft=draft_for(REFERENCE, CLOSED_AT, via="question"))
    chat.state, chat.last = step.state, step.replies
    return chat


def _answers(chat):
    return [intent for intent in chat.intents if isinstance(intent, SaveSortedAnswer)]


def _comments(chat):
    return [intent for intent in chat.intents if isinstance(intent, AddSortedComment)]


def test_the_question_names_the_report_and_the_day_it_closed():
    chat = _asked()
    assert chat.text == "Your report TH-7K3M-9QXR was closed on 17 November 2026. Was it sorted?"
    assert chat.keys == KEYS and "last_seen" not in chat.state


def test_no_is_saved_at_once_and_the_comment_added_to_it():
    chat = _asked()
    chat.send("3", at=FIXED_NOW + timedelta(days=1))  # a day later: an answer, not "welcome back"
    # Saved before any comment: a resident who goes quiet now has still said "no".
    answer = SaveSortedAnswer(reference=REFERENCE, answer="no", closed_at=CLOSED_AT.isoformat(), via="question")
    assert chat.intents == [answer]
    assert chat.state["step"] == "comment" and chat.keys == ["skip"]
    # Told at once that it was reopened: one who goes quiet now still knows.
    assert "We have reopened report TH-7K3M-9QXR and told the team. What is still wrong?" in chat.text
    chat.send("  The lift is still broken  ")
    assert chat.intents == [answer, AddSortedComment(reference=REFERENCE, closed_at=CLOSED_AT.isoformat(),
                                                     comment="The lift is still broken", language="en")]
    assert "You can check report TH-7K3M-9QXR at any time" in chat.text
    assert chat.state["flow"] == "home" and "draft" not in chat.state and chat.keys[0] == "menu:report"


@pytest.mark.parametrize("answer, thanks", [("sorted:yes", "We are glad it was sorted."),
                                            ("sorted:partly", "We have passed your answer to the team")])
def test_yes_and_partly_may_skip_the_comment(answer, thanks):
    chat = _asked()
    chat.send(choice=answer)
    [saved] = _answers(chat)
    assert saved.answer == answer.removeprefix("sorted:")
    chat.send(choice="skip")
    assert chat.intents == [saved]  # nothing more: the answer stands on its own
    assert thanks in chat.text


def test_in_bengali_with_bengali_digits():
    chat = _asked("bn")
    assert chat.last[-1].lang == "bn" and "১৭" in chat.text  # the day in Bengali digits
    chat.send("৩")  # three, in Bengali digits: "no"
    [saved] = _answers(chat)
    assert saved.answer == "no"
    chat.send("লিফট এখনও ভাঙা")
    [comment] = _comments(chat)
    assert (comment.comment, comment.language) == ("লিফট এখনও ভাঙা", "bn")
    assert all(reply.lang == "bn" for reply in chat.last)


@pytest.mark.parametrize("bad", ["7", "maybe", "0"])
def test_a_bad_answer_asks_again_and_saves_nothing(bad):
    chat = _asked()
    chat.send(bad)
    assert chat.state["step"] == "answer" and chat.keys == KEYS and _answers(chat) == []
    assert "Was it sorted?" in chat.text


def test_a_comment_over_the_limit_is_refused_politely_and_nothing_more_is_saved():
    chat = _asked()
    chat.send(choice="sorted:no")
    chat.send("x" * (COMMENT_MAX + 1))
    assert _comments(chat) == [] and len(chat.intents) == 1 and chat.state["step"] == "comment"
    assert "at most 1000 characters" in chat.text
    chat.send("x" * COMMENT_MAX)
    [comment] = _comments(chat)
    assert len(comment.comment) == COMMENT_MAX


def test_a_double_tap_of_the_answer_saves_it_once():
    chat = _asked()
    chat.send(choice="sorted:no")
    chat.send(choice="sorted:no")  # the same button again, now on the comment step: asked again, nothing saved
    assert len(_answers(chat)) == 1 and chat.intents == _answers(chat)
    assert chat.state["step"] == "comment" and chat.keys == ["skip"]


def test_a_resident_gone_quiet_after_answering_is_welcomed_back_not_taken_for_a_comment():
    chat = _asked()
    chat.send(choice="sorted:no", at=FIXED_NOW)
    chat.send("hello", at=FIXED_NOW + chat.context.idle_after + timedelta(minutes=1))
    assert chat.intents == _answers(chat) and len(chat.intents) == 1
    assert chat.state["pending"] == "idle" and chat.keys == ["idle:continue", "idle:restart"]


def _closed(answer=None, closed_at=CLOSED_AT):
    return ReportStatus(reference=REFERENCE, status="closed", language="en", received_at=CLOSED_AT - timedelta(days=9),
                        closed_at=closed_at, sorted_answer=answer)


def test_the_status_check_of_a_closed_report_asks_once_for_its_closing():
    chat = Chat(context=make_context(reports={REFERENCE: _closed()}))
    chat.send(choice="lang:en")
    chat.send(f"status {REFERENCE}")
    assert "Report TH-7K3M-9QXR, sent on 8 November 2026: closed." in chat.text
    assert chat.keys == KEYS and chat.state["flow"] == "sorted"
    chat.send("1")
    [saved] = _answers(chat)
    assert (saved.answer, saved.via, saved.closed_at) == ("yes", "status_check", CLOSED_AT.isoformat())
    chat.send("Thank you all")
    [comment] = _comments(chat)
    assert (comment.comment, comment.closed_at) == ("Thank you all", CLOSED_AT.isoformat())


def test_the_status_check_as_a_first_message_asks_too():
    chat = Chat(context=make_context(reports={REFERENCE: _closed()}))
    chat.send(f"status {REFERENCE}")
    assert chat.keys == KEYS


def test_the_menu_status_check_asks_too():
    chat = Chat(context=make_context(reports={REFERENCE: _closed()}))
    chat.send(choice="lang:en")
    chat.send(choice="menu:status")
    chat.send(REFERENCE.lower())
    assert chat.keys == KEYS


@pytest.mark.parametrize("found", [_closed(answer="partly"), _closed(closed_at=None)])
def test_not_asked_when_answered_already_or_not_askable(found):
    chat = Chat(context=make_context(reports={REFERENCE: found}))
    chat.send(choice="lang:en")
    chat.send(f"status {REFERENCE}")
    assert chat.state["flow"] == "home" and "sorted:yes" not in chat.keys
