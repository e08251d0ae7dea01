"""Get help and support: 999 first, a kind of support, a ward when some are local, a few services at a time,
and the getting-online steps."""
from datetime import date

import pytest

from flows import get_help, home, i18n
from flows.types import HelpServiceInfo
from tests.flows.helpers import Chat, make_context

MAIN_MENU = list(home.MENU_KEYS)
KINDS = ["support:families", "support:young_people", "support:money", "support:housing", "support:mental_health",
         "support:drugs_alcohol", "support:victims", "support:online", "menu"]
SAMARITANS = HelpServiceInfo(service_id=1, name="Samaritans", offer="Someone to talk to, day or night.",
                             checked_on=date(2026, 11, 20), categories=("mental_health",), phone="116 123",
                             website="https://www.samaritans.org", opening_hours="24 hours, every day",
                             languages=("en",), offers={"bn": "দিনে বা রাতে কথা বলার কেউ।"})
WELLBEING_HUB = HelpServiceInfo(service_id=2, name="Weavers wellbeing drop-in", offer="Talk to a wellbeing worker.",
                                checked_on=date(2026, 6, 3), categories=("mental_health",),
                                address="1 Example Row, E2", ward_name="Weavers", cost="affordable",
                                languages=("bn", "syl", "so", "bsl"))
IDEA_STORE = HelpServiceInfo(service_id=3, name="Idea Store Whitechapel", offer="Free Wi-Fi and computers.",
                             checked_on=date(2026, 10, 1), categories=("online_wifi", "online_devices"),
                             address="321 Whitechapel Road, London E1 1BU", ward_name="Whitechapel")
HELPLINES = tuple(HelpServiceInfo(service_id=10 + n, name=f"Money helpline {n}", offer="Advice on debt.",
                                  checked_on=date(2026, 9, 1), categories=("money",), phone=f"0800 000 00{n}")
                  for n in range(1, 6))


def _chat(lang="en", services=(SAMARITANS, WELLBEING_HUB, IDEA_STORE) + HELPLINES, **context) -> Chat:
    asked = []

    def find_help_services(kind, ward_slug):
        asked.append((kind, ward_slug))
        mine = [s for s in services if kind in s.categories]
        if ward_slug is None:
            return tuple(mine)
        local = [s for s in mine if s.ward_name and s.ward_name.lower().replace(" ", "-") == ward_slug]
        return tuple(local + [s for s in mine if s.ward_name is None])

    chat = Chat(context=make_context(find_help_services=find_help_services, **context))
    chat.asked = asked
    chat.send("hi")
    chat.send(choice=f"lang:{lang}")
    return chat


def test_get_help_is_after_spaces_on_the_main_menu_and_says_999_first():
    chat = _chat()
    assert chat.keys == MAIN_MENU and MAIN_MENU.index("menu:gethelp") == MAIN_MENU.index("menu:spaces") + 1
    assert chat.last[-1].choices[MAIN_MENU.index("menu:gethelp")].label == "Get help and support"
    chat.send(str(MAIN_MENU.index("menu:gethelp") + 1))  # typed as its number on a text channel
    assert chat.last[0].text == "If someone is in danger now, call 999."
    assert chat.keys == KINDS
    labels = [choice.label for choice in chat.last[-1].choices]
    assert "Drugs and alcohol: support" in labels and "Victims of crime" in labels and "Money and debt" in labels


def test_services_for_the_whole_borough_come_whatever_ward_is_chosen():
    chat = _chat()
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:mental_health")
    # The drop-in is in a ward, so the ward is asked; the helplines come whatever ward is chosen.
    assert chat.keys[0] == "support:anywhere" and "ward:weavers" in chat.keys
    chat.send(choice="ward:bow-east")
    [listing, menu] = chat.last
    assert listing.text.splitlines() == [
        "Mental health and wellbeing", "",
        "Samaritans", "Someone to talk to, day or night.", "Phone: 116 123",
        "Website: https://www.samaritans.org", "Open: 24 hours, every day", "Free", "Languages spoken: English",
        "Checked in November 2026",
    ]
    assert chat.keys == MAIN_MENU and "draft" not in chat.state


def test_a_ward_shows_its_own_services_first_with_address_cost_languages_and_the_month_checked():
    chat = _chat()
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:mental_health")
    chat.send("Weavers")  # typed: the ward's name is its label
    assert chat.asked[-1] == ("mental_health", "weavers")
    text = chat.last[0].text
    assert text.index("Weavers wellbeing drop-in") < text.index("Samaritans")
    assert ("Weavers wellbeing drop-in\nTalk to a wellbeing worker.\nAddress: 1 Example Row, E2 (Weavers)\n"
            "Low cost\nLanguages spoken: বাংলা, Sylheti / সিলেটি, Soomaali and British Sign Language (BSL)\n"
            "Checked in June 2026") in text


def test_a_kind_with_none_listed_says_so_and_offers_the_kinds_again():
    chat = _chat()
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:victims")
    assert "There are no services of this kind listed yet." in chat.text
    assert chat.keys == KINDS and "draft" not in chat.state


def test_many_services_come_three_at_a_time_with_more_other_kinds_or_the_menu():
    chat = _chat()
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:money")
    assert set(chat.asked) == {("money", None)}  # none of them is in a ward: no ward question
    assert [name for name in ("Money helpline 1", "Money helpline 3", "Money helpline 4") if name in chat.text] == [
        "Money helpline 1", "Money helpline 3"]
    assert chat.keys == ["support:more", "support:other", "menu"]
    assert "There are 2 more services." in chat.text
    chat.send("1")
    assert "Money helpline 4" in chat.text and "Money helpline 5" in chat.text and "Money helpline 1" not in chat.text
    assert chat.keys == MAIN_MENU
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:money")
    chat.send(choice="support:other")
    assert chat.keys == KINDS and "draft" not in chat.state


def test_one_more_is_said_in_the_singular():
    chat = _chat(services=HELPLINES[:4])
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:money")
    assert "There is 1 more service." in chat.text


def test_more_after_staff_removed_the_rest_goes_to_the_menu_without_an_empty_message():
    listed = list(HELPLINES)
    chat = _chat(services=listed)
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:money")
    del listed[2:]  # staff removed three while the resident read the first page
    chat.send(choice="support:more")
    assert chat.keys == MAIN_MENU
    assert all(reply.text.strip() for reply in chat.last)


def test_what_it_offers_is_shown_in_the_residents_language_when_staff_gave_it():
    chat = _chat(lang="bn")
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:mental_health")
    chat.send(choice="support:anywhere")
    assert "দিনে বা রাতে কথা বলার কেউ।" in chat.text and "Someone to talk to" not in chat.text
    # Without a Bengali version, staff's English is shown and said to be English (in Bengali once translated).
    assert i18n.translations("bn").gettext("%(offer)s (in English)") % {"offer": "Talk to a wellbeing worker."} in chat.text
    # Bengali digits in the month; the phone number as staff wrote it, to be dialled as it is.
    assert "২০২৬" in chat.text and "116 123" in chat.text


def test_getting_online_lists_places_and_explains_apps_and_the_web_chat_on_a_library_computer():
    chat = _chat(web_chat_url="https://saferhomes.example.org/chat")
    chat.send(choice="menu:gethelp")
    chat.send(choice="support:online")
    assert chat.keys == ["support:online_wifi", "support:online_devices", "support:online_skills", "online:apps",
                         "online:webchat", "menu"]
    chat.send(choice="online:apps")
    assert "Play Store" in chat.text and "App Store" in chat.text and "free" in chat.text
    assert chat.keys[-1] == "menu" and "online:webchat" in chat.keys  # asked again: another choice is one tap
    chat.send(choice="online:webchat")
    assert "type this address: https://saferhomes.example.org/chat\n" in chat.text
    assert "Quick exit" in chat.text and "close the browser" in chat.text
    chat.send(choice="support:online_wifi")
    chat.send(choice="support:anywhere")
    assert "Idea Store Whitechapel" in chat.text
    assert "Address: 321 Whitechapel Road, London E1 1BU (Whitechapel)" in chat.text


def test_help_says_where_the_getting_online_steps_are():
    chat = _chat()
    chat.send("help")
    assert '"Get help and support" on the menu, then "Getting online: Wi-Fi, devices and skills"' in chat.text


@pytest.mark.parametrize("lang", [language.code for language in i18n.LANGUAGES])
def test_every_step_speaks_the_residents_language(lang):
    chat = _chat(lang=lang)
    chat.send(choice="menu:gethelp")
    assert all(reply.lang == lang for reply in chat.last)
    chat.send(choice="support:mental_health")
    chat.send(choice="support:anywhere")
    assert get_help.month_and_year(lang, SAMARITANS.checked_on) in chat.text
    assert "116 123" in chat.text.replace("\u2068", "").replace("\u2069", "")


def test_month_and_year_is_the_standalone_month_in_each_language():
    assert get_help.month_and_year("en", date(2027, 1, 5)) == "January 2027"
    assert get_help.month_and_year("pl", date(2027, 1, 5)) == "styczeń 2027"  # nominative, as a heading
    assert get_help.month_and_year("bn", date(2027, 1, 5)).endswith("২০২৭")


@pytest.mark.parametrize("lang, written", [
    ("zh-Hans", "2027年1月"), ("zh-Hant", "2027年1月"),  # not "一月 2027": Chinese puts the year first
    ("lt", "2027 m. sausis"), ("es", "enero de 2027"), ("pt", "janeiro de 2027"), ("tr", "Ocak 2027"),
])
def test_month_and_year_are_in_the_order_each_language_writes_them(lang, written):
    assert get_help.month_and_year(lang, date(2027, 1, 5)) == written
