"""Run every "get help" script in every shipped language, through the web chat API, on every backend, with the
demo directory of real helplines and Idea Stores."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows import i18n
from storage.database import make_engine, new_session
from storage.seed import seed_demo_help_services
from tests.helpers import WebChat
from tests.journeys.test_journeys import FIXED_NOW, client  # noqa: F401 - the web chat with the fixed clock

SCRIPTS = json.loads((Path(__file__).parent / "get_help_journeys.json").read_text())
SCRIPTS.pop("_about")
# Right-to-left messages isolate each filled-in value (flows/bidi.py); a literal is looked for without them.
DIRECTION_CONTROLS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))


@pytest.fixture
def directory(database_url):
    engine = make_engine(database_url)
    with new_session(engine) as session:
        seed_demo_help_services(session, now=FIXED_NOW)
        session.commit()
    engine.dispose()


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_get_help_script(client, directory, name, lang):
    chat = WebChat(client)
    translate = i18n.translations(lang).gettext
    for number, line in enumerate(SCRIPTS[name], 1):
        where = f"{name} [{lang}] line {number}"
        send = line["send"]
        if "number" in send:
            chat.send(i18n.localise_digits(str(send["number"]), lang))
        elif "choice" in send:
            chat.send(choice=send["choice"].replace("{lang}", lang))
        else:
            chat.send(send["text"])
        if number > 2:
            assert all(reply["lang"] == lang for reply in chat.replies), where
        if "expect_keys" in line:
            assert chat.keys == line["expect_keys"], where
        if "expect_last_key" in line:
            assert chat.keys[-1] == line["expect_last_key"], where
        if line.get("expect_menu"):
            assert chat.keys[0] == "menu:report" and "menu:gethelp" in chat.keys, where
        text = chat.text.translate(DIRECTION_CONTROLS)
        for msgid in line.get("says", []):
            assert translate(msgid) in text, f"{where}: missing {msgid!r}"
        for literal in line.get("contains", []):
            assert literal in text, f"{where}: missing {literal!r}"
