"""Right-to-left messages keep their values whole, left-to-right ones are untouched, and numbers and
references typed in any script's digits are understood (flows/bidi.py, the engine, the status check)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from flows import bidi, i18n
from flows.engine import match_choice
from flows.types import Choice, EventInfo
from tests.flows.helpers import Chat, make_context
from tests.flows.test_status_flow import REPORT

FSI, LRI, PDI = bidi.FSI, bidi.LRI, bidi.PDI
RTL = [language.code for language in i18n.LANGUAGES if language.rtl]
LTR = [language.code for language in i18n.LANGUAGES if not language.rtl]
PANEL = EventInfo(event_id=12, title="Weavers ward panel", starts_at=datetime(2027, 1, 14, 18, 30, tzinfo=timezone.utc),
                  place="Weavers Community Centre (E2)", ward_name="Weavers")
# The same numbers in the digits residents type: Latin, Arabic-Indic (Arabic), Extended Arabic-Indic
# (Urdu, Persian), Bengali, and the full-width digits of a Chinese keyboard.
TWO = {"latin": "2", "arabic": "٢", "urdu": "۲", "bengali": "২", "full-width": "２"}
TWELVE = {"latin": "12", "arabic": "١٢", "urdu": "۱۲", "bengali": "১২", "full-width": "１２"}


def test_arabic_and_urdu_are_the_right_to_left_languages_shipped():
    # The tests below would pass vacuously without a right-to-left language to try them in.
    assert set(RTL) == {"ar", "ur"}


# --- filling placeholders ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LTR)
@given(value=st.text(), number=st.integers())
def test_left_to_right_languages_get_exactly_what_percent_gives(lang, value, number):
    text = "Ref %(ref)s, %(num)d item, 100%% sure"
    params = {"ref": value, "num": number}
    assert bidi.fill(text, params, lang) == text % params


@pytest.mark.parametrize("lang", RTL)
def test_each_value_in_a_right_to_left_sentence_is_isolated(lang):
    filled = bidi.fill("رقم %(reference)s اتصل %(phone)s في %(place)s", {
        "reference": "TH-7SQZ-YY3D", "phone": "0800 555 111", "place": "Weavers (E2)"}, lang)
    assert filled == f"رقم {FSI}TH-7SQZ-YY3D{PDI} اتصل {FSI}0800 555 111{PDI} في {FSI}Weavers (E2){PDI}"


def test_numbers_keep_their_format_and_percent_signs_stay():
    assert bidi.fill("%(num)d من %(total)05.1f، %%", {"num": 3, "total": 7.25}, "ar") == f"{FSI}3{PDI} من {FSI}007.2{PDI}، %"


def test_a_value_of_several_lines_is_isolated_line_by_line():
    # A line break ends an isolate, so one wrapped around both lines would leave the second bare.
    filled = bidi.fill("%(message)s (بالإنجليزية)", {"message": "Lights fixed.\n\nThanks, Ali"}, "ar")
    assert filled == f"{FSI}Lights fixed.{PDI}\n\n{FSI}Thanks, Ali{PDI} (بالإنجليزية)"


def test_a_missing_value_is_an_error_in_every_language():
    for lang in ("en", "ar"):
        with pytest.raises(KeyError):
            bidi.fill("%(reference)s", {}, lang)


def test_a_page_text_escapes_its_values_as_it_isolates_them():
    filled = bidi.fill(Markup("<b>%(name)s</b> %(num)d"), {"name": "<script>", "num": 4}, "ur")
    assert isinstance(filled, Markup)
    assert filled == Markup(f"<b>{FSI}&lt;script&gt;{PDI}</b> {FSI}4{PDI}")


@pytest.mark.parametrize("lang", RTL)
def test_a_phone_number_written_in_the_translation_is_kept_left_to_right(lang):
    text = "اتصل بالرقم 0800 555 111 أو ٠٨٠٠ ٥٥٥ ١١١، أو 999، أو 101"
    expected = f"اتصل بالرقم {LRI}0800 555 111{PDI} أو {LRI}٠٨٠٠ ٥٥٥ ١١١{PDI}، أو 999، أو 101"
    assert bidi.as_written(text, lang) == expected
    assert bidi.fill(text + " %(ref)s", {"ref": "TH-7SQZ-YY3D"}, lang) == expected + f" {FSI}TH-7SQZ-YY3D{PDI}"


@pytest.mark.parametrize("lang", LTR)
def test_a_phone_number_in_a_left_to_right_translation_is_left_alone(lang):
    assert bidi.as_written("call 0800 555 111", lang) == "call 0800 555 111"


# --- in a conversation -------------------------------------------------------------------------------------

def _chat(lang: str, **context) -> Chat:
    chat = Chat(context=make_context(reports={REPORT.reference: REPORT}, **context))
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat


@pytest.mark.parametrize("lang", RTL)
def test_a_reference_in_an_arabic_or_urdu_message_is_isolated(lang):
    chat = _chat(lang)
    chat.send("status TH-0000-0000")
    assert f"{FSI}TH-0000-0000{PDI}" in chat.text


@pytest.mark.parametrize("lang", LTR)
def test_no_direction_controls_reach_a_left_to_right_language(lang):
    chat = _chat(lang)
    chat.send("status TH-0000-0000")
    assert "TH-0000-0000" in chat.text
    assert not set(bidi.DIRECTION_CONTROLS) & set(chat.text)


@pytest.mark.parametrize("lang", RTL)
def test_the_help_keeps_crimestoppers_number_left_to_right_and_english_is_untouched(lang):
    chat = _chat(lang)
    chat.send("help")
    assert f"{LRI}0800 555 111{PDI}" in chat.text
    english = _chat("en")
    english.send("help")
    assert "call 0800 555 111." in english.text


@pytest.mark.parametrize("lang", RTL)
def test_a_reference_copied_out_of_a_message_with_its_isolates_still_works(lang):
    chat = _chat(lang)
    chat.send(f"status {FSI}TH-7K3M-9QXR{PDI}")
    assert f"{FSI}TH-7K3M-9QXR{PDI}" in chat.text
    assert "couldn't find" not in chat.text


@pytest.mark.parametrize("typed", [f"{FSI}2{PDI}", "\u200f2", "2\u200e"])
def test_direction_marks_around_a_number_do_not_hide_it(typed):
    chat = _chat("ar")
    chat.send(typed)
    assert chat.state["flow"] == "status"


def test_a_label_with_isolated_values_matches_when_typed_without_them():
    label = bidi.fill("%(title)s — %(place)s", {"title": "Weavers ward panel", "place": "Weavers Community Centre"}, "ar")
    assert FSI in label
    assert match_choice("weavers ward panel — weavers community centre", [Choice("event:12", label)]) == "event:12"


# --- any script's digits -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["ar", "ur", "bn", "zh-Hans"])
@pytest.mark.parametrize("script", TWO)
def test_a_menu_number_in_any_digits(lang, script):
    chat = _chat(lang)
    assert chat.keys[1] == "menu:status"
    chat.send(TWO[script])
    assert chat.state["flow"] == "status"


@pytest.mark.parametrize("script", TWELVE)
def test_rsvp_with_an_event_number_in_any_digits(script):
    chat = _chat("ar", lookup_event={12: PANEL}.get, upcoming_events=lambda: (PANEL,))
    chat.send(f"RSVP {TWELVE[script]}")
    assert chat.keys[:2] == ["rsvp:yes", "rsvp:no"]
    assert "Weavers ward panel" in chat.text


@pytest.mark.parametrize("script", TWELVE)
def test_a_first_contact_rsvp_in_any_digits_opens_the_event_after_the_language(script):
    chat = Chat(context=make_context(lookup_event={12: PANEL}.get))
    chat.send(f"RSVP {TWELVE[script]}")
    chat.send(choice="lang:ur")
    assert chat.keys[:2] == ["rsvp:yes", "rsvp:no"]


@pytest.mark.parametrize("typed", ["status TH-٧K٣M-٩QXR", "status th-۷k۳m-۹qxr", "status TH-৭K৩M-৯QXR",
                                   "status ＴＨ－７Ｋ３Ｍ－９ＱＸＲ"])
def test_a_reference_typed_with_other_digits_is_found(typed):
    chat = _chat("ar")
    chat.send(typed)
    assert f"{FSI}TH-7K3M-9QXR{PDI}" in chat.text
    assert "couldn't find" not in chat.text


@pytest.mark.parametrize("lang", ["ar", "ur", "bn"])
@pytest.mark.parametrize("digit", ["3", "٣", "۳", "৩"])
def test_forget_me_refuses_a_number_off_its_list_in_any_digits(lang, digit):
    chat = _chat(lang)
    chat.send("forget me")
    assert chat.keys == ["confirm:yes", "confirm:no"]
    chat.send(digit)
    assert chat.keys == ["confirm:yes", "confirm:no"]
    assert chat.state.get("lang") == lang  # nothing was forgotten
