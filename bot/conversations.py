"""The conversation runner: one inbound message in, replies out, everything saved in one transaction.

This is where the pure flows meet the world: it supplies the clock and the lookups, saves the new
state, and carries out the flow's intents. A channel adapter calls `converse` and delivers the replies.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Optional

from sqlalchemy import Engine
from sqlmodel import Session

import flows
from flows.types import (AgencyInfo, EventInfo, HelpServiceInfo, RememberLanguage, Reply, ReportStatus, SaveRsvp,
                         SpaceInfo, SubmitReport, WardInfo)
from bot.channels.base import Channel
from bot import notify
from bot.event_info import calendar_url, event_info_for_resident
from bot.flood import ALLOWED, FloodGuard, Verdict
from bot import language_hint
from bot.media import round_file_times
from bot.settings import Settings
from flows import i18n
from flows.flood import CONTACT, flood_reply
from flows.types import (AddSortedComment, AgendaItemInfo, BackAgendaItem, SaveAgendaItem, SaveFeedback,
                         SaveSortedAnswer)
from flows.types import ForgetContact, ReportUpdateInfo
from flows import report_notices
from storage.models import OutboxMessage
from bot.forgetting import forget_resident
from storage import forgetting
from storage import (agenda, contacts, events, feedback, help_services, outbox, places, reports, sorted_checks,
                     spaces)
from storage.crypto import KeyRing, Sealer
from storage.database import new_session
from storage.references import new_reference

log = logging.getLogger(__name__)

REFERENCE_DATA_TTL_SECONDS = 60
# The outbox kinds sent to a phone as the neutral notice (bot/report_notify.py, bot/sorted_followups.py).
NEUTRAL_NOTICE_KINDS = ("status_update", "sorted_question")
# The outbox kind of the one reply to a flood (bot/flood.py).
FLOOD_NOTICE = "flood_notice"


@dataclass(frozen=True)
class ReferenceData:
    wards: tuple[WardInfo, ...]
    agencies: tuple[AgencyInfo, ...]
    default_agencies: dict[str, tuple[str, ...]]
    loaded_at: float


_reference_cache: dict[str, ReferenceData] = {}


def reference_data(session: Session, database_url: str) -> ReferenceData:
    """Wards, agencies and routes, cached for a minute: they change rarely and every message needs them."""
    cached = _reference_cache.get(database_url)
    if cached and time.monotonic() - cached.loaded_at < REFERENCE_DATA_TTL_SECONDS:
        return cached
    loaded = ReferenceData(
        wards=tuple(WardInfo(ward.slug, ward.name) for ward in places.list_wards(session)),
        agencies=tuple(
            AgencyInfo(agency.slug, dict(agency.names), agency.target_working_days, agency.kind == "police")
            for agency in places.list_agencies_offered_to_residents(session)
        ),
        default_agencies=places.default_agencies_by_category(session),
        loaded_at=time.monotonic(),
    )
    _reference_cache[database_url] = loaded
    return loaded


def forget_reference_data() -> None:
    _reference_cache.clear()


# The turn that files an anonymous report leaves the sender's clocks at the turn before (see converse), if that
# was at most this long ago; later, they would say the resident had gone quiet when they have just written
# (WhatsApp's 24-hour window, the idle overlay), so a random moment of this last stretch is taken instead.
SENDER_CLOCK_REACH = timedelta(hours=1)


def _sender_clock(turn_before: datetime, now: datetime, idle_after: timedelta) -> datetime:
    """The time the sender's side records for the turn that files an anonymous report: no reading of `now`,
    and nothing on the hour (tests/test_anonymous_sender_times.py)."""
    reach = min(idle_after, SENDER_CLOCK_REACH)
    if now - turn_before <= reach:
        return turn_before
    return now - timedelta(microseconds=1 + secrets.randbelow(reach // timedelta(microseconds=1)))


@dataclass(frozen=True)
class Answered:
    """What a message led to: the replies, and for sending channels the outbox ids to deliver now.
    `flooded` when a flood limit refused it (nothing of it was kept), with the seconds until it lifts."""

    replies: tuple[Reply, ...]
    outbox_ids: tuple[int, ...] = ()
    duplicate: bool = False
    flooded: bool = False
    retry_after: int = 0


def converse(
    engine: Engine,
    settings: Settings,
    *,
    channel: str,
    address: str,
    inbound: flows.Inbound,
    now: datetime,
    sender: Optional[Channel] = None,
    provider_message_id: Optional[str] = None,
    opting_out: bool = False,
    quiet: bool = False,
    channels: Optional[Mapping[str, Channel]] = None,
    flood: Optional[FloodGuard] = None,
    media_kinds: Optional[frozenset[str]] = None,
) -> Answered:
    """Answer one message from `address` on `channel`; commit everything it changed, or nothing.

    With a `sender` (Telegram, WhatsApp, SMS) the replies are rendered for it and queued in the outbox
    in the same transaction; the caller delivers `outbox_ids` after the commit. Without one (the web
    chat) the replies go back in the HTTP response and no address is kept at all.

    `opting_out` (STOP on SMS or WhatsApp) marks the contact unreachable in the same transaction, fails
    what was queued for them and queues only the confirmation; `quiet` queues not even that (an SMS
    STOP that the carrier and Twilio already confirmed and will block replies to).

    `channels` are the sending channels this installation has (the web app's Deliverer holds them), for
    telling someone on another channel that a place has opened for them. Without them they are built
    from `settings`, only when a turn needs them.

    `flood` is the app's FloodGuard (bot/flood.py): past the per-contact limit a message changes nothing,
    and only the first one refused in a window is answered, politely (flows/flood.py). Only callers that
    serve no resident (tests of other things, tools) leave it out.

    `media_kinds` are what the resident can send besides text ("photo", "voice"); by default the sender's
    (Channel.media_kinds), none without one. The web chat gives "voice" when its page can record.
    """
    keys = settings.key_ring
    sealer = keys.sealer
    # Closing the session without commit rolls back, so an early return writes nothing at all.
    with new_session(engine) as session:
        if provider_message_id and not outbox.record_inbound(
            session, channel=channel, provider_message_id=provider_message_id, now=now
        ):
            return Answered(replies=(), duplicate=True)
        # After the duplicate check (a provider's retry is not a flood) and before any state is read.
        flood_key = keys.address_hash(channel, address)
        verdict = flood.contact(channel=channel, address_hash=flood_key) if flood else ALLOWED
        if not verdict.allowed:
            if not opting_out:
                return _refuse_flood(session, verdict, keys, channel=channel, address=address, sender=sender,
                                     language_hint=inbound.language_hint, now=now)
            # STOP still opts out, however fast it came; it is confirmed no more than the flood is answered.
            quiet = True
        contact = contacts.find_or_create_contact(
            session,
            channel=channel,
            address_hash=keys.address_hash(channel, address),
            # Found under a previous key's hash, the contact moves to the current one (storage/contacts.py).
            previous_hashes=keys.previous_address_hashes(channel, address),
            address_sealed=sealer.seal(address) if sender else None,
            now=now,
        )
        conversation = contacts.open_conversation(session, contact_id=contact.id, now=now)
        # When the turn before this one ended (the conversation's last save): see `anonymous_report` below.
        turn_before = conversation.updated_at or now
        state = _with_draft_name_opened(dict(conversation.state), sealer)
        if not state.get("lang"):
            # Only someone who has no language yet gets a hint from their words, so nobody else pays for it.
            inbound = dataclasses.replace(inbound, text_languages=language_hint.suggest(inbound.text))
        data = reference_data(session, settings.database_url)
        # The flows may ask the same lookup several times in one message; each is asked of the database once
        # per turn (`functools.cache`), which is safe because nothing is written until flows.handle returns.
        # Not new_reference: each call must give a new one.
        context = flows.Context(
            now=now,
            wards=data.wards,
            agencies=data.agencies,
            default_agencies=data.default_agencies,
            find_spaces=functools.cache(lambda ward_slug: _find_spaces(session, ward_slug)),
            find_help_services=functools.cache(lambda kind, ward_slug: _find_help_services(session, kind, ward_slug)),
            web_chat_url=f"{settings.public_base_url.rstrip('/')}/chat",  # PUBLIC_BASE_URL may end in "/"
            lookup_report=functools.cache(lambda reference: _lookup_report(session, reference)),
            new_reference=lambda: _unused_reference(session),
            idle_after=settings.conversation_idle_after,
            max_text_length=settings.max_text_length,
            media_kinds=media_kinds if media_kinds is not None else (sender.media_kinds if sender else frozenset()),
            upcoming_events=functools.cache(lambda: _upcoming_events(session, now)),
            lookup_event=functools.cache(lambda event_id: _lookup_event(session, event_id, now, contact_id=contact.id)),
            event_calendar_url=lambda event_id: calendar_url(settings.public_base_url, event_id),
            agenda_items=functools.cache(lambda event_id: _agenda_items(session, event_id, contact_id=contact.id)),
            lookup_update=lambda reference, update_id: _lookup_update(session, reference, update_id),
        )
        step = flows.handle(_without_unstorable_characters(inbound), state, context)
        # Before the replies are rendered: the confirmation says what storage actually gave them.
        step = _save_rsvps(session, settings, step, contact_id=contact.id, now=now, channels=channels)
        if any(isinstance(intent, ForgetContact) for intent in step.intents):
            outbox_ids = _forget(session, settings, step, contact=contact, address=address, sealer=sealer,
                                 sender=sender, now=now, channels=channels)
            session.commit()
            return Answered(replies=step.replies, outbox_ids=outbox_ids)
        anonymous_report = any(isinstance(i, SubmitReport) and i.privacy == "anonymous" for i in step.intents)
        # The report's own times go to the hour (storage/reports.py). The turn that files it leaves the sender's
        # clocks where the turn before left them: no clock reading of this moment stays on their side to pair
        # with the report, and none is on the hour either, which only this turn would make and which would
        # mark the residents who sent an anonymous report in that hour (tests/test_anonymous_sender_times.py).
        touched_at = _sender_clock(turn_before, now, settings.conversation_idle_after) if anonymous_report else now
        if anonymous_report:
            step.state["last_seen"] = touched_at.isoformat()
        outbox_ids: tuple[int, ...] = ()
        if sender:
            language = step.state.get("lang") or state.get("lang") or "en"
            payloads = [] if quiet else sender.render(step.replies)
            if anonymous_report:
                # The acknowledgement carries the reference: its text goes the moment it is sent.
                payloads = [{**payload, outbox.FORGET_ON_SEND: True} for payload in payloads]
            if opting_out:
                contacts.note_inbound(session, contact=contact, now=touched_at)
                outbox.mark_contact_unreachable(session, contact_id=contact.id, error="the resident opted out (STOP)")
                outbox_ids = tuple(outbox.enqueue(session, contact_id=contact.id, channel=channel, payloads=payloads,
                                                  kind=outbox.OPT_OUT_CONFIRMATION, language=language, now=touched_at))
            else:
                # Whatever they sent, they can hear from us again: unblocked, window open, held messages due.
                contacts.note_inbound(session, contact=contact, now=touched_at)
                released = outbox.release_held(session, contact_id=contact.id, now=touched_at)
                _keep_notices_released_now(session, released, inbound, before=state, after=step.state)
                outbox_ids = tuple(released) + tuple(
                    outbox.enqueue(session, contact_id=contact.id, channel=channel, payloads=payloads,
                                   kind="reply", language=language, now=touched_at)
                )
        elif step.state == state and not step.intents:
            return Answered(replies=step.replies)  # text over the limit: not even a new contact is kept
        for intent in step.intents:
            if isinstance(intent, SubmitReport):
                _save_report(session, intent, channel=channel, contact_id=contact.id, sealer=sealer, now=now,
                             fingerprint_keys=(keys.current, *keys.previous),
                             identical_within=settings.identical_report_window)
                if intent.privacy == "anonymous":
                    hour = now.replace(minute=0, second=0, microsecond=0)  # the report's own time
                    round_file_times((media_id for media_id, _kind in intent.media), media_dir=settings.media_dir,
                                     hour=hour)
            elif isinstance(intent, RememberLanguage):
                contacts.set_contact_language(session, contact_id=contact.id, language=intent.language)
            elif isinstance(intent, (SaveFeedback, SaveAgendaItem, BackAgendaItem)):
                _save_what_they_said(session, intent, contact_id=contact.id, now=now)
            elif isinstance(intent, SaveSortedAnswer):
                _save_sorted_answer(session, intent, now=now)
            elif isinstance(intent, AddSortedComment):
                _add_sorted_comment(session, intent)
        contacts.save_conversation_state(session, conversation=conversation,
                                         state=_with_draft_name_sealed(step.state, sealer), now=touched_at)
        session.commit()
    return Answered(replies=step.replies, outbox_ids=outbox_ids)


def _refuse_flood(session: Session, verdict: Verdict, keys: KeyRing, *, channel: str, address: str,
                  sender: Optional[Channel], language_hint: Optional[str], now: datetime) -> Answered:
    """A message past the contact's flood limit: nothing of it is kept. The first one refused in a window is
    answered in the contact's language: queued for a sending channel (with the provider's receipt, so a
    retry of it stays a duplicate), or in the web chat's response, which keeps nothing at all."""
    language = contacts.contact_language(session, channel=channel, address_hash=keys.address_hash(channel, address))
    reply = flood_reply(language or i18n.best_match(language_hint) or i18n.DEFAULT_LANGUAGE,
                        limit=CONTACT, retry_after_seconds=verdict.retry_after)
    if sender is None:
        # The web chat answers every refused message (it is the HTTP response, sent to nobody's phone).
        return Answered(replies=(reply,), flooded=True, retry_after=verdict.retry_after)
    if not verdict.first_refusal:
        return Answered(replies=(), flooded=True, retry_after=verdict.retry_after)
    contact = contacts.find_or_create_contact(session, channel=channel, address_hash=keys.address_hash(channel, address),
                                              previous_hashes=keys.previous_address_hashes(channel, address),
                                              address_sealed=keys.sealer.seal(address), now=now)
    outbox_ids = tuple(outbox.enqueue(session, contact_id=contact.id, channel=channel, payloads=sender.render((reply,)),
                                      kind=FLOOD_NOTICE, language=reply.lang, now=now))
    session.commit()
    # Counted, never identified: which contact is flooding is nobody's business but the counters'.
    log.info("a contact on %s passed the flood limit; told once, the rest ignored for %ss", channel,
             verdict.retry_after)
    return Answered(replies=(reply,), outbox_ids=outbox_ids, flooded=True, retry_after=verdict.retry_after)


def _forget(session: Session, settings: Settings, step: flows.Step, *, contact, address: str, sealer: Sealer,
            sender: Optional[Channel], now: datetime, channels: Optional[Mapping[str, Channel]]) -> tuple[int, ...]:
    """"Forget me", confirmed: the contact and everything tied to it goes in this transaction (their reports
    stay, anonymous), and the confirmation still reaches them.

    The web chat's confirmation is this very response, so nothing at all is kept. A sending channel's would
    be queued against the contact just deleted. Sent from here without the outbox, a failed first try would
    lose it; so it is queued like any reply, but against a new contact row holding only what a first
    message makes (the hashed and sealed address; no conversation, language or link), and that row goes as
    soon as the message has gone, failed for good or expired (bot/delivery.py after the send; the worker's
    storage/forgetting.purge_parted_contacts for the rest). If the resident writes again before then, the row
    is simply their new contact."""
    channel, address_hash = contact.channel, contact.address_hash
    forget_resident(session, settings, contact_id=contact.id, now=now, channels=channels)
    if sender is None:
        return ()
    shell = contacts.find_or_create_contact(session, channel=channel, address_hash=address_hash,
                                            address_sealed=sealer.seal(address), now=now)
    contacts.note_inbound(session, contact=shell, now=now)  # they just wrote: WhatsApp's window is open
    payloads = [{**payload, outbox.FORGET_ON_SEND: True} for payload in sender.render(step.replies)]
    language = step.replies[-1].lang if step.replies else "en"
    return tuple(outbox.enqueue(session, contact_id=shell.id, channel=channel, payloads=payloads,
                                kind=forgetting.FORGOTTEN_CONFIRMATION, language=language, now=now,
                                expires_at=now + forgetting.CONFIRMATION_LIFETIME))


def _save_report(session: Session, intent: SubmitReport, *, channel: str, contact_id: int, sealer: Sealer, now: datetime,
                 fingerprint_keys: tuple[str, ...], identical_within: timedelta) -> None:
    anonymous = intent.privacy == "anonymous"
    reports.create_report(
        session,
        reference=intent.reference,
        category=intent.category,
        language=intent.language,
        channel=channel,
        privacy=intent.privacy,
        agency_slugs=intent.agencies,
        description=intent.description,
        received_at=now,
        danger_now=intent.danger_now,
        ward_slug=intent.ward_slug,
        location_text=intent.location_text,
        latitude=intent.latitude,
        longitude=intent.longitude,
        when_kind=intent.when,
        when_text=intent.when_text,
        sender_contact_id=None if anonymous else contact_id,
        reporter_name_sealed=sealer.seal(intent.reporter_name) if intent.reporter_name else None,
        media=intent.media,
        time_of_day=intent.time_of_day,
        woman_or_girl=intent.woman_or_girl,
        # A copy of a report received shortly before joins it (storage/identical_reports.py); the resident's
        # acknowledgement is the same either way, and their reference's status says so.
        fingerprint_keys=fingerprint_keys,
        identical_within=identical_within,
    )
    if not anonymous:
        # A log line has an exact time; for an anonymous report that alone could pair it with a
        # conversation, so only private and named reports are logged, by reference only.
        log.info("report %s received", intent.reference)


# A named reporter's typed name is sealed in the stored draft as it is in the report (ReportLink), so reading
# the database while someone is part way through a named report shows no name; the flows see it in clear.
def _with_draft_name_sealed(state: dict, sealer: Sealer) -> dict:
    draft = state.get("draft")
    if isinstance(draft, dict) and isinstance(draft.get("name"), str):
        return {**state, "draft": {**draft, "name": {"sealed": sealer.seal(draft["name"])}}}
    return state


def _with_draft_name_opened(state: dict, sealer: Sealer) -> dict:
    token = contacts.sealed_draft_name(state)
    if token is None:
        return state
    opened = sealer.open_with_key_index(token)
    if opened is None:
        # Sealed under a key no longer configured: the report cannot go with a name nobody can read, so the
        # draft goes and the resident is back at the menu (their language kept).
        return {key: value for key, value in state.items() if key not in ("draft", "flow", "step", "pending", "resume")}
    return {**state, "draft": {**state["draft"], "name": opened[1]}}


def _without_unstorable_characters(inbound: flows.Inbound) -> flows.Inbound:
    """NUL and lone surrogates cannot be stored (PostgreSQL refuses NUL, UTF-8 refuses surrogates):
    they are dropped here so a stray byte can never make a report impossible to save."""
    if inbound.text is None:
        return inbound
    text = inbound.text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return inbound if text == inbound.text else dataclasses.replace(inbound, text=text)


def _save_rsvps(session: Session, settings: Settings, step: flows.Step, *, contact_id: int, now: datetime,
                channels: Optional[Mapping[str, Channel]]) -> flows.Step:
    """Save each RSVP; its confirmation is the one that came true (a place, the waiting list, or "not open
    for replies" when the event was cancelled or started since it was shown, which saves nothing), and
    anyone given a freed place is told on their own channel."""
    replies = list(step.replies)
    for intent in step.intents:
        if not isinstance(intent, SaveRsvp):
            continue
        try:
            saved = events.save_rsvp(session, event_id=intent.event_id, contact_id=contact_id,
                                     attending=intent.attending, needs=intent.needs,
                                     interpreter_language=intent.interpreter_language, now=now)
        except events.EventClosed:
            saved, came_true = None, intent.if_closed
        else:
            came_true = intent.if_waiting if saved.rsvp.status == "waiting" else intent.if_place
        for index, reply in enumerate(replies):
            if came_true and reply.text in (intent.if_place, intent.if_waiting):
                replies[index] = dataclasses.replace(reply, text=came_true)
        if saved and saved.promoted:
            if channels is None:
                from bot.channels.registry import configured_channels  # only now: building them is not free

                channels = configured_channels(settings)
            notify.tell_of_places(session, channels, event_id=intent.event_id, promoted=saved.promoted,
                                  calendar_url=calendar_url(settings.public_base_url, intent.event_id), now=now)
    return dataclasses.replace(step, replies=tuple(replies))


def _upcoming_events(session: Session, now: datetime) -> tuple[EventInfo, ...]:
    return tuple(event_info_for_resident(found) for found in events.upcoming_events_for_residents(session, now=now))


def _lookup_event(session: Session, event_id: int, now: datetime, *, contact_id: int) -> Optional[EventInfo]:
    found = events.event_for_resident(session, event_id=event_id, contact_id=contact_id)
    if found is None or found.event.starts_at <= now:
        return None  # past events take no answers
    return event_info_for_resident(found)


def _save_what_they_said(session: Session, intent, *, contact_id: int, now: datetime) -> None:
    """After an event and "have your say": feedback (kept without the contact), agenda items and backing."""
    if isinstance(intent, SaveFeedback):
        feedback.save_feedback(session, event_id=intent.event_id, rating=intent.rating, comment=intent.comment,
                               language=intent.language, now=now)
    elif isinstance(intent, SaveAgendaItem):
        agenda.save_item(session, event_id=intent.event_id, ward_slug=intent.ward_slug, topic=intent.topic,
                         text=intent.text, language=intent.language, contact_id=contact_id, now=now)
    else:
        agenda.back_item(session, item_id=intent.item_id, contact_id=contact_id, now=now)


def _save_sorted_answer(session: Session, intent: SaveSortedAnswer, *, now: datetime) -> None:
    """"Was this sorted?" answered: kept at once, and a "no" reopens the report (storage/sorted_checks.py)."""
    closed_at = datetime.fromisoformat(intent.closed_at) if intent.closed_at else None
    try:
        sorted_checks.record_answer(session, reference=intent.reference, answer=intent.answer, now=now, via=intent.via,
                                    closed_at=closed_at)
    except sorted_checks.AnswerRefused as refused:
        # The flow checks what storage checks, so only a report gone since (retention) lands here. No
        # reference in the line: for an anonymous report its time would pair it with this conversation.
        log.warning("a \"was this sorted?\" answer was not kept: %s", refused.code)


def _add_sorted_comment(session: Session, intent: AddSortedComment) -> None:
    """The comment after a "was this sorted?" answer: added to that answer's row and history entry."""
    try:
        sorted_checks.add_comment(session, reference=intent.reference,
                                  closed_at=datetime.fromisoformat(intent.closed_at), comment=intent.comment,
                                  language=intent.language)
    except sorted_checks.AnswerRefused as refused:
        # Only a report gone since (retention) lands here: the answer was saved a message earlier. No
        # reference in the line, as above.
        log.warning("a \"was this sorted?\" comment was not kept: %s", refused.code)


def _agenda_items(session: Session, event_id: int, *, contact_id: int) -> tuple[AgendaItemInfo, ...]:
    items = agenda.items_for_meeting(session, event_id=event_id)
    backed = agenda.backed_by(session, contact_id=contact_id, item_ids=[item.item_id for item in items])
    return tuple(
        AgendaItemInfo(item_id=item.item_id, text=item.text, language=item.language, topic=item.topic,
                       backers=item.backers, mine=item.sender_contact_id == contact_id, backed=item.item_id in backed)
        for item in items
    )


def _lookup_report(session: Session, reference: str) -> Optional[ReportStatus]:
    found = reports.public_status(session, reference=reference)
    # Storage's answer and the flows' shape hold the same fields; storage may not import flows.
    return ReportStatus(**dataclasses.asdict(found)) if found else None


def _keep_notices_released_now(session: Session, released: list[int], inbound: flows.Inbound, *, before: dict,
                               after: dict) -> None:
    """A neutral notice held for WhatsApp's window (no template) goes out only now, ahead of this reply: the
    resident had not seen it, so their message did not answer it. Its "Reply 1" must still work, so what
    it is about stays waiting, unless this turn showed it ("1" by chance) or asked a question of its own
    kind (another overlay)."""
    if before.get("pending") != report_notices.PENDING or "pending" in after or not before.get("notices"):
        return
    if report_notices.asks_to_see(before.get("lang") or "en", text=inbound.text, choice=inbound.choice):
        return
    if any(session.get(OutboxMessage, message_id).kind in NEUTRAL_NOTICE_KINDS for message_id in released):
        after.update(pending=report_notices.PENDING, notices=list(before["notices"]))


def _lookup_update(session: Session, reference: str, update_id: int) -> Optional[ReportUpdateInfo]:
    found = reports.update_for_resident(session, reference=reference, update_id=update_id)
    return ReportUpdateInfo(**dataclasses.asdict(found)) if found else None


def _find_spaces(session: Session, ward_slug: Optional[str]) -> tuple[SpaceInfo, ...]:
    """The free and low-cost spaces a resident is shown: in one ward, or anywhere for None."""
    try:
        found = spaces.list_spaces(session, ward_slug=ward_slug, costs=("free", "affordable"))
    except spaces.UnknownChoice:
        return ()  # a ward removed since its button was sent: nothing there
    return tuple(
        SpaceInfo(space_id=space.id, name=space.name, address=space.address, cost=space.cost, ward_name=ward_name,
                  booking=space.booking, opening_hours=space.opening_hours, features=spaces.features_of(space))
        for space, ward_name in found
    )


def _find_help_services(session: Session, kind: str, ward_slug: Optional[str]) -> tuple[HelpServiceInfo, ...]:
    """The "get help" services of one kind: in one ward (its own first, then the borough's), or all for None."""
    try:
        found = help_services.list_help_services(session, category=kind, ward_slug=ward_slug, near_ward_first=True)
    except ValueError:
        return ()  # a ward removed since its button was sent, or a kind no longer listed: nothing there
    return tuple(
        HelpServiceInfo(service_id=service.id, name=service.name, offer=service.offer, checked_on=service.checked_on,
                        categories=tuple(service.categories), offers=dict(service.offers), phone=service.phone,
                        website=service.website, address=service.address, ward_name=ward_name,
                        opening_hours=service.opening_hours, cost=service.cost, languages=tuple(service.languages))
        for service, ward_name in found
    )


def _unused_reference(session: Session) -> str:
    while True:
        reference = new_reference()
        if not reports.reference_exists(session, reference=reference):
            return reference
