"""What organisers see of an event's answers: totals of who is coming and what they need, and the rows of
the CSV export. Counted in the database (events may have thousands of RSVPs), and never carrying who
answered: no contact id, channel or address leaves through these functions."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, func, select
from sqlmodel import Session

from storage.events import INTERPRETER_LANGUAGE_NAMES
from storage.models import Event, Rsvp

# The needs as the chat stores them (storage.events.NEEDS), with the words organisers read.
NEED_NAMES = {"interpreter": "interpreters", "childcare": "childcare", "step_free": "step-free", "food": "food"}


@dataclass(frozen=True)
class RsvpTotals:
    """Who answered, and what the people with a place need. Needs count only `attending`: those are the
    people the room, interpreters, food and childcare are planned for."""

    attending: int = 0
    waiting: int = 0
    declined: int = 0
    # Interpreter language code -> people with a place who asked for one in it ("" when none was said).
    interpreters: dict = field(default_factory=dict)
    childcare: int = 0
    step_free: int = 0
    food: int = 0

    def as_summary(self) -> dict:
        """The JSON kept in Event.rsvp_summary when the RSVPs themselves are deleted after the event."""
        return {"attending": self.attending, "waiting": self.waiting, "declined": self.declined,
                "interpreters": dict(self.interpreters), "childcare": self.childcare,
                "step_free": self.step_free, "food": self.food}

    @classmethod
    def from_summary(cls, summary: dict) -> "RsvpTotals":
        """Totals from a kept summary; keys it lacks count as zero (summaries outlive code changes)."""
        return cls(**{name: summary.get(name, {} if name == "interpreters" else 0)
                      for name in ("attending", "waiting", "declined", "interpreters", "childcare",
                                   "step_free", "food")})


def language_name(code: str) -> str:
    """An interpreter language as organisers name it, in English ("syl" is Sylheti)."""
    if not code:
        return "language not given"
    return INTERPRETER_LANGUAGE_NAMES.get(code, code)


def describe_needs(totals: RsvpTotals) -> str:
    """ "interpreters: Bengali 6, Somali 3; childcare: 4; step-free: 2; food: 5" (zeros left out)."""
    parts = []
    if totals.interpreters:
        ranked = sorted(totals.interpreters.items(), key=lambda item: (-item[1], language_name(item[0])))
        parts.append("interpreters: " + ", ".join(f"{language_name(code)} {count}" for code, count in ranked))
    for need in ("childcare", "step_free", "food"):
        count = getattr(totals, need)
        if count:
            parts.append(f"{NEED_NAMES[need]}: {count}")
    return "; ".join(parts) if parts else "no needs given"


def describe_answers(totals: RsvpTotals) -> str:
    return f"attending {totals.attending} · waiting {totals.waiting} · not coming {totals.declined}"


def _needs_text():
    # JSON lists of fixed ASCII keys: the quoted key appears in the stored text exactly when it is in the
    # list, on SQLite and PostgreSQL alike, so the database can count without a JSON function of its own.
    return cast(Rsvp.needs, String)


def _has_need(need: str):
    return _needs_text().like(f'%"{need}"%')


def count_rsvps(session: Session, *, event_id: int) -> RsvpTotals:
    """Totals counted now from the RSVPs (three small grouped queries, whatever the number of RSVPs)."""
    by_status = dict(session.execute(
        select(Rsvp.status, func.count()).where(Rsvp.event_id == event_id).group_by(Rsvp.status)
    ).all())
    attending = (Rsvp.event_id == event_id, Rsvp.status == "attending")
    interpreters = {
        code or "": count
        for code, count in session.execute(
            select(Rsvp.interpreter_language, func.count())
            .where(*attending, _has_need("interpreter"))
            .group_by(Rsvp.interpreter_language)
        ).all()
    }
    childcare, step_free, food = session.execute(
        select(*(func.coalesce(func.sum(case((_has_need(need), 1), else_=0)), 0)
                 for need in ("childcare", "step_free", "food"))).where(*attending)
    ).one()
    return RsvpTotals(attending=by_status.get("attending", 0), waiting=by_status.get("waiting", 0),
                      declined=by_status.get("declined", 0), interpreters=interpreters,
                      childcare=int(childcare), step_free=int(step_free), food=int(food))


def event_totals(session: Session, *, event: Event) -> tuple[RsvpTotals, bool]:
    """The event's totals and whether they are the summary kept after its RSVPs were deleted."""
    if event.rsvp_summary is not None:
        return RsvpTotals.from_summary(event.rsvp_summary), True
    return count_rsvps(session, event_id=event.id), False


@dataclass(frozen=True)
class RsvpRow:
    """One answer as the export shows it: what to plan for, and dates, never who."""

    status: str
    needs: tuple[str, ...]
    interpreter_language: Optional[str]
    answered_on: date
    # Places on the waiting list go in this order; the date only, as a finer time could point to a chat.
    waiting_position: Optional[int]
    waiting_since: Optional[date]


STATUS_ORDER = case((Rsvp.status == "attending", 0), (Rsvp.status == "waiting", 1), else_=2)


def rsvp_rows(session: Session, *, event_id: int, batch: int = 500) -> Iterator[RsvpRow]:
    """Every RSVP of an event, attending first, then the waiting list in order, then not coming; read in
    batches so an event with many thousands of answers never sits in memory at once."""
    query = (
        select(Rsvp.status, Rsvp.needs, Rsvp.interpreter_language, Rsvp.updated_at, Rsvp.waiting_since)
        .where(Rsvp.event_id == event_id)
        .order_by(STATUS_ORDER, Rsvp.waiting_since, Rsvp.updated_at, Rsvp.id)
        .execution_options(yield_per=batch)
    )
    position = 0
    for status, needs, interpreter_language, updated_at, waiting_since in session.execute(query):
        if status == "waiting":
            position += 1
        yield RsvpRow(
            status=status,
            needs=tuple(need for need in NEED_NAMES if need in (needs or ())),
            interpreter_language=interpreter_language,
            answered_on=_day(updated_at),
            waiting_position=position if status == "waiting" else None,
            waiting_since=_day(waiting_since) if status == "waiting" and waiting_since else None,
        )


def _day(moment: datetime) -> date:
    """The day in London, as organisers and residents count days."""
    return moment.astimezone(ZoneInfo("Europe/London")).date()
