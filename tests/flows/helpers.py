"""A fixed world for flow tests: fixed clock, fixed reference, a few wards and the seeded agencies."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional

import flows
from flows.types import AgencyInfo, ReportStatus, WardInfo
from storage.seed import AGENCIES, DEFAULT_ROUTES, WARD_NAMES, slugify

FIXED_NOW = datetime(2026, 12, 2, 14, 37, 12, tzinfo=timezone.utc)
WARDS = tuple(WardInfo(slugify(name), name) for name in WARD_NAMES)
AGENCY_INFOS = tuple(
    AgencyInfo(agency["slug"], agency["names"], agency["target_working_days"], agency["kind"] == "police")
    for agency in AGENCIES
)


def make_context(now: datetime = FIXED_NOW, reports: Optional[dict[str, ReportStatus]] = None, **overrides) -> flows.Context:
    known = reports or {}
    return flows.Context(
        now=now,
        wards=WARDS,
        agencies=AGENCY_INFOS,
        default_agencies=DEFAULT_ROUTES,
        lookup_report=known.get,
        new_reference=lambda: "TH-7K3M-9QXR",
        **overrides,
    )


@dataclass
class Chat:
    """A conversation driven straight through flows.handle, keeping state between messages."""

    context: flows.Context = field(default_factory=make_context)
    state: dict = field(default_factory=dict)
    intents: list = field(default_factory=list)
    last: tuple = ()

    def send(self, text: Optional[str] = None, *, choice: Optional[str] = None, at: Optional[datetime] = None, **inbound):
        context = self.context if at is None else _with_now(self.context, at)
        step = flows.handle(flows.Inbound(text=text, choice=choice, **inbound), self.state, context)
        self.state = step.state
        self.intents.extend(step.intents)
        self.last = step.replies
        return step.replies

    @property
    def keys(self) -> list[str]:
        return [choice.key for choice in self.last[-1].choices] if self.last else []

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)

    def later(self, **delta) -> datetime:
        return self.context.now + timedelta(**delta)


def send_with_privacy(chat: Chat, key: str) -> None:
    """At the privacy question: choose `key` (a name typed for a named report), "done" with the organisations
    already ticked, confirm; the acknowledgement says the chosen promise (flows/report.py PRIVACY_PROMISES,
    docs/privacy.md) and no other."""
    from flows.report import PRIVACY_PROMISES

    chat.send(choice=key)
    if key == "privacy:named":
        chat.send("Hodan")
    chat.send(choice="done")
    chat.send(choice="confirm:yes")
    assert str(PRIVACY_PROMISES[key]) in chat.text
    for other in set(PRIVACY_PROMISES) - {key}:
        assert str(PRIVACY_PROMISES[other]) not in chat.text


def _with_now(context: flows.Context, now: datetime) -> flows.Context:
    from dataclasses import replace

    return replace(context, now=now)
