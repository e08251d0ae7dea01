"""Nothing the bot says can be typed back as another language's command word.

A typed message is first compared with every language's command words (flows/home.command_word, including
"status" and "forget me", which work at any point), and only then with the question's choices, both without
accents or Arabic vowel marks (flows/i18n.matchable). So a label or a word the bot says, in any language,
English and the easy-read wording set included, must not be equal to a command word of any language unless it
means that command. tests/test_translations.py checks the five words of menu, help, stop, start and language;
this checks the seven, every context and English too, for every message the bot itself says (flows/).
"""
from __future__ import annotations

from functools import lru_cache

import pytest
from babel.messages.pofile import read_po

from flows import home, i18n

# A word the bot says that is also a command is harmless where it means that command.
SAME_MEANING = {("Help", "help"), ("Main menu", "menu"), ("Change language", "language"), ("Start again", "start")}


@lru_cache(maxsize=None)
def catalogue(code: str):
    path = i18n.TRANSLATIONS_DIR / ("messages.pot" if code == i18n.DEFAULT_LANGUAGE else
                                    f"{code}/LC_MESSAGES/messages.po")
    with path.open("rb") as po_file:
        return read_po(po_file)


def said_by_the_bot(message) -> bool:
    return any(path.startswith("flows/") for path, _line in message.locations)


@pytest.mark.parametrize("code", [language.code for language in i18n.LANGUAGES])
def test_no_word_the_bot_says_is_another_commands_word(code):
    commands = {typed: command for typed, command, _language in home._typed_commands()}
    command_ids = set(home.COMMAND_WORDS.values())
    said = [message for message in catalogue(i18n.DEFAULT_LANGUAGE) if message.id and said_by_the_bot(message)]
    assert len(said) > 100, "no messages located in flows/: the template's locations changed"
    problems = []
    for english in said:
        if english.id in command_ids:
            continue
        found = catalogue(code).get(english.id, context=english.context)
        strings = english.id if code == i18n.DEFAULT_LANGUAGE else (found.string if found else "")
        for string in (strings if isinstance(strings, (tuple, list)) else (strings,)):
            command = commands.get(i18n.matchable(string)) if string else None
            msgid = english.id[0] if isinstance(english.id, tuple) else english.id
            if command and (msgid, command) not in SAME_MEANING:
                problems.append(f"{code}: {msgid!r} ({english.context or 'no context'}) is {string!r}, the command "
                                f"word for {command!r}: a resident typing it would run that command")
    assert not problems, "\n".join(problems)


def test_no_ward_agency_or_interpreter_name_is_a_command_word():
    """Choices made from data: the wards, the agencies in every language, the interpreters' languages."""
    from flows import events
    from storage.seed import AGENCIES, WARD_NAMES

    commands = {typed: command for typed, command, _language in home._typed_commands()}
    names = [*WARD_NAMES, *(name for agency in AGENCIES for name in agency["names"].values() if name),
             *(str(name) for name in events.INTERPRETER_NAMES.values())]
    assert len(names) > 40
    assert not [(name, commands[i18n.matchable(name)]) for name in names if i18n.matchable(name) in commands]
