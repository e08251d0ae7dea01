"""An in-process fake of a LibreTranslate server, served over real HTTP so bot/translator.py runs end to end.

It answers `POST /translate` the way LibreTranslate does for one text: JSON or form fields `q`, `source`,
`target`, `format` ("text" or "html") and `api_key`; 200 `{"translatedText": ...}`; 400 `{"error": ...}`
for a missing field, an unknown language or format ("Invalid request: missing q parameter", "zz is not
supported", "xml format is not supported"); 403 `{"error": "Invalid API key"}` when keys are required and
the key is wrong (400 when it is missing, as LibreTranslate asks the caller to get one). The "translation"
is deterministic: "[<target>] " + the text. Switches fail the next requests (500, 429) or slow every answer;
`requests` records each request that arrived, so tests can count them.

    with FakeLibreTranslate(api_key="k") as server:
        LibreTranslator(server.url, api_key="k").translate("বাতি নেই", source="bn")
"""
from __future__ import annotations

import json
import threading
import time
from typing import Optional

from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

# A few of the codes a LibreTranslate server with the usual Argos models knows (Somali has no model).
LANGUAGES = frozenset({"en", "bn", "ur", "ar", "zh-Hans", "zh-Hant", "pl", "lt", "es", "pt", "it", "fr", "tr"})


class FakeLibreTranslate:
    """A LibreTranslate server on a free port of 127.0.0.1. Use as a context manager or start()/stop()."""

    def __init__(self, *, api_key: Optional[str] = None, languages=LANGUAGES):
        self.api_key = api_key
        self.languages = frozenset(languages)
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._failures: list[list] = []  # [count, status, error]
        self._delay = 0.0
        self._http: Optional[LocalServer] = None

    def start(self) -> "FakeLibreTranslate":
        self._http = LocalServer(self._wsgi, name="fake-libretranslate")
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> "FakeLibreTranslate":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The address to give as LIBRETRANSLATE_URL."""
        return self._http.url

    # --- switches ----------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 500) -> None:
        """The next `count` requests answer `status` (500: an internal error; 429: too many requests)."""
        error = {429: "Too many request limits violations", 500: "Internal Server Error"}.get(status, "Error")
        with self._lock:
            self._failures.append([count, status, error])

    def delay(self, seconds: float) -> None:
        """Every answer from now on waits this long first (0 to stop)."""
        with self._lock:
            self._delay = seconds

    # --- what happened -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[dict]:
        """The fields of every request that reached /translate, in order."""
        with self._lock:
            return list(self._requests)

    # --- HTTP --------------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        with self._lock:
            delay = self._delay
        if delay:
            time.sleep(delay)
        if request.path != "/translate":
            return _answer(404, {"error": "Not Found"})
        if request.method != "POST":
            return _answer(405, {"error": "Method Not Allowed"})
        if request.mimetype == "application/json":
            try:
                fields = json.loads(request.get_data() or b"{}")
            except ValueError:
                return _answer(400, {"error": "Invalid JSON format"})
            if not isinstance(fields, dict):
                return _answer(400, {"error": "Invalid JSON format"})
        else:
            fields = dict(request.form.items())
        with self._lock:
            self._requests.append(fields)
            for failure in self._failures:
                if failure[0] > 0:
                    failure[0] -= 1
                    return _answer(failure[1], {"error": failure[2]})
        if self.api_key is not None:
            if not fields.get("api_key"):
                return _answer(400, {"error": "Please contact the server operator to get an API key"})
            if fields["api_key"] != self.api_key:
                return _answer(403, {"error": "Invalid API key"})
        for name in ("q", "source", "target"):
            if not fields.get(name):
                return _answer(400, {"error": f"Invalid request: missing {name} parameter"})
        text_format = fields.get("format") or "text"
        if text_format not in ("text", "html"):
            return _answer(400, {"error": f"{text_format} format is not supported"})
        for name in ("source", "target"):
            if fields[name] != "auto" and fields[name] not in self.languages:
                return _answer(400, {"error": f"{fields[name]} is not supported"})
        if not isinstance(fields["q"], str):
            return _answer(400, {"error": "Invalid request: q must be text in this fake"})
        return _answer(200, {"translatedText": f"[{fields['target']}] {fields['q']}"})


def _answer(status: int, body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")
