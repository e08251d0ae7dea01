"""Easy read (flows/easy_read.py): chosen on the menu, remembered, short, one question a message, numbered."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from bot.channels.twilio import _reply_text
from flows import easy_read, i18n
from flows.home import MENU_KEYS
from flows.report import PRIVACY, PRIVACY_PROMISES
from flows.types import ReportStatus
from tests.flows.helpers import FIXED_NOW, Chat, make_context, send_with_privacy
from tests.test_translations import ROOT, extraction_options

EASY_LANGUAGES = [language.code for language in i18n.LANGUAGES if language.easy_read]
OTHER_LANGUAGES = [language.code for language in i18n.LANGUAGES if not language.easy_read]
MAX_WORDS = 12
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
PHONE_NUMBERS = ("999", "101", "0800 555 111", "TH-1234-ABCD")
KNOWN = ReportStatus(reference="TH-7K3M-9QXR", status="received", language="en", received_at=FIXED_NOW)


def _easy_chat(lang: str = "en", **context) -> Chat:
    chat = Chat(context=make_context(reports={KNOWN.reference: KNOWN}, **context))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    chat.send(choice="menu:easy")
    assert chat.state["easy"] is True
    return chat


def _parts(easy) -> tuple[str, ...]:
    return (easy,) if isinstance(easy, str) else easy


def _sentences(text: str) -> list[str]:
    """The sentences of a message's prose: one a line, or ended by . ! ? (a reference's dashes stay)."""
    return [s for line in text.splitlines() for s in re.split(r"(?<=[.!?])\s+", line) if s.strip()]


def _prose(reply) -> str:
    """A reply's own words: without its numbered choice lines, the privacy promises (said word for word,
    as promised) and a report summary's answers (the resident's own words)."""
    text = reply.text
    if reply.numbered:
        text = text.rpartition("\n\n")[0]
    for promise in PRIVACY_PROMISES.values():
        text = text.replace(f"• {promise}", "").replace(str(promise), "")
    return "\n".join(line for line in text.splitlines() if not re.match(r"^[^.?!]{1,40}: ", line))


def _check_shape(replies, lang: str) -> None:
    """One question a message; only the last carries choices, and its text numbers each one, in order."""
    assert replies
    for reply in replies[:-1]:
        assert not reply.choices, reply
    for reply in replies:
        assert reply.text.count("?") + reply.text.count("؟") <= 1, reply.text
        if lang == "en":
            for sentence in _sentences(_prose(reply)):
                assert len(sentence.split()) <= MAX_WORDS, f"{len(sentence.split())} words: {sentence!r}"
    last = replies[-1]
    if last.choices:
        assert last.numbered
        lines = last.text.rpartition("\n\n")[2].splitlines()
        assert lines == [f"{i18n.localise_digits(str(n), lang)}. {choice.label}"
                         for n, choice in enumerate(last.choices, 1)]


# --- choosing it ---------------------------------------------------------------------------------------

def test_the_easy_words_choice_is_the_last_menu_key():
    assert MENU_KEYS[-1] == "menu:easy"


@pytest.mark.parametrize("lang", EASY_LANGUAGES)
def test_easy_words_are_offered_on_the_menu_and_turn_on_and_off(lang):
    chat = Chat()
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    assert chat.keys == list(MENU_KEYS)
    off_label = chat.last[-1].choices[-1].label
    standard_menu = chat.last[-1].text
    assert not chat.last[-1].numbered

    chat.send(choice="menu:easy")
    assert chat.state["easy"] is True
    assert chat.keys == list(MENU_KEYS)
    on_label = chat.last[-1].choices[-1].label
    assert on_label != off_label  # the label says what it will do
    assert chat.last[-1].numbered
    _check_shape(chat.last, lang)
    if lang == "en":
        assert off_label == "Use easy words" and on_label == "Use usual words"
        assert chat.last[-1].text.startswith("What do you want to do?")

    chat.send(choice="menu:easy")
    assert "easy" not in chat.state
    assert chat.last[-1].choices[-1].label == off_label
    assert chat.last[-1].text == standard_menu


def test_a_typed_number_chooses_easy_words():
    chat = Chat()
    chat.send("hi")
    chat.send(choice="lang:bn")
    chat.send(i18n.localise_digits(str(MENU_KEYS.index("menu:easy") + 1), "bn"))
    assert chat.state["easy"] is True


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_languages_without_easy_read_do_not_offer_it(lang):
    chat = Chat()
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    assert "menu:easy" not in chat.keys
    assert chat.keys == list(MENU_KEYS[:-1])  # the same numbers mean the same things
    chat.send(choice="menu:easy")  # a stale button from another language's menu changes nothing
    assert "easy" not in chat.state


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_choosing_a_language_without_easy_read_turns_it_off_quietly(lang):
    chat = _easy_chat("en")
    chat.send(choice="menu:language")
    chat.send(choice=f"lang:{lang}")
    assert "easy" not in chat.state
    assert not any(reply.numbered for reply in chat.last)
    chat.send(choice="menu:language")
    chat.send(choice="lang:en")
    assert "easy" not in chat.state
    assert chat.last[-1].choices[-1].label == "Use easy words"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_a_language_without_easy_read_reads_the_standard_words(lang):
    """Even with easy read remembered (a state from before), another language gets its standard set, never
    English easy words."""
    standard = Chat()
    standard.send("hi")
    standard.send(choice=f"lang:{lang}")
    standard.send(choice="menu:report")
    chat = Chat(state={**standard.state, "easy": True, "flow": "home", "step": "menu"})
    chat.send(choice="menu:report")
    assert [(r.text, r.choices, r.numbered) for r in chat.last] == [(r.text, r.choices, False) for r in standard.last]
    for msgid in easy_read.EASY_READ:
        assert easy_read.words(lang, msgid) is None


def test_moving_between_easy_read_languages_keeps_it():
    chat = _easy_chat("en")
    chat.send(choice="menu:language")
    chat.send(choice="lang:so")
    assert chat.state["easy"] is True
    assert chat.last[-1].numbered


def test_easy_read_survives_stop_menu_a_finished_report_and_a_long_gap():
    chat = _easy_chat("en")
    chat.send(choice="menu:report")
    chat.send("stop")
    chat.send("hello again")
    assert chat.state["easy"] is True
    assert chat.last[-1].text.startswith("What do you want to do?")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send("menu")
    assert chat.state["easy"] is True
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send(choice="cat:noise", at=chat.later(hours=3))
    assert chat.last[-1].text.startswith("Do you want to carry on, or start again?")
    _check_shape(chat.last, "en")
    chat.send(choice="idle:continue", at=chat.later(hours=3))
    assert chat.keys[0] == "cat:asb"


def test_help_offers_easy_words_and_the_way_back():
    chat = Chat()
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send("help")
    assert 'choose "Use easy words" on the menu' in chat.text
    chat.send(choice="menu:easy")
    chat.send("help")
    assert 'To go back, choose "Use usual words" on the menu.' in chat.text
    for number in ("999", "101", "0800 555 111"):
        assert number in chat.text
    _check_shape(chat.last, "en")


def test_help_does_not_offer_easy_words_where_there_are_none():
    chat = Chat()
    chat.send("hi")
    chat.send(choice="lang:ar")
    chat.send("help")
    assert "Use easy words" not in chat.text
    assert i18n.translations("ar").gettext("Use easy words") not in chat.text


# --- the words ------------------------------------------------------------------------------------------

REPORT_JOURNEY = [dict(choice="menu:report"), dict(text="1"), dict(choice="continue:yes"),
                  dict(choice="cat:unsafe_place"), dict(text="Bow Road"), dict(text="2"),
                  dict(choice="daypart:night"), dict(choice="skip"), dict(text="Lights out"),
                  dict(choice="privacy:named"), dict(text="Hodan"), dict(choice="agency:police"), dict(choice="done"),
                  dict(choice="confirm:no"), dict(choice="change:when"), dict(choice="when:earlier"),
                  dict(choice="confirm:yes")]


@pytest.mark.parametrize("lang", EASY_LANGUAGES)
def test_every_step_of_a_report_is_short_one_question_a_message_and_numbered(lang):
    chat = _easy_chat(lang)
    for message in REPORT_JOURNEY:
        chat.send(**message)
        _check_shape(chat.last, lang)
        assert all(reply.lang == lang for reply in chat.last)
    assert chat.intents[-1].privacy == "named" and chat.intents[-1].when == "earlier"
    assert chat.intents[-1].agencies == ("council", "housing", "police")


def test_the_easy_report_says_the_easy_words():
    chat = _easy_chat("en")
    said = []
    for message in REPORT_JOURNEY:
        chat.send(**message)
        said.append(chat.text)
    joined = "\n".join(said)
    for text in ("Is anyone in danger now?", "Please call 999 now.", "Do you also want to make a report here?",
                 "Where did it happen?", "When does it feel unsafe?", "Do you want to tell us you are a woman or girl?",
                 "Please tell us what happened.", "What name should we give them?", "Who may see your report?",
                 "What do you want to change?", "Your reference is TH-7K3M-9QXR.",
                 'send "status TH-7K3M-9QXR"'):
        assert text in joined, text


def test_errors_are_easy_too():
    chat = _easy_chat("en")
    chat.send(choice="menu:report")
    chat.send("purple")
    assert chat.last[0].text == "Please send the number of your answer."
    _check_shape(chat.last, "en")
    chat.send("9")
    assert chat.last[0].text == "Please choose a number from 1 to 2."
    chat.send("purple")
    assert chat.last[0].text == "Sorry, I still did not understand."
    assert chat.last[-1].text.startswith("What do you want to do now?")
    _check_shape(chat.last, "en")
    chat.send("x" * 2001)
    assert chat.last[0].text.startswith("Your message is too long.")


def test_the_status_check_is_easy():
    chat = _easy_chat("en")
    chat.send(choice="menu:status")
    assert chat.text == "Please type your reference.\nIt looks like TH-1234-ABCD."
    chat.send(choice="danger:yes")  # a stale button: the question takes typed words only
    assert chat.last[0].text == "Sorry, I did not understand."
    chat.send("TH-0000-0000X")
    assert chat.last[0].text.startswith("That is not a reference.")
    chat.send("TH-7K3M-9QXR")
    assert chat.last[0].text.startswith("Report TH-7K3M-9QXR.\nYou sent it on 2 December 2026.\nNow it is waiting")
    _check_shape(chat.last, "en")
    chat.send("status TH-AAAA-AAAA")
    assert chat.last[0].text.startswith("I cannot find report TH-AAAA-AAAA.")


def test_the_welcome_is_easy_after_start():
    chat = _easy_chat("en")
    chat.send("start")
    assert chat.last[0].text.startswith("Welcome to Safer Homes.\nYou can tell us about a worry")
    assert chat.last[1].text == "If someone is in danger now, call 999."
    _check_shape(chat.last, "en")


def test_the_privacy_promises_are_said_word_for_word():
    """They are promises (docs/privacy.md, tests/test_privacy_wording.py): easy read never rewords them."""
    assert not set(map(str, PRIVACY_PROMISES.values())) & set(easy_read.EASY_READ)
    for key in PRIVACY:
        chat = _easy_chat("en")
        for message in REPORT_JOURNEY[:9]:
            chat.send(**message)
        assert chat.keys == list(PRIVACY)
        for promise in PRIVACY_PROMISES.values():
            assert f"• {promise}" in chat.text
        assert chat.last[-1].text.startswith("How private should your report be?")
        send_with_privacy(chat, key)


@pytest.mark.parametrize("standard", sorted(easy_read.EASY_READ))
def test_each_easy_version_is_short_and_keeps_placeholders_and_numbers(standard):
    easy = "\n".join(_parts(easy_read.EASY_READ[standard]))
    assert set(PLACEHOLDER.findall(easy)) == set(PLACEHOLDER.findall(standard))
    for number in PHONE_NUMBERS:
        assert (number in easy) == (number in standard), number
    for part in _parts(easy_read.EASY_READ[standard]):
        assert part.count("?") <= 1, part
        for sentence in _sentences(part):
            words = PLACEHOLDER.sub("X", sentence).split()
            assert len(words) <= MAX_WORDS, f"{len(words)} words: {sentence!r}"
    # Only the last message may be a question: the question goes with the choices.
    assert all("?" not in part for part in _parts(easy_read.EASY_READ[standard])[:-1])


def _extracted() -> list[tuple]:
    mapping, keywords, comment_tags = extraction_options()
    with (ROOT / mapping).open() as mapping_file:
        method_map, options_map = parse_mapping_cfg(mapping_file, filename=mapping)
    flows_only = [(pattern, method) for pattern, method in method_map if pattern.startswith("flows/")]
    return [(message, context, comments) for _file, _line, message, comments, context
            in extract_from_dir(ROOT, flows_only, options_map, keywords=keywords, comment_tags=comment_tags)]


def test_every_easy_version_is_extracted_with_its_context_and_every_key_is_said_by_a_flow():
    """script/translations extracts each easy version as msgctxt "easy read" with a TRANSLATORS comment, and
    each key is a msgid some flow still says (a standard message reworded leaves no easy version behind)."""
    extracted = _extracted()
    easy = {message: comments for message, context, comments in extracted if context == easy_read.CONTEXT}
    standard = {message for message, context, _comments in extracted if context is None}
    for key, value in easy_read.EASY_READ.items():
        assert key in standard, f"no flow says {key!r} any more: update flows/easy_read.py"
        for part in _parts(value):
            assert part in easy, f"{part!r} is not extracted with the context {easy_read.CONTEXT!r}"
            assert easy[part], f"{part!r} has no TRANSLATORS comment"


def test_an_sms_lists_numbered_choices_once():
    chat = _easy_chat("en")
    chat.send(choice="menu:report")
    body = _reply_text(chat.last[-1])
    assert body.count("1. Yes") == 1 and body.count("2. No") == 1
