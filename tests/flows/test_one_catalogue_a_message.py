"""A resident's message reads their own catalogue only: the words typed at any point (commands, the status word) are
worked out once per process for all fourteen languages, never again on each message."""
from __future__ import annotations

import pytest

from flows import i18n
from tests.flows.helpers import Chat


@pytest.mark.parametrize("messages", [
    ["menu"],
    ["There is a lot of noise on the stairs every night"],
    ["status TH-7K3M-9QXR"],
    ["1", "2"],
])
def test_a_turn_reads_no_other_languages_catalogue(monkeypatch, messages):
    chat = Chat()
    chat.send(choice="lang:pl")
    chat.send(choice="menu:report")
    chat.send("hm")  # once through every word list, as the process's first messages would
    chat.send("menu")
    read = i18n.translations

    def only_polish(code: str):
        assert code in ("pl", i18n.DEFAULT_LANGUAGE), f"a Polish resident's message read the {code} catalogue"
        return read(code)

    monkeypatch.setattr(i18n, "translations", only_polish)
    for text in messages:
        chat.send(text)
    assert chat.state["lang"] == "pl"
