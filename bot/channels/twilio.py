"""WhatsApp and SMS through Twilio: the sending channel and the two webhooks that receive messages and
delivery reports.

Outgoing: a turn's replies become as few messages as fit (WhatsApp 1,600 characters; SMS at most ten
segments, counted in bot/sms.py), choices numbered on the last one. WhatsApp outside its 24-hour window
goes as an approved template from WHATSAPP_TEMPLATES_FILE, or is held. Incoming: the signature is checked
over PUBLIC_BASE_URL + path, the message becomes an Inbound (text, shared location, photos and voice notes
fetched with the account's credentials), and the reply goes through the outbox, never as TwiML.
STOP and its translations opt the contact out until they write again (Twilio itself blocks SMS after
STOP, so no SMS confirmation is attempted; WhatsApp has no automatic opt-out, so we confirm there).
"""
from __future__ import annotations

import json
import logging
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional, Sequence
from urllib.parse import urlsplit

import requests
from flask import Blueprint, Response, current_app, request
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

import flows
from bot import audio_prompts, sms
from bot.channels.base import (
    DeliveryError, OutsideWindow, Pace, Rejected, RetryAfter, Sent, Transient, Unreachable, utf16_length,
)
from bot.inbound import answer_and_deliver
from bot.media import MediaLimits, MediaRefused, discard_media, keep_media, media_to_keep
from bot.settings import Settings
from flows.bidi import without_direction_controls
from flows.i18n import LANGUAGES, localise_digits, matchable, translations
from flows.types import Media, Reply
from storage import outbox
from storage.database import new_session
from storage.types import utcnow

log = logging.getLogger(__name__)
# The library logs every request's URL and headers at INFO; one line per message is noise in production.
_http_log = logging.getLogger(__name__ + ".http")
_http_log.setLevel(logging.WARNING)

TWILIO_API = "https://api.twilio.com"
WHATSAPP_MAX_CHARS = 1600  # Twilio's Body limit (error 21617 above it)
SMS_MAX_CHARS = 1600
SMS_MAX_SEGMENTS = 10  # more than this is split into separate texts: long chains arrive out of order on old phones
TEMPLATE_VARIABLE_MAX = 1000  # WhatsApp caps a template's body near 1,024 characters
REQUEST_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_AFTER_SECONDS = 2.0  # Twilio's 429 rarely says how long; this is a few sends' worth at 1/s
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
MESSAGE_SID = re.compile(r"[A-Za-z0-9]{2,64}")
DELIVERY_STATUS = re.compile(r"[a-z_-]{1,16}")  # queued, sent, delivered, undelivered, failed, read, ...

# Error codes whose meaning is not in the HTTP status (https://www.twilio.com/docs/api/errors).
UNSUBSCRIBED = 21610  # the recipient texted STOP
BLOCKED = 63014  # the recipient blocked the WhatsApp sender, or the channel refused the message
WINDOW_CLOSED = 63016  # free-form WhatsApp message outside the 24-hour window
BAD_CREDENTIALS = 20003

# A file's kind is known only once it is here, so a download stops at the largest kind's limit
# (MediaLimits.largest) and bot.media.media_to_keep then holds it to its own.
MAX_MEDIA_ITEMS = 10
MAX_WEBHOOK_BYTES = 64 * 1024


# --- talking to the REST API ---------------------------------------------------------------------

class _ApiHttpClient(TwilioHttpClient):
    """The library's HTTP client, pointed at TWILIO_API_BASE_URL, remembering each thread's Retry-After.

    The library builds every URL on https://api.twilio.com; rewriting here (rather than patching each
    domain's base_url) covers every resource, media downloads included.
    """

    def __init__(self, api_base_url: str, timeout: float = REQUEST_TIMEOUT_SECONDS):
        super().__init__(timeout=timeout, logger=_http_log)
        self.api_base_url = api_base_url.rstrip("/")
        self._last = threading.local()  # the delivery worker sends from several threads at once

    def rewrite(self, url: str) -> str:
        if self.api_base_url == TWILIO_API:
            return url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host != "twilio.com" and not host.endswith(".twilio.com"):
            return url
        rest = url[len(f"{parts.scheme}://{parts.netloc}"):]
        return self.api_base_url + rest

    def request(self, method, url, *args, **kwargs):
        self._last.retry_after = None
        response = super().request(method, self.rewrite(url), *args, **kwargs)
        if response.status_code == 429:
            self._last.retry_after = response.headers.get("Retry-After")
        return response

    def last_retry_after(self) -> Optional[float]:
        value = getattr(self._last, "retry_after", None)
        try:
            seconds = float(value) if value is not None else None
        except ValueError:
            return None  # an HTTP date: rare enough from Twilio that the default wait will do
        return seconds if seconds is not None and 0 <= seconds <= 3600 else None

    def download(self, url: str, *, auth: tuple[str, str], max_bytes: int) -> tuple[bytes, str]:
        """GET a media URL of this account with its credentials; refuses anything off the API's host.

        The library's own `request` returns text, not bytes, so this uses its session directly.
        """
        url = self.rewrite(url)
        if not url.startswith(self.api_base_url + "/"):
            raise MediaRefused("not a Twilio media address")
        session = self.session or requests.Session()
        # Twilio answers with a redirect to its CDN; requests drops the credentials when the host changes.
        with session.get(url, auth=auth, timeout=self.timeout, stream=True, allow_redirects=True) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise MediaNotFetched(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise MediaRefused(f"HTTP {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MediaRefused("too large")
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > max_bytes:
                    raise MediaRefused("too large")
        return bytes(content), content_type


class MediaNotFetched(MediaRefused):
    """A download that failed for now (no answer, Twilio's 429 or 5xx): the file itself may be fine."""


class WhatsAppTemplates:
    """Approved templates from WHATSAPP_TEMPLATES_FILE: {"<kind>": {"<language>": "HX…"}}.

    Read again whenever the file changes, so an operator adds a template without a restart. A missing
    file means no templates: out-of-window messages are then held until the resident writes.
    """

    def __init__(self, path: str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._loaded: tuple[Optional[int], dict] = (None, {})

    def content_sid(self, kind: str, language: str) -> Optional[str]:
        entry = self._table().get(kind)
        sid = entry.get(language) if isinstance(entry, dict) else None
        return sid if isinstance(sid, str) and CONTENT_SID.fullmatch(sid) else None

    def _table(self) -> dict:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return {}
        with self._lock:
            if self._loaded[0] == mtime:
                return self._loaded[1]
            try:
                table = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.warning("WhatsApp templates file %s is not readable JSON; using no templates", self.path)
                table = {}
            self._loaded = (mtime, table if isinstance(table, dict) else {})
            return self._loaded[1]


# --- the channel ---------------------------------------------------------------------------------

class TwilioChannel:
    """WhatsApp or SMS through one Twilio sender number."""

    def __init__(self, settings: Settings, name: str):
        if name not in ("whatsapp", "sms"):
            raise ValueError(f"unknown Twilio channel {name!r}")
        self.name = name
        # WhatsApp carries voice notes and photos; UK numbers take no MMS, so an SMS resident can send text only.
        self.media_kinds = frozenset({"photo", "voice"}) if name == "whatsapp" else frozenset()
        self.settings = settings
        self.sender = (settings.twilio_whatsapp_number if name == "whatsapp" else settings.twilio_sms_number)
        self.sender = self.sender.removeprefix("whatsapp:")
        self.http = _ApiHttpClient(settings.twilio_api_base_url)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                             account_sid=settings.twilio_account_sid, http_client=self.http)
        self.templates = WhatsAppTemplates(settings.whatsapp_templates_file)
        base = settings.public_base_url.rstrip("/")
        # Twilio refuses a callback it cannot reach; a local address (the default) would fail every send.
        self.status_callback = f"{base}/webhooks/twilio/status" if base.startswith("https://") else None

    # rendering

    def render(self, replies: Sequence[Reply]) -> list[dict]:
        """One turn's replies as few messages as fit, choices numbered on the last one."""
        texts = [text for text in (_reply_text(reply) for reply in replies) if text]
        return self._recordings(replies) + [self._payload(text) for text in _pack(texts, self._fits)]

    def _recordings(self, replies: Sequence[Reply]) -> list[dict]:
        """WhatsApp: each community recording of a prompt (flows/audio_prompts.py) as a media message of its own
        before the text, so a crash between the two never sends it again. Twilio fetches the file from our
        public address, which it can only reach over https. SMS: none (UK numbers take no MMS)."""
        base = self.settings.public_base_url.rstrip("/")
        if self.name != "whatsapp" or not base.startswith("https://"):
            return []
        return [{"media_url": base + audio_prompts.public_path(recording), "recording": recording.file_name}
                for recording in audio_prompts.recordings_for(replies, self.settings.media_dir)]

    def _fits(self, text: str) -> bool:
        if self.name == "whatsapp":
            return utf16_length(text) <= WHATSAPP_MAX_CHARS
        body = sms.gsm_friendly(text)
        return utf16_length(body) <= SMS_MAX_CHARS and sms.segments(body) <= SMS_MAX_SEGMENTS

    def _payload(self, text: str) -> dict:
        if self.name == "whatsapp":
            return {"body": text}
        body = sms.gsm_friendly(text)
        return {"body": body, "segments": sms.segments(body)}

    # sending

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.name == "whatsapp" else number

    def send(self, address: str, payload: dict, *, kind: str, language: str, window_open: bool) -> Sent:
        """Send one payload; a DeliveryError subclass says why it did not go (never the number or text)."""
        body = payload.get("body") or ""
        params: dict = {"to": self._address(address), "from_": self._address(self.sender)}
        if self.status_callback:
            params["status_callback"] = self.status_callback
        if payload.get("media_url"):
            params["media_url"] = [self._recording_url(payload, window_open=window_open)]
        elif self.name == "whatsapp" and not window_open:
            params.update(self._template(body, kind=kind, language=language))
        elif body:
            params["body"] = body
        else:
            # mark_sent drops the text; a message sent once and then held has nothing left to send.
            raise Rejected("nothing to send: the message text is no longer kept")
        try:
            message = self.client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as error:
            raise self._delivery_error(error) from None
        except requests.RequestException as error:
            raise Transient(f"Twilio not reached ({type(error).__name__})") from None
        except TwilioException as error:
            raise Transient(f"Twilio client error ({type(error).__name__})") from None
        return Sent(provider_message_id=message.sid, segments=self._segments(payload, message))

    def _recording_url(self, payload: dict, *, window_open: bool) -> str:
        """The address of the recording a queued media message names, while it can still go."""
        if self.name != "whatsapp":
            raise Rejected("recorded prompts go to WhatsApp only")
        if not window_open:
            # No template carries a recording; held, it would play an old menu over whatever comes next.
            raise Rejected("a recorded prompt is not sent outside WhatsApp's 24-hour window; its text goes on its own")
        if audio_prompts.by_file_name(self.settings.media_dir, payload.get("recording", "")) is None:
            raise Rejected("the recorded prompt was replaced or removed after it was queued")
        return payload["media_url"]

    def _template(self, body: str, *, kind: str, language: str) -> dict:
        """Outside WhatsApp's window: the approved template for this kind and language, text in {{1}}."""
        content_sid = self.templates.content_sid(kind, language)
        if content_sid is None:
            raise OutsideWindow(f"WhatsApp window closed and no template for {kind}/{language}")
        # WhatsApp refuses line breaks and long runs of spaces inside a template variable.
        variable = " ".join(body.split())
        if not variable or len(variable) > TEMPLATE_VARIABLE_MAX:
            raise OutsideWindow(f"WhatsApp window closed and the {kind} text does not fit template {{1}}")
        return {"content_sid": content_sid, "content_variables": json.dumps({"1": variable}, ensure_ascii=False)}

    def _segments(self, payload: dict, message) -> Optional[int]:
        if self.name != "sms":
            return None
        try:
            billed = int(message.num_segments)
        except (TypeError, ValueError):
            billed = 0
        return billed if billed > 0 else payload.get("segments") or sms.segments(payload.get("body") or "")

    def _delivery_error(self, error: TwilioRestException | TwilioServiceException) -> DeliveryError:
        status, code = int(error.status or 0), _int(error.code)
        # Only the status and code go into the message: Twilio's own text can quote the number.
        detail = f"Twilio {status} error {code}" if code else f"Twilio {status} error"
        if code == UNSUBSCRIBED:
            return Unreachable(f"{detail}: the recipient unsubscribed (STOP)")
        if code == BLOCKED:
            return Unreachable(f"{detail}: the recipient blocked this sender")
        if code == WINDOW_CLOSED:
            return OutsideWindow(f"{detail}: outside WhatsApp's 24-hour window")
        if status == 429:
            return RetryAfter(self.http.last_retry_after() or DEFAULT_RETRY_AFTER_SECONDS, f"{detail}: too many requests")
        if status >= 500:
            return Transient(detail)
        if status == 401 or code == BAD_CREDENTIALS:
            return Rejected(f"{detail}: bad credentials")
        return Rejected(detail)

    def paces(self, address: str) -> list[Pace]:
        return [Pace(f"twilio:{self.sender}", self.settings.twilio_messages_per_second)]

    def close(self) -> None:
        """Close the pooled connections to the API (tests and a worker shutting down)."""
        if self.http.session is not None:
            self.http.session.close()

    # receiving

    def fetch_media(self, url: str, declared_type: str) -> tuple[bytes, str, str]:
        """Download one inbound photo or voice note: (content to keep, kind, file suffix), or MediaRefused
        (MediaNotFetched when the download failed for now). The content comes back without its metadata
        (bot.media.media_to_keep): an MMS photo may carry the camera's GPS position."""
        limits = MediaLimits.from_settings(self.settings)
        try:
            content, content_type = self.http.download(
                url, auth=(self.settings.twilio_account_sid, self.settings.twilio_auth_token),
                max_bytes=limits.largest,
            )
        except requests.RequestException as error:
            raise MediaNotFetched(f"download failed ({type(error).__name__})") from None
        kept = media_to_keep(content, declared_type=content_type or declared_type.lower(), limits=limits)
        return kept.content, kept.kind, kept.extension


def _int(value) -> Optional[int]:
    """A whole number that fits the database's integer (Twilio's error codes have five digits), else None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**31 else None


def _reply_text(reply: Reply) -> str:
    """A reply as plain text, its choices numbered one a line in the reply's own digits (unless an easy-read
    reply's text lists them already)."""
    lines = [] if reply.numbered else [
        f"{localise_digits(str(number), reply.lang)}. {choice.label}" for number, choice in enumerate(reply.choices, 1)]
    return "\n\n".join(part for part in (reply.text.strip(), "\n".join(lines)) if part)


def _pack(texts: Sequence[str], fits: Callable[[str], bool]) -> list[str]:
    """Join texts with blank lines into as few messages as fit, splitting any that is too long."""
    messages: list[str] = []
    for text in texts:
        for piece in _split(text, fits):
            if messages and fits(messages[-1] + "\n\n" + piece):
                messages[-1] += "\n\n" + piece
            else:
                messages.append(piece)
    return messages


def _split(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Pieces that each fit: cut between paragraphs, else lines, else words, else anywhere."""
    text = text.strip()
    if not text or fits(text):
        return [text] if text else []
    for separator in ("\n\n", "\n", " "):
        parts = [part for part in text.split(separator) if part.strip()]
        if len(parts) < 2:
            continue
        chunks: list[str] = []
        current = ""
        for part in parts:
            candidate = f"{current}{separator}{part}" if current else part
            if fits(candidate):
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = part
        chunks.append(current)
        return [piece for chunk in chunks for piece in _split(chunk, fits)]
    # One word longer than a message (a pasted link, say): cut at the longest prefix that fits.
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return [text[:low]] + _split(text[low:], fits)


# --- the webhooks --------------------------------------------------------------------------------

blueprint = Blueprint("twilio", __name__)

# Words that opt out, in English as Twilio knows them and as the flows translate "stop". On SMS Twilio's
# Advanced Opt-Out acts on all of its words (and says so in OptOutType); WhatsApp has no opt-out of its
# own, so there only the unmistakable ones count.
OPT_OUT_WORDS = {
    "whatsapp": frozenset({"stop", "stopall", "unsubscribe", "বন্ধ করুন", "joogso"}),
    "sms": frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke",
                      "বন্ধ করুন", "joogso"}),
}
# Twilio's SMS synonyms for words the flows already know.
SMS_SYNONYMS = {"unstop": "start", "info": "help"}


def _settings() -> Settings:
    return current_app.extensions["safer_homes.settings"]


def _now():
    # The web process's clock (tests fix it), as answer_and_deliver uses.
    return current_app.extensions.get("safer_homes.clock", utcnow)()


def _empty_twiml() -> Response:
    # Twilio sends nothing itself: replies go through the outbox and the REST API, with retries.
    return Response(str(MessagingResponse()), status=200, mimetype="text/xml")


def _refuse(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _signed_by_twilio(settings: Settings) -> bool:
    """X-Twilio-Signature over PUBLIC_BASE_URL + path (+ query) and the form, with the auth token."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return False
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url = settings.public_base_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(settings.twilio_auth_token).validate(url, request.form, signature)


def _checked_request() -> Optional[Response]:
    """The refusal for a request too large or not signed by Twilio, or None to go on."""
    if request.content_length is not None and request.content_length > MAX_WEBHOOK_BYTES:
        return _refuse(413, "Too large.")
    # A chunked body has no length to check first: read it (the app's 1 MB at most) and keep it for the form.
    if len(request.get_data(cache=True)) > MAX_WEBHOOK_BYTES:
        return _refuse(413, "Too large.")
    if not _signed_by_twilio(_settings()):
        log.warning("refused a Twilio webhook: missing or wrong signature, or Twilio not configured")
        return _refuse(403, "Signature required.")
    return None


def e164(raw: str) -> Optional[str]:
    """The E.164 number in a Twilio address ("whatsapp:+447700900456" → "+447700900456"), or None."""
    value = raw.strip()
    if value.lower().startswith("whatsapp:"):
        value = value[len("whatsapp:"):]
    value = re.sub(r"[\s().-]", "", value)
    if value.startswith("00"):
        value = "+" + value[2:]
    return value if E164.fullmatch(value) else None


@lru_cache(maxsize=None)
def _stop_words(channel: str) -> frozenset[str]:
    """The words that opt out, as typed words are compared (flows.i18n.matchable): worked out once per process,
    not for every language on every message."""
    translated = {matchable(translations(language.code).gettext("stop")) for language in LANGUAGES}
    return frozenset(matchable(word) for word in OPT_OUT_WORDS[channel]) | translated


def _keyword(channel: str, body: str, opt_out_type: str) -> Optional[str]:
    """"stop" when the message opts out, the flows' word for an SMS synonym, else None."""
    # Compared as the flows compare command words (direction marks out, no accents or Arabic vowel marks), so
    # a stop word the flows answer with "Stopped" also stops everything we would send.
    word = matchable(without_direction_controls(body))
    if opt_out_type.strip().upper() == "STOP" or word in _stop_words(channel):
        return "stop"
    if channel == "sms" and word in SMS_SYNONYMS:
        return SMS_SYNONYMS[word]
    return None


@dataclass
class _Parsed:
    inbound: flows.Inbound
    keyword: Optional[str]


class _Malformed(Exception):
    pass


def _parse_inbound(form, channel: TwilioChannel, settings: Settings) -> _Parsed:
    body = form.get("Body", "")
    keyword = _keyword(channel.name, body, form.get("OptOutType", ""))
    latitude, longitude = _coordinates(form)
    if latitude is not None:
        # The flows keep the point itself; Address and Label (a place's name) would be dropped by them.
        return _Parsed(flows.Inbound(latitude=latitude, longitude=longitude), None)
    media, refused = _fetch_all_media(form, channel, settings)
    text = keyword if keyword else (body if body.strip() else None)
    # ProfileName is never read: a named reporter's name is only ever the one they type.
    inbound = flows.Inbound(text=text, media=tuple(media), refused_media=refused and not media)
    return _Parsed(inbound, keyword)


def _coordinates(form) -> tuple[Optional[float], Optional[float]]:
    raw_latitude, raw_longitude = form.get("Latitude", "").strip(), form.get("Longitude", "").strip()
    if not raw_latitude and not raw_longitude:
        return None, None
    try:
        latitude, longitude = float(raw_latitude), float(raw_longitude)
    except ValueError:
        raise _Malformed("Latitude and Longitude must be numbers") from None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise _Malformed("Latitude and Longitude must be numbers")
    return latitude, longitude


def _fetch_all_media(form, channel: TwilioChannel, settings: Settings) -> tuple[list[Media], bool]:
    """The photos and voice notes kept from a message, and whether any was refused for good."""
    try:
        count = int(form.get("NumMedia", "0") or 0)
    except ValueError:
        raise _Malformed("NumMedia must be a number") from None
    media: list[Media] = []
    refused = False
    for index in range(min(max(count, 0), MAX_MEDIA_ITEMS)):
        url = form.get(f"MediaUrl{index}", "")
        if not url:
            continue
        try:
            content, kind, suffix = channel.fetch_media(url, form.get(f"MediaContentType{index}", ""))
        except MediaNotFetched as failed:
            log.warning("could not fetch media item %d of an inbound %s message: %s", index, channel.name, failed)
            continue
        except MediaRefused as refusal:
            log.info("did not keep media item %d of an inbound %s message: %s", index, channel.name, refusal)
            refused = True
            continue
        media.append(Media(media_id=keep_media(content, extension=suffix, media_dir=settings.media_dir), kind=kind))
    return media, refused


@blueprint.post("/webhooks/twilio")
def receive_message():
    """A resident's WhatsApp or SMS message: check, answer through the outbox, answer Twilio with nothing."""
    refused = _checked_request()
    if refused is not None:
        return refused
    settings = _settings()
    form = request.form
    message_sid, sender = form.get("MessageSid", "").strip(), form.get("From", "").strip()
    if not message_sid or not sender:
        return _refuse(400, "MessageSid and From are required.")
    if not MESSAGE_SID.fullmatch(message_sid):
        return _refuse(400, "MessageSid is not a message id.")
    channel_name = "whatsapp" if sender.lower().startswith("whatsapp:") else "sms"
    channel = current_app.extensions["safer_homes.deliverer"].channels.get(channel_name)
    if not isinstance(channel, TwilioChannel):
        log.warning("refused a Twilio %s message: that channel is not configured", channel_name)
        return _refuse(403, f"{channel_name} is not configured.")
    address = e164(sender)
    if address is None:
        return _refuse(400, "From is not a phone number.")
    try:
        parsed = _parse_inbound(form, channel, settings)
    except _Malformed as malformed:
        return _refuse(400, f"{malformed}.")

    stopping = parsed.keyword == "stop"
    answered = answer_and_deliver(
        channel=channel_name, address=address, inbound=parsed.inbound, provider_message_id=message_sid,
        opting_out=stopping,
        # Twilio and the carrier confirm their own STOP keywords by SMS and block what we send after;
        # a STOP word they do not know (Bengali, Somali) gets our confirmation instead.
        quiet=stopping and channel_name == "sms" and form.get("OptOutType", "").strip().upper() == "STOP",
    )
    if answered.duplicate or answered.flooded:
        # A redelivery's first delivery kept its own copy; nothing of a message refused as a flood is kept.
        discard_media(parsed.inbound.media, media_dir=settings.media_dir)
    return _empty_twiml()


@blueprint.post("/webhooks/twilio/status")
def receive_status():
    """A delivery report: moves the message's delivery status forward, and acts on what failed."""
    refused = _checked_request()
    if refused is not None:
        return refused
    form = request.form
    message_sid, status = form.get("MessageSid", "").strip(), form.get("MessageStatus", "").strip().lower()
    if not message_sid or not status:
        return _refuse(400, "MessageSid and MessageStatus are required.")
    if not MESSAGE_SID.fullmatch(message_sid) or not DELIVERY_STATUS.fullmatch(status):
        return _refuse(400, "MessageSid is not a message id, or MessageStatus is not a status.")
    error_code = _int(form.get("ErrorCode"))
    effect = {WINDOW_CLOSED: "hold", UNSUBSCRIBED: "unreachable", BLOCKED: "unreachable"}.get(error_code)
    with new_session(current_app.extensions["safer_homes.engine"]) as session:
        outbox.apply_delivery_report(session, provider_message_id=message_sid, status=status, error_code=error_code,
                                     effect=effect, now=_now())
        session.commit()
    return _empty_twiml()
