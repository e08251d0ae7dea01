"""The "what happened" question invites what the resident's channel can send (Context.media_kinds): a voice
message first, where one can be sent; a photo after, where one can be sent; neither on SMS."""
import pytest

from flows import i18n
from flows.types import Media
from tests.flows.helpers import Chat, make_context

VOICE = "You can send a voice message."
QUESTION = "Please tell us what happened, in your own words and your own language."
PHOTO = "You can also send a photo."


def at_what_happened(media_kinds: frozenset, lang: str = "en") -> Chat:
    chat = Chat(context=make_context(media_kinds=media_kinds))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    chat.send(choice="menu:report")
    chat.send(choice="danger:no")
    chat.send(choice="cat:noise")
    chat.send(choice="ward:weavers")
    chat.send(choice="when:now")
    return chat


@pytest.mark.parametrize("media_kinds, lines", [
    (frozenset({"photo", "voice"}), [VOICE, QUESTION, PHOTO]),  # Telegram, WhatsApp
    (frozenset({"voice"}), [VOICE, QUESTION]),  # the web chat in a browser that can record
    (frozenset(), [QUESTION]),  # SMS, and the web chat in a browser that cannot
])
def test_the_question_offers_only_what_the_channel_can_send_and_the_voice_message_first(media_kinds, lines):
    chat = at_what_happened(media_kinds)
    assert chat.last[-1].text == "\n".join(lines)
    assert chat.last[-1].text.splitlines()[0] == lines[0]


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_every_language_says_it_in_its_own_words(lang):
    translate = i18n.translations(lang).gettext
    chat = at_what_happened(frozenset({"voice"}), lang)
    assert chat.last[-1].text == translate(VOICE) + "\n" + translate(QUESTION)
    assert chat.last[-1].lang == lang


def test_a_voice_message_answers_the_question_wherever_it_came_from():
    chat = at_what_happened(frozenset({"voice"}))
    chat.send(media=(Media("5e1f.webm", "voice"),))
    assert chat.keys == ["privacy:anonymous", "privacy:private", "privacy:named"]
    assert chat.state["draft"]["media"] == [["5e1f.webm", "voice"]]


def test_asked_again_after_a_change_it_still_says_so():
    chat = at_what_happened(frozenset({"voice"}))
    chat.send("Drilling at night")
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    chat.send(choice="confirm:no")
    chat.send(choice="change:what")
    assert chat.last[-1].text.splitlines()[0] == VOICE


RECOGNISED = ("Your voice message goes with the report. Someone who knows your voice might recognise it, even in "
              "an anonymous report.")


def test_after_a_voice_message_the_privacy_question_says_a_voice_can_be_recognised():
    """The anonymous promise is about links we keep; a voice is not one we can take out (docs/privacy.md, "A voice
    can say who you are"), so the resident hears it before choosing, not only the staff guide."""
    chat = at_what_happened(frozenset({"voice"}))
    chat.send(media=(Media("5e1f.webm", "voice"),))
    assert chat.keys == ["privacy:anonymous", "privacy:private", "privacy:named"]
    assert chat.last[-1].text.endswith("\n" + RECOGNISED)


@pytest.mark.parametrize("description", [dict(text="Drilling at night"),
                                         dict(media=(Media("5e1f.jpg", "photo"),))])
def test_without_a_voice_message_nothing_is_said_about_voices(description):
    chat = at_what_happened(frozenset({"photo", "voice"}))
    chat.send(**description)
    assert chat.keys == ["privacy:anonymous", "privacy:private", "privacy:named"]
    assert "voice" not in chat.last[-1].text


def test_in_easy_read_it_is_its_own_message_before_the_question():
    chat = Chat(context=make_context(media_kinds=frozenset({"voice"})))
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send(choice="menu:easy")
    for choice in ("menu:report", "danger:no", "cat:noise", "ward:weavers", "when:now"):
        chat.send(choice=choice)
    chat.send(media=(Media("5e1f.webm", "voice"),))
    assert [reply.text for reply in chat.last[-2:-1]] == [RECOGNISED]
    assert chat.last[-1].text.startswith("How private should your report be?")


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_every_language_says_it_after_a_voice_message(lang):
    chat = at_what_happened(frozenset({"voice"}), lang)
    chat.send(media=(Media("5e1f.webm", "voice"),))
    assert i18n.translations(lang).gettext(RECOGNISED) in chat.last[-1].text
