"""The web chat's message adapter: POST /chat/api/messages, the most private way to report.

The client makes a random session id; it is the only address this channel has, and it is stored only
as a keyed hash. Replies go back in the same response, so nothing is ever sent to it later.
"""
from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

import flows
from bot.conversations import converse

blueprint = Blueprint("webchat_api", __name__)

MAX_BODY_BYTES = 64 * 1024
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
MAX_CHOICE_LENGTH = 64


def _refuse(message: str, status: int = 400):
    return jsonify(error=message), status


@blueprint.post("/chat/api/messages")
def receive_message():
    """One message from the page: validate it, run the conversation, answer with the replies."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _refuse("The message is too large (64 KB at most).", 413)
    try:
        # Read one byte past the limit and no further: a chunked body has no length to check first.
        body = request.stream.read(MAX_BODY_BYTES + 1)
    except RequestEntityTooLarge:
        return _refuse("The message is too large (64 KB at most).", 413)
    if len(body) > MAX_BODY_BYTES:
        return _refuse("The message is too large (64 KB at most).", 413)
    payload = _parse_json(body)
    if not isinstance(payload, dict):
        return _refuse("The body must be a JSON object.")
    session_id = payload.get("session")
    if not isinstance(session_id, str) or not SESSION_PATTERN.match(session_id):
        return _refuse("`session` must be a random id of 16 to 128 letters, digits, '-' or '_'.")
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

    answered = converse(
        current_app.extensions["safer_homes.engine"],
        current_app.extensions["safer_homes.settings"],
        channel="webchat",
        address=session_id,
        inbound=flows.Inbound(text=text, choice=choice, language_hint=hint),
        now=current_app.extensions["safer_homes.clock"](),
    )
    return jsonify(replies=[_reply_json(reply) for reply in answered.replies])


def _parse_json(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _storable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _reply_json(reply: flows.Reply) -> dict:
    return {
        "text": reply.text,
        "lang": reply.lang,
        "choices": [{"key": choice.key, "label": choice.label} for choice in reply.choices],
    }
