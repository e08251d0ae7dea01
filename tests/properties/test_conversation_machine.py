"""Two residents talk to the engine at once, in every shipped language, sending anything at all: the choices
they were offered, numbers in any script, command words in any language, hostile text, broken locations,
media, status checks and event links, while the worker starts its own questions ("how was it?", "was this
sorted?") and time passes. After every message the engine has answered sensibly, its state is plain JSON,
a report it hands over is the draft the resident built, and nothing one resident typed reaches the other.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import flows
from flows import feedback, i18n, report_notices
from flows import sorted as sorted_flow
from flows.engine import begin
from storage import retention
from flows.types import (AddSortedComment, BackAgendaItem, ForgetContact, SaveAgendaItem, SaveFeedback, SaveRsvp,
                         SaveSortedAnswer, SubmitReport)
from tests.properties import strategies as S
from tests.properties.world import AGENDA, EVENTS, EVENTS_BY_ID, KNOWN_REFERENCES, NOW, at, make_world

# Each resident's own marker: typed by them only, it must never reach the other's replies, state or intents.
MARKERS = {"A": "⟦marker-A-7f3a⟧", "B": "⟦marker-B-c91e⟧"}
# What a name typed by a named reporter looks like, so it can be looked for after they chose anonymous.
NAME_MARKER = "Name-Marker"
WHO = st.sampled_from(("A", "B"))
# Random text never holds the bracket the markers start with, so a marker is only ever there on purpose.
clean_text = S.hostile_text.filter(lambda text: "⟦" not in text and NAME_MARKER not in text)


def _everything_said(step: flows.Step) -> str:
    """Every character the engine handed back: replies, labels, keys, state and intents."""
    replies = [(reply.text, reply.lang, [(choice.key, choice.label) for choice in reply.choices])
               for reply in step.replies]
    intents = [repr(intent) for intent in step.intents]
    return json.dumps([replies, step.state, intents], ensure_ascii=False, default=str)


@dataclass
class Resident:
    name: str
    lang: str
    state: dict = field(default_factory=dict)
    offered: tuple = ()  # the choices of the last reply: what a number typed now means
    names_typed: list = field(default_factory=list)
    reports: list = field(default_factory=list)


class TwoResidents(RuleBasedStateMachine):
    """Residents A and B, one world, one clock."""

    @initialize(lang_a=st.sampled_from(S.LANGUAGE_CODES), lang_b=st.sampled_from(S.LANGUAGE_CODES),
                many_events=st.booleans(), standard_reply=st.booleans(), typed=st.booleans())
    def first_contact(self, lang_a, lang_b, many_events, standard_reply, typed):
        self.world = make_world(many_events=many_events, standard_reply=standard_reply)
        self.now = NOW
        self.residents = {"A": Resident("A", lang_a), "B": Resident("B", lang_b)}
        self.references: list[str] = []
        self.names = 0
        for resident in self.residents.values():
            if typed:  # the endonym typed, as an SMS resident would
                self._send(resident, flows.Inbound(text=i18n.BY_CODE[resident.lang].endonym))
            else:
                self._send(resident, flows.Inbound(choice=f"lang:{resident.lang}"))
            assert resident.state["lang"] == resident.lang

    # --- what residents send ------------------------------------------------------------------------

    @rule(who=WHO, data=st.data())
    def tap_an_offered_choice(self, who, data):
        resident = self.residents[who]
        if not resident.offered:
            return
        key = data.draw(st.sampled_from([choice.key for choice in resident.offered]))
        self._send(resident, flows.Inbound(choice=key))

    @rule(who=WHO, data=st.data(), steps=st.integers(1, 14))
    def carry_on(self, who, data, steps):
        """A resident who answers what they are asked for a while: an offered choice (tapped, or typed as its
        number), or words where no choices are offered. This is what takes conversations to their end."""
        resident = self.residents[who]
        for _ in range(steps):
            if resident.offered:
                index = data.draw(st.integers(0, len(resident.offered) - 1))
                typed = data.draw(st.none() | S.typed_number(index + 1))
                inbound = (flows.Inbound(choice=resident.offered[index].key) if typed is None
                           else flows.Inbound(text=typed))
            elif resident.state.get("step") == "name":
                self.type_a_name(who, data.draw(st.text(max_size=20).filter(lambda text: "⟦" not in text)))
                continue
            else:
                words = data.draw(clean_text.filter(lambda text: text.strip()))
                inbound = flows.Inbound(text=f"{words} {MARKERS[who]}")
            self._send(resident, inbound)

    @rule(who=WHO, data=st.data())
    def type_an_offered_choice(self, who, data):
        """A number in any script's digits, or the label in any case with spaces around."""
        resident = self.residents[who]
        if not resident.offered:
            return
        index = data.draw(st.integers(0, len(resident.offered) - 1))
        label = resident.offered[index].label
        typed = data.draw(S.typed_number(index + 1) | st.sampled_from((label, label.upper(), f"  {label.casefold()} ")))
        self._send(resident, flows.Inbound(text=typed))

    @rule(who=WHO, text=clean_text, marked=st.booleans())
    def type_anything(self, who, text, marked):
        resident = self.residents[who]
        if marked:
            text = f"{text} {MARKERS[who]}"
        self._send(resident, flows.Inbound(text=text))

    @rule(who=WHO, name=st.text(max_size=20).filter(lambda text: "⟦" not in text))
    def type_a_name(self, who, name):
        """Text that is a name when a name is being asked for; each one different, to look for later."""
        resident = self.residents[who]
        self.names += 1
        typed = f"{NAME_MARKER}{self.names} {name} {MARKERS[who]}"
        if resident.state.get("step") == "name":
            resident.names_typed.append(f"{NAME_MARKER}{self.names} ")
        self._send(resident, flows.Inbound(text=typed))

    @rule(who=WHO, text=S.too_long_text)
    def send_too_much(self, who, text):
        resident = self.residents[who]
        before = json.loads(json.dumps(resident.state))
        step = self._send(resident, flows.Inbound(text=text))
        # Refused whole: not stored, not acted on, and the conversation is where it was.
        assert step.intents == () and step.state == before
        assert len(step.replies) == 1 and not step.replies[0].choices

    @rule(who=WHO, command=S.typed_command)
    def type_a_command_word(self, who, command):
        self._send(self.residents[who], flows.Inbound(text=command))

    @rule(who=WHO, key=st.sampled_from((
        "menu", "help", "stop", "start", "retry", "done", "skip", "all", "where", "agenda", "absent",
        "menu:report", "menu:status", "menu:events", "menu:language", "menu:help", "menu:spaces", "lang:xx",
        "lang:", "cat:", "cat:nothing", "ward:nowhere", "agency:nobody", "event:999", "event:x", "rate:9",
        "rate:x", "back:abc", "back:999", "interp:xx", "need:x", "topic:nothing", "spaces:more", "confirm:yes",
        "change:nothing", "sorted:maybe", "idle:continue", "idle:restart", "rsvp:yes", "rsvp:no",
    )) | st.text(max_size=70))
    def tap_a_key_that_was_not_offered(self, who, key):
        """A stale button, a forged callback, or a key from another step."""
        self._send(self.residents[who], flows.Inbound(choice=key))

    @rule(who=WHO, latitude=S.coordinates, longitude=S.coordinates)
    def share_a_location(self, who, latitude, longitude):
        self._send(self.residents[who], flows.Inbound(latitude=latitude, longitude=longitude))

    @rule(who=WHO, media=S.media_items, caption=st.none() | clean_text, refused=st.booleans())
    def send_a_photo_or_voice_note(self, who, media, caption, refused):
        self._send(self.residents[who], flows.Inbound(text=caption, media=media, refused_media=refused))

    @rule(who=WHO, command=S.status_command)
    def check_a_status(self, who, command):
        self._send(self.residents[who], flows.Inbound(text=command))

    @rule(who=WHO, command=S.event_command)
    def follow_an_event_link(self, who, command):
        self._send(self.residents[who], flows.Inbound(text=command))

    @rule(who=WHO, text=st.none() | clean_text, choice=st.none() | st.text(max_size=10), hint=S.language_hints)
    def send_a_malformed_message(self, who, text, choice, hint):
        """Text and a choice at once, neither, or a language hint of any shape."""
        self._send(self.residents[who], flows.Inbound(text=text, choice=choice, language_hint=hint))

    # --- what the world does --------------------------------------------------------------------------

    @rule(minutes=st.sampled_from((1, 29, 31, 60 * 5, 60 * 24 * 3)))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule(who=WHO, event=st.sampled_from(EVENTS))
    def the_worker_asks_how_the_meeting_was(self, who, event):
        resident = self.residents[who]
        self._took(resident, begin(resident.state, self._context(), flow="feedback", step="rating",
                                   draft=feedback.draft_for(event)))

    @rule(who=WHO, reference=st.sampled_from(KNOWN_REFERENCES))
    def the_worker_asks_whether_it_was_sorted(self, who, reference):
        resident = self.residents[who]
        draft = sorted_flow.draft_for(reference, NOW - timedelta(days=15), via="question")
        self._took(resident, begin(resident.state, self._context(), flow="sorted", step="answer", draft=draft))

    @rule(who=WHO, reference=st.sampled_from(KNOWN_REFERENCES), update_id=st.integers(0, 5), sorted_question=st.booleans())
    def a_neutral_notice_arrives(self, who, reference, update_id, sorted_question):
        """Staff updated a report (or the worker asks "was this sorted?"): the phone gets only "there is an
        update, reply 1", and the conversation keeps what "1" will show."""
        resident = self.residents[who]
        notice = (report_notices.sorted_notice(reference=reference, closed_at=NOW - timedelta(days=15))
                  if sorted_question else report_notices.update_notice(reference=reference, update_id=update_id))
        resident.state = report_notices.with_notice(resident.state, notice)
        sent = report_notices.neutral_notice(resident.state.get("lang") or i18n.DEFAULT_LANGUAGE)
        # Nothing about the report on a lock screen: no reference, no status, no words of staff.
        assert reference not in sent.text and not any(word in sent.text for word in ("<b>", "Passed on"))
        resident.offered = sent.choices

    @rule(who=WHO)
    def the_worker_purges_an_idle_conversation(self, who):
        """Days without a message: the retention purge keeps the language and a waiting notice, nothing more."""
        resident = self.residents[who]
        resident.state = retention._kept(resident.state)

    @invariant()
    def each_state_is_plain_json(self):
        for resident in getattr(self, "residents", {}).values():
            # PostgreSQL's JSON refuses NaN and Infinity, so a state holding one could never be saved.
            assert json.loads(json.dumps(resident.state, allow_nan=False)) == resident.state

    # --- sending, and what must hold after every message -------------------------------------------------

    def _context(self) -> flows.Context:
        return at(self.world, self.now)

    def _send(self, resident: Resident, inbound: flows.Inbound) -> flows.Step:
        draft_before = json.loads(json.dumps(resident.state.get("draft", {})))
        step = flows.handle(inbound, resident.state, self._context())
        self._took(resident, step, draft_before=draft_before)
        return step

    def _took(self, resident: Resident, step: flows.Step, draft_before: Optional[dict] = None) -> None:
        assert step.replies, "every message gets an answer"
        for reply in step.replies:
            assert isinstance(reply.text, str) and reply.text.strip(), reply
            assert reply.lang in i18n.BY_CODE, reply.lang
        # Only the last message carries choices, so a number typed next means one thing.
        assert all(not reply.choices for reply in step.replies[:-1])
        choices = step.replies[-1].choices
        keys = [choice.key for choice in choices]
        assert len(set(keys)) == len(keys), keys
        for choice in choices:
            # A key fits a Telegram button's callback_data (64 bytes) and the web chat's choice (64 characters).
            assert choice.key and choice.key.isascii() and choice.key == choice.key.strip(), choice
            assert len(choice.key.encode()) <= 64, choice
            assert choice.label.strip(), choice
        json.dumps(step.state, allow_nan=False)
        other = next(marker for name, marker in MARKERS.items() if name != resident.name)
        assert other not in _everything_said(step), "one resident's words reached the other"
        submitted = [intent for intent in step.intents if isinstance(intent, SubmitReport)]
        assert len(submitted) <= 1
        for report in submitted:
            self._check_report(resident, report, draft_before)
        for intent in step.intents:
            self._check_intent(intent)
        if any(isinstance(intent, ForgetContact) for intent in step.intents):
            # Forgotten: nothing of the conversation is kept, not even its language (the runner deletes the
            # conversation and saves nothing of this turn); nothing else is done in the same breath.
            assert set(step.state) <= {"last_seen"} and len(step.intents) == 1, (step.state, step.intents)
        resident.state = step.state
        resident.offered = choices

    def _check_report(self, resident: Resident, report: SubmitReport, draft: Optional[dict]) -> None:
        """Never lose a report: what is handed over is the draft that was confirmed, and nothing stays."""
        assert draft is not None and draft.get("category"), draft
        assert report.reference not in self.references and report.reference not in KNOWN_REFERENCES
        self.references.append(report.reference)
        assert report.category == draft["category"] and report.privacy == draft["privacy"]
        assert report.description == draft.get("description", "")
        assert report.ward_slug == draft.get("ward") and report.location_text == draft.get("location_text")
        assert (report.latitude, report.longitude) == (draft.get("latitude"), draft.get("longitude"))
        assert report.when == draft.get("when") and report.when_text == draft.get("when_text")
        assert [list(item) for item in report.media] == draft.get("media", [])
        assert report.danger_now == bool(draft.get("danger_now"))
        assert report.agencies and set(report.agencies) <= {"council", "housing", "police"}
        assert len(set(report.agencies)) == len(report.agencies)
        assert report.language == resident.state["lang"]
        if report.privacy == "named":
            assert report.reporter_name == draft["name"]
        else:
            # An anonymous or private report carries no name, even one typed before the resident changed
            # their mind; no intent has a field for a contact at all (flows never see an address).
            assert report.reporter_name is None
            said = repr(report)
            assert not any(name in said for name in resident.names_typed), report
        resident.reports.append(report)

    @staticmethod
    def _check_intent(intent) -> None:
        if isinstance(intent, SaveRsvp):
            event = EVENTS_BY_ID.get(intent.event_id)
            assert event is not None and not event.cancelled, intent
            assert set(intent.needs) <= {"interpreter", "childcare", "step_free", "food"}
            assert intent.interpreter_language is None or "interpreter" in intent.needs
        elif isinstance(intent, SaveFeedback):
            assert intent.rating in (1, 2, 3, 4, 5) and intent.event_id in EVENTS_BY_ID
            assert intent.comment is None or 0 < len(intent.comment) <= feedback.COMMENT_MAX
        elif isinstance(intent, SaveAgendaItem):
            assert intent.text.strip() and (intent.event_id is None) != (intent.ward_slug is None)
        elif isinstance(intent, BackAgendaItem):
            offered = {item.item_id for items in AGENDA.values() for item in items if not item.mine}
            assert intent.item_id in offered, intent
        elif isinstance(intent, SaveSortedAnswer):
            assert intent.answer in sorted_flow.ANSWERS and intent.reference in KNOWN_REFERENCES
        elif isinstance(intent, AddSortedComment):
            assert intent.comment.strip() == intent.comment and len(intent.comment) <= sorted_flow.COMMENT_MAX


TwoResidents.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_two_residents_in_any_language_sending_anything = TwoResidents.TestCase
