"""POST /chat/api/voice: a voice message recorded in the web chat (the page's MediaRecorder), taken as the other
channels take one. The body is the recording itself (`Content-Type: audio/webm`, or another type bot/media.py
keeps), the session id is in the `X-Chat-Session` header, and the answer is /chat/api/messages' own. The
recording is kept (its tags taken out, bot/media.py) only when the conversation takes it, at the "what
happened" step; anything refused changes nothing."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

import flows
from bot import audio_prompts
from bot.conversations import converse
from bot.media import MEDIA_TYPES, MediaLimits, MediaRefused, discard_media, keep_media, media_to_keep, sniff_media_type
from bot.notify import WEBCHAT, webchat_payload
from bot.webchat import SESSION_PATTERN, VOICE_ONLY, _address_refusal, _refuse, _too_many
from flows import i18n
from flows.types import Media
from flows.voice_notes import recording_refused_reply
from storage import contacts
from storage.database import new_session

log = logging.getLogger(__name__)

blueprint = Blueprint("webchat_voice", __name__)

SESSION_HEADER = "X-Chat-Session"


@blueprint.post("/chat/api/voice")
def receive_voice_message():
    """One recording from the page: check it, keep it without its tags, answer as for a typed message."""
    session_id = request.headers.get(SESSION_HEADER, "")
    if not SESSION_PATTERN.match(session_id):
        return _refuse(f"`{SESSION_HEADER}` must be the chat's session id: 16 to 128 letters, digits, '-' or '_'.")
    crowded = _address_refusal({"session": session_id}, scope="messages")
    if crowded:
        return crowded
    settings = current_app.extensions["safer_homes.settings"]
    limits = MediaLimits.from_settings(settings)
    content = _recording(limits.voice_max_bytes)
    if content is None:
        return _refused(session_id, 413, f"The recording is too large ({limits.voice_max_bytes} bytes at most).")
    declared_type = request.mimetype  # without ";codecs=opus"
    sniffed = sniff_media_type(content)
    if sniffed is None or MEDIA_TYPES[sniffed].kind != "voice" or not declared_type.startswith("audio/"):
        return _refused(session_id, 415, "The body must be a voice recording (audio/webm, audio/ogg, ...).")
    try:
        kept = media_to_keep(content, declared_type=declared_type, limits=limits)
    except MediaRefused as refusal:
        log.info("did not keep a web chat recording: %s", refusal)
        return _refused(session_id, 415, "The recording could not be read.")

    media = (Media(media_id=keep_media(kept.content, extension=kept.extension, media_dir=settings.media_dir),
                   kind="voice"),)
    try:
        answered = converse(
            current_app.extensions["safer_homes.engine"], settings, channel=WEBCHAT, address=session_id,
            inbound=flows.Inbound(media=media), now=current_app.extensions["safer_homes.clock"](),
            channels=current_app.extensions["safer_homes.deliverer"].channels,
            flood=current_app.extensions["safer_homes.flood"], media_kinds=VOICE_ONLY,
        )
    except BaseException:
        discard_media(media, media_dir=settings.media_dir)  # nothing of a turn that did not happen is kept
        raise
    if answered.flooded:
        discard_media(media, media_dir=settings.media_dir)
        return _too_many(answered.replies, answered.retry_after)
    if not _taken(session_id, media[0].media_id):
        # Sent at a question that takes no recording: answered as a miss (the question again), and not kept.
        discard_media(media, media_dir=settings.media_dir)
    # The question asked again may be the main menu, with its community recording, as /chat/api/messages gives it.
    return jsonify(webchat_payload(answered.replies, audio_url=audio_prompts.url_finder(settings.media_dir)))


def _recording(max_bytes: int):
    """The body, or None when it is over `max_bytes` (read one byte past it and no further: a chunked body
    has no length to check first)."""
    if request.content_length is not None and request.content_length > max_bytes:
        return None
    request.max_content_length = max_bytes + 1  # the app's 1 MB limit is for JSON and forms, not recordings
    try:
        content = request.stream.read(max_bytes + 1)
    except RequestEntityTooLarge:
        return None
    return None if len(content) > max_bytes else content


def _taken(session_id: str, media_id: str) -> bool:
    """Whether the turn kept the recording in the resident's unfinished report."""
    keys = current_app.extensions["safer_homes.settings"].key_ring
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        contact = contacts.find_contact(session, channel=WEBCHAT, address_hash=keys.address_hash(WEBCHAT, session_id))
        if contact is None:
            return False
        state = contacts.load_conversation_state(session, contact_id=contact.id)
    return any(item[0] == media_id for item in state.get("draft", {}).get("media", []))


def _refused(session_id: str, status: int, error: str):
    """A recording not taken: `error` for developers, and for the resident a reply in their language that
    the page shows as the bot's, keeping the question's buttons (as a flood refusal does). Nothing is kept."""
    keys = current_app.extensions["safer_homes.settings"].key_ring
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        language = contacts.contact_language(session, channel=WEBCHAT, address_hash=keys.address_hash(WEBCHAT, session_id))
    response = jsonify(error=error, **webchat_payload((recording_refused_reply(language or i18n.DEFAULT_LANGUAGE),)))
    response.status_code = status
    return response
