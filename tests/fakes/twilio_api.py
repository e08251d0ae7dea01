"""A small in-process fake of Twilio's Messages API and media URLs, for tests and benchmarks.

It speaks enough of the real API for the twilio library to run unchanged against it (TWILIO_API_BASE_URL):
`POST /2010-04-01/Accounts/<sid>/Messages.json` with HTTP basic auth, Twilio's JSON error shape, and the
limits and errors that matter to delivery — 1,600 characters (21617), unsubscribed (21610), blocked
(63014), outside the WhatsApp window (63016), a per-sender rate limit (429, 20429), 5xx on demand, a
delay, and MediaUrl (ten at most, one on WhatsApp: 21623; http(s) only: 21620). It also serves inbound
media at `/2010-04-01/Accounts/<sid>/Messages/<MM…>/Media/<ME…>`.
Thread-safe: the server is threaded and every switch and record is behind one lock.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from typing import Callable, Optional

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bot import sms
from tests.fakes.local_server import LocalServer

API_VERSION = "2010-04-01"
MAX_BODY = 1600


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class SentMessage:
    """A message the fake accepted."""

    sid: str
    to: str
    from_: str
    body: Optional[str]
    content_sid: Optional[str]
    content_variables: Optional[str]
    status_callback: Optional[str]
    num_segments: int
    at: float
    media_urls: tuple[str, ...] = ()  # MediaUrl, as given (Twilio fetches each itself)


@dataclass(frozen=True)
class Attempt:
    """Every POST to Messages.json, accepted or not, with the HTTP status and Twilio code answered."""

    to: str
    from_: str
    status: int
    code: Optional[int]
    at: float


@dataclass
class _Failure:
    status: int
    retry_after: Optional[float]


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    delay_seconds: float = 0.0
    # Messages a second each sender may send before 429 (None: no limit), and any Retry-After to give.
    rate_limit_per_sender: Optional[float] = None
    rate_limit_retry_after: Optional[float] = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _messages: list = field(default_factory=list, repr=False)
    _attempts: list = field(default_factory=list, repr=False)
    _unsubscribed: set = field(default_factory=set, repr=False)
    _blocked: set = field(default_factory=set, repr=False)
    _window_closed: set = field(default_factory=set, repr=False)
    _failures: deque = field(default_factory=deque, repr=False)
    _recent: dict = field(default_factory=lambda: defaultdict(deque), repr=False)
    _media: dict = field(default_factory=dict, repr=False)
    _media_requests: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self._routes = Map([
            Rule(f"/{API_VERSION}/Accounts/<sid>/Messages.json", endpoint="create_message", methods=["POST"]),
            Rule(f"/{API_VERSION}/Accounts/<sid>/Messages/<message_sid>/Media/<media_sid>", endpoint="media",
                 methods=["GET"]),
        ])
        self._http = LocalServer(self._wsgi, name="fake-twilio", poll_interval=0.02)
        self.url = self._http.url

    # --- life cycle --------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "FakeTwilio":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- switches a test flips ---------------------------------------------------------------------

    def unsubscribe(self, number: str) -> None:
        """The number texted STOP: sends to it answer 21610."""
        with self._lock:
            self._unsubscribed.add(_bare(number))

    def block(self, number: str) -> None:
        """The resident blocked the WhatsApp sender: sends to it answer 63014."""
        with self._lock:
            self._blocked.add(_bare(number))

    def close_window(self, number: str) -> None:
        """WhatsApp free-form messages to this number answer 63016 unless they use a ContentSid."""
        with self._lock:
            self._window_closed.add(_bare(number))

    def open_window(self, number: str) -> None:
        with self._lock:
            self._window_closed.discard(_bare(number))

    def fail_next(self, count: int, *, status: int = 500, retry_after: Optional[float] = None) -> None:
        """The next `count` sends answer `status` (500, 503, 429…) before anything else is checked."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after) for _ in range(count))

    def add_media(self, content: bytes, content_type: str, *, message_sid: Optional[str] = None) -> str:
        """Serve a file as Twilio serves inbound media (basic auth required); returns its URL."""
        message_sid = message_sid or new_sid("MM")
        media_sid = new_sid("ME")
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{media_sid}"
        with self._lock:
            self._media[path] = (content, content_type)
        return self.url + path

    # --- what happened -----------------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    @property
    def media_requests(self) -> list[dict]:
        with self._lock:
            return list(self._media_requests)

    def messages_to(self, number: str) -> list[SentMessage]:
        return [message for message in self.messages if _bare(message.to) == _bare(number)]

    def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0):
        """Poll until `predicate()` is truthy and return it; fail the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("the fake Twilio API did not see what was expected in time")
            time.sleep(0.01)

    # --- the API -----------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        adapter = self._routes.bind_to_environ(environ)
        try:
            endpoint, arguments = adapter.match()
        except Exception:
            response = _error(404, 20404, "The requested resource was not found")
        else:
            if self.delay_seconds:
                time.sleep(self.delay_seconds)
            if not self._authenticated(request, arguments["sid"]):
                response = _error(401, 20003, "Authenticate")
            elif endpoint == "media":
                response = self._serve_media(request)
            else:
                response = self._create_message(request)
        return response(environ, start_response)

    def _authenticated(self, request: Request, sid: str) -> bool:
        auth = request.authorization
        return bool(
            auth and auth.type == "basic" and auth.username == self.account_sid and auth.password == self.auth_token
            and sid == self.account_sid
        )

    def _serve_media(self, request: Request) -> Response:
        with self._lock:
            self._media_requests.append({"path": request.path, "username": request.authorization.username})
            found = self._media.get(request.path)
        if found is None:
            return _error(404, 20404, "The requested resource was not found")
        content, content_type = found
        return Response(content, status=200, content_type=content_type)

    def _create_message(self, request: Request) -> Response:
        form = request.form
        to, from_ = form.get("To", ""), form.get("From", "")
        body, content_sid = form.get("Body"), form.get("ContentSid")
        media_urls = tuple(form.getlist("MediaUrl"))
        now = time.monotonic()
        with self._lock:
            status, code, message, retry_after = self._refusal(to, from_, body, content_sid, now, media_urls)
            self._attempts.append(Attempt(to=to, from_=from_, status=status or 201, code=code, at=now))
            if status is None:
                segments = sms.segments(body or "") if body and not from_.startswith("whatsapp:") else 1
                sent = SentMessage(
                    sid=new_sid("SM"), to=to, from_=from_, body=body, content_sid=content_sid,
                    content_variables=form.get("ContentVariables"), status_callback=form.get("StatusCallback"),
                    num_segments=segments, at=now, media_urls=media_urls,
                )
                self._messages.append(sent)
                self._recent[from_].append(now)
        if status is not None:
            return _error(status, code, message, retry_after=retry_after)
        return Response(json.dumps(self._message_json(sent)), status=201, content_type="application/json")

    def _refusal(self, to, from_, body, content_sid, now,
                 media_urls=()) -> tuple[Optional[int], Optional[int], str, Optional[float]]:
        """(status, code, message, retry_after) for a send the fake refuses, or (None, …) to accept it."""
        if self._failures:
            failure = self._failures.popleft()
            if failure.status == 429:
                return 429, 20429, "Too Many Requests", failure.retry_after
            return failure.status, 20500, "Internal Server Error", failure.retry_after
        if self.rate_limit_per_sender is not None:
            recent = self._recent[from_]
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) >= self.rate_limit_per_sender:
                return 429, 20429, "Too Many Requests", self.rate_limit_retry_after
        if not to:
            return 400, 21604, "A 'To' phone number is required.", None
        if not from_:
            return 400, 21603, "A 'From' phone number is required.", None
        if from_.startswith("whatsapp:") != to.startswith("whatsapp:"):
            return 400, 63007, "Twilio could not find a Channel with the specified From address", None
        if not body and not content_sid and not media_urls:
            return 400, 21602, "Message body is required.", None
        if len(media_urls) > 10 or (to.startswith("whatsapp:") and len(media_urls) > 1):
            # Ten at most, and WhatsApp takes one media file a message.
            return 400, 21623, "Number of media files exceeds allowed limit", None
        if any(not url.startswith(("https://", "http://")) for url in media_urls):
            return 400, 21620, "Invalid media URL(s)", None
        if body and len(body) > MAX_BODY:
            return 400, 21617, "The concatenated message body exceeds the 1600 character limit.", None
        bare_to = _bare(to)
        if bare_to in self._unsubscribed:
            return 400, 21610, f"Attempt to send to unsubscribed recipient {bare_to}", None
        if to.startswith("whatsapp:") and bare_to in self._blocked:
            return 400, 63014, "Message could not be delivered because the user blocked it", None
        if to.startswith("whatsapp:") and bare_to in self._window_closed and not content_sid:
            return 400, 63016, "Failed to send freeform message because you are outside the allowed window.", None
        return None, None, "", None

    def _message_json(self, sent: SentMessage) -> dict:
        created = format_datetime(datetime.now(timezone.utc), usegmt=True)
        return {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": sent.body or "",
            "date_created": created, "date_sent": None, "date_updated": created, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": sent.from_, "messaging_service_sid": None,
            "num_media": str(len(sent.media_urls)), "num_segments": str(sent.num_segments), "price": None, "price_unit": "USD",
            "sid": sent.sid, "status": "queued", "subresource_uris": {}, "to": sent.to,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sent.sid}.json",
        }


def _bare(address: str) -> str:
    return address.removeprefix("whatsapp:")


def _error(status: int, code: int, message: str, *, retry_after: Optional[float] = None) -> Response:
    payload = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
               "status": status}
    response = Response(json.dumps(payload), status=status, content_type="application/json")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
