"""A directory listed a few entries at a time, in one ward or anywhere in the borough: what the community spaces
and the support services flows share, so a fix to how one pages is a fix to both.

The flow keeps in its draft "shown" (how many entries it has sent) and "ward" (None: anywhere)."""
from __future__ import annotations

from typing import Callable, Optional, Sequence, TypeVar

from flows.engine import Turn
from flows.types import Choice

Entry = TypeVar("Entry")

# Few at a time: a long list is many SMS parts and hard to read on a small screen.
PAGE_SIZE = 3


def ward_choices(turn: Turn, anywhere: str) -> Sequence[Choice]:
    """Anywhere in the borough first, then each ward by name."""
    # TRANSLATORS: choice: community spaces or support services anywhere in the borough, not only in one ward.
    everywhere = Choice(anywhere, turn._("Anywhere in Tower Hamlets"))
    return (everywhere,) + tuple(Choice(f"ward:{ward.slug}", ward.name) for ward in turn.ctx.wards)


def chosen_ward(key: str, anywhere: str) -> Optional[str]:
    """The ward's slug from an answer to ward_choices, or None for anywhere."""
    return None if key == anywhere else key.removeprefix("ward:")


def left(turn: Turn, found: Sequence) -> int:
    """How many entries of `found` have not been sent yet."""
    return len(found) - turn.draft.get("shown", 0)


def show_page(turn: Turn, found: Sequence[Entry], describe: Callable[[Entry], str], *, flow: str,
              heading: Optional[str] = None) -> None:
    """The next few entries in one message; then the flow's "more" question if some are left, otherwise the
    main menu."""
    shown = turn.draft.get("shown", 0)
    page = found[shown:shown + PAGE_SIZE]
    turn.draft["shown"] = shown + len(page)
    blocks = [describe(entry) for entry in page]
    if blocks:  # none when staff removed the rest since the last page: then straight to the menu
        turn.say("\n\n".join(([heading] if heading else []) + blocks))
    if turn.draft["shown"] < len(found):
        turn.go(flow, "more")
    else:
        turn.end_flow()
