"""Typed words are matched as a phone keyboard lets people type them: no accents on Latin letters, no vowel
marks or hamza in Arabic script; but Bengali's vowel signs, which change the word, are kept."""
import pytest

from flows import i18n
from flows.engine import match_choice
from flows.home import command_word
from flows.types import Choice


@pytest.mark.parametrize("typed, word", [
    ("jezyk", "język"), ("YARDIM", "yardım"), ("menu", "menú"), ("basla", "başla"), ("pradeti", "pradėti"),
    ("isimsiz", "İsimsiz"), ("ابدا", "ابدأ"), ("مساعدة", "مُساعدة"), ("zapomnij o mnie", "Zapomnij  o mnie"),
])
def test_words_typed_without_accents_or_marks_match(typed, word):
    assert i18n.matchable(typed) == i18n.matchable(word)


@pytest.mark.parametrize("one, other", [("বাংলা", "বাঙলা"), ("কি", "কী"), ("dur", "durum"), ("قائمة", "قيمة")])
def test_different_words_stay_different(one, other):
    assert i18n.matchable(one) != i18n.matchable(other)


def test_a_label_typed_without_its_accents_is_that_choice():
    choices = (Choice("lang:pl", "Polski"), Choice("lang:lt", "Lietuvių"), Choice("lang:tr", "Türkçe"))
    assert match_choice("lietuviu", choices) == "lang:lt"
    assert match_choice("TURKCE", choices) == "lang:tr"


@pytest.mark.parametrize("code", [language.code for language in i18n.LANGUAGES])
def test_every_languages_command_words_work_typed_without_accents(code):
    from flows.home import COMMAND_WORDS

    for command, english in COMMAND_WORDS.items():
        word = i18n.translations(code).gettext(english)
        plain = "".join(char for char in i18n.matchable(word))
        assert command_word(None, plain) == command, (code, english, word)
