"""After an event: the worker asks each resident who had a place "how was it?" once, and sets their
conversation to the feedback flow so that the "4" they type back answers it (flows/feedback.py).

Marked asked only when the question is queued, or when the contact is unreachable (blocked us or sent
STOP: there is nobody to ask). A resident on a channel this installation has no credentials for is not
asked and not marked (feedback_due leaves them out), so credentials added within ASK_WITHIN still reach them.

When: once the event has ended (its end time, or two hours after the start when it has none), not for a
cancelled event, and not later than three days after (storage/feedback.py: ASK_WITHIN). A resident in the
middle of something else (another flow, active within the idle window) is not interrupted: a later tick
asks them. The question, the new state and the "asked" mark are saved in one transaction per resident.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Mapping

from sqlalchemy import Engine
from sqlmodel import Session

import flows
from bot.channels.base import Channel
from bot.event_info import to_event_info
from bot.notify import queue_notice, reachable_channels
from bot.settings import Settings
from flows import engine as flow_engine
from flows import i18n
from flows.feedback import draft_for
from storage import contacts, feedback
from storage.database import new_session
from storage.models import Conversation

log = logging.getLogger(__name__)

KIND = "feedback"
# Each tick asks at most this many, so a big event's question never holds up a tick's deliveries for long.
MAX_PER_TICK = 500


def ask_how_it_went(engine: Engine, settings: Settings, channels: Mapping[str, Channel], *, now: datetime) -> int:
    """Ask everyone due now; returns how many were asked."""
    with new_session(engine) as session:
        due = feedback.feedback_due(session, now=now, channels=reachable_channels(channels))
    asked = 0
    for rsvp_id, contact_id in due:
        if asked >= MAX_PER_TICK:
            break
        with new_session(engine) as session:
            if _ask_one(session, settings, channels, rsvp_id=rsvp_id, contact_id=contact_id, now=now):
                asked += 1
            session.commit()
    if asked:
        log.info("asked %d residents how an event went", asked)
    return asked


def _ask_one(session: Session, settings: Settings, channels: Mapping[str, Channel], *, rsvp_id: int,
             contact_id: int, now: datetime) -> bool:
    target = feedback.claim_feedback_question(session, rsvp_id=rsvp_id, contact_id=contact_id, now=now)
    if target is None:
        return False
    conversation = contacts.open_conversation(session, contact_id=contact_id, now=now)
    if _busy(conversation, settings, now):
        return False  # not marked: a later tick asks, once they have finished or gone quiet
    if target.contact.unreachable:
        feedback.mark_feedback_asked(session, target=target, now=now)  # they blocked us or said STOP
        return False
    state = dict(conversation.state)
    language = state.get("lang") or target.contact.language
    state["lang"] = i18n.shipped_or_default(language)
    event = to_event_info(target.event, ward_name=target.ward_name, ward_slug=target.ward_slug, space=target.space)
    context = flows.Context(now=now, wards=(), agencies=(), lookup_report=lambda reference: None,
                            new_reference=_no_reference, idle_after=settings.conversation_idle_after)
    step = flow_engine.begin(state, context, flow="feedback", step="rating", draft=draft_for(event))
    queued = queue_notice(session, channels=channels, contact_id=contact_id, channel=target.contact.channel,
                          replies=step.replies, kind=KIND, now=now, event_id=target.event.id,
                          expires_at=target.ended_at + feedback.ASK_WITHIN)
    if not queued:
        # A channel this installation cannot send on: not asked, so not marked, and their conversation
        # stays as it was; once its credentials are here (within ASK_WITHIN) a later tick asks them.
        return False
    feedback.mark_feedback_asked(session, target=target, now=now)
    contacts.save_conversation_state(session, conversation=conversation, state=step.state, now=now)
    return True


def _busy(conversation: Conversation, settings: Settings, now: datetime) -> bool:
    """In the middle of a report, a status check or an RSVP, and active within the idle window."""
    state = conversation.state or {}
    if state.get("flow") in (None, "home"):
        return False
    last_seen = state.get("last_seen")
    return bool(last_seen) and now - datetime.fromisoformat(last_seen) <= settings.conversation_idle_after


def _no_reference() -> str:
    raise AssertionError("the feedback question files no report")
