"""Community spaces (rec 1): find a free or low-cost place to meet, in your ward or anywhere in the borough.

    menu:spaces → ward ─ward:<slug> or spaces:anywhere→ the spaces (a few at a time) ─spaces:more→ more
                                                                                   └→ main menu
A ward with none listed says so and shows the borough's instead.
"""
from __future__ import annotations

from typing import Optional, Sequence

from babel.lists import format_list

from flows import paging
from flows.engine import Go, Question, Stay, Turn
from flows.i18n import _N
from flows.types import Choice, SpaceInfo

ANYWHERE = "spaces:anywhere"
MORE = "spaces:more"

COSTS = {
    # TRANSLATORS: what a community space costs to use.
    "free": _N("Free to use"),
    # TRANSLATORS: what a community space costs to use: a small charge.
    "affordable": _N("Low cost"),
    # TRANSLATORS: what a community space costs to use: the usual hire charge.
    "paid": _N("There is a charge"),
}
ACCESSIBILITY = {
    # TRANSLATORS: in a list after "Accessibility:": no steps (wheelchair, pram, walking aid).
    "step_free": _N("step-free"),
    # TRANSLATORS: in a list after "Accessibility:": a hearing loop for hearing aids.
    "hearing_loop": _N("hearing loop"),
    # TRANSLATORS: in a list after "Accessibility:": a toilet for disabled people.
    "accessible_toilet": _N("accessible toilet"),
}
FACILITIES = {
    # TRANSLATORS: in a list after "Facilities:": a room where children can be looked after.
    "childcare_room": _N("room for childcare"),
    # TRANSLATORS: in a list after "Facilities:".
    "kitchen": _N("kitchen"),
    # TRANSLATORS: in a list after "Facilities:": a room or corner to pray in.
    "prayer_space": _N("prayer space"),
}


def ward_prompt(turn: Turn) -> str:
    # TRANSLATORS: asking where the resident would like a community space.
    return turn._("Where would you like a free or low-cost space? Choose your ward, or anywhere in Tower Hamlets.")


def ward_choices(turn: Turn) -> Sequence[Choice]:
    return paging.ward_choices(turn, ANYWHERE)


def on_ward(turn: Turn, key: str) -> Stay:
    """A ward (or anywhere) chosen: show the spaces there, or the borough's if the ward has none."""
    ward = paging.chosen_ward(key, ANYWHERE)
    turn.state["draft"] = {"ward": ward, "shown": 0}
    found = turn.ctx.find_spaces(ward)
    heading = _heading(turn, ward)
    if ward and not found:
        found = turn.ctx.find_spaces(None)
        turn.draft["ward"] = None
        # TRANSLATORS: no spaces in the ward the resident chose; the borough's follow.
        heading = turn._("There are no free or low-cost spaces listed in %(ward)s yet. These are elsewhere "
                         "in Tower Hamlets:", ward=_ward_name(turn, ward))
    if not found:
        # TRANSLATORS: the directory of community spaces has nothing free or low-cost in it yet.
        turn.say(turn._("There are no free or low-cost spaces listed yet. Please ask again another time."))
        turn.end_flow()
        return Stay()
    _show_page(turn, found, heading)
    return Stay()


def more_prompt(turn: Turn) -> str:
    left = paging.left(turn, turn.ctx.find_spaces(turn.draft.get("ward")))
    # TRANSLATORS: under a list of community spaces: how many more there are.
    return turn.ngettext("There is %(count)s more space.", "There are %(count)s more spaces.", left,
                         count=turn.number(left))


def more_choices(turn: Turn) -> Sequence[Choice]:
    return (
        # TRANSLATORS: choice: show the next few community spaces.
        Choice(MORE, turn._("Show more spaces")),
        # TRANSLATORS: choice: go back to the main menu.
        Choice("menu", turn._("Main menu")),
    )


def on_more(turn: Turn, key: str) -> Stay:
    """More spaces, or back to the menu."""
    if key == "menu":
        turn.end_flow()
    else:
        _show_page(turn, turn.ctx.find_spaces(turn.draft.get("ward")))
    return Stay()


def _show_page(turn: Turn, found: tuple[SpaceInfo, ...], heading: Optional[str] = None) -> None:
    """The next few spaces, with each one's ward when they are from anywhere in the borough."""
    borough_wide = turn.draft.get("ward") is None
    paging.show_page(turn, found, lambda space: describe_space(turn, space, borough_wide=borough_wide),
                     flow="spaces", heading=heading)


def _heading(turn: Turn, ward: Optional[str]) -> str:
    if ward:
        # TRANSLATORS: above the community spaces in one ward.
        return turn._("Free and low-cost spaces in %(ward)s:", ward=_ward_name(turn, ward))
    # TRANSLATORS: above the community spaces in the whole borough.
    return turn._("Free and low-cost spaces in Tower Hamlets:")


def _ward_name(turn: Turn, slug: str) -> str:
    return next((ward.name for ward in turn.ctx.wards if ward.slug == slug), slug)


def describe_space(turn: Turn, space: SpaceInfo, *, borough_wide: bool = False) -> str:
    """A few short lines: name, address, cost, hours, how to book, accessibility, facilities."""
    address = f"{space.address} ({space.ward_name})" if borough_wide and space.ward_name else space.address
    lines = [space.name, address, turn._(COSTS.get(space.cost, COSTS["paid"]))]
    if space.opening_hours:
        # TRANSLATORS: a community space's opening hours, as staff wrote them (usually in English).
        lines.append(turn._("Open: %(hours)s", hours=space.opening_hours))
    if space.booking:
        # TRANSLATORS: how to book a community space, as staff wrote it (usually in English).
        lines.append(turn._("To book: %(how)s", how=space.booking))
    access = _labels(turn, ACCESSIBILITY, space.features)
    if access:
        # TRANSLATORS: followed by a list such as "step-free, hearing loop and accessible toilet".
        lines.append(turn._("Accessibility: %(features)s", features=access))
    facilities = _labels(turn, FACILITIES, space.features)
    if facilities:
        # TRANSLATORS: followed by a list such as "room for childcare, kitchen and prayer space".
        lines.append(turn._("Facilities: %(features)s", features=facilities))
    return "\n".join(lines)


def _labels(turn: Turn, labels: dict[str, str], features: tuple[str, ...]) -> str:
    """The translated labels of the features a space has, as a list in the resident's language."""
    chosen = [turn._(label) for key, label in labels.items() if key in features]
    return format_list(chosen, locale=turn.lang.replace("-", "_")) if chosen else ""


def show_spaces(turn: Turn) -> Go:
    """menu:spaces: ask where."""
    turn.state.pop("draft", None)
    return Go("spaces:ward")


QUESTIONS = {
    "ward": Question(prompt=ward_prompt, choices=ward_choices, on_choice=on_ward),
    "more": Question(prompt=more_prompt, choices=more_choices, on_choice=on_more),
}
