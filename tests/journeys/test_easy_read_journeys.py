"""Run every easy-read script in each language that has easy read, through the web chat API, on every backend."""
from __future__ import annotations

import pytest

from flows import easy_read, i18n
from tests.journeys.runner import REFERENCE, client, load_scripts, play  # noqa: F401 - client
from tests.journeys.test_journeys import _check_report

SCRIPTS = load_scripts("easy_read_journeys.json")
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
def test_easy_read_script(client, database_url, name, lang):  # noqa: F811
    translate = i18n.translations(lang).gettext
    for step in play(name, SCRIPTS[name], lang, client):
        line, where = step.line, step.where
        if "last_label" in line:
            assert step.chat.replies[-1]["choices"][-1]["label"] == translate(line["last_label"]), where
        found = REFERENCE.findall(step.text)
        for msgid in line.get("says_easy", []):
            expected = _easy_words(lang, msgid)
            expected = expected % {"reference": found[0]} if found else expected
            assert expected in step.text, f"{where}: missing {msgid!r}"
        _check_numbered(step.chat.replies, lang, easy=2 < step.number < len(SCRIPTS[name]), where=where)
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
