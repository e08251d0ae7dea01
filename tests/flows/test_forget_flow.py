""""Forget me" in the conversation: asked to confirm over whatever they were doing; yes forgets (one intent,
the state emptied), no carries on where they were, anything else is handled as usual."""
from __future__ import annotations

import pytest

from flows import i18n
from flows.home import COMMAND_WORDS
from flows.types import ForgetContact, RememberLanguage
from tests.flows.helpers import Chat

MENU = ["menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces", "menu:gethelp",
        "menu:easy"]
CONFIRM = ["confirm:yes", "confirm:no"]


def _in_a_report(lang="en") -> Chat:
    chat = Chat()
    chat.send(choice="start")
    chat.send(choice=f"lang:{lang}")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send(choice="cat:noise")
    return chat


@pytest.mark.parametrize("typed", ["forget me", "Forget  Me", " FORGET ME ", "/forget me"])
def test_forget_me_asks_to_confirm_and_says_what_will_happen(typed):
    chat = _in_a_report()
    chat.send(typed)
    assert chat.keys == CONFIRM
    assert chat.state["pending"] == "forget"
    assert "Reports you sent anonymously are not affected" in chat.text
    assert "you will not get updates about them any more" in chat.text
    assert not [i for i in chat.intents if isinstance(i, ForgetContact)]


@pytest.mark.parametrize("answer", [dict(choice="confirm:yes"), dict(text="1"), dict(text="১"), dict(text="Yes, forget me")])
def test_yes_forgets_once_and_empties_the_state(answer):
    chat = _in_a_report()
    chat.send("forget me")
    replies = chat.send(**answer)
    assert [i for i in chat.intents if isinstance(i, ForgetContact)] == [ForgetContact()]
    assert "Done. We have deleted how to reach you" in chat.text
    assert replies[-1].choices == ()
    # Nothing of the conversation is handed back to keep but the time of this turn.
    assert set(chat.state) <= {"last_seen"}


def test_no_deletes_nothing_and_carries_on_with_the_question_they_were_on():
    chat = _in_a_report()
    where = (chat.state["flow"], chat.state["step"])
    chat.send("forget me")
    chat.send(choice="confirm:no")
    assert "Nothing has been deleted." in chat.text
    assert (chat.state["flow"], chat.state["step"]) == where
    assert "pending" not in chat.state
    assert not [i for i in chat.intents if isinstance(i, ForgetContact)]
    assert "Let's carry on where you were." in chat.text


def test_no_from_the_menu_shows_the_menu():
    chat = Chat()
    chat.send(choice="start")
    chat.send(choice="lang:en")
    chat.send("forget me")
    chat.send("2")
    assert chat.keys == MENU


def test_a_number_off_the_list_asks_again_and_deletes_nothing():
    chat = _in_a_report()
    chat.send("forget me")
    chat.send("3")
    assert chat.keys == CONFIRM and chat.state["pending"] == "forget"
    assert not [i for i in chat.intents if isinstance(i, ForgetContact)]


def test_anything_else_drops_the_question_and_is_answered_as_usual():
    chat = _in_a_report()
    chat.send("forget me")
    chat.send("Outside the community centre")  # the answer to "where?", the question they were on
    assert "pending" not in chat.state
    assert chat.state["step"] != "where" and chat.state["draft"]["location_text"] == "Outside the community centre"
    chat.send("forget me")
    chat.send("menu")
    assert chat.keys == MENU and "pending" not in chat.state
    assert not [i for i in chat.intents if isinstance(i, ForgetContact)]


def test_someone_new_is_asked_in_the_language_they_wrote_and_can_be_forgotten():
    chat = Chat()
    chat.send("forget me")
    assert chat.keys == CONFIRM and chat.state["lang"] == "en"
    chat.send(choice="confirm:yes")
    assert ForgetContact() in chat.intents

    hinted = Chat()
    hinted.send("forget me", language_hint="so")
    assert hinted.state["lang"] == "so" and RememberLanguage("so") in hinted.intents


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_the_phrase_works_in_every_language_as_translated(lang):
    phrase = i18n.translations(lang).gettext(COMMAND_WORDS["forget"])
    chat = _in_a_report(lang)
    chat.send(phrase)
    assert chat.keys == CONFIRM
    assert all(reply.lang == lang for reply in chat.last)
    chat.send(choice="confirm:yes")
    assert ForgetContact() in chat.intents
    assert all(reply.lang == lang for reply in chat.last)
