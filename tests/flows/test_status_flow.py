"""The status check: by menu or by "status TH-...", normalising what people type."""
from datetime import timedelta

import pytest

from flows import i18n
from flows.status import normalise_reference, reference_in_command
from flows.types import ReportStatus
from tests.flows.helpers import FIXED_NOW, Chat, make_context

REPORT = ReportStatus(
    reference="TH-7K3M-9QXR",
    status="action_taken",
    language="en",
    received_at=FIXED_NOW - timedelta(days=3),
    latest_message="We have spoken to the building manager and the lights are fixed.",
    latest_message_language="en",
    latest_update_at=FIXED_NOW - timedelta(days=1),
)


@pytest.mark.parametrize(
    "typed, expected",
    [("TH-7K3M-9QXR", "TH-7K3M-9QXR"), ("th 7k3m 9qxr", "TH-7K3M-9QXR"), ("TH7K3M9QXR", "TH-7K3M-9QXR"),
     ("TH-7K3M-9QXO", "TH-7K3M-9QX0"), ("TH-ABCD-EFGI", "TH-ABCD-EFG1"), ("TH-ABCD-EFGU", None),
     ("TH-123", None), ("hello", None)],
)
def test_normalise_reference(typed, expected):
    assert normalise_reference(typed) == expected


def _chat(lang="en"):
    chat = Chat(context=make_context(reports={REPORT.reference: REPORT}))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat


def test_status_from_the_menu():
    chat = _chat()
    chat.send(choice="menu:status")
    assert "TH-1234-ABCD" in chat.text
    chat.send("th-7k3m-9qxr")
    assert "action has been taken" in chat.text
    assert "lights are fixed" in chat.text
    assert chat.keys[0] == "menu:report"


def test_status_word_at_any_point():
    chat = _chat()
    chat.send(choice="menu:report")
    chat.send("status TH-7K3M-9QXR")
    assert "action has been taken" in chat.text
    assert "draft" not in chat.state


def test_an_unknown_reference_says_so_without_revealing_anything():
    chat = _chat()
    chat.send("status TH-0000-0000")
    assert "couldn't find" in chat.text


def test_something_that_is_not_a_reference_is_re_asked():
    chat = _chat()
    chat.send(choice="menu:status")
    chat.send("my report from yesterday")
    assert chat.state["step"] == "reference"
    assert "doesn't look like a reference" in chat.text


def test_a_staff_message_in_english_is_marked_for_residents_of_other_languages():
    chat = _chat("so")
    chat.send("status TH-7K3M-9QXR")
    assert REPORT.latest_message in chat.text
    assert chat.text.count(REPORT.latest_message) == 1
    marked = i18n.translations("so").gettext("%(message)s (written in English)") % {"message": REPORT.latest_message}
    assert marked in chat.text


def test_an_english_reader_sees_no_language_mark():
    chat = _chat("en")
    chat.send("status TH-7K3M-9QXR")
    assert "written in English" not in chat.text


@pytest.mark.parametrize("typed", [
    "status TH-7SQZ-YY3D", "查询 TH-7SQZ-YY3D", "查询TH-7SQZ-YY3D", "查詢：TH-7SQZ-YY3D", "查询\u3000ＴＨ－７ＳＱＺ－ＹＹ３Ｄ",
    "حالة TH-7SQZ-YY3D", "xaalad th7sqzyy3d",
])
def test_the_status_word_and_a_reference_are_found_with_or_without_a_space(typed):
    assert reference_in_command(typed) == "TH-7SQZ-YY3D"


@pytest.mark.parametrize("typed", ["status", "statusTH", "查询", "状态更新 TH-7SQZ-YY3D", "statuses TH-7SQZ-YY3D"])
def test_other_words_are_not_a_status_command(typed):
    assert reference_in_command(typed) is None
