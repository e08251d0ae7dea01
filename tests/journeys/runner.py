"""The one player of conversation scripts (tests/journeys/*.json): it sends each line through the web chat API
in a language and checks what every script may expect; each test file adds the checks only its scripts have."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from flows import i18n
from flows.home import COMMAND_WORDS
from tests.helpers import WebChat, scripted_keys

FIXED_NOW = datetime(2026, 12, 2, 18, 45, 7, tzinfo=timezone.utc)
REFERENCE = re.compile(r"TH-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
EVERY_LANGUAGE = [language.code for language in i18n.LANGUAGES]
# Right-to-left messages isolate each filled-in value (flows/bidi.py); a literal is looked for without them.
DIRECTION_CONTROLS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))


@pytest.fixture
def client(app):
    """The web chat with the clock fixed, so a script reads the same on any day at any hour."""
    app.extensions["safer_homes.clock"] = lambda: FIXED_NOW
    return app.test_client()


def load_scripts(file_name: str) -> dict:
    """The scripts of one JSON file by name, without its "_about"."""
    scripts = json.loads((Path(__file__).parent / file_name).read_text())
    scripts.pop("_about")
    return scripts


@dataclass
class Step:
    """One line of a script just played: the resident who sent it, what the chat shows, and where it is."""

    number: int
    line: dict
    chat: WebChat
    where: str
    text: str  # every reply's text, without direction controls when the test asked for that


def play(name: str, lines: list[dict], lang: str, client, *, placeholders: dict[str, str] | None = None,
         same_language_from: int | None = 3, without_direction_controls: bool = False) -> Iterator[Step]:
    """Send each line of script `name` in `lang`, check what any script may expect of it, then yield it for the
    checks only the calling file's scripts have.

    A line sends a number (in the language's own digits), a command word (as the language types it), a choice
    or text; "{lang}" and each of `placeholders` are filled in what it sends and in its "contains". From line
    `same_language_from` on (None: never) every reply is in `lang`, unless the line says "any_language".
    "as" names which resident sends it, for scripts with more than one."""
    translate = i18n.translations(lang).gettext
    values = {"lang": lang, **(placeholders or {})}

    def fill(text: str) -> str:
        for placeholder, value in values.items():
            text = text.replace("{" + placeholder + "}", value)
        return text

    residents: dict[str, WebChat] = {}
    for number, line in enumerate(lines, 1):
        where = f"{name} [{lang}] line {number}"
        chat = residents.setdefault(line.get("as", "a"), WebChat(client))
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "command" in send:
            chat.send(translate(COMMAND_WORDS[send["command"]]))
        elif "choice" in send:
            chat.send(choice=fill(send["choice"]))
        else:
            chat.send(fill(send["text"]))
        if same_language_from is not None and number >= same_language_from and not line.get("any_language"):
            assert all(reply["lang"] == lang for reply in chat.replies), where
        if "expect_keys" in line:
            assert chat.keys == scripted_keys(line["expect_keys"], lang), where
        if "expect_last_key" in line:
            assert chat.keys[-1] == line["expect_last_key"], where
        if line.get("expect_menu"):
            assert chat.keys[0] == "menu:report" and "menu:gethelp" in chat.keys, where
        text = chat.text.translate(DIRECTION_CONTROLS) if without_direction_controls else chat.text
        for msgid in line.get("says", []):
            assert translate(msgid) in text, f"{where}: missing {msgid!r}"
        for literal in line.get("contains", []):
            assert fill(literal) in text, f"{where}: missing {literal!r}"
        if "labels" in line:
            labels = [choice["label"] for choice in chat.replies[-1]["choices"]]
            for msgid in line["labels"]:
                assert translate(msgid) in labels, f"{where}: no choice {msgid!r}"
        yield Step(number, line, chat, where, text)
