"""The engine's shared behaviour: first contact, global words, numbered answers, misses, idle, limits."""
from datetime import timedelta

import pytest

from flows import i18n
from flows.engine import match_choice
from flows.types import Choice, RememberLanguage, ReportStatus
from tests.flows.helpers import FIXED_NOW, Chat, make_context

MENU = ["menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces", "menu:gethelp",
        "menu:easy"]
LANGUAGE_KEYS = [f"lang:{language.code}" for language in i18n.LANGUAGES]


def test_first_contact_is_offered_every_language_in_its_own_name():
    chat = Chat()
    chat.send("hello")
    assert chat.keys == LANGUAGE_KEYS
    labels = [choice.label for choice in chat.last[-1].choices]
    assert labels == [language.endonym for language in i18n.LANGUAGES]
    # One line per language, each marked with its own language; choices only on the last.
    assert [reply.lang for reply in chat.last] == [language.code for language in i18n.LANGUAGES]
    assert all(not reply.choices for reply in chat.last[:-1])
    assert chat.state["step"] == "language" and "lang" not in chat.state


@pytest.mark.parametrize("answer", ["3", "৩", "٣", "Soomaali", "soomaali"])
def test_a_language_can_be_chosen_by_number_in_any_digits_or_by_name(answer):
    chat = Chat()
    chat.send("hi")
    chat.send(answer)
    assert chat.state["lang"] == "so"
    assert chat.keys == MENU
    assert RememberLanguage("so") in chat.intents
    assert all(reply.lang == "so" for reply in chat.last)


def test_a_language_hint_is_asked_first_and_one_tap_confirms_it():
    chat = Chat()
    chat.send("Salaan", language_hint="so")
    assert "lang" not in chat.state and chat.keys[0] == "lang:so" and chat.last[0].lang == "so"
    chat.send(choice="lang:so")
    assert chat.state["lang"] == "so"
    assert "menu:language" in chat.keys
    chat.send(choice="menu:language")
    assert chat.keys == LANGUAGE_KEYS


def test_bengali_script_hints_bengali():
    chat = Chat()
    chat.send("আমি একটা সমস্যা জানাতে চাই")
    assert chat.keys[0] == "lang:bn" and "lang" not in chat.state
    chat.send("১")
    assert chat.state["lang"] == "bn"


def test_an_unknown_hint_falls_back_to_the_language_menu():
    chat = Chat()
    chat.send("hello", language_hint="xx")
    assert chat.keys == LANGUAGE_KEYS


@pytest.mark.parametrize(
    "text, expected",
    [("1", "a"), ("১", "a"), ("٢", "b"), ("۲", "b"), ("2.", "b"), (" 2 ", "b"), ("Beta", "b"), ("☑ beta", "b"),
     ("b", "b"), ("3", None), ("0", None), ("gamma", None), ("", None), ("12345", None)],
)
def test_match_choice(text, expected):
    choices = [Choice("a", "Alpha"), Choice("b", "☐ Beta")]
    assert match_choice(text, choices) == expected


def _in_report(chat: Chat) -> None:
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")


@pytest.mark.parametrize("word", ["menu", "MENU", "/menu"])
def test_menu_works_at_any_point_and_drops_the_draft(word):
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send(word)
    assert chat.keys == MENU
    assert "draft" not in chat.state


def test_help_in_the_middle_of_a_report_carries_on_where_it_was():
    chat = Chat()
    _in_report(chat)
    chat.send("help")
    assert "999" in chat.text and "101" in chat.text and "0800 555 111" in chat.text
    assert chat.state["step"] == "category"
    assert chat.keys[0] == "cat:asb"


def test_stop_deletes_the_unfinished_report():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("stop")
    assert "draft" not in chat.state and "flow" not in chat.state
    assert chat.keys == []
    chat.send("hello again")
    assert chat.keys == MENU  # language is remembered


def test_language_word_works_mid_report():
    chat = Chat()
    _in_report(chat)
    chat.send("language")
    assert chat.keys == LANGUAGE_KEYS


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_command_words_work_in_every_language(lang):
    word = i18n.translations(lang).gettext("menu")
    chat = Chat()
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send(choice="menu:report")
    chat.send(word)
    assert chat.keys == MENU


def test_a_number_off_the_list_is_a_miss_not_an_answer():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("42")
    assert chat.state["step"] == "where"
    assert "draft" in chat.state and "location_text" not in chat.state["draft"]
    assert "1" in chat.text and str(len(chat.keys)) in chat.text


def test_a_choice_key_from_another_step_is_a_miss():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="privacy:anonymous")
    assert chat.state["step"] == "category"
    assert chat.state["misses"] == 1


def test_three_misses_offer_retry_menu_and_help():
    chat = Chat()
    _in_report(chat)
    for _ in range(2):
        chat.send("what?")
        assert chat.keys[0] == "cat:asb"
    chat.send("what?")
    assert chat.keys == ["retry", "menu", "help"]
    chat.send("1")  # "Try again", because only the last message's choices count
    assert chat.state["step"] == "category" and chat.keys[0] == "cat:asb"


def test_after_three_misses_the_menu_choice_works():
    chat = Chat()
    _in_report(chat)
    for _ in range(3):
        chat.send("what?")
    chat.send(choice="menu")
    assert chat.keys == MENU


def test_too_long_text_is_refused_and_changes_nothing():
    chat = Chat()
    _in_report(chat)
    before = dict(chat.state)
    replies = chat.send("x" * 2001)
    assert chat.state == before
    assert "2000" in replies[0].text
    assert chat.intents == [RememberLanguage("en")]


def test_text_at_the_limit_is_accepted():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("x" * 2000)
    assert chat.state["draft"]["location_text"] == "x" * 2000


def test_idle_resident_is_offered_to_carry_on_or_start_again():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("Brick Lane", at=FIXED_NOW + timedelta(hours=2))
    assert chat.keys == ["idle:continue", "idle:restart"]
    assert "location_text" not in chat.state["draft"]
    chat.send("1", at=FIXED_NOW + timedelta(hours=2, minutes=1))
    assert chat.state["step"] == "where" and chat.keys[-1] == "skip"
    chat.send("Brick Lane", at=FIXED_NOW + timedelta(hours=2, minutes=2))
    assert chat.state["draft"]["location_text"] == "Brick Lane"


def test_idle_resident_can_start_again():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise", at=FIXED_NOW)
    chat.send("hi", at=FIXED_NOW + timedelta(days=1))
    chat.send(choice="idle:restart", at=FIXED_NOW + timedelta(days=1))
    assert chat.keys == MENU and "draft" not in chat.state


def test_idle_time_is_configurable():
    chat = Chat(context=make_context(idle_after=timedelta(hours=6)))
    _in_report(chat)
    chat.send(choice="cat:noise", at=FIXED_NOW + timedelta(hours=5))
    assert chat.state["step"] == "where"


def test_an_idle_resident_at_the_menu_is_not_asked_to_resume():
    chat = Chat()
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send(choice="menu:report", at=FIXED_NOW + timedelta(days=3))
    assert chat.state["step"] == "danger"


def test_a_first_contact_status_check_answers_at_once_in_the_reports_language():
    status = ReportStatus(reference="TH-7K3M-9QXR", status="in_progress", language="bn", received_at=FIXED_NOW)
    chat = Chat(context=make_context(reports={"TH-7K3M-9QXR": status}))
    replies = chat.send("status th-7k3m-9qxr")
    assert "TH-7K3M-9QXR" in replies[0].text
    assert replies[0].lang == "bn"
    assert chat.state["lang"] == "bn"


def test_the_state_is_plain_json():
    import json

    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    assert json.loads(json.dumps(chat.state)) == chat.state


def test_changing_language_mid_report_carries_on_in_the_new_language():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("language")
    chat.send(choice="lang:so")
    assert chat.state["step"] == "where" and chat.state["draft"]["category"] == "noise"
    assert all(reply.lang == "so" for reply in chat.last)


def test_a_new_report_never_inherits_an_old_draft():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("Old place")
    chat.send("language")
    chat.send("menu")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send(choice="cat:asb")
    assert chat.state["step"] == "where" and "location_text" not in chat.state["draft"]


def test_help_after_three_misses_makes_numbers_mean_the_question_again():
    chat = Chat()
    _in_report(chat)
    for _ in range(3):
        chat.send("what?")
    chat.send("help")
    chat.send("2")  # the second category on screen, not the hidden "Main menu"
    assert chat.state["draft"]["category"] == "drugs"


def test_at_the_three_misses_prompt_an_unlisted_number_is_not_an_answer():
    chat = Chat()
    _in_report(chat)
    for _ in range(3):
        chat.send("what?")
    chat.send("5")
    assert chat.keys == ["retry", "menu", "help"]
    assert "category" not in chat.state.get("draft", {})


def test_after_three_misses_a_typed_answer_to_the_question_still_counts():
    chat = Chat()
    _in_report(chat)
    for _ in range(3):
        chat.send("what?")
    chat.send("Noise")
    assert chat.state["draft"]["category"] == "noise" and chat.state["step"] == "where"


def test_status_mid_report_answers_and_keeps_the_report():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send("status TH-0000-0000")
    assert "TH-0000-0000" in chat.text
    assert chat.state["step"] == "where" and chat.state["draft"]["category"] == "noise"


def test_the_status_word_alone_asks_for_the_reference():
    chat = Chat()
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send("status")
    assert chat.state["flow"] == "status" and "TH-1234-ABCD" in chat.text


def test_an_unknown_reference_from_someone_new_is_answered_in_their_hinted_language():
    chat = Chat()
    replies = chat.send("status TH-0000-0000", language_hint="so")
    assert replies[0].lang == "so" and chat.state["lang"] == "so"
    assert RememberLanguage("so") in chat.intents


def test_an_unknown_reference_with_no_hint_then_asks_for_a_language():
    chat = Chat()
    chat.send("status TH-0000-0000")
    assert chat.keys == LANGUAGE_KEYS and "lang" not in chat.state


def test_too_long_first_message_is_answered_in_the_hinted_language():
    chat = Chat()
    replies = chat.send("x" * 2001, language_hint="bn")
    assert replies[0].lang == "bn" and "২০০০" in replies[0].text
    assert chat.state == {}


def test_an_organisation_withdrawn_while_ticked_drops_out_instead_of_failing():
    from dataclasses import replace

    chat = Chat()
    _in_report(chat)
    for message in (dict(choice="cat:noise"), dict(choice="skip"), dict(choice="when:now"), dict(text="Loud"),
                    dict(choice="privacy:anonymous"), dict(choice="agency:police"), dict(choice="done")):
        chat.send(**message)
    chat.context = replace(chat.context, agencies=tuple(a for a in chat.context.agencies if a.slug != "police"))
    chat.send(choice="confirm:yes")
    report = [intent for intent in chat.intents if type(intent).__name__ == "SubmitReport"][0]
    assert report.agencies == ("council", "housing")


@pytest.mark.parametrize("word", ["stop", "STOP", "বন্ধ", "jooji"])
def test_stop_from_someone_new_is_not_answered_with_a_language_menu(word):
    chat = Chat()
    chat.send(word)
    assert chat.keys == [] and chat.state.get("flow") is None


def test_a_refused_file_is_explained_and_the_question_asked_again():
    chat = Chat()
    _in_report(chat)
    chat.send(choice="cat:noise")
    chat.send(refused_media=True)
    assert "too big" in chat.text and chat.state["step"] == "where" and chat.state["misses"] == 0
    assert chat.keys[-1] == "skip"
