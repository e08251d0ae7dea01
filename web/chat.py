"""GET /chat: the web chat page. One small HTML file with its CSS and script inline, no third parties."""
from __future__ import annotations

import secrets

from flask import Blueprint, make_response, render_template, request

from flows import i18n
from flows.audio_prompts import AUDIO_PROMPTS
from web.i18n import translator

blueprint = Blueprint("chat", __name__)

# Where "quick exit" goes: a neutral, common page that reveals nothing if someone looks at the screen.
QUICK_EXIT_URL = "https://www.bbc.co.uk/weather"
# The languages that write numbers in digits of their own (Bengali), for numbering the choices: the others
# use Latin digits, so the page need not carry them.
OWN_DIGITS = {language.code: language.digits for language in i18n.LANGUAGES if language.digits != "0123456789"}


# The languages a community recording may be in (flows/audio_prompts.py): the player is named in the
# recording's language, which is the resident's, not necessarily the page's.
RECORDED_LANGUAGES = tuple(sorted({code for prompt in AUDIO_PROMPTS.values() for code in prompt.languages}))


def listen_labels() -> dict[str, str]:
    """The player's accessible name in each language a recording may be in."""
    # TRANSLATORS: in the web chat, the accessible name of the player of a message read aloud by someone from
    # the community.
    return {code: translator(code)._("Listen to this message") for code in RECORDED_LANGUAGES}


@blueprint.get("/chat")
def chat_page():
    explicit = i18n.best_match(request.args.get("lang"))
    # A fresh nonce per page: only our own inline script and style run, never injected ones or handlers.
    nonce = secrets.token_urlsafe(16)
    page = render_template("chat.html", quick_exit_url=QUICK_EXIT_URL, bot_hint=explicit or "", nonce=nonce,
                           own_digits=OWN_DIGITS, listen=listen_labels())
    response = make_response(page)
    # Nothing about a report should be kept by the browser or a shared computer's cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
        # media-src: the community recordings of prompts the page plays (/audio/..., web/audio_prompts.py).
        "media-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["Vary"] = "Accept-Language"
    return response


@blueprint.get("/chat/voice.js")
def voice_script():
    """The microphone button's script, which chat.html fetches only where the browser can record, in the page's
    language (`?lang=`): the same for everyone, so browsers and proxies may keep it a day."""
    response = make_response(render_template("chat_voice.js"))
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Vary"] = "Accept-Language"
    return response
