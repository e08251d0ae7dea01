"""Finding a free or low-cost community space in a ward, or anywhere in the borough."""
from flows.types import SpaceInfo
from tests.flows.helpers import Chat, make_context

MAIN_MENU = ["menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces", "menu:gethelp",
        "menu:easy"]
CENTRE = SpaceInfo(space_id=1, name="Weavers Community Centre", address="1 Example Row, E2", cost="free",
                   ward_name="Weavers", booking="Ask at reception", opening_hours="Mon-Fri 9:00-21:00",
                   features=("step_free", "hearing_loop", "kitchen", "prayer_space"))
LIBRARY = SpaceInfo(space_id=2, name="Library meeting room", address="2 Example Road, E1", cost="affordable",
                    ward_name="Whitechapel")
HALLS = tuple(SpaceInfo(space_id=10 + n, name=f"Tenants' hall {n}", address=f"{n} Estate Walk, E3", cost="free",
                        ward_name="Bow East") for n in range(1, 6))


def _chat(lang="en", spaces=(CENTRE, LIBRARY)) -> Chat:
    asked = []

    def find_spaces(ward_slug):
        asked.append(ward_slug)
        return tuple(space for space in spaces if ward_slug is None or space.ward_name.lower().replace(" ", "-") == ward_slug)

    chat = Chat(context=make_context(find_spaces=find_spaces))
    chat.asked = asked
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat


def test_the_main_menu_offers_spaces_sixth_so_the_five_design_numbers_keep_their_meaning_and_asks_where():
    chat = _chat()
    assert chat.keys == MAIN_MENU
    chat.send("6")
    assert chat.keys[0] == "spaces:anywhere" and "ward:weavers" in chat.keys and "ward:bow-east" in chat.keys
    assert chat.last[-1].choices[0].label == "Anywhere in Tower Hamlets"


def test_a_ward_shows_its_spaces_with_cost_hours_booking_and_features_then_the_menu():
    chat = _chat()
    chat.send(choice="menu:spaces")
    chat.send(choice="ward:weavers")
    assert chat.asked == ["weavers"]
    [spaces, menu] = chat.last
    assert spaces.text.splitlines() == [
        "Free and low-cost spaces in Weavers:", "",
        "Weavers Community Centre", "1 Example Row, E2", "Free to use", "Open: Mon-Fri 9:00-21:00",
        "To book: Ask at reception", "Accessibility: step-free and hearing loop", "Facilities: kitchen and prayer space",
    ]
    assert not spaces.choices and chat.keys == MAIN_MENU
    assert "draft" not in chat.state


def test_a_ward_with_none_says_so_and_shows_the_boroughs():
    chat = _chat()
    chat.send(choice="menu:spaces")
    chat.send("Poplar")  # typed: the ward's name is its label
    assert chat.asked == ["poplar", None]
    assert "no free or low-cost spaces listed in Poplar yet" in chat.text
    # Borough-wide, each space says which ward it is in; a space without extras shows no empty lines.
    assert "Weavers Community Centre\n1 Example Row, E2 (Weavers)" in chat.text
    assert chat.last[0].text.endswith("\n\nLibrary meeting room\n2 Example Road, E1 (Whitechapel)\nLow cost")
    assert chat.text.endswith("What would you like to do?")


def test_with_nothing_listed_the_resident_is_told_and_back_at_the_menu():
    chat = _chat(spaces=())
    chat.send(choice="menu:spaces")
    chat.send(choice="spaces:anywhere")
    assert "no free or low-cost spaces listed yet" in chat.text and chat.keys == MAIN_MENU


def test_a_long_list_comes_a_few_at_a_time():
    chat = _chat(spaces=HALLS)
    chat.send(choice="menu:spaces")
    chat.send(choice="spaces:anywhere")
    assert [name in chat.text for name in ("hall 1", "hall 3", "hall 4")] == [True, True, False]
    assert "There are 2 more spaces." in chat.text and chat.keys == ["spaces:more", "menu"]
    chat.send("1")
    assert "Tenants' hall 4" in chat.text and "Tenants' hall 5" in chat.text and "hall 3" not in chat.text
    assert chat.keys == MAIN_MENU


def test_bengali_gets_translated_labels_and_bengali_digits():
    chat = _chat("bn", spaces=HALLS[:4])
    chat.send(choice="menu:spaces")
    chat.send(choice="spaces:anywhere")
    assert chat.last[-1].lang == "bn" and "১" in chat.last[-1].text  # "1 more", in Bengali digits
    chat.send(choice="menu")
    assert chat.keys == MAIN_MENU


def test_an_answer_that_is_not_a_ward_is_asked_again_and_nothing_is_looked_up():
    chat = _chat()
    chat.send(choice="menu:spaces")
    chat.send("99")
    assert "from 1 to 21" in chat.text and chat.keys[0] == "spaces:anywhere"
    chat.send(choice="ward:atlantis")
    assert chat.keys[0] == "spaces:anywhere" and chat.asked == []


def test_more_after_staff_removed_the_rest_goes_to_the_menu_without_an_empty_message():
    listed = list(HALLS)
    chat = _chat(spaces=listed)
    chat.send(choice="menu:spaces")
    chat.send(choice="spaces:anywhere")
    del listed[3:]  # staff removed the last two while the resident read the first page
    chat.send(choice="spaces:more")
    assert chat.keys == MAIN_MENU
    assert all(reply.text.strip() for reply in chat.last)
