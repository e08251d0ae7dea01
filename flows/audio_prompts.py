"""The recorded prompts: which messages a community recording may go with, and in which languages.

Recommendation 10 asks for "multiple formats": a resident who reads little can listen to the main menu
read aloud in their language, recorded by someone from their community. The flows only name the prompt
a reply may carry (Reply.audio_prompt); whether a recording has been uploaded is the channel's business
(bot/audio_prompts.py), and the text is always sent as well. This table is the one list: a new prompt is
one entry here, the key set on its reply, and a recording an admin uploads (/staff/admin/audio-prompts).
"""
from __future__ import annotations

from dataclasses import dataclass

from flows.i18n import _N

MAIN_MENU = "main_menu"
WELCOME = "welcome"


@dataclass(frozen=True)
class AudioPrompt:
    key: str  # ASCII, in the recording's file name and its public address
    title: str  # for the admin page (marked with _N, translated where it is shown)
    what_to_record: str  # the brief for whoever records it (marked with _N)
    # The languages a recording may be uploaded in: those of the residents who asked for spoken prompts
    # first (Sylheti speakers who do not read Bengali script, and Somali speakers).
    languages: tuple[str, ...] = ("bn", "so")


AUDIO_PROMPTS: dict[str, AudioPrompt] = {
    MAIN_MENU: AudioPrompt(
        MAIN_MENU,
        # TRANSLATORS: on the admin page for recorded prompts, the name of the recording of the main menu.
        _N("Main menu"),
        # TRANSLATORS: on the admin page for recorded prompts: what the person recording the main menu should say.
        _N("The main menu read aloud: “What would you like to do?”, then every choice with its number, in the "
           "order the chat shows them, slowly and clearly. For Bengali, speak as Sylheti speakers talk, so that "
           "people who do not read Bengali script understand."),
    ),
    WELCOME: AudioPrompt(
        WELCOME,
        # TRANSLATORS: on the admin page for recorded prompts, the name of the recording of the welcome message.
        _N("Welcome"),
        # TRANSLATORS: on the admin page for recorded prompts: what the person recording the welcome should say.
        _N("The welcome read aloud, as the chat writes it: what Safer Homes is for, that you can choose how private "
           "a report is, and that anyone in danger right now should call 999."),
    ),
}


def may_have_recording(prompt: str, language: str) -> bool:
    """Whether `prompt` is a prompt in the table and `language` one it may be recorded in."""
    found = AUDIO_PROMPTS.get(prompt)
    return found is not None and language in found.languages
