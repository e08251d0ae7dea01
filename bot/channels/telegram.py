"""Telegram: replies as Bot API messages, the webhook that takes residents' updates, and polling for development.

Every Bot API call goes through python-telegram-bot's `Bot`, pointed at TELEGRAM_API_BASE_URL. The Bot is
asynchronous while the web process and the delivery worker are threaded, so each channel runs one private
event loop in a daemon thread and every thread hands it coroutines (`_run`); the Bot is initialised once,
on that loop, the first time it is needed.

Pacing is the Deliverer's (`paces` below, spaced by bot.delivery.Pacer, in Redis when several workers
share it) rather than python-telegram-bot's AIORateLimiter: that limiter only sees one process, and it
lives in telegram.ext, which this adapter does not otherwise need.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import html
import json
import logging
import os
import re
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Iterable, Optional, Sequence, TypeVar

# Opt in to python-telegram-bot 23's time periods now (retry_after as a timedelta): without it 22.x warns
# from inside its own RetryAfter constructor, which a warnings-as-errors test run turns into a crash.
os.environ.setdefault("PTB_TIMEDELTA", "true")

import telegram  # noqa: E402 (after the opt-in above)
from flask import Blueprint, current_app, request
from telegram import error as telegram_errors
from telegram.constants import ChatType, ParseMode
from telegram.request import HTTPXRequest

import flows
from bot import audio_prompts
from bot.channels.base import DeliveryError, Pace, Rejected, RetryAfter, Sent, Transient, Unreachable, utf16_length
from bot.media import DECLARED_TYPES, MEDIA_TYPES, MediaLimits, MediaRefused, discard_media, keep_media, media_to_keep
from bot.settings import Settings
from flows.types import Media, Reply

log = logging.getLogger(__name__)
# httpx logs every request line at INFO, and a Bot API address holds the bot's token.
logging.getLogger("httpx").setLevel(logging.WARNING)

NAME = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
MAX_MESSAGE_LENGTH = 4096  # characters after entity parsing; counted here in UTF-16 units, the stricter reading
MAX_CALLBACK_DATA_BYTES = 64
# Real updates are a few kilobytes (4,096 characters of text at most). Below the app's own 1 MB, so a chunked
# body past it is seen to be too large rather than cut short at 1 MB.
MAX_UPDATE_BYTES = 256 * 1024
# Telegram's published limits: about 30 messages a second overall, about one a second in one chat.
# Paced a little under the published 30/s: a send can leave up to ~70 ms after its slot (thread
# scheduling, a new connection), and that slack keeps such stragglers from crowding one second.
MESSAGES_PER_SECOND = 28
MESSAGES_PER_SECOND_PER_CHAT = 1
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
_NO_PREVIEW = telegram.LinkPreviewOptions(is_disabled=True)  # a typed link is not fetched for a preview

T = TypeVar("T")


# --- rendering -------------------------------------------------------------------------------------

def render_replies(replies: Sequence[Reply]) -> list[dict]:
    """One turn's replies as few messages as fit, escaped for parse_mode HTML, choices on the last one."""
    texts = [reply.text.strip() for reply in replies if reply.text and reply.text.strip()]
    if not texts:
        return []
    # Split before escaping: the limit counts what the resident reads, and no cut can fall inside "&amp;".
    payloads = [{"text": html.escape(part, quote=False), "parse_mode": ParseMode.HTML.value}
                for part in split_text("\n\n".join(texts))]
    buttons = []
    for choice in replies[-1].choices:
        if 1 <= len(choice.key.encode()) <= MAX_CALLBACK_DATA_BYTES:
            buttons.append([choice.key, choice.label])
        else:
            # A flow bug; the other buttons still go, so the resident is not left with nothing to tap.
            log.error("choice key %r does not fit Telegram's 64-byte callback data; its button is left out", choice.key)
    if buttons:
        payloads[-1]["buttons"] = buttons
    return payloads


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units, cut at a paragraph, else a line, else a word."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        fitting = _fitting_prefix(rest, limit)
        cut = _cut_point(rest, fitting)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut_point(text: str, fitting: int) -> int:
    # A break in the second half keeps messages few; failing that, any word break beats a cut word.
    window = text[:fitting]
    for separator in ("\n\n", "\n", " "):
        index = window.rfind(separator)
        if index >= fitting // 2:
            return index
    index = max(window.rfind(" "), window.rfind("\n"))
    if index > 0:
        return index
    cut = fitting
    # Never separate a Bengali vowel sign or any other combining mark from the letter it belongs to.
    while cut > 1 and unicodedata.category(text[cut]) in ("Mn", "Mc", "Me"):
        cut -= 1
    return cut


# --- delivery errors -------------------------------------------------------------------------------

def delivery_error(error: telegram_errors.TelegramError, *, hide: Iterable[str] = ()) -> DeliveryError:
    """What the outbox should do about a Bot API error; the detail never holds a chat id or message text."""
    detail = _safe_detail(error, hide)
    if isinstance(error, telegram_errors.RetryAfter):
        seconds = _retry_after_seconds(error)
        return RetryAfter(seconds, f"Telegram 429: retry after {seconds:g}s")
    if isinstance(error, telegram_errors.Forbidden):  # blocked, deactivated, or never started the bot
        return Unreachable(f"Telegram 403: {detail}")
    if isinstance(error, telegram_errors.InvalidToken):  # its message would repeat the token
        return Rejected("Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)")
    if isinstance(error, telegram_errors.BadRequest):  # before NetworkError: BadRequest subclasses it
        return Rejected(f"Telegram 400: {detail}")
    if isinstance(error, telegram_errors.NetworkError):  # timeouts, connection errors and every 5xx
        return Transient(f"Telegram: {detail}")
    return Rejected(f"Telegram: {detail}")


def _safe_detail(error: telegram_errors.TelegramError, hide: Iterable[str]) -> str:
    # Telegram quotes the offending part of a message in some descriptions (`tag "…" at byte offset`).
    detail = str(error.message).split('"')[0].strip()
    for secret in hide:
        if secret:
            detail = detail.replace(secret, "…")
    return detail[:160] or type(error).__name__


def _retry_after_seconds(error: telegram_errors.RetryAfter) -> float:
    value = error.retry_after  # a timedelta with PTB_TIMEDELTA (set above), an int in older releases
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# --- the channel -----------------------------------------------------------------------------------

class TelegramChannel:
    """The Channel for Telegram (bot.channels.base.Channel), plus the Bot API calls the webhook needs."""

    name = NAME
    media_kinds = frozenset({"photo", "voice"})  # voice notes, audio files and photos (store_media)

    def __init__(self, settings: Settings, *, timeout: float = 10.0, connect_timeout: float = 5.0):
        self.settings = settings
        base = settings.telegram_api_base_url.rstrip("/")
        self.bot = telegram.Bot(
            settings.telegram_bot_token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            # Many sender threads share one loop, so the pool must be wider than the default of one.
            request=HTTPXRequest(connection_pool_size=64, read_timeout=timeout, write_timeout=timeout,
                                 connect_timeout=connect_timeout, pool_timeout=timeout),
            get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=timeout,
                                             connect_timeout=connect_timeout),
        )
        # The longest one call may take before we give up on it (python-telegram-bot's own timeouts first).
        self.deadline = 2 * timeout + connect_timeout + 5
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        self._initialised = False
        self._initialising: Optional[asyncio.Lock] = None
        self._background: set[concurrent.futures.Future] = set()
        # Recorded prompts already uploaded, by file name (which changes with the recording): Telegram's file_id.
        self._voice_file_ids: dict[str, str] = {}

    # Channel protocol -------------------------------------------------------------------------------

    def render(self, replies: Sequence[Reply]) -> list[dict]:
        # A community recording of a prompt goes first, as its own outbox message (flows/audio_prompts.py): the
        # text after it is then a message of its own too, so a crash between the two never sends the voice again.
        voices = [{"voice": recording.file_name}
                  for recording in audio_prompts.recordings_for(replies, self.settings.media_dir)]
        return voices + render_replies(replies)

    def send(self, address: str, payload: dict, *, kind: str, language: str, window_open: bool) -> Sent:
        """Send one message; python-telegram-bot's errors become the outbox's DeliveryErrors."""
        try:
            chat_id = int(address)
        except ValueError:
            raise Rejected("not a Telegram chat id") from None
        if "voice" in payload:
            return self._send_voice(chat_id, payload["voice"], address)
        buttons = payload.get("buttons") or []
        markup = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton(label, callback_data=key)] for key, label in buttons]
        ) if buttons else None
        try:
            message = self._run(lambda: self.bot.send_message(
                chat_id=chat_id, text=payload["text"], parse_mode=payload.get("parse_mode"), reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
            ))
        except telegram_errors.TelegramError as error:
            raise delivery_error(error, hide=(self.settings.telegram_bot_token, address)) from None
        # Message ids count per chat, and the outbox wants ids unique across chats: a random suffix does
        # that without writing the chat id (or anything derived from it) next to the message.
        return Sent(provider_message_id=f"tg:{message.message_id}:{secrets.token_hex(8)}")

    def _send_voice(self, chat_id: int, file_name: str, address: str) -> Sent:
        """A recorded prompt as a voice message: uploaded (multipart) the first time, then by the file_id
        Telegram gave it, which saves sending the same bytes to every resident."""
        recording = audio_prompts.by_file_name(self.settings.media_dir, file_name)
        if recording is None:
            # Replaced or removed after this message was queued: the one queued is no longer there to send,
            # and another would not be the same message. The text queued after it goes as usual.
            raise Rejected("the recorded prompt was replaced or removed after it was queued")
        cached = self._voice_file_ids.get(file_name)
        for voice in ((cached, None) if cached else (None,)):
            try:
                message = self._run(lambda: self.bot.send_voice(
                    chat_id=chat_id, voice=voice or recording.path.read_bytes(), filename=file_name))
                break
            except telegram_errors.BadRequest as error:
                if voice is None:
                    raise delivery_error(error, hide=(self.settings.telegram_bot_token, address)) from None
                self._voice_file_ids.pop(file_name, None)  # a file_id Telegram no longer knows: upload again
            except telegram_errors.TelegramError as error:
                raise delivery_error(error, hide=(self.settings.telegram_bot_token, address)) from None
        if message.voice is not None:
            self._voice_file_ids[file_name] = message.voice.file_id
        return Sent(provider_message_id=f"tg:{message.message_id}:{secrets.token_hex(8)}")

    def paces(self, address: str) -> list[Pace]:
        chat = self.settings.key_ring.address_hash(NAME, address)[:32]
        return [Pace(NAME, MESSAGES_PER_SECOND), Pace(f"{NAME}:{chat}", MESSAGES_PER_SECOND_PER_CHAT)]

    # Bot API calls besides sending ----------------------------------------------------------------

    def parse_update(self, data: Any) -> Optional[telegram.Update]:
        """An Update from a webhook body, or None when it is not one."""
        update_id = data.get("update_id") if isinstance(data, dict) else None
        # Telegram's update ids are positive 32-bit numbers; anything past 64 bits could not be kept as the
        # receipt that makes a redelivery a duplicate (InboundReceipt.provider_message_id).
        if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
            return None
        try:
            update = telegram.Update.de_json(data, self.bot)
        except Exception:  # de_json raises whatever the malformed part makes it raise
            return None
        return update if _well_typed(update) else None

    def answer_callback_query_soon(self, callback_query_id: str) -> None:
        """Stop the tapped button's spinner; best effort, and nobody waits for it."""
        try:
            future = self._submit(lambda: self.bot.answer_callback_query(callback_query_id))
        except RuntimeError:  # closed: the process is stopping, and the spinner times out by itself
            return
        with self._lock:
            self._background.add(future)
        future.add_done_callback(self._background_done)

    def _background_done(self, future: concurrent.futures.Future) -> None:
        with self._lock:
            self._background.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.info("answerCallbackQuery failed: %s", type(future.exception()).__name__)

    def download(self, file_id: str, *, max_bytes: int) -> bytes:
        """A file a resident sent (getFile, then its file URL), refused past `max_bytes`."""

        async def fetch() -> bytes:
            found = await self.bot.get_file(file_id)
            if found.file_size is not None and found.file_size > max_bytes:
                raise MediaRefused("too large")
            content = await found.download_as_bytearray()
            if len(content) > max_bytes:
                raise MediaRefused("too large")
            return bytes(content)

        return self._run(fetch)

    def set_webhook(self, url: str, *, secret_token: str, drop_pending_updates: bool = False) -> bool:
        return self._run(lambda: self.bot.set_webhook(
            url=url, secret_token=secret_token, allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending_updates,
        ))

    def delete_webhook(self) -> bool:
        return self._run(lambda: self.bot.delete_webhook(drop_pending_updates=False))

    def get_updates(self, *, offset: Optional[int], timeout: int) -> tuple[telegram.Update, ...]:
        return self._run(
            lambda: self.bot.get_updates(offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)),
            deadline=self.deadline + timeout,
        )

    def close(self) -> None:
        """Finish best-effort calls briefly, close the Bot's connections and stop the loop."""
        with self._lock:
            loop, thread, self._loop, self._closed = self._loop, self._thread, None, True
            background = list(self._background)
        if loop is None:
            return
        concurrent.futures.wait(background, timeout=2)

        async def shut_down() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            await self.bot.shutdown()

        try:
            asyncio.run_coroutine_threadsafe(shut_down(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # The private loop ---------------------------------------------------------------------------

    def _run(self, call: Callable[[], Awaitable[T]], *, deadline: Optional[float] = None) -> T:
        """Run one Bot API coroutine on the channel's loop and wait for it, from any thread."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("TelegramChannel._run called from its own loop: it would wait for itself")
        future = self._submit(call)
        try:
            return future.result(deadline or self.deadline)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise telegram_errors.TimedOut("no answer from the Bot API in time") from None
        except BaseException:
            future.cancel()  # Ctrl-C while waiting: the call stops too
            raise

    def _submit(self, call: Callable[[], Awaitable[T]]) -> concurrent.futures.Future:
        loop = self._started_loop()  # first: a closed channel raises before any coroutine exists
        return asyncio.run_coroutine_threadsafe(self._initialised_then(call), loop)

    async def _initialised_then(self, call: Callable[[], Awaitable[T]]) -> T:
        if not self._initialised:
            async with self._initialising:
                if not self._initialised:
                    await self.bot.initialize()  # getMe: checks the token once
                    self._initialised = True
        return await call()

    def _started_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("this TelegramChannel is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._initialising = asyncio.Lock()
                thread = threading.Thread(target=_run_forever, args=(loop,), name="telegram-bot-api", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


def valid_webhook_secret(secret: str) -> bool:
    """setWebhook takes 1 to 256 of A-Z, a-z, 0-9, "_" and "-" as the secret token."""
    return bool(_SECRET_TOKEN.fullmatch(secret or ""))


# --- updates: what a resident sent ----------------------------------------------------------------

@dataclass(frozen=True)
class Incoming:
    """One update as the conversation sees it: who (the chat id) and what."""

    address: str
    inbound: flows.Inbound
    callback_query_id: Optional[str] = None


def incoming_from_update(channel: TelegramChannel, update: telegram.Update, *, media_dir: str) -> Optional[Incoming]:
    """The resident's message in an update, or None for anything we do not serve.

    Only private chats are served (never groups), and only new messages and button taps; an edited
    message, a sticker or a shared contact is left alone. Names and usernames are never read.
    """
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != ChatType.PRIVATE or not isinstance(query.data, str) or not query.data:
            return None
        inbound = flows.Inbound(choice=query.data, language_hint=_language_hint(query.from_user))
        return Incoming(address=str(chat.id), inbound=inbound, callback_query_id=query.id)
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return None
    address, hint = str(message.chat.id), _language_hint(message.from_user)
    if message.text is not None:
        # "/start event_12" from a deep link arrives as it is; the flows decide what it means.
        return Incoming(address=address, inbound=flows.Inbound(text=message.text, language_hint=hint))
    if message.location is not None:
        return Incoming(address=address, inbound=flows.Inbound(
            latitude=message.location.latitude, longitude=message.location.longitude, language_hint=hint))
    if message.photo or message.voice or message.audio:
        media, refused = store_media(channel, message, media_dir=media_dir)
        return Incoming(address=address, inbound=flows.Inbound(
            text=message.caption, media=media, refused_media=refused, language_hint=hint))
    return None


def _well_typed(update: telegram.Update) -> bool:
    """Whether the parts of an update we read have the types the Bot API gives them. de_json checks none
    (a "text" that is an object arrives as one), and the flows must only ever be handed text as text."""
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def text(value) -> bool:
        return value is None or isinstance(value, str)

    query = update.callback_query
    message = query.message if query is not None else update.message
    users = [user for user in (query.from_user if query else None, getattr(message, "from_user", None)) if user]
    if not all(text(user.language_code) for user in users):
        return False
    if message is None:
        return True
    chat = message.chat
    if chat is None or not isinstance(chat.id, int) or isinstance(chat.id, bool) or not text(chat.type):
        return False
    # A button's message may be an InaccessibleMessage (too old), which has a chat and nothing else.
    if not (text(getattr(message, "text", None)) and text(getattr(message, "caption", None))):
        return False
    location = getattr(message, "location", None)
    return location is None or (number(location.latitude) and number(location.longitude))


def _language_hint(user: Optional[telegram.User]) -> Optional[str]:
    return user.language_code if user is not None else None


def store_media(channel: TelegramChannel, message: telegram.Message, *,
                media_dir: str) -> tuple[tuple[Media, ...], bool]:
    """Download a photo or voice note through getFile and keep it under a random name in `media_dir`;
    returns what was kept, and whether the file was refused for good.

    Refused (and logged without content): over its kind's size limit (bot.media), content that is not a type
    we accept whatever it claims to be, a photo that does not decode, or a file the Bot API will not give us.
    What is kept has its metadata taken out first (bot.media.media_to_keep). A download that failed for
    now (a timeout, Telegram's 5xx) is not the resident's doing, so it is not called a refusal. Either way
    the caption, if any, still answers.
    """
    limits = MediaLimits.from_settings(channel.settings)
    if message.photo:
        # Sizes come smallest first; take the largest Telegram says fits, else let the download refuse it.
        fitting = [size for size in message.photo
                   if size.file_size is None or size.file_size <= limits.photo_max_bytes]
        largest = (fitting or message.photo)[-1]
        kind, file_id, declared_size, declared_type = "photo", largest.file_id, largest.file_size, None
    else:
        sound = message.voice or message.audio
        kind, file_id, declared_size, declared_type = "voice", sound.file_id, sound.file_size, sound.mime_type
    max_bytes = limits.max_bytes(kind)
    try:
        # What Telegram declares can only refuse a file early, sparing the download; only content can accept it.
        if declared_type and DECLARED_TYPES.get(declared_type, declared_type) not in MEDIA_TYPES:
            raise MediaRefused(f"type {declared_type}")
        if declared_size is not None and declared_size > max_bytes:
            raise MediaRefused("too large")
        content = channel.download(file_id, max_bytes=max_bytes)
        media_type = media_to_keep(content, limits=limits)
        media_id = keep_media(media_type.content, extension=media_type.extension, media_dir=media_dir)
    except MediaRefused as refused:
        log.info("telegram %s not kept: %s", kind, refused)
        return (), True
    except telegram_errors.TelegramError as error:
        failure = delivery_error(error, hide=(channel.settings.telegram_bot_token,))
        log.warning("telegram %s could not be downloaded: %s", kind, failure)
        # A 400 is for good (getFile answers "file is too big" past the Bot API's 20 MB).
        return (), not isinstance(failure, (Transient, RetryAfter))
    return (Media(media_id=media_id, kind=media_type.kind),), False


def handle_update(channel: TelegramChannel, update: telegram.Update) -> str:
    """Answer one update, the same way for the webhook and for polling; says what became of it."""
    from bot.inbound import answer_and_deliver  # it reads current_app; imported here to keep imports one-way

    media_dir = current_app.extensions["safer_homes.settings"].media_dir
    incoming = incoming_from_update(channel, update, media_dir=media_dir)
    if incoming is None:
        return "ignored"
    answered = answer_and_deliver(channel=NAME, address=incoming.address, inbound=incoming.inbound,
                                  provider_message_id=str(update.update_id))
    if answered.duplicate:
        discard_media(incoming.inbound.media, media_dir=media_dir)  # the first delivery kept its own copy
        return "duplicate"
    if answered.flooded:
        discard_media(incoming.inbound.media, media_dir=media_dir)  # nothing of a refused message is kept
        return "flooded"
    if incoming.callback_query_id:
        channel.answer_callback_query_soon(incoming.callback_query_id)
    return "answered"


# --- the webhook -----------------------------------------------------------------------------------

blueprint = Blueprint("telegram_webhook", __name__)


def configured_channel() -> Optional[TelegramChannel]:
    channel = current_app.extensions["safer_homes.deliverer"].channels.get(NAME)
    return channel if isinstance(channel, TelegramChannel) else None


@blueprint.post(WEBHOOK_PATH)
def receive_update():
    """Telegram posted an update: check the secret, parse it, answer the resident, then 200."""
    settings = current_app.extensions["safer_homes.settings"]
    channel = configured_channel()
    if channel is None or not _secret_matches(request.headers.get(SECRET_HEADER), settings.telegram_webhook_secret):
        log.info("telegram webhook refused: missing or wrong secret")
        return "", 403
    if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
        return "", 413
    # One byte past the limit and no further: a chunked body has no length to check first.
    body = request.stream.read(MAX_UPDATE_BYTES + 1)
    if len(body) > MAX_UPDATE_BYTES:
        return "", 413
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        return "", 400
    update = channel.parse_update(data)
    if update is None:
        return "", 400
    handle_update(channel, update)
    return "", 200


def _secret_matches(given: Optional[str], expected: str) -> bool:
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


# --- polling, for development without a public address -------------------------------------------

def poll_updates(channel: TelegramChannel, *, timeout: int = 25, rounds: Optional[int] = None,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """Delete the webhook, then long-poll getUpdates and answer each update as the webhook would.

    Runs until interrupted (or for `rounds` polls); needs an app context. Returns the updates handled.
    """
    channel.delete_webhook()
    offset: Optional[int] = None
    handled = failures = 0
    done = 0
    while rounds is None or done < rounds:
        done += 1
        try:
            updates = channel.get_updates(offset=offset, timeout=timeout)
            failures = 0
        except telegram_errors.TelegramError as error:
            failures += 1
            log.warning("getUpdates failed: %s", delivery_error(error, hide=(channel.settings.telegram_bot_token,)))
            sleep(min(60, 2 ** failures))
            continue
        for update in updates:
            offset = max(offset or 0, update.update_id + 1)
            try:
                outcome = handle_update(channel, update)
            except Exception:  # one bad update must not stop the loop; Telegram will not resend it
                log.exception("telegram update %s could not be answered", update.update_id)
                continue
            handled += outcome != "ignored"
    if offset is not None:
        # Confirm the last batch, so the next start does not fetch it again (it would be a duplicate anyway).
        try:
            channel.get_updates(offset=offset, timeout=0)
        except telegram_errors.TelegramError:
            pass
    return handled
