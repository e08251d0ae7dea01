"""A language hint for someone new is confirmed with one tap and never forced (flows/home.ask_language): the
hinted language is asked first, every other language is still one tap, and a wrong hint costs nothing."""
from __future__ import annotations

import pytest

from flows import i18n
from flows.types import RememberLanguage
from tests.flows.helpers import Chat

LANGUAGE_KEYS = [f"lang:{language.code}" for language in i18n.LANGUAGES]
CODES = [language.code for language in i18n.LANGUAGES]


def _asked_with_first(chat: Chat, *codes: str) -> None:
    """The language question, these languages first (their "Choose your language." lines too), every
    language once, nothing chosen yet."""
    assert chat.keys[:len(codes)] == [f"lang:{code}" for code in codes]
    assert sorted(chat.keys) == sorted(LANGUAGE_KEYS)
    assert [reply.lang for reply in chat.last[:len(codes)]] == list(codes)
    assert [reply.lang for reply in chat.last] == [key.removeprefix("lang:") for key in chat.keys]
    assert chat.state["step"] == "language" and "lang" not in chat.state
    assert not any(isinstance(intent, RememberLanguage) for intent in chat.intents)


@pytest.mark.parametrize("code", CODES)
def test_a_first_message_in_a_language_asks_it_first_and_1_in_its_digits_confirms_it(code):
    chat = Chat()
    chat.send("…", text_languages=(code,))
    _asked_with_first(chat, code)
    chat.send(i18n.localise_digits("1", code))
    assert chat.state["lang"] == code and "hinted" not in chat.state
    assert chat.intents == [RememberLanguage(code)]
    assert "menu:report" in chat.keys and all(reply.lang == code for reply in chat.last)


def test_a_tap_on_the_hinted_language_confirms_it():
    chat = Chat()
    chat.send("Dzień dobry, chciałabym zgłosić problem", text_languages=("pl",))
    chat.send(choice="lang:pl")
    assert chat.state["lang"] == "pl" and "menu:report" in chat.keys


@pytest.mark.parametrize("other", [code for code in CODES if code != "ar"])
def test_any_other_language_is_still_one_tap_by_button_by_its_number_or_by_its_name(other):
    for answer in ({"choice": f"lang:{other}"}, {"number": True}, {"name": True}):
        chat = Chat()
        chat.send("السلام عليكم", text_languages=("ar",))
        if "choice" in answer:
            chat.send(choice=answer["choice"])
        elif "number" in answer:
            # The number shown beside it, which a hint moves: "never forced" means that number picks it.
            chat.send(str(chat.keys.index(f"lang:{other}") + 1))
        else:
            chat.send(i18n.BY_CODE[other].endonym)
        assert chat.state["lang"] == other, answer
        assert chat.intents == [RememberLanguage(other)]


def test_a_wrong_hint_costs_one_tap_and_leaves_nothing_behind():
    chat = Chat()
    chat.send("salam", text_languages=("tr",))  # an English speaker's greeting taken for Turkish
    _asked_with_first(chat, "tr")
    chat.send(choice="lang:en")
    assert chat.state["lang"] == "en" and chat.intents == [RememberLanguage("en")]
    assert "hinted" not in chat.state
    assert "menu:report" in chat.keys and all(reply.lang == "en" for reply in chat.last)
    chat.send(choice="menu:language")  # later, the language menu is in its usual order
    assert chat.keys == LANGUAGE_KEYS


def test_the_order_shown_is_kept_for_the_next_message_so_its_numbers_mean_what_was_seen():
    chat = Chat()
    chat.send("Laba diena, norėčiau pranešti apie problemą", text_languages=("lt",))
    chat.send("🙂")  # suggests nothing: asked again in the same order
    _asked_with_first(chat, "lt")
    chat.send("1")
    assert chat.state["lang"] == "lt"


def test_a_later_message_in_another_language_moves_that_one_first():
    chat = Chat()
    chat.send("Merhaba", text_languages=("tr",))
    chat.send("Hola, quiero denunciar un problema", text_languages=("es",))
    _asked_with_first(chat, "es")
    chat.send("1")
    assert chat.state["lang"] == "es"


def test_the_words_come_before_the_channels_language_and_both_before_the_rest():
    chat = Chat()
    chat.send("আমি একটা অভিযোগ করতে চাই", text_languages=("bn",), language_hint="en")
    _asked_with_first(chat, "bn", "en")
    chat = Chat()
    chat.send("Salaan", language_hint="so")  # the channel's language alone is asked first too
    _asked_with_first(chat, "so")


def test_chinese_in_characters_both_writings_share_puts_both_first():
    chat = Chat()
    chat.send("你好", text_languages=("zh-Hans", "zh-Hant"))
    _asked_with_first(chat, "zh-Hans", "zh-Hant")
    chat.send("2")
    assert chat.state["lang"] == "zh-Hant"


def test_a_hint_of_a_language_not_shipped_is_passed_over():
    chat = Chat()
    chat.send("Guten Tag", text_languages=("de",), language_hint="xx")
    assert chat.keys == LANGUAGE_KEYS


def test_bengali_script_is_a_hint_even_without_the_callers_detector():
    chat = Chat()
    chat.send("আমি একটা সমস্যা জানাতে চাই")
    _asked_with_first(chat, "bn")

