"""An in-process fake of the Telegram Bot API, served over real HTTP so python-telegram-bot runs end to end.

It answers the way api.telegram.org does for the methods Safer Homes uses: `/bot<token>/<method>` with
JSON, form or query parameters; 401 for a wrong token; 400 for a message over 4,096 characters or HTML it
cannot parse; 403 for a chat that blocked the bot; 429 with `retry_after` when a sliding one-second window
is full (overall, and per chat when switched on); getUpdates with offsets (409 while a webhook is set);
getFile and `/file/bot<token>/<path>` downloads; sendVoice by multipart upload (50 MB at most, Ogg, MP3
or M4A) or by a file_id it gave, 400 for a resident whose settings refuse voice messages. Switches let a
test block a chat, fail the next calls with 5xx, force a 429 or slow every answer. Everything is thread-safe, so a benchmark can drive it with
several sender threads and read `count_429` and `messages` afterwards.

    with FakeTelegramAPI() as api:
        bot = telegram.Bot("123:ABC", base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")
"""
from __future__ import annotations

import collections
import html
import itertools
import json
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

MAX_MESSAGE_LENGTH = 4096  # after entity parsing, as the real API counts (in UTF-16 code units here)
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # bots may download files up to 20 MB
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # and upload files up to 50 MB (multipart/form-data)
# The tags Telegram's HTML parse mode knows (core.telegram.org/bots/api#html-style).
KNOWN_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
     "blockquote", "tg-emoji"}
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Safer Homes", "username": "SaferHomesBot"}


class ApiError(Exception):
    """An error answer: HTTP status, description, and optional response parameters."""

    def __init__(self, status: int, description: str, parameters: Optional[dict] = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def parse_html(text: str) -> str:
    """What a reader sees for `text` in parse_mode HTML; raises ApiError(400) where Telegram would.

    Like Telegram, a "<" must open or close a known tag, tags must nest, and a "&" that starts no entity
    is taken literally.
    """
    plain: list[str] = []
    open_tags: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            match = _TAG.match(text, index)
            name = match.group(2).lower() if match else ""
            offset = len(text[:index].encode())
            if not match or name not in KNOWN_TAGS:
                found = text[index + 1 : index + 20].split(">")[0]
                raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{found}" at byte offset {offset}')
            if match.group(1):
                if not open_tags or open_tags[-1] != name:
                    raise ApiError(400, f"Bad Request: can't parse entities: Unmatched end tag at byte offset {offset}")
                open_tags.pop()
            else:
                open_tags.append(name)
            index = match.end()
        elif char == "&" and (entity := _ENTITY.match(text, index)):
            plain.append(html.unescape(entity.group(0)))
            index = entity.end()
        else:
            plain.append(char)
            index += 1
    if open_tags:
        raise ApiError(400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(plain)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class RecordedMessage:
    """One message the fake accepted, as the resident would get it."""

    chat_id: int
    message_id: int
    text: str  # as sent (HTML source when parse_mode is HTML)
    plain: str  # what the resident reads
    parse_mode: Optional[str]
    reply_markup: Optional[dict]
    at: float  # time.monotonic() when it was accepted

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(button.get("text"), button.get("callback_data")) for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [data for _label, data in self.buttons]


@dataclass(frozen=True)
class RecordedVoice:
    """One voice message the fake accepted (sendVoice), uploaded or by a file_id it had given before."""

    chat_id: int
    message_id: int
    file_id: str
    content: bytes
    uploaded: bool  # sent as a multipart upload, not as a file_id
    at: float


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart call, as the parameters hold it."""

    filename: Optional[str]
    content: bytes


class SlidingWindow:
    """At most `limit` events in any `seconds`-long window, counted at arrival (not thread-safe alone)."""

    def __init__(self, limit: int, seconds: float = 1.0):
        self.limit = limit
        self.seconds = seconds
        self.times: collections.deque[float] = collections.deque()

    def retry_after(self, now: float) -> Optional[float]:
        """None if one more fits now; otherwise the seconds until it would."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return None
        return self.times[-self.limit] + self.seconds - now

    def add(self, now: float) -> None:
        self.times.append(now)


@dataclass
class _Failure:
    count: int
    status: int
    description: str
    parameters: Optional[dict]
    method: Optional[str]


class FakeTelegramAPI:
    """The Bot API for one bot, on a free port of 127.0.0.1. Use as a context manager or start()/stop()."""

    def __init__(self, token: str = "123:ABC", *, messages_per_second: Optional[int] = 30,
                 per_chat_per_second: Optional[int] = None, clock: Callable[[], float] = time.monotonic):
        self.token = token
        self.clock = clock
        self._lock = threading.Lock()
        self._updates_arrived = threading.Condition(self._lock)
        self._global_window: Optional[SlidingWindow] = None
        self._per_chat_limit: Optional[int] = None
        self._chat_windows: dict[int, SlidingWindow] = {}
        self.set_rate_limits(messages_per_second=messages_per_second, per_chat_per_second=per_chat_per_second)
        self._messages: list[RecordedMessage] = []
        self._voices: list[RecordedVoice] = []
        self._no_voice: set[int] = set()
        self._calls: list[tuple[str, dict]] = []
        self._callback_answers: list[dict] = []
        self._next_message_id: dict[int, int] = collections.defaultdict(lambda: 100)
        self._blocked: set[int] = set()
        self._failures: list[_Failure] = []
        self._delay = 0.0
        self._updates: list[dict] = []
        self._files: dict[str, tuple[str, bytes, Optional[int]]] = {}
        self.webhook: Optional[dict] = None
        self.count_429 = 0
        self._http: Optional[LocalServer] = None
        self._stopping = False

    # --- life --------------------------------------------------------------------------------------

    def start(self) -> "FakeTelegramAPI":
        self._stopping = False
        self._http = LocalServer(self._wsgi, name="fake-telegram-api")
        return self

    def stop(self) -> None:
        if self._http is not None:
            with self._lock:
                self._stopping = True  # a long poll in progress returns now
                self._updates_arrived.notify_all()
            self._http.close()
            self._http = None

    def __enter__(self) -> "FakeTelegramAPI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base to give as TELEGRAM_API_BASE_URL (methods are at {url}/bot{token}/{method})."""
        return self._http.url

    # --- switches ----------------------------------------------------------------------------------

    def set_rate_limits(self, *, messages_per_second: Optional[int] = 30, per_chat_per_second: Optional[int] = None) -> None:
        """Sliding one-second windows; None switches a limit off. Per chat is off by default: Telegram
        tolerates short bursts in one chat and publishes no exact rule, only "about one a second"."""
        with self._lock:
            self._global_window = SlidingWindow(messages_per_second) if messages_per_second else None
            self._per_chat_limit = per_chat_per_second
            self._chat_windows = {}

    def block(self, chat_id: int | str) -> None:
        """The resident blocks the bot: sends to them get 403."""
        with self._lock:
            self._blocked.add(int(chat_id))

    def forbid_voice_messages(self, chat_id: int | str) -> None:
        """The resident's privacy settings refuse voice messages (a Premium setting): sendVoice gets 400."""
        with self._lock:
            self._no_voice.add(int(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        with self._lock:
            self._blocked.discard(int(chat_id))

    def fail_next(self, count: int = 1, *, status: int = 500, method: Optional[str] = "sendMessage") -> None:
        """The next `count` calls (of `method`, or of any method with None) answer `status`."""
        descriptions = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                        504: "Gateway Timeout"}
        with self._lock:
            self._failures.append(_Failure(count, status, descriptions.get(status, "Error"), None, method))

    def throttle_next(self, count: int = 1, *, retry_after: int = 1, method: Optional[str] = "sendMessage") -> None:
        """The next `count` calls answer 429 with this retry_after, whatever the windows say."""
        with self._lock:
            self._failures.append(
                _Failure(count, 429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}, method)
            )

    def delay(self, seconds: float) -> None:
        """Every answer from now on waits this long first (0 to stop)."""
        with self._lock:
            self._delay = seconds

    # --- what the fake holds -----------------------------------------------------------------------

    def queue_update(self, update: dict) -> None:
        """An update for getUpdates to serve (update_id is required)."""
        with self._lock:
            self._updates.append(update)
            self._updates.sort(key=lambda queued: queued["update_id"])  # Telegram serves them in id order
            self._updates_arrived.notify_all()

    def add_file(self, content: bytes, *, file_path: Optional[str] = None, file_id: Optional[str] = None,
                 declared_size: Optional[int] = None) -> str:
        """A file getFile can describe (as `declared_size` bytes, if given, whatever its real size) and
        /file/bot<token>/<path> can serve; returns its file_id."""
        file_id = file_id or "F" + secrets.token_hex(8)
        with self._lock:
            file_path = file_path or f"documents/file_{len(self._files)}"
            self._files[file_id] = (file_path, content, declared_size)
        return file_id

    # --- what happened -----------------------------------------------------------------------------

    @property
    def messages(self) -> list[RecordedMessage]:
        with self._lock:
            return list(self._messages)

    def messages_to(self, chat_id: int | str) -> list[RecordedMessage]:
        return [message for message in self.messages if message.chat_id == int(chat_id)]

    @property
    def voices(self) -> list[RecordedVoice]:
        with self._lock:
            return list(self._voices)

    def voices_to(self, chat_id: int | str) -> list[RecordedVoice]:
        return [voice for voice in self.voices if voice.chat_id == int(chat_id)]

    def sent_to(self, chat_id: int | str) -> list[str]:
        """What a chat received, in order: "voice" for each voice message, the readable text of each message."""
        with self._lock:
            sent = [(message.at, message.message_id, message.plain) for message in self._messages
                    if message.chat_id == int(chat_id)]
            sent += [(voice.at, voice.message_id, "voice") for voice in self._voices if voice.chat_id == int(chat_id)]
        return [what for _at, _id, what in sorted(sent)]

    @property
    def calls(self) -> list[tuple[str, dict]]:
        """Every call that reached the fake with a good token, answered or refused, in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[dict]:
        return [params for name, params in self.calls
                if name == method and (chat_id is None or str(params.get("chat_id")) == str(chat_id))]

    @property
    def callback_answers(self) -> list[dict]:
        with self._lock:
            return list(self._callback_answers)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
        """Poll until `predicate()` is truthy and return it; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"the fake Bot API did not see that within {timeout}s")
            time.sleep(interval)

    # --- HTTP --------------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._respond(request)
        finally:
            request.close()  # an upload's parts are temporary files
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        path = request.path
        with self._lock:
            delay = self._delay
        if delay:
            time.sleep(delay)
        if path.startswith("/file/bot"):
            return self._download(path.removeprefix("/file/bot"))
        if not path.startswith("/bot"):
            return _error(ApiError(404, "Not Found"))
        token, _, method = path.removeprefix("/bot").partition("/")
        if token != self.token:
            return _error(ApiError(401, "Unauthorized"))
        try:
            params = _parameters(request)
        except ValueError:
            return _error(ApiError(400, "Bad Request: can't parse request parameters"))
        with self._lock:
            self._calls.append((method, params))
        handler = getattr(self, "_m_" + method.lower(), None)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        try:
            self._injected_failure(method)
            return _ok(handler(params))
        except ApiError as error:
            return _error(error)

    def _injected_failure(self, method: str) -> None:
        with self._lock:
            for failure in self._failures:
                if failure.count > 0 and failure.method in (None, method):
                    failure.count -= 1
                    if failure.status == 429:
                        self.count_429 += 1
                    raise ApiError(failure.status, failure.description, failure.parameters)

    def _download(self, rest: str) -> Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _error(ApiError(401, "Unauthorized"))
        with self._lock:
            found = [content for path, content, _size in self._files.values() if path == file_path]
        if not found:
            return _error(ApiError(404, "Not Found"))
        return Response(found[0], content_type="application/octet-stream")

    # --- methods -----------------------------------------------------------------------------------

    def _m_getme(self, params: dict) -> dict:
        return BOT_USER

    def _m_sendmessage(self, params: dict) -> dict:
        chat_id = _chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = params.get("parse_mode")
        if parse_mode and parse_mode.upper() == "HTML":
            plain = parse_html(text)
        elif parse_mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r} in this fake")
        else:
            plain = text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(plain) > MAX_MESSAGE_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _reply_markup(params.get("reply_markup"))
        with self._lock:
            now = self._admit(chat_id)
            self._next_message_id[chat_id] += 1
            message = RecordedMessage(chat_id=chat_id, message_id=self._next_message_id[chat_id], text=text, plain=plain,
                                      parse_mode=parse_mode, reply_markup=markup, at=now)
            self._messages.append(message)
        result = {"message_id": message.message_id, "from": BOT_USER, "date": int(time.time()),
                  "chat": {"id": chat_id, "type": "private"}, "text": plain}
        if markup:
            result["reply_markup"] = markup
        return result

    def _admit(self, chat_id: int) -> float:
        """Under the lock: refuse a send to a chat that blocked the bot (403) or past a rate window (429);
        otherwise count it and return the moment it was accepted."""
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        now = self.clock()
        windows = [self._global_window] if self._global_window else []
        if self._per_chat_limit:
            windows.append(self._chat_windows.setdefault(chat_id, SlidingWindow(self._per_chat_limit)))
        waits = [wait for wait in (window.retry_after(now) for window in windows) if wait is not None]
        if waits:
            self.count_429 += 1
            retry_after = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        for window in windows:
            window.add(now)
        return now

    def _m_sendvoice(self, params: dict) -> dict:
        """A voice message: a multipart upload (Ogg/Opus, MP3 or M4A, the formats Telegram plays as a voice
        message; up to 50 MB) or the file_id of one sent before."""
        chat_id = _chat_id(params)
        voice = params.get("voice")
        if isinstance(voice, Upload):
            if not voice.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(voice.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            if not _voice_format(voice.content):
                raise ApiError(400, "Bad Request: wrong file type: a voice message must be OGG/Opus, MP3 or M4A")
            content, file_id, uploaded = voice.content, None, True
        elif isinstance(voice, str) and voice:
            with self._lock:
                found = self._files.get(voice)
            if found is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            content, file_id, uploaded = found[1], voice, False
        else:
            raise ApiError(400, "Bad Request: there is no voice in the request")
        with self._lock:
            if chat_id in self._no_voice:
                raise ApiError(400, "Bad Request: VOICE_MESSAGES_FORBIDDEN")
            now = self._admit(chat_id)
            if file_id is None:
                file_id = "V" + secrets.token_hex(8)
                self._files[file_id] = (f"voice/file_{len(self._files)}.oga", content, None)
            self._next_message_id[chat_id] += 1
            message_id = self._next_message_id[chat_id]
            self._voices.append(RecordedVoice(chat_id=chat_id, message_id=message_id, file_id=file_id,
                                              content=content, uploaded=uploaded, at=now))
        return {"message_id": message_id, "from": BOT_USER, "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "voice": {"file_id": file_id, "file_unique_id": "U" + file_id, "duration": 30,
                          "mime_type": "audio/ogg", "file_size": len(content)}}

    def _m_answercallbackquery(self, params: dict) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        with self._lock:
            self._callback_answers.append(params)
        return True

    def _m_setwebhook(self, params: dict) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook = params if url else None
        return True

    def _m_deletewebhook(self, params: dict) -> bool:
        with self._lock:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict) -> dict:
        with self._lock:
            webhook = dict(self.webhook or {})
            pending = len(self._updates)
        return {"url": webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": pending,
                "allowed_updates": webhook.get("allowed_updates", [])}

    def _m_getupdates(self, params: dict) -> list:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), 50.0)
        deadline = time.monotonic() + timeout
        with self._lock:
            if self.webhook:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use "
                                    "deleteWebhook to delete the webhook first")
            # Asking with an offset confirms every update before it, which the server then forgets.
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
            while not self._updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._updates_arrived.wait(remaining)
            return list(self._updates[:limit])

    def _m_getfile(self, params: dict) -> dict:
        file_id = params.get("file_id")
        with self._lock:
            found = self._files.get(file_id)
        if not found:
            raise ApiError(400, "Bad Request: invalid file_id")
        file_path, content, declared_size = found
        size = declared_size if declared_size is not None else len(content)
        if size > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": "U" + file_id, "file_size": size, "file_path": file_path}


def _ok(result: Any) -> Response:
    return Response(json.dumps({"ok": True, "result": result}), content_type="application/json")


def _error(error: ApiError) -> Response:
    body: dict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return Response(json.dumps(body), status=error.status, content_type="application/json")


# Fields that arrive JSON-serialised in form bodies (python-telegram-bot sends forms) or as JSON values.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "link_preview_options", "entities", "reply_parameters"}
_BOOL_FIELDS = {"drop_pending_updates", "show_alert", "disable_notification", "protect_content"}
_INT_FIELDS = {"offset", "limit", "timeout", "cache_time", "max_connections"}


def _parameters(request: Request) -> dict:
    """The call's parameters from the query string, a form or a JSON object, as JSON-ish values."""
    params: dict = dict(request.args.items())
    if request.mimetype == "application/json":
        body = json.loads(request.get_data() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("not an object")
        params.update(body)
        return params
    params.update(request.form.items())
    for name, part in request.files.items():  # multipart uploads (sendVoice), kept as their bytes
        params[name] = Upload(filename=part.filename, content=part.read())
    for name in _JSON_FIELDS & params.keys():
        if isinstance(params[name], str):
            params[name] = json.loads(params[name])
    for name in _BOOL_FIELDS & params.keys():
        if isinstance(params[name], str):
            params[name] = params[name].lower() in ("true", "1")
    for name in _INT_FIELDS & params.keys():
        if isinstance(params[name], str):
            params[name] = int(params[name])
    return params


def _voice_format(content: bytes) -> bool:
    """Ogg (the fake does not look inside for Opus), MP3 (ID3 or a frame header) or MP4 audio."""
    return (content.startswith((b"OggS", b"ID3")) or content[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
            or content[4:8] == b"ftyp")


def _chat_id(params: dict) -> int:
    try:
        return int(params.get("chat_id"))
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def _reply_markup(markup: Any) -> Optional[dict]:
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


_update_ids = itertools.count(700_000_001)
_update_ids_lock = threading.Lock()


def next_update_id() -> int:
    with _update_ids_lock:
        return next(_update_ids)


class TelegramUser:
    """A person in a private chat with the bot: the updates Telegram would post (or serve) for them."""

    def __init__(self, chat_id: int, *, language_code: Optional[str] = None, first_name: str = "Shamima",
                 username: Optional[str] = "shamima_e1"):
        self.chat_id = chat_id
        self.user = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if username:
            self.user["username"] = username
        if language_code:
            self.user["language_code"] = language_code
        self._message_ids = itertools.count(1)

    @property
    def chat(self) -> dict:
        return {"id": self.chat_id, "first_name": self.user["first_name"], "type": "private"}

    def message(self, text: Optional[str] = None, **fields: Any) -> dict:
        """A new message: text, or any other fields (location, voice, photo, sticker, caption...)."""
        message = {"message_id": next(self._message_ids), "from": self.user, "chat": self.chat,
                   "date": int(time.time()), **fields}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return {"update_id": next_update_id(), "message": message}

    def tap(self, data: str, *, message_id: int) -> dict:
        """A tap on an inline button carrying `data`, under the bot's message `message_id`."""
        return {"update_id": next_update_id(), "callback_query": {
            "id": secrets.token_hex(8), "from": self.user, "chat_instance": "-8091230000000000000", "data": data,
            "message": {"message_id": message_id, "from": BOT_USER, "chat": self.chat, "date": int(time.time()),
                        "text": "…"},
        }}

    def location(self, latitude: float, longitude: float) -> dict:
        return self.message(location={"latitude": latitude, "longitude": longitude})

    def voice(self, file_id: str, *, file_size: Optional[int] = None, mime_type: str = "audio/ogg",
              caption: Optional[str] = None) -> dict:
        voice = {"file_id": file_id, "file_unique_id": "U" + file_id, "duration": 14, "mime_type": mime_type}
        if file_size is not None:
            voice["file_size"] = file_size
        return self.message(voice=voice, **({"caption": caption} if caption else {}))

    def photo(self, file_id: str, *, file_size: Optional[int] = None, caption: Optional[str] = None) -> dict:
        sizes = [{"file_id": file_id, "file_unique_id": "U" + file_id, "width": 1280, "height": 960,
                  **({"file_size": file_size} if file_size is not None else {})}]
        return self.message(photo=sizes, **({"caption": caption} if caption else {}))
