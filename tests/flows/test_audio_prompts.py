"""Which replies may go with a community recording (flows/audio_prompts.py): the main menu and the welcome,
in every language, and nothing else; the flows only name the prompt, the text is the whole reply."""
import re

import pytest

from flows import i18n
from flows.audio_prompts import AUDIO_PROMPTS, MAIN_MENU, WELCOME, may_have_recording
from tests.flows.helpers import Chat, make_context


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_the_welcome_and_the_main_menu_name_their_recordings_in_every_language(lang):
    chat = Chat(context=make_context())
    chat.send("hi")
    assert all(reply.audio_prompt is None for reply in chat.last)  # the language menu: nobody has a language yet
    chat.send(choice=f"lang:{lang}")
    welcome, menu = chat.last
    assert (welcome.audio_prompt, welcome.lang) == (WELCOME, lang)
    assert (menu.audio_prompt, menu.lang) == (MAIN_MENU, lang)
    assert menu.choices and menu.text  # the text and the numbered choices still go, whatever is played


def test_the_menu_asked_again_after_anything_carries_its_recording_and_other_questions_do_not():
    chat = Chat(context=make_context())
    chat.send("hi")
    chat.send(choice="lang:bn")
    chat.send(choice="menu:report")
    assert [reply.audio_prompt for reply in chat.last] == [None]  # "is anyone in danger?" has no recording
    chat.send("menu")
    assert chat.last[-1].audio_prompt == MAIN_MENU
    chat.send("help")
    assert [reply.audio_prompt for reply in chat.last] == [None, MAIN_MENU]  # help text, then the menu
    chat.send("99")  # a number off the list: the menu again, with its hint, still the menu
    assert chat.last[-1].audio_prompt == MAIN_MENU and chat.last[-1].choices


def test_the_table_names_prompts_a_file_name_can_hold_in_shipped_languages():
    for key, prompt in AUDIO_PROMPTS.items():
        assert prompt.key == key and re.fullmatch(r"[a-z_]{1,32}", key)
        assert prompt.languages and all(i18n.is_shipped(code) for code in prompt.languages)
        assert prompt.title and prompt.what_to_record
    assert may_have_recording(MAIN_MENU, "bn") and may_have_recording(MAIN_MENU, "so")
    assert not may_have_recording(MAIN_MENU, "fr")  # not (yet) one the community records
    assert not may_have_recording("../main_menu", "bn") and not may_have_recording("main_menu", "../bn")
