"""The web chat's message adapter: POST /chat/api/messages, the most private way to report.

The client makes a random session id; it is the only address this channel has, and it is stored only
as a keyed hash. Replies go back in the same response. What nobody just asked for (a reminder, a notice
that an event moved) waits in the outbox until the open page asks for it and then says it showed it:
POST /chat/api/updates.
"""
from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

import flows
from bot import audio_prompts
from bot.conversations import converse
from bot.forgetting import forget_resident
from bot.notify import WEBCHAT, webchat_payload
from flows import i18n
from flows.flood import NETWORK, flood_reply
from storage import contacts, outbox
from storage.database import new_session

blueprint = Blueprint("webchat_api", __name__)

MAX_BODY_BYTES = 64 * 1024
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MAX_CHOICE_LENGTH = 64
# Waiting messages handed to the page in one answer, and so the most ids it acknowledges at once.
MAX_UPDATES = 50
# What a page that can record sends besides text (POST /chat/api/voice); it has no way to send a photo.
VOICE_ONLY = frozenset({"voice"})


def _refuse(message: str, status: int = 400):
    return jsonify(error=message), status


@blueprint.post("/chat/api/messages")
def receive_message():
    """One message from the page: validate it, run the conversation, answer with the replies."""
    payload, refusal = _session_body()
    if refusal:
        return refusal
    crowded = _address_refusal(payload, scope="messages")
    if crowded:
        return crowded
    session_id = payload["session"]
    text, choice = payload.get("text"), payload.get("choice")
    if (text is None) == (choice is None):
        return _refuse("Send exactly one of `text` or `choice`.")
    if text is not None and not isinstance(text, str):
        return _refuse("`text` must be a string.")
    if choice is not None and (not isinstance(choice, str) or not 0 < len(choice) <= MAX_CHOICE_LENGTH):
        return _refuse("`choice` must be a choice key.")
    hint = payload.get("lang") if isinstance(payload.get("lang"), str) else None
    if not all(_storable(value) for value in (text, choice, hint) if value is not None):
        return _refuse("The message must be plain text: no NUL characters or broken Unicode.")
    if not isinstance(payload.get("voice", False), bool):
        return _refuse("`voice` must be true or false.")

    answered = converse(
        current_app.extensions["safer_homes.engine"],
        current_app.extensions["safer_homes.settings"],
        channel="webchat",
        address=session_id,
        inbound=flows.Inbound(text=text, choice=choice, language_hint=hint),
        now=current_app.extensions["safer_homes.clock"](),
        # The app's sending channels, built once: a place given back may be offered on any of them.
        channels=current_app.extensions["safer_homes.deliverer"].channels,
        flood=current_app.extensions["safer_homes.flood"],
        # The page says whether its browser can record (`"voice": true`): only then is a voice message offered.
        media_kinds=VOICE_ONLY if payload.get("voice") is True else frozenset(),
    )
    if answered.flooded:
        return _too_many(answered.replies, answered.retry_after)
    media_dir = current_app.extensions["safer_homes.settings"].media_dir
    return jsonify(webchat_payload(answered.replies, audio_url=audio_prompts.url_finder(media_dir)))


@blueprint.post("/chat/api/updates")
def collect_updates():
    """The page asks (every minute while it is visible) for messages waiting for this session, and says
    which ones it has shown: `{"session": ..., "ack": [ids]}` answers
    `{"messages": [{"id": ..., "replies": [...]}]}`, each message's replies in the shape /chat/api/messages
    uses. A message stays waiting until it is acknowledged, so an answer lost on the way loses nothing;
    the acknowledgement and the next look are one transaction."""
    payload, refusal = _session_body()
    if refusal:
        return refusal
    crowded = _address_refusal(payload, scope="updates")
    if crowded:
        return crowded
    acknowledged = payload.get("ack", [])
    if not _message_ids(acknowledged):
        return _refuse(f"`ack` must be a list of at most {MAX_UPDATES} message ids (whole numbers).")
    settings = current_app.extensions["safer_homes.settings"]
    keys = settings.key_ring
    address_hash = keys.address_hash(WEBCHAT, payload["session"])
    previous_hashes = keys.previous_address_hashes(WEBCHAT, payload["session"])
    now = current_app.extensions["safer_homes.clock"]()
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        if previous_hashes:
            # After a key rotation a page's contact may still be under the old key's hash: this moves it.
            contacts.find_contact(session, channel=WEBCHAT, address_hash=address_hash, previous_hashes=previous_hashes)
        outbox.acknowledge_shown(session, channel=WEBCHAT, address_hash=address_hash, message_ids=acknowledged,
                                 now=now)
        waiting = outbox.waiting_for_page(session, channel=WEBCHAT, address_hash=address_hash, now=now,
                                          limit=MAX_UPDATES)
        session.commit()
    # Each payload is bot.notify.webchat_payload's {"replies": [...]}: shown in the order queued.
    return jsonify(messages=[{"id": message_id, "replies": message.get("replies", [])}
                             for message_id, message in waiting])


@blueprint.post("/chat/api/forget")
def forget_session():
    """Quick exit: `{"session": ...}`, sent by the page as it leaves (navigator.sendBeacon, whatever the
    content type), forgets this session on the server too: its contact, conversation, anything waiting for
    it and every link to a report it sent (the reports stay, anonymous), at once and without asking, since
    quick exit is for danger. Answers 200 whether or not there was anything to forget, so it tells nobody
    whether a session id was ever used; only a malformed body is refused (400, 413), as for messages. No
    flood limit: someone leaving in a hurry must never be told to wait."""
    payload, refusal = _session_body()
    if refusal:
        return refusal
    settings = current_app.extensions["safer_homes.settings"]
    keys = settings.key_ring
    now = current_app.extensions["safer_homes.clock"]()
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        contact = contacts.find_contact(session, channel=WEBCHAT, address_hash=keys.address_hash(WEBCHAT, payload["session"]),
                                        previous_hashes=keys.previous_address_hashes(WEBCHAT, payload["session"]))
        if contact is not None:
            forget_resident(session, settings, contact_id=contact.id, now=now,
                            channels=current_app.extensions["safer_homes.deliverer"].channels)
        session.commit()
    return jsonify(forgotten=True)


def _address_refusal(payload: dict, *, scope: str):
    """429 once this client address has sent more than FLOOD_LIMIT_PER_ADDRESS (bot/flood.py), however many
    sessions it spreads them over; None to go on. The address is the connection's, or the one
    TRUSTED_PROXY_COUNT proxies vouch for (webhook.py applies ProxyFix), and is counted only as a keyed hash."""
    verdict = current_app.extensions["safer_homes.flood"].address(remote_address=request.remote_addr or "",
                                                                  scope=scope)
    if verdict.allowed:
        return None
    settings = current_app.extensions["safer_homes.settings"]
    hint = payload.get("lang") if isinstance(payload.get("lang"), str) else None
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        language = contacts.contact_language(session, channel=WEBCHAT,
                                             address_hash=settings.key_ring.address_hash(WEBCHAT, payload["session"]))
    reply = flood_reply(language or i18n.best_match(hint) or i18n.DEFAULT_LANGUAGE, limit=NETWORK,
                        retry_after_seconds=verdict.retry_after)
    return _too_many((reply,), verdict.retry_after)


def _too_many(replies, retry_after: int):
    """429 with Retry-After, and the polite reply the page shows as the bot's (README, "Web chat API")."""
    response = jsonify(error="Too many messages: wait before sending more.", **webchat_payload(replies))
    response.status_code = 429
    response.headers["Retry-After"] = str(max(1, int(retry_after)))
    return response


def _message_ids(value) -> bool:
    """A list of at most MAX_UPDATES outbox ids: the page acknowledges no more than one answer held."""
    return isinstance(value, list) and len(value) <= MAX_UPDATES and all(
        type(item) is int and 0 < item < 2**63 for item in value
    )


def _session_body():
    """The request's JSON object with a valid `session`, or (None, the refusal to answer with)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None, _refuse("The message is too large (64 KB at most).", 413)
    try:
        # Read one byte past the limit and no further: a chunked body has no length to check first.
        body = request.stream.read(MAX_BODY_BYTES + 1)
    except RequestEntityTooLarge:
        return None, _refuse("The message is too large (64 KB at most).", 413)
    if len(body) > MAX_BODY_BYTES:
        return None, _refuse("The message is too large (64 KB at most).", 413)
    payload = _parse_json(body)
    if not isinstance(payload, dict):
        return None, _refuse("The body must be a JSON object.")
    session_id = payload.get("session")
    if not isinstance(session_id, str) or not SESSION_PATTERN.match(session_id):
        return None, _refuse("`session` must be a random id of 16 to 128 letters, digits, '-' or '_'.")
    return payload, None


def _parse_json(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        return None


def _storable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
