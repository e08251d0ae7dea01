""""Was this sorted?": SORTED_AFTER (two weeks by default) after a private or named report closes, the worker
asks its resident once, in their language. On a phone it sends the neutral notice ("there is an update for
you. Reply 1 to see it.") and keeps the question in their conversation state, so the lock screen shows
nothing of a report and their "1" asks it (flows/report_notices.py); the web chat asks the question itself
and sets the conversation to the sorted flow, so the "3" they type back answers it (flows/sorted.py).

Asked once per closing (a report reopened and closed again is asked again), made exactly-once across
workers and restarts by the SortedCheck row's unique constraint (storage/sorted_checks.py). Not asked
later than two weeks after it became due (ASK_WITHIN), nor for a report merged into another or marked
spam. A resident in the middle of something else (another flow, active within the idle window) is not
interrupted: a later tick asks them. A contact who blocked us or sent STOP is marked (there is nobody to
ask) and not sent to. A resident on a channel this installation has no credentials for is not asked and
not marked (sorted_due leaves them out). The question, the new state and the mark are saved in one
transaction per resident. Anonymous residents are never asked: they answer through the status check.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Mapping

from sqlalchemy import Engine
from sqlmodel import Session

import flows
from bot.channels.base import Channel
from bot.followups import _busy  # the same rule as "how was it?": never mid-conversation
from bot.notify import WEBCHAT, queue_notice, reachable_channels
from bot.settings import Settings
from flows import engine as flow_engine
from flows import i18n
from flows.report_notices import neutral_notice, sorted_notice, with_notice
from flows.sorted import draft_for
from storage import contacts, sorted_checks
from storage.database import new_session

log = logging.getLogger(__name__)

KIND = "sorted_question"
# Each tick asks at most this many, so a day of closings never holds up a tick's deliveries for long.
MAX_PER_TICK = 500
# Each tick reads this many more due closings than it may ask: some of them are passed over (the resident
# is busy, another worker asked, the contact is unreachable), and the rest still fill the tick. Passed-over
# residents who are busy stay due and come first again next tick, until they have gone quiet.
PASSED_OVER_MARGIN = 500


def ask_whether_sorted(engine: Engine, settings: Settings, channels: Mapping[str, Channel], *, now: datetime) -> int:
    """Ask every resident whose report's closing is due now; returns how many were asked."""
    with new_session(engine) as session:
        due = sorted_checks.sorted_due(session, now=now, after=settings.sorted_after,
                                       channels=reachable_channels(channels), limit=MAX_PER_TICK + PASSED_OVER_MARGIN)
    asked = 0
    for item in due:
        if asked >= MAX_PER_TICK:
            break
        with new_session(engine) as session:
            if _ask_one(session, settings, channels, item=item, now=now):
                asked += 1
            session.commit()
    if asked:
        log.info("asked %d residents whether their report was sorted", asked)
    return asked


def _ask_one(session: Session, settings: Settings, channels: Mapping[str, Channel], *,
             item: sorted_checks.SortedDue, now: datetime) -> bool:
    target = sorted_checks.claim_question(session, report_id=item.report_id, contact_id=item.contact_id,
                                          closed_at=item.closed_at, now=now, after=settings.sorted_after)
    if target is None:
        return False  # asked by another worker, or not due any more
    conversation = contacts.open_conversation(session, contact_id=item.contact_id, now=now)
    if _busy(conversation, settings, now):
        sorted_checks.release_question(session, target=target)  # a later tick asks, once they are free
        return False
    if target.contact.unreachable:
        target.check.asked_at = None  # marked, never asked: they blocked us or said STOP
        return False
    state = dict(conversation.state)
    state["lang"] = i18n.shipped_or_default(state.get("lang") or target.contact.language or target.report.language)
    if target.contact.channel == WEBCHAT:
        # The web chat asks the question itself: a page the resident has open has no lock screen.
        context = flows.Context(now=now, wards=(), agencies=(), lookup_report=lambda reference: None,
                                new_reference=_no_reference, idle_after=settings.conversation_idle_after)
        draft = draft_for(target.report.reference, target.report.closed_at, via="question")
        step = flow_engine.begin(state, context, flow="sorted", step="answer", draft=draft)
        replies, new_state, touched = step.replies, step.state, now
    else:
        # A phone gets the neutral notice; their "1" asks the question (flows/report_notices.py). The
        # conversation's last-used time stays: the resident did nothing.
        replies = (neutral_notice(state["lang"]),)
        new_state = with_notice(state, sorted_notice(reference=target.report.reference,
                                                     closed_at=target.report.closed_at))
        touched = conversation.updated_at or now
    queued = queue_notice(session, channels=channels, contact_id=item.contact_id, channel=target.contact.channel,
                          replies=replies, kind=KIND, now=now, expires_at=target.expires_at)
    if not queued:
        # A channel this installation cannot send on: not asked, so not marked; their conversation stays.
        sorted_checks.release_question(session, target=target)
        return False
    contacts.save_conversation_state(session, conversation=conversation, state=new_state, now=touched)
    log.info("asked whether report %s was sorted", target.report.reference)  # private or named only
    return True


def _no_reference() -> str:
    raise AssertionError("the sorted question files no report")
