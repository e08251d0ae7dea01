"""A stop word opts out on SMS and WhatsApp when typed as the flows take it (bot/channels/twilio._keyword): without
accents or Arabic vowel marks and with any invisible direction marks, since the flows stop on exactly these and a
resident who was told "Stopped" must hear no more from us."""
from __future__ import annotations

import pytest

from bot.channels.twilio import _keyword
from flows import bidi, home, i18n

ARABIC_STOP = i18n.translations("ar").gettext("stop")  # توقف
URDU_STOP = i18n.translations("ur").gettext("stop")  # روکیں


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("typed", [
    "\u200f" + ARABIC_STOP,  # the mark an Arabic keyboard puts before a word
    "\u2068" + ARABIC_STOP + "\u2069",  # copied out of one of our own Arabic messages
    "تَوَقَّفْ",  # written with its vowel marks
    "تـوقـف",  # stretched with tatweel
    URDU_STOP + "\u200e",
    " STOP\u200e ",
])
def test_a_stop_word_with_marks_or_accents_opts_out(channel, typed):
    assert home.command_word(None, bidi.without_direction_controls(typed).strip()) == "stop"  # as the flows take it
    assert _keyword(channel, typed, "") == "stop"


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_every_languages_stop_word_opts_out_as_the_flows_take_it(channel):
    for language in i18n.LANGUAGES:
        word = i18n.translations(language.code).gettext("stop")
        assert _keyword(channel, word.upper(), "") == "stop", language.code


@pytest.mark.parametrize("typed", ["stopping", "توقف الآن عند الباب", "please stop the noise", "1"])
def test_words_that_only_contain_a_stop_word_do_not_opt_out(typed):
    assert _keyword("whatsapp", typed, "") is None
    assert _keyword("sms", typed, "") is None
