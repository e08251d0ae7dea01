"""A number typed before any language list was shown chooses nothing (flows/home.first_contact): it means the
language listed beside it, and the resident has seen no list yet."""
from __future__ import annotations

import pytest

from flows import i18n
from flows.types import RememberLanguage
from tests.flows.helpers import Chat

LANGUAGE_KEYS = [f"lang:{language.code}" for language in i18n.LANGUAGES]


@pytest.mark.parametrize("first", ["1", "3", "١", "۱", "১", "１", "5.", "14"])
def test_a_number_as_the_very_first_message_asks_the_language_instead_of_choosing_one(first):
    chat = Chat()
    chat.send(first)
    assert "lang" not in chat.state and chat.state["step"] == "language"
    assert sorted(chat.keys) == sorted(LANGUAGE_KEYS)
    assert not any(isinstance(intent, RememberLanguage) for intent in chat.intents)


def test_a_first_1_with_telegram_in_arabic_lists_arabic_first_and_the_next_1_chooses_it():
    chat = Chat()
    chat.send("1", language_hint="ar")
    assert "lang" not in chat.state and chat.keys[0] == "lang:ar"
    chat.send("1", language_hint="ar")  # now it means what they saw
    assert chat.state["lang"] == "ar" and chat.intents == [RememberLanguage("ar")]


def test_after_the_list_a_number_still_chooses_what_was_listed_beside_it():
    chat = Chat()
    chat.send("hello")
    chat.send("3")
    assert chat.state["lang"] == i18n.LANGUAGES[2].code and chat.intents == [RememberLanguage(i18n.LANGUAGES[2].code)]


def test_a_language_set_without_the_menu_ends_the_hinted_order_too():
    """"forget me" at first contact sets a language without the language question: the later menu is in its
    usual order, as after choosing."""
    chat = Chat()
    chat.send("hello", language_hint="ar")
    assert chat.keys[0] == "lang:ar"
    chat.send("forget me")
    chat.send(choice="confirm:no")
    chat.send("language")
    assert chat.keys == LANGUAGE_KEYS
