"""Run every easy-read script in each language that has easy read, through the web chat API, on every backend."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows import easy_read, i18n
from tests.helpers import WebChat, scripted_keys
from tests.journeys.test_journeys import REFERENCE, _check_report, _fill, client  # noqa: F401 - the fixed clock

SCRIPTS = json.loads((Path(__file__).parent / "easy_read_journeys.json").read_text())
SCRIPTS.pop("_about")
EASY_LANGUAGES = [language.code for language in i18n.LANGUAGES if language.easy_read]


def _easy_words(lang: str, msgid: str) -> str:
    """An easy-read msgid as `lang` reads it: its translation, or the standard words while it has none."""
    catalogue = i18n.translations(lang)
    translated = catalogue.pgettext(easy_read.CONTEXT, msgid)
    if translated != msgid or lang == i18n.DEFAULT_LANGUAGE:
        return translated
    standard = next(key for key, easy in easy_read.EASY_READ.items() if msgid in ((easy,) if isinstance(easy, str) else easy))
    return catalogue.gettext(standard)


@pytest.mark.parametrize("lang", EASY_LANGUAGES)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_easy_read_script(client, database_url, name, lang):
    chat = WebChat(client)
    translate = i18n.translations(lang).gettext
    for number, line in enumerate(SCRIPTS[name], 1):
        where = f"{name} [{lang}] line {number}"
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "choice" in send:
            chat.send(choice=_fill(send["choice"], lang))
        else:
            chat.send(send["text"])
        if number > 2:
            assert all(reply["lang"] == lang for reply in chat.replies), where
        if "expect_keys" in line:
            assert chat.keys == scripted_keys(line["expect_keys"], lang), where
        if "expect_last_key" in line:
            assert chat.keys[-1] == line["expect_last_key"], where
        if "last_label" in line:
            assert chat.replies[-1]["choices"][-1]["label"] == translate(line["last_label"]), where
        found = REFERENCE.findall(chat.text)
        for msgid in line.get("says", []):
            assert translate(msgid) in chat.text, f"{where}: missing {msgid!r}"
        for msgid in line.get("says_easy", []):
            expected = _easy_words(lang, msgid)
            expected = expected % {"reference": found[0]} if found else expected
            assert expected in chat.text, f"{where}: missing {msgid!r}"
        _check_numbered(chat.replies, lang, easy=number > 2 and number < len(SCRIPTS[name]), where=where)
        if line.get("expect_reference"):
            assert found, where
            _check_report(database_url, found[0], lang, line["expect_report"], where)


def _check_numbered(replies: list[dict], lang: str, *, easy: bool, where: str) -> None:
    """In easy read the last reply lists its choices as numbered lines in the language's digits; only it has
    choices, and no reply asks more than one question."""
    assert all(not reply["choices"] for reply in replies[:-1]), where
    choices = replies[-1]["choices"]
    lines = [f"{i18n.localise_digits(str(n), lang)}. {choice['label']}" for n, choice in enumerate(choices, 1)]
    listed = bool(choices) and replies[-1]["text"].endswith("\n\n" + "\n".join(lines))
    assert listed is (easy and bool(choices)), where
    if easy:
        assert all(reply["text"].count("?") <= 1 for reply in replies), where
