"""The report flow, step by step: order, branches, multi-select, summary and change, acknowledgement."""
import pytest

from flows.types import SubmitReport
from tests.flows.helpers import Chat

CATEGORY_KEYS = ["cat:asb", "cat:drugs", "cat:harassment", "cat:hate", "cat:unsafe_place", "cat:noise", "cat:other"]


def start_report(lang: str = "en") -> Chat:
    chat = Chat()
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    chat.send(choice="menu:report")
    return chat


def reach_privacy(chat: Chat) -> None:
    chat.send(choice="danger:no")
    chat.send(choice="cat:noise")
    chat.send(choice="ward:weavers")
    chat.send(choice="when:now")
    chat.send("Music through the wall every night until 3am")


def submitted(chat: Chat) -> SubmitReport:
    reports = [intent for intent in chat.intents if isinstance(intent, SubmitReport)]
    assert len(reports) == 1
    return reports[0]


def test_the_steps_come_in_the_designed_order():
    chat = start_report()
    assert chat.keys == ["danger:yes", "danger:no"]
    chat.send(choice="danger:no")
    assert chat.keys == CATEGORY_KEYS
    chat.send(choice="cat:noise")
    assert chat.keys[0] == "ward:bethnal-green-east" and chat.keys[-1] == "skip" and len(chat.keys) == 21
    chat.send(choice="ward:st-katharines-wapping")
    assert chat.keys == ["when:now", "when:today", "when:earlier"]
    chat.send(choice="when:earlier")
    assert chat.keys == []  # what happened: free text
    chat.send("Music through the wall")
    assert chat.keys == ["privacy:anonymous", "privacy:private", "privacy:named"]
    chat.send(choice="privacy:private")
    assert chat.keys == ["agency:council", "agency:housing", "agency:police", "done"]
    chat.send(choice="done")
    assert chat.keys == ["confirm:yes", "confirm:no"]


def test_danger_comes_first_and_points_to_999_before_anything_else():
    chat = start_report()
    chat.send(choice="danger:yes")
    assert "999" in chat.text and "101" in chat.text and "0800 555 111" in chat.text
    assert chat.keys == ["continue:yes", "continue:no"]
    chat.send(choice="continue:yes")
    assert chat.keys == CATEGORY_KEYS


def test_after_danger_the_resident_can_stop():
    chat = start_report()
    chat.send(choice="danger:yes")
    chat.send(choice="continue:no")
    assert chat.keys[0] == "menu:report" and "draft" not in chat.state


def test_danger_is_recorded_on_the_report():
    chat = start_report()
    chat.send(choice="danger:yes")
    chat.send(choice="continue:yes")
    chat.send(choice="cat:harassment")
    chat.send(choice="skip")
    chat.send(choice="when:now")
    chat.send("Someone is following me")
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    assert submitted(chat).danger_now is True


def test_council_and_housing_are_ticked_and_police_only_if_chosen():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:private")
    labels = [choice.label for choice in chat.last[-1].choices]
    assert labels[0].startswith("☑") and labels[1].startswith("☑") and labels[2].startswith("☐")
    chat.send("3")  # tick the police by number
    labels = [choice.label for choice in chat.last[-1].choices]
    assert labels[2].startswith("☑")
    chat.send(choice="agency:housing")  # untick housing
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    assert submitted(chat).agencies == ("council", "police")


def test_done_with_nothing_ticked_asks_again():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="agency:council")
    chat.send(choice="agency:housing")
    chat.send(choice="done")
    assert chat.state["step"] == "agencies"
    assert "at least one" in chat.text


def test_police_are_never_ticked_by_default_even_if_routed():
    from dataclasses import replace

    chat = Chat()
    chat.context = replace(chat.context, default_agencies={"noise": ("council", "police")})
    chat.send("hi")
    chat.send(choice="lang:en")
    chat.send(choice="menu:report")
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    labels = [choice.label for choice in chat.last[-1].choices]
    assert labels[0].startswith("☑") and labels[2].startswith("☐")


def test_named_asks_for_the_name_typed_by_the_resident():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:named")
    assert chat.state["step"] == "name"
    chat.send("Amina")
    chat.send(choice="done")
    assert "With my name" in chat.text
    chat.send(choice="confirm:yes")
    assert submitted(chat).reporter_name == "Amina"
    assert submitted(chat).privacy == "named"


def test_a_name_is_forgotten_if_the_resident_changes_to_private():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:named")
    chat.send("Amina")
    chat.send(choice="done")
    chat.send(choice="confirm:no")
    chat.send(choice="change:privacy")
    chat.send(choice="privacy:private")
    assert chat.keys == ["confirm:yes", "confirm:no"]
    chat.send(choice="confirm:yes")
    assert submitted(chat).reporter_name is None


def test_the_summary_shows_every_answer():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    summary = chat.last[-1].text
    for expected in ("Noise", "Weavers", "It is happening now", "Music through the wall", "Anonymous",
                     "Tower Hamlets Council ASB team", "Your housing provider"):
        assert expected in summary


@pytest.mark.parametrize(
    "change, answer, field, value",
    [
        ("change:category", {"choice": "cat:hate"}, "category", "hate"),
        ("change:where", {"text": "Brick Lane market"}, "location_text", "Brick Lane market"),
        ("change:when", {"text": "Saturday night"}, "when_text", "Saturday night"),
        ("change:what", {"text": "Shouting and banging"}, "description", "Shouting and banging"),
    ],
)
def test_changing_one_answer_returns_to_the_summary(change, answer, field, value):
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    chat.send(choice="confirm:no")
    chat.send(choice=change)
    chat.send(**answer)
    assert chat.keys == ["confirm:yes", "confirm:no"]
    chat.send(choice="confirm:yes")
    assert getattr(submitted(chat), field) == value


def test_a_typed_place_replaces_a_chosen_ward():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    chat.send(choice="confirm:no")
    chat.send(choice="change:where")
    chat.send("Chrisp Street")
    chat.send(choice="confirm:yes")
    report = submitted(chat)
    assert report.ward_slug is None and report.location_text == "Chrisp Street"


def test_a_shared_location_is_kept():
    chat = start_report()
    chat.send(choice="danger:no")
    chat.send(choice="cat:unsafe_place")
    chat.send(latitude=51.5203, longitude=-0.0715)
    assert chat.state["step"] == "when"
    assert chat.state["draft"]["latitude"] == 51.5203


def test_an_impossible_location_is_a_miss():
    chat = start_report()
    chat.send(choice="danger:no")
    chat.send(choice="cat:unsafe_place")
    chat.send(latitude=123.0, longitude=0.0)
    assert chat.state["step"] == "where"


def test_discarding_sends_nothing():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    chat.send(choice="confirm:no")
    chat.send(choice="change:discard")
    assert not [intent for intent in chat.intents if isinstance(intent, SubmitReport)]
    assert "draft" not in chat.state


def test_the_acknowledgement_gives_reference_privacy_and_targets():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="agency:police")
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    text = chat.text
    assert "TH-7K3M-9QXR" in text
    assert "no link between the report and you is kept anywhere" in text
    assert "Tower Hamlets Council ASB team aims to respond within 2 working days." in text
    assert "Police (Safer Neighbourhoods team) aims to respond within 5 working days." in text
    assert "updates here" not in text  # nothing can be sent to an anonymous reporter
    assert chat.keys[0] == "menu:report"


def test_nothing_of_an_anonymous_report_stays_in_the_conversation():
    chat = start_report()
    reach_privacy(chat)
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    flat = repr(chat.state)
    assert "TH-7K3M-9QXR" not in flat and "Music" not in flat and "draft" not in chat.state


def test_bengali_numbers_are_written_in_bengali_digits():
    chat = start_report("bn")
    reach_privacy(chat)
    chat.send(choice="privacy:private")
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    text = chat.text
    assert "২" in text and "৫" in text  # the 2 and 5 working-day targets
    assert "TH-7K3M-9QXR" in text  # the reference stays in Latin letters and digits in every language


def test_photos_and_voice_notes_go_with_the_report():
    from flows.types import Media

    chat = start_report()
    chat.send(choice="danger:no")
    chat.send(choice="cat:unsafe_place")
    chat.send(choice="skip")
    chat.send(choice="when:now")
    chat.send(choice="skip")  # time of day
    chat.send(choice="skip")  # woman or girl
    chat.send("The broken gate", media=(Media("a1b2.jpg", "photo"), Media("c3d4.ogg", "voice")))
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    assert "(2 attachments)" in chat.text
    chat.send(choice="confirm:yes")
    assert submitted(chat).media == (("a1b2.jpg", "photo"), ("c3d4.ogg", "voice"))
    assert submitted(chat).description == "The broken gate"


# --- night safety: unsafe places only --------------------------------------------------------------------

DAYPART_KEYS = ["daypart:morning", "daypart:afternoon", "daypart:evening", "daypart:night", "skip"]
CHANGE_KEYS = ["change:category", "change:where", "change:when", "change:what", "change:privacy", "change:agencies",
               "change:discard"]


def reach_night_safety(chat: Chat, category: str = "cat:unsafe_place") -> None:
    chat.send(choice="danger:no")
    chat.send(choice=category)
    chat.send(choice="ward:weavers")
    chat.send(choice="when:earlier")


def finish(chat: Chat) -> None:
    """From "what happened" to the summary."""
    chat.send("The alley behind the flats has no lights")
    chat.send(choice="privacy:anonymous")
    chat.send(choice="done")
    assert chat.keys == ["confirm:yes", "confirm:no"]


def test_an_unsafe_place_asks_the_time_of_day_then_the_optional_question_saying_why():
    chat = start_report()
    reach_night_safety(chat)
    assert chat.state["step"] == "daypart" and chat.keys == DAYPART_KEYS
    assert "What time of day does it feel unsafe?" in chat.text
    chat.send(choice="daypart:night")
    assert chat.keys == ["self:woman_or_girl", "skip"]
    assert "optional" in chat.text and "women and girls" in chat.text  # it says it is optional, and why
    assert [choice.label for choice in chat.last[-1].choices] == ["I am a woman or girl", "Skip"]
    chat.send(choice="self:woman_or_girl")
    assert chat.state["step"] == "what"
    finish(chat)
    assert "Time of day it feels unsafe: Night" in chat.text
    assert "You told us you are a woman or girl." in chat.text
    chat.send(choice="confirm:yes")
    report = submitted(chat)
    assert (report.time_of_day, report.woman_or_girl) == ("night", True)


@pytest.mark.parametrize("category", [key for key in CATEGORY_KEYS if key != "cat:unsafe_place"])
def test_other_categories_never_ask_the_night_safety_questions(category):
    chat = start_report()
    reach_night_safety(chat, category)
    assert chat.state["step"] == "what"
    finish(chat)
    assert "Time of day" not in chat.text and "woman" not in chat.text
    chat.send(choice="confirm:no")
    assert chat.keys == CHANGE_KEYS
    chat.send(choice="change:discard")


def test_skipping_both_keeps_nothing_and_never_a_no():
    chat = start_report()
    reach_night_safety(chat)
    chat.send(choice="skip")
    chat.send(choice="skip")
    assert "woman_or_girl" not in chat.state["draft"] and "time_of_day" not in chat.state["draft"]
    finish(chat)
    assert "Time of day it feels unsafe: not given" in chat.text
    assert "woman" not in chat.last[-1].text
    chat.send(choice="confirm:yes")
    report = submitted(chat)
    assert report.time_of_day is None and report.woman_or_girl is None


def test_bengali_digits_answer_the_night_safety_questions():
    chat = start_report("bn")
    reach_night_safety(chat)
    chat.send("৩")  # the third choice: evening
    assert chat.keys == ["self:woman_or_girl", "skip"]
    chat.send("১")  # the first: they are a woman or girl
    assert chat.state["step"] == "what"
    finish(chat)
    chat.send(choice="confirm:yes")
    assert (submitted(chat).time_of_day, submitted(chat).woman_or_girl) == ("evening", True)


def test_a_number_off_the_time_of_day_list_is_a_miss():
    chat = start_report()
    reach_night_safety(chat)
    chat.send("6")
    assert chat.state["step"] == "daypart" and "from 1 to 5" in chat.text


def test_the_summary_changes_each_night_safety_answer_on_its_own():
    chat = start_report()
    reach_night_safety(chat)
    chat.send(choice="daypart:morning")
    chat.send(choice="skip")
    finish(chat)
    chat.send(choice="confirm:no")
    assert chat.keys == CHANGE_KEYS[:3] + ["change:daypart", "change:self"] + CHANGE_KEYS[3:]
    chat.send(choice="change:daypart")
    assert chat.keys == DAYPART_KEYS
    chat.send(choice="daypart:night")
    assert chat.keys == ["confirm:yes", "confirm:no"]  # straight back: the other question is not asked again
    chat.send(choice="confirm:no")
    chat.send(choice="change:self")
    chat.send(choice="self:woman_or_girl")
    assert chat.keys == ["confirm:yes", "confirm:no"] and "You told us you are a woman or girl." in chat.text
    chat.send(choice="confirm:no")
    chat.send(choice="change:self")
    chat.send(choice="skip")  # changed their mind: nothing is kept
    assert "woman" not in chat.last[-1].text
    chat.send(choice="confirm:yes")
    report = submitted(chat)
    assert (report.time_of_day, report.woman_or_girl) == ("night", None)


def test_changing_the_category_to_an_unsafe_place_asks_both_then_returns_to_the_summary():
    chat = start_report()
    reach_night_safety(chat, "cat:noise")
    finish(chat)
    chat.send(choice="confirm:no")
    chat.send(choice="change:category")
    chat.send(choice="cat:unsafe_place")
    assert chat.keys == DAYPART_KEYS
    chat.send(choice="daypart:afternoon")
    assert chat.keys == ["self:woman_or_girl", "skip"]
    chat.send(choice="self:woman_or_girl")
    assert chat.keys == ["confirm:yes", "confirm:no"]
    chat.send(choice="confirm:yes")
    report = submitted(chat)
    assert (report.category, report.time_of_day, report.woman_or_girl) == ("unsafe_place", "afternoon", True)


def test_changing_the_category_away_from_an_unsafe_place_drops_both_answers():
    chat = start_report()
    reach_night_safety(chat)
    chat.send(choice="daypart:night")
    chat.send(choice="self:woman_or_girl")
    finish(chat)
    chat.send(choice="confirm:no")
    chat.send(choice="change:category")
    chat.send(choice="cat:harassment")
    assert chat.keys == ["confirm:yes", "confirm:no"]
    assert "Time of day" not in chat.text and "woman" not in chat.text
    chat.send(choice="confirm:yes")
    report = submitted(chat)
    assert (report.category, report.time_of_day, report.woman_or_girl) == ("harassment", None, None)


def test_changing_back_to_an_unsafe_place_asks_again():
    chat = start_report()
    reach_night_safety(chat)
    chat.send(choice="daypart:night")
    chat.send(choice="self:woman_or_girl")
    finish(chat)
    for category in ("cat:asb", "cat:unsafe_place"):
        chat.send(choice="confirm:no")
        chat.send(choice="change:category")
        chat.send(choice=category)
    assert chat.keys == DAYPART_KEYS  # the earlier answers went with the change away
