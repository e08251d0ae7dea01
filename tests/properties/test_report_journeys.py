"""Never lose a report: a resident who makes a report, in any shipped language, answering by tapping, by a
number in any script's digits or by typing the label, with detours on the way (help, a status check, a
change of language, answers that fit nothing, too much text, "done" with nothing ticked) and changes of
mind on the summary, ends with exactly one report handed over, holding exactly what they gave: the
description as typed (hostile characters and all), where, when, how private, who may see it, the name only
if they chose to give it. A name given and then taken back (privacy changed) is in no report."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows
from flows import i18n
from flows.report import CATEGORIES, DAYPARTS, WHEN, WOMAN_OR_GIRL
from flows.types import SubmitReport
from flows.bidi import without_direction_controls
from storage.seed import DEFAULT_ROUTES
from tests.flows.helpers import AGENCY_INFOS, WARDS
from tests.properties import strategies as S
from tests.properties.world import OPEN_REPORT, make_world

# Free text starts with a word, so it is never a number, a label, a command or a status check: what is
# typed at a free-text question is an answer, and the property is that the answer is kept as typed.
FREE_TEXT_START = {"en": "Near", "bn": "কাছে", "so": "Agagaarka"}
ANSWER_FORMS = st.sampled_from(("tap", "number", "label", "label-casefolded"))


def free_text(max_size: int = 60):
    return st.builds(lambda start, rest: f"{start} {rest}", st.sampled_from(tuple(FREE_TEXT_START.values())),
                     S.hostile_text.filter(lambda text: len(text) <= max_size))


descriptions = free_text() | st.builds(lambda n: "Near " + "ক" * n, st.sampled_from((1, 1994, 1995)))
names = st.builds(lambda start, rest: f"{start} {rest}"[:100], st.sampled_from(("Name", "নাম", "Magac")),
                  st.text(max_size=40))
valid_latitude = st.floats(min_value=-90, max_value=90, allow_nan=False)
valid_longitude = st.floats(min_value=-180, max_value=180, allow_nan=False)
where_answers = st.one_of(
    st.tuples(st.just("ward"), st.sampled_from([ward.slug for ward in WARDS])),
    st.tuples(st.just("text"), free_text()),
    st.tuples(st.just("location"), st.tuples(valid_latitude, valid_longitude)),
    st.just(("skip", None)),
)
when_answers = st.tuples(st.just("key"), st.sampled_from(tuple(WHEN))) | st.tuples(st.just("text"), free_text())
what_answers = st.tuples(st.just("text"), descriptions) | st.tuples(
    st.just("media"), st.tuples(S.media_items.filter(bool), st.none() | descriptions))
privacy_answers = st.sampled_from(("privacy:anonymous", "privacy:private", "privacy:named"))
DETOURS = ("help", "status", "language", "miss", "too_long", None, None, None)


@dataclass
class Resident:
    """Drives flows.handle as a person would, reading the choices on screen to answer."""

    lang: str
    # Where the resident's whims come from; None: always tap, never a detour (the explicit examples).
    data: Optional[st.DataObject] = None
    forms: st.SearchStrategy = ANSWER_FORMS
    context: flows.Context = field(default_factory=make_world)
    state: dict = field(default_factory=dict)
    offered: tuple = ()
    reports: list = field(default_factory=list)
    last: tuple = ()

    def send(self, inbound: flows.Inbound) -> flows.Step:
        step = flows.handle(inbound, self.state, self.context)
        assert step.replies and all(not reply.choices for reply in step.replies[:-1])
        assert json.loads(json.dumps(step.state, allow_nan=False)) == step.state
        self.reports.extend(intent for intent in step.intents if isinstance(intent, SubmitReport))
        self.state, self.offered, self.last = step.state, step.replies[-1].choices, step.replies
        return step

    def detour_now(self) -> None:
        self.detour(self.data.draw(st.sampled_from(DETOURS)) if self.data else None)

    def choose(self, key: str) -> None:
        """Answer with `key`, tapped or typed as its number or label; after three misses, "try again" first."""
        keys = [choice.key for choice in self.offered]
        if key not in keys and "retry" in keys:
            self.choose("retry")
            keys = [choice.key for choice in self.offered]
        assert key in keys, f"{key} is not offered at {self.state.get('step')}: {keys}"
        index = keys.index(key)
        form = self.data.draw(self.forms) if self.data else "tap"
        if form == "tap":
            self.send(flows.Inbound(choice=key))
        elif form == "number":
            self.send(flows.Inbound(text=self.data.draw(S.typed_number(index + 1))))
        else:
            label = self.offered[index].label
            self.send(flows.Inbound(text=label.casefold() if form == "label-casefolded" else label))

    def type(self, text: str) -> None:
        self.send(flows.Inbound(text=text))

    def detour(self, kind: Optional[str]) -> None:
        """Something that is not an answer; the question is asked again and nothing is lost."""
        if kind is None:
            return
        step_before = self.state.get("step")
        if kind == "help":
            self.type(self.data.draw(st.sampled_from(("help", "HELP", i18n.translations(self.lang).gettext("help")))))
        elif kind == "status":
            self.type(f"status {OPEN_REPORT}")
        elif kind == "language":
            self.type("language")
            self.lang = self.data.draw(st.sampled_from(S.LANGUAGE_CODES))
            self.choose(f"lang:{self.lang}")
        elif kind == "miss":
            if not self.offered or self.state.get("step") in ("where", "when"):
                return  # where a question takes free text, any text is an answer
            self.type(self.data.draw(st.sampled_from(("¿¿", "🙂", "\u200f", "xyzzy", "<b>?</b>", "0", "99", "٩٩"))))
        elif kind == "too_long":
            before, offered = json.dumps(self.state), self.offered
            self.type("Near " + "a" * 2000)
            assert json.dumps(self.state) == before and not self.offered
            # Refused whole: the question and its choices on screen are still the ones to answer.
            self.offered = offered
        assert self.state.get("flow") == "report" and self.state.get("step") == step_before, (kind, self.state)


@dataclass
class Plan:
    category: str
    where: tuple
    when: tuple
    what: tuple
    privacy: str
    name: Optional[str]
    toggles: list
    daypart: Optional[str] = None
    woman_or_girl: bool = False


def answer_where(resident: Resident, where: tuple) -> None:
    kind, value = where
    if kind == "ward":
        resident.choose(f"ward:{value}")
    elif kind == "text":
        resident.type(value)
    elif kind == "location":
        resident.send(flows.Inbound(latitude=value[0], longitude=value[1]))
    else:
        resident.choose("skip")


def answer_when(resident: Resident, when: tuple) -> None:
    kind, value = when
    resident.choose(value) if kind == "key" else resident.type(value)


def answer_what(resident: Resident, what: tuple) -> None:
    kind, value = what
    if kind == "text":
        resident.type(value)
    else:
        media, caption = value
        resident.send(flows.Inbound(text=caption, media=media))


def answer_privacy(resident: Resident, privacy: str, name: Optional[str]) -> None:
    resident.choose(privacy)
    if privacy == "privacy:named":
        resident.type(name)


def described(what: tuple, description: str, media: list) -> tuple[str, list]:
    """The description and attachments a report holds after `what` is sent at the "what happened" step."""
    # Invisible direction marks carry no words and are taken out of what residents type (flows/bidi.py).
    kind, value = what
    if kind == "text":
        return without_direction_controls(value).strip(), media
    items, caption = value
    kept_caption = without_direction_controls(caption).strip() if caption else None
    return (kept_caption if caption else description), media + [(item.media_id, item.kind) for item in items]


def expected_agencies(category: str, toggles: list) -> list[str]:
    ticked = [agency.slug for agency in AGENCY_INFOS if agency.slug in DEFAULT_ROUTES[category] and not agency.is_police]
    for slug in toggles:
        ticked.remove(slug) if slug in ticked else ticked.append(slug)
    return ticked


changes = st.lists(st.one_of(
    st.tuples(st.just("change:privacy"), st.tuples(privacy_answers, names)),
    st.tuples(st.just("change:what"), what_answers),
    st.tuples(st.just("change:where"), where_answers),
    st.tuples(st.just("change:when"), when_answers),
), max_size=3)


def make_a_report(resident: Resident, *, danger, category, where, when, what, privacy, name, toggles, daypart,
                  woman_or_girl, changes) -> None:
    """The whole journey, with a detour (or none) between answers; checks the one report it ends with."""
    lang = resident.lang
    resident.send(flows.Inbound(choice=f"lang:{lang}"))
    resident.choose("menu:report")
    resident.detour_now()
    if danger:
        resident.choose("danger:yes")
        resident.choose("continue:yes")
    else:
        resident.choose("danger:no")
    resident.detour_now()
    resident.choose(category)
    resident.detour_now()
    answer_where(resident, where)
    resident.detour_now()
    answer_when(resident, when)
    unsafe_place = category == "cat:unsafe_place"
    if unsafe_place:
        resident.detour_now()
        resident.choose(daypart or "skip")
        resident.choose(WOMAN_OR_GIRL if woman_or_girl else "skip")
    resident.detour_now()
    answer_what(resident, what)
    resident.detour_now()
    answer_privacy(resident, privacy, name)
    resident.detour_now()
    ticked = expected_agencies(category.removeprefix("cat:"), toggles)
    for slug in toggles:
        resident.choose(f"agency:{slug}")
    if not ticked:
        resident.choose("done")  # nothing ticked: asked again, nothing sent
        assert resident.state.get("step") == "agencies" and not resident.reports
        resident.choose("agency:council")
        ticked = ["council"]
    resident.detour_now()
    resident.choose("done")
    assert resident.state.get("step") == "confirm"
    # Typed words replace the description; photos and voice notes are added to those already sent, and their
    # caption, when there is one, replaces the description (the summary shows both before sending).
    description, media = described(what, "", [])
    for change, answer in changes:
        resident.choose("confirm:no")
        resident.choose(change)
        if change == "change:privacy":
            privacy, name = answer
            answer_privacy(resident, privacy, name)
        elif change == "change:what":
            answer_what(resident, answer)
            description, media = described(answer, description, media)
        elif change == "change:where":
            where = answer
            answer_where(resident, where)
        else:
            when = answer
            answer_when(resident, when)
        assert resident.state.get("step") == "confirm", (change, resident.state)
    resident.detour_now()
    assert not resident.reports, "nothing is sent before the resident confirms"
    resident.choose("confirm:yes")

    assert len(resident.reports) == 1
    report = resident.reports[0]
    assert report.language == resident.lang and report.danger_now == danger
    assert report.category == category.removeprefix("cat:")
    assert report.privacy == privacy.removeprefix("privacy:")
    assert list(report.agencies) == ticked
    assert report.description == description and list(report.media) == media
    kind, value = where
    assert report.ward_slug == (value if kind == "ward" else None)
    assert report.location_text == (without_direction_controls(value).strip() if kind == "text" else None)
    assert (report.latitude, report.longitude) == (value if kind == "location" else (None, None))
    kind, value = when
    assert report.when == (value.removeprefix("when:") if kind == "key" else None)
    assert report.when_text == (without_direction_controls(value).strip() if kind == "text" else None)
    assert report.time_of_day == (daypart.removeprefix("daypart:") if unsafe_place and daypart else None)
    assert report.woman_or_girl == (True if unsafe_place and woman_or_girl else None)
    if privacy == "privacy:named":
        assert report.reporter_name == without_direction_controls(name).strip()
    else:
        # A name given before the resident changed their mind is nowhere in the report.
        assert report.reporter_name is None
    # The resident is given the reference, and nothing of the report stays in the conversation.
    assert report.reference in resident.last[0].text
    assert "draft" not in resident.state and resident.state.get("step") == "menu"


def test_a_name_given_and_then_taken_back_is_in_no_report():
    make_a_report(Resident("en"), danger=False, category="cat:noise", where=("skip", None), when=("key", "when:now"),
                  what=("text", "Near loud music"), privacy="privacy:named", name="Name Rokeya", toggles=[],
                  daypart=None, woman_or_girl=False, changes=[("change:privacy", ("privacy:anonymous", "Name x"))])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lang=st.sampled_from(S.LANGUAGE_CODES), form=st.sampled_from(("tap", "mixed")), danger=st.booleans(),
       category=st.sampled_from(tuple(CATEGORIES)), where=where_answers, when=when_answers, what=what_answers,
       privacy=privacy_answers, name=names, toggles=st.lists(st.sampled_from(("council", "housing", "police")), max_size=4),
       daypart=st.none() | st.sampled_from(tuple(DAYPARTS)), woman_or_girl=st.booleans(),
       changes=changes, data=st.data())
def test_a_completed_report_is_handed_over_once_with_what_the_resident_gave(
        lang, form, danger, category, where, when, what, privacy, name, toggles, daypart, woman_or_girl, changes, data):
    resident = Resident(lang, data=data, forms=st.just("tap") if form == "tap" else ANSWER_FORMS)
    make_a_report(resident, danger=danger, category=category, where=where, when=when, what=what, privacy=privacy,
                  name=name, toggles=toggles, daypart=daypart, woman_or_girl=woman_or_girl, changes=changes)
