"""The bot promises residents exactly what docs/privacy.md promises, for each of the three privacy choices.

docs/privacy.md "The three choices" is the promise; the bot says it with the privacy question and again in
the acknowledgement (flows/report.py PRIVACY_PROMISES). Each bullet of the doc must start with the bot's
English words for that choice, so neither can be edited without the other. The key phrases design.md fixes
("Privacy levels (say exactly this to residents)") must be in both, so the two cannot drift away together.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import sms
from bot.channels.twilio import _reply_text
from flows.report import PRIVACY, PRIVACY_PROMISES
from tests.flows.helpers import Chat, send_with_privacy

PRIVACY_DOC = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"

# What design.md says each level promises, in the words residents read. A promise may be reworded only
# where the doc and the bot change together and still say these.
KEY_PHRASES = {
    "privacy:anonymous": ("no link between the report and you is kept anywhere",
                          "You can follow it only with its reference code"),
    "privacy:private": ("staff never see your name, number or account", "sealed link", "send you updates",
                        "The police see the report only if you tick them"),
    "privacy:named": ("the name you type", "a way to contact you are shared with the organisations you tick"),
}


def _plain(markdown: str) -> str:
    """A bullet as a reader hears it: no emphasis, no code examples in brackets, one space between words."""
    text = markdown.replace("**", "")
    text = re.sub(r"\s*\(`[^`]*`\)", "", text)  # "(`status TH-XXXX-XXXX`)": an example, not a promise
    text = text.replace("With my name (named):", "With my name:")  # the doc adds the key's name for staff
    return " ".join(text.split())


def doc_choices() -> dict[str, str]:
    """The bullets of docs/privacy.md "## The three choices", by the bot's choice key."""
    text = PRIVACY_DOC.read_text(encoding="utf-8")
    section = re.search(r"^## The three choices\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "docs/privacy.md has no '## The three choices' section"
    bullets = re.findall(r"^- (.*?)(?=^- |^\S|\Z)", section.group(1), re.MULTILINE | re.DOTALL)
    by_label = {}
    for bullet in bullets:
        plain = _plain(bullet)
        label = plain.partition(":")[0]
        by_label[label] = plain
    labels = {key: str(label) for key, label in PRIVACY.items()}
    missing = sorted(set(labels.values()) - set(by_label))
    assert not missing, f"docs/privacy.md's three choices have no bullet for {missing}"
    return {key: by_label[label] for key, label in labels.items()}


@pytest.mark.parametrize("key", sorted(PRIVACY_PROMISES))
def test_each_choice_in_the_doc_starts_with_the_bots_own_words(key):
    promise = str(PRIVACY_PROMISES[key])
    doc = doc_choices()[key]
    assert doc.startswith(promise), (
        f"docs/privacy.md and flows/report.py PRIVACY_PROMISES[{key!r}] say different things:\n"
        f"  doc: {doc}\n  bot: {promise}\nChange both together (and tell the translators: the msgid changes)."
    )


@pytest.mark.parametrize("key", sorted(PRIVACY_PROMISES))
def test_each_promise_keeps_the_words_design_md_fixes(key):
    promise, doc = str(PRIVACY_PROMISES[key]), doc_choices()[key]
    for phrase in KEY_PHRASES[key]:
        assert phrase.casefold() in promise.casefold(), f"the bot's {key} promise lost {phrase!r}"
        assert phrase.casefold() in doc.casefold(), f"docs/privacy.md's {key} bullet lost {phrase!r}"


def _privacy_question(lang: str = "en") -> Chat:
    chat = Chat()
    for message in [dict(text="hi"), dict(choice=f"lang:{lang}"), dict(choice="menu:report"),
                    dict(choice="danger:no"), dict(choice="cat:noise"), dict(choice="ward:weavers"),
                    dict(choice="when:now"), dict(text="Music through the wall every night")]:
        chat.send(**message)
    assert chat.keys == list(PRIVACY)
    return chat


def test_the_question_says_all_three_promises_and_the_acknowledgement_the_chosen_one():
    chat = _privacy_question()
    for promise in PRIVACY_PROMISES.values():
        assert str(promise) in chat.text
    for key in PRIVACY:
        chat = _privacy_question()
        send_with_privacy(chat, key)


def test_the_english_question_with_its_numbered_choices_is_three_sms_segments_at_most():
    """Read by SMS it is one text of at most three segments (GSM-7, 153 characters each)."""
    body = sms.gsm_friendly(_reply_text(_privacy_question().last[-1]))
    assert sms.encoding(body) == "GSM-7"
    assert sms.segments(body) <= 3, f"{len(body)} characters: {body!r}"
