"""A WSGI app served over real HTTP on a free port of 127.0.0.1, in a daemon thread: the HTTP side the fake
APIs share, so the real client libraries (python-telegram-bot, twilio, httpx) talk to them as to the real
services, and the live app the browser tests open."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access log: request lines can hold a bot token, and the test output stays about the test."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class LocalServer:
    def __init__(self, app, *, name: str, poll_interval: float = 0.05):
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        # A short poll interval: close() waits for the serving loop to notice, and tests close servers often.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": poll_interval},
                                        name=name, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
