"""Get help and support (recs 3, 5-7): local and national services for families, young people, money,
housing, mental health, drugs and alcohol, victims of crime, and getting online.

    menu:gethelp → "call 999" → kind ─support:<kind>→ ward (only when some are local) → services ─more→ more
                                  └─support:online→ online ─support:online_*→ (as above)
                                                           ├─online:apps→ how to install Telegram or WhatsApp
                                                           └─online:webchat→ this chat on a library computer
Services are data staff keep current (storage/help_services.py); the words here are only the frame.
"""
from __future__ import annotations

from typing import Optional, Sequence

from babel.lists import format_list

from flows import i18n, paging
from flows.dates import month_and_year
from flows.engine import Go, Question, Stay, Turn
from flows.events import BSL, INTERPRETER_NAMES
from flows.i18n import _N
from flows.types import Choice, HelpServiceInfo

ONLINE = "support:online"
APPS = "online:apps"
WEB_CHAT = "online:webchat"
ANYWHERE = "support:anywhere"
MORE = "support:more"
OTHER = "support:other"

# The kinds of support, in the order residents see them; keys are storage.models.HELP_CATEGORIES.
# Each names the support, never the people who need it as a problem (rec 8).
KINDS = {
    # TRANSLATORS: a kind of support in the "get help" menu: for parents, carers and families.
    "families": _N("Families and parenting"),
    # TRANSLATORS: a kind of support in the "get help" menu: services for young people (youth clubs,
    # advice, someone to talk to). Never a word that makes young people sound like trouble.
    "young_people": _N("Young people"),
    # TRANSLATORS: a kind of support in the "get help" menu: benefits, debt, bills, food banks.
    "money": _N("Money and debt"),
    # TRANSLATORS: a kind of support in the "get help" menu: a home, repairs, eviction, nowhere to stay.
    "housing": _N("Housing and a place to stay"),
    # TRANSLATORS: a kind of support in the "get help" menu.
    "mental_health": _N("Mental health and wellbeing"),
    # TRANSLATORS: a kind of support in the "get help" menu: help for anyone using drugs or alcohol, or their
    # family. Say "support" plainly; never a word that shames people.
    "drugs_alcohol": _N("Drugs and alcohol: support"),
    # TRANSLATORS: a kind of support in the "get help" menu: for anyone who has been a victim of a crime.
    "victims": _N("Victims of crime"),
}
ONLINE_KINDS = {
    # TRANSLATORS: getting online: places with free Wi-Fi (internet without using your phone's data).
    "online_wifi": _N("Free Wi-Fi"),
    # TRANSLATORS: getting online: where to get or borrow a phone, tablet or computer.
    "online_devices": _N("A phone, tablet or computer"),
    # TRANSLATORS: getting online: free classes or help to learn to use a phone or computer.
    "online_skills": _N("Help to learn phone and computer skills"),
}
COSTS = {
    # TRANSLATORS: a support service costs nothing to use.
    "free": _N("Free"),
    # TRANSLATORS: what a support service costs to use: a small charge.
    "affordable": _N("Low cost"),
    # TRANSLATORS: what a support service costs to use: the usual charge.
    "paid": _N("There is a charge"),
}
# Spoken languages in their own names, so a resident recognises theirs: the interpreter languages' names
# (flows/events.py), and English, which a service may speak but no event needs an interpreter for.
SPOKEN_NAMES = INTERPRETER_NAMES | {"en": "English"}


def start(turn: Turn) -> Go:
    """menu:gethelp: say first where to turn in an emergency, then ask what kind of support."""
    turn.state.pop("draft", None)
    # TRANSLATORS: the first line of "Get help and support", before the kinds of support.
    turn.say(turn._("If someone is in danger now, call 999."))
    return Go("get_help:kind")


def kind_prompt(turn: Turn) -> str:
    # TRANSLATORS: the "get help" menu's question.
    return turn._("What kind of support are you looking for?")


def kind_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(f"support:{kind}", turn._(label)) for kind, label in KINDS.items()) + (
        # TRANSLATORS: a kind of support in the "get help" menu: free Wi-Fi, devices and help to use them.
        Choice(ONLINE, turn._("Getting online: Wi-Fi, devices and skills")),
        # TRANSLATORS: choice: go back to the main menu.
        Choice("menu", turn._("Main menu")),
    )


def on_kind(turn: Turn, key: str) -> Go | Stay:
    """A kind of support chosen: ask where, when some of its services are local; otherwise show them."""
    if key == "menu":
        turn.end_flow()
        return Stay()
    if key == ONLINE:
        return Go("online")
    return _choose(turn, key.removeprefix("support:"))


def online_prompt(turn: Turn) -> str:
    # TRANSLATORS: the "getting online" menu's question.
    return turn._("What would help you get online?")


def online_choices(turn: Turn) -> Sequence[Choice]:
    return tuple(Choice(f"support:{kind}", turn._(label)) for kind, label in ONLINE_KINDS.items()) + (
        # TRANSLATORS: getting online: short steps to install a chat app on a phone.
        Choice(APPS, turn._("How to install Telegram or WhatsApp")),
        # TRANSLATORS: getting online: how to use the Safer Homes web chat on a library's computer.
        Choice(WEB_CHAT, turn._("Use this chat on a library computer")),
        # TRANSLATORS: choice: go back to the main menu.
        Choice("menu", turn._("Main menu")),
    )


def on_online(turn: Turn, key: str) -> Go | Stay:
    """Getting online: a kind of place to find, or the steps for an app or the web chat."""
    if key == "menu":
        turn.end_flow()
        return Stay()
    if key == APPS:
        turn.say(install_apps_text(turn))
        return Go("online")
    if key == WEB_CHAT:
        turn.say(library_computer_text(turn))
        return Go("online")
    return _choose(turn, key.removeprefix("support:"))


def install_apps_text(turn: Turn) -> str:
    # TRANSLATORS: steps to install a chat app. Keep the names Telegram, WhatsApp, Play Store and App Store.
    return turn._(
        "How to get Telegram or WhatsApp on your phone. Both are free.\n"
        "1. Open the app store on your phone: Play Store on Android, App Store on iPhone.\n"
        "2. Search for Telegram or WhatsApp. Choose the official app, with that name and millions of downloads.\n"
        "3. Tap Install. You never need to pay for it.\n"
        "4. Open the app and type your phone number. It sends you a code by text message to finish.\n"
        "Free Wi-Fi at an Idea Store or library saves your data. Staff there can help you."
    )


def library_computer_text(turn: Turn) -> str:
    # TRANSLATORS: how to use the web chat on a shared computer. %(address)s is the web address to type.
    # "Quick exit" must be the same words as the button on the web chat page.
    return turn._(
        "You can use Safer Homes on any computer with the internet, without a phone number.\n"
        "1. Idea Stores and libraries have free computers. Ask staff if you need help to start; you do not "
        "have to say why.\n"
        "2. Open the web browser and type this address: %(address)s\n"
        "3. Choose your language and write as you do here.\n"
        "4. The \"Quick exit\" button leaves the chat at once and clears it from the screen.\n"
        "5. When you finish, press \"Quick exit\" or close the browser. The chat is not kept on that computer.",
        address=turn.ctx.web_chat_url,
    )


def ward_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking where the resident would like support; services for the whole borough are always shown.
    return turn._("Would you like services near you? Choose your ward, or anywhere in Tower Hamlets.")


def ward_choices(turn: Turn) -> Sequence[Choice]:
    return paging.ward_choices(turn, ANYWHERE)


def on_ward(turn: Turn, key: str) -> Stay:
    """A ward (or anywhere) chosen: that ward's services first, then those for the whole borough."""
    turn.draft["ward"] = paging.chosen_ward(key, ANYWHERE)
    _show_first_page(turn)
    return Stay()


def more_prompt(turn: Turn) -> str:
    left = paging.left(turn, _found(turn))
    # TRANSLATORS: under a list of support services: how many more there are.
    return turn.ngettext("There is %(count)s more service.", "There are %(count)s more services.", left,
                         count=turn.number(left))


def more_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: choice: show the next few support services.
        Choice(MORE, turn._("Show more services")),
        # TRANSLATORS: choice: back to the list of kinds of support.
        Choice(OTHER, turn._("Other kinds of support")),
        # TRANSLATORS: choice: go back to the main menu.
        Choice("menu", turn._("Main menu")),
    )


def on_more(turn: Turn, key: str) -> Go | Stay:
    """More services, other kinds of support, or the main menu."""
    if key == "menu":
        turn.end_flow()
        return Stay()
    if key == OTHER:
        turn.state.pop("draft", None)
        return Go("kind")
    _show_page(turn, _found(turn))
    return Stay()


def _choose(turn: Turn, kind: str) -> Go | Stay:
    """Start listing `kind`: ask the ward first only when some of its services belong to one."""
    turn.state["draft"] = {"kind": kind, "ward": None, "shown": 0}
    if any(service.ward_name for service in turn.ctx.find_help_services(kind, None)):
        return Go("ward")
    _show_first_page(turn)
    return Stay()


def _found(turn: Turn) -> tuple[HelpServiceInfo, ...]:
    return turn.ctx.find_help_services(turn.draft["kind"], turn.draft.get("ward"))


def _show_first_page(turn: Turn) -> None:
    turn.draft["shown"] = 0
    found = _found(turn)
    if not found:
        # TRANSLATORS: the directory has no services of the kind the resident chose yet.
        turn.say(turn._("There are no services of this kind listed yet. Please ask again another time, or "
                        "choose another kind of support."))
        turn.state.pop("draft", None)
        turn.go("get_help", "kind")
        return
    _show_page(turn, found, heading=_kind_label(turn, turn.draft["kind"]))


def _show_page(turn: Turn, found: tuple[HelpServiceInfo, ...], heading: Optional[str] = None) -> None:
    paging.show_page(turn, found, lambda service: describe_service(turn, service), flow="get_help", heading=heading)


def _kind_label(turn: Turn, kind: str) -> str:
    return turn._((KINDS | ONLINE_KINDS).get(kind, kind))


def describe_service(turn: Turn, service: HelpServiceInfo) -> str:
    """A few short lines: name, what it offers, how to reach it, when, cost, languages, when last checked."""
    offer = service.offer_in(turn.lang)
    if offer is None:
        # TRANSLATORS: what a service offers, as staff wrote it in English, when there is no translation.
        offer = turn._("%(offer)s (in English)", offer=service.offer)
    lines = [service.name, offer]
    if service.phone:
        # TRANSLATORS: a support service's phone number.
        lines.append(turn._("Phone: %(phone)s", phone=service.phone))
    if service.website:
        # TRANSLATORS: a support service's web address.
        lines.append(turn._("Website: %(website)s", website=service.website))
    if service.opening_hours:
        # TRANSLATORS: a support service's opening hours, as staff wrote them (usually in English).
        lines.append(turn._("Open: %(hours)s", hours=service.opening_hours))
    if service.address:
        address = f"{service.address} ({service.ward_name})" if service.ward_name else service.address
        # TRANSLATORS: where a support service is, as staff wrote it.
        lines.append(turn._("Address: %(address)s", address=address))
    lines.append(turn._(COSTS.get(service.cost, COSTS["paid"])))
    if service.languages:
        names = [turn._(BSL) if code == "bsl" else SPOKEN_NAMES.get(code, code) for code in service.languages]
        # TRANSLATORS: followed by languages in their own names, e.g. "বাংলা, Soomaali and English".
        lines.append(turn._("Languages spoken: %(languages)s",
                            languages=format_list(names, locale=i18n.babel_locale(turn.lang))))
    # TRANSLATORS: when staff last confirmed a service's details. %(month)s is a month and year as a calendar
    # heads it ("January 2027", "styczeń 2027", "2027年1月"): word the line so that form fits, e.g. "Checked: …".
    lines.append(turn._("Checked in %(month)s", month=month_and_year(turn.lang, service.checked_on)))
    return "\n".join(lines)


QUESTIONS = {
    "kind": Question(prompt=kind_prompt, choices=kind_choices, on_choice=on_kind),
    "online": Question(prompt=online_prompt, choices=online_choices, on_choice=on_online),
    "ward": Question(prompt=ward_prompt, choices=ward_choices, on_choice=on_ward),
    "more": Question(prompt=more_prompt, choices=more_choices, on_choice=on_more),
}
