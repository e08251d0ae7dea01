"""Someone new writes in their own language: through the web chat API (the real turn and the real detector),
in every shipped language and on every backend, the language question comes with that language first, and
"1" in its own digits confirms it. Nothing is chosen for them, and a resident who has chosen is not asked
again whatever they write in."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from flows import i18n
from storage.database import make_engine, new_session
from storage.models import Contact
from tests.helpers import WebChat

# One first message per language, from its held set (tests/data/language_hint).
FIRST_MESSAGES = {
    "en": "there's a smell of cannabis in the stairwell every night",
    "bn": "আমরার বিল্ডিংর সিঁড়িত হকল রাইত গাঞ্জার গন্ধ আয়",
    "so": "Asc walaal, waxaan rabaa inaan soo sheego dhibaato",
    "ur": "ہماری بلڈنگ کی سیڑھیوں میں ہر رات چرس کی بو آتی ہے",
    "ar": "هناك رائحة حشيش في درج العمارة كل ليلة",
    "zh-Hans": "我们楼的楼梯间每天晚上都有大麻的味道",
    "zh-Hant": "我們大廈的樓梯每晚都有大麻的味道",
    "pl": "Na klatce schodowej co noc czuć zapach marihuany",
    "lt": "Laiptinėje kiekvieną naktį jaučiasi marihuanos kvapas",
    "es": "En la escalera del edificio huele a marihuana todas las noches",
    "pt": "Na escada do prédio há cheiro de marijuana todas as noites",
    "it": "Nelle scale del palazzo c'è puzza di marijuana ogni sera",
    "fr": "Dans la cage d'escalier ça sent le cannabis tous les soirs",
    "tr": "Apartmanın merdivenlerinde her gece esrar kokusu var",
}


def test_there_is_a_first_message_for_every_shipped_language():
    assert set(FIRST_MESSAGES) == {language.code for language in i18n.LANGUAGES}


def _languages_saved(database_url: str) -> list:
    engine = make_engine(database_url)
    with new_session(engine) as session:
        saved = list(session.scalars(select(Contact.language)))
    engine.dispose()
    return saved


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_a_first_message_in_a_language_asks_it_first_and_1_confirms_it(client, database_url, lang):
    chat = WebChat(client)
    chat.send(FIRST_MESSAGES[lang])
    assert chat.keys[0] == f"lang:{lang}" and len(chat.keys) == len(i18n.LANGUAGES)
    assert chat.replies[0]["lang"] == lang
    assert chat.replies[0]["text"] == i18n.translations(lang).gettext("Choose your language.")
    assert _languages_saved(database_url) == [None]  # asked, not chosen for them
    chat.send(i18n.localise_digits("1", lang))
    assert "menu:report" in chat.keys and all(reply["lang"] == lang for reply in chat.replies)
    assert _languages_saved(database_url) == [lang]


def test_a_wrong_guess_is_one_tap_from_the_right_language_and_later_words_change_nothing(client, database_url):
    chat = WebChat(client)
    chat.send("Dzień dobry, chciałabym zgłosić problem")
    assert chat.keys[0] == "lang:pl"
    chat.send(choice="lang:en")  # they write Polish but want English: one tap
    assert _languages_saved(database_url) == ["en"]
    chat.send("W parku przy placu zabaw leżą strzykawki")  # chosen: their words are no longer a hint
    assert all(reply["lang"] == "en" for reply in chat.replies) and "lang:pl" not in chat.keys
    assert _languages_saved(database_url) == ["en"]
