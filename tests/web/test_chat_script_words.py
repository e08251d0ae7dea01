"""The words the chat page's script shows as text (the voice button, "not sent", "listen") reach it as the
catalogue wrote them: JSON-encoded, not HTML-escaped first, so a French "n'avons" never reads "n&#39;avons"."""
import json
import re

import pytest

from flows import i18n
from web.i18n import translator

VOICE_SCRIPT_WORDS = ("Record a voice message", "Stop and send the voice message", "Voice message",
                      "We could not use the microphone. You can type instead.")
PAGE_SCRIPT_WORDS = ("Sorry, that did not reach us. Please check your connection and try again.",)


def json_strings(source: str) -> list[str]:
    """The JSON strings given as values in the script's settings (`name: "…",`), decoded."""
    return [json.loads(literal) for literal in re.findall(r'^\s*\w+: ("(?:[^"\\\n]|\\.)*"),?$', source, re.MULTILINE)]


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_the_scripts_words_are_the_catalogues_not_html_escaped(client, lang):
    words = translator(lang)
    voice = client.get(f"/chat/voice.js?lang={lang}").get_data(as_text=True)
    page = client.get(f"/chat?lang={lang}").get_data(as_text=True)
    for source, msgids in ((voice, VOICE_SCRIPT_WORDS), (page, PAGE_SCRIPT_WORDS)):
        strings = json_strings(source)
        for msgid in msgids:
            assert words._(msgid) in strings, (lang, msgid)
        assert not [text for text in strings if re.search(r"&(#\d+|amp|quot|lt|gt);", text)], lang


def test_an_apostrophe_in_french_reaches_the_script_as_an_apostrophe(client):
    voice = client.get("/chat/voice.js?lang=fr").get_data(as_text=True)
    assert any("'" in text for text in json_strings(voice))
