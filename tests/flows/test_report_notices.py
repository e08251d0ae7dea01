"""The standard replies and the notice a resident gets when staff update their report (pure)."""
from __future__ import annotations

from collections import Counter

import pytest

from flows import bidi, i18n
from flows.report_notices import merged_notice, status_update_notice
from flows.staff_replies import STANDARD_REPLIES, public_reply_for, replies_for_status, standard_reply_text
from flows.status import STATUS_LABELS

REFERENCE = "TH-7K3M-9QXR"


def _(lang, msgid, **params):
    """`msgid` in `lang`, filled in as the flows fill it (values isolated in a right-to-left language)."""
    text = i18n.translations(lang).gettext(msgid)
    return bidi.fill(text, params, lang) if params else text


def test_every_status_has_two_or_three_standard_replies_with_stable_dotted_keys():
    per_status = Counter(reply.status for reply in STANDARD_REPLIES.values())
    assert set(per_status) == set(STATUS_LABELS)
    assert all(2 <= count <= 3 for count in per_status.values())
    for key, reply in STANDARD_REPLIES.items():
        assert key == reply.key and key.startswith(reply.status + ".")
    assert [reply.key for reply in replies_for_status("closed")] == [
        "closed.resolved", "closed.no_action_possible", "closed.duplicate"]


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_a_standard_reply_notice_is_wholly_in_the_residents_language(lang):
    text = status_update_notice(lang, reference=REFERENCE, status="action_taken", standard_reply="action_taken.visit")
    lines = text.split("\n")
    assert lines[0] == _(lang, "Update on your report %(reference)s: %(status)s.", reference=REFERENCE,
                         status=_(lang, STATUS_LABELS["action_taken"]))
    assert lines[1] == standard_reply_text("action_taken.visit", lang)
    assert lines[2] == _(lang, "To see the latest at any time, send: %(word)s %(reference)s",
                         word=_(lang, "status"), reference=REFERENCE)


def test_the_officers_own_words_are_marked_as_english_or_as_machine_translated():
    words = "We will fix the light this week."
    as_written = status_update_notice("so", reference=REFERENCE, status="in_progress", message=words,
                                      message_language="en")
    assert _("so", "%(message)s (written in English)", message=words) in as_written
    in_english = status_update_notice("en", reference=REFERENCE, status="in_progress", message=words)
    assert words in in_english and "(written in English)" not in in_english
    translated = status_update_notice("bn", reference=REFERENCE, status="in_progress", message="[bn] " + words,
                                      message_language="bn", machine_translated=True)
    assert "[bn] " + words + " " + _("bn", "(This message was translated by a machine.)") in translated


def test_a_status_change_without_a_reply_says_the_status_and_how_to_check():
    text = status_update_notice("en", reference=REFERENCE, status="closed")
    assert text == ("Update on your report TH-7K3M-9QXR: closed.\n"
                    "To see the latest at any time, send: status TH-7K3M-9QXR")


def test_a_language_not_shipped_gets_english_and_an_unknown_key_falls_back_to_the_stored_words():
    assert standard_reply_text("received.thanks", "xx") == STANDARD_REPLIES["received.thanks"].text
    assert standard_reply_text("received.gone", "so") is None
    assert public_reply_for("en", standard_reply="received.gone", message="Kept words", message_language="en",
                            machine_translated=False) == "Kept words"


def test_the_merged_notice_keeps_the_reference_and_says_nothing_is_lost():
    text = merged_notice("en", reference=REFERENCE)
    assert REFERENCE in text and "Nothing you told us is lost." in text and "status TH-7K3M-9QXR" in text
