"""Test peers that answer HTTP from a background thread: one start/stop, and one way to wait for requests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar

T = TypeVar("T")


class ServedInThread:
    """Start, stop and `with` for a peer whose __init__ built `self._server` and the `self._thread` serving it."""

    _server: Any
    _thread: Any

    def start(self):
        self._thread.start()
        return self

    def _before_stop(self) -> None:
        """Release handlers that hold a connection open (a delayed or hung answer); nothing by default."""

    def stop(self) -> None:
        self._before_stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until(found: Callable[[], Sequence[T]], count: int, timeout: float, poll: float = 0.02) -> Sequence[T]:
    """Call `found` until it returns at least `count` items or `timeout` passes; return its last answer."""
    deadline = time.monotonic() + timeout
    while len(items := found()) < count and time.monotonic() < deadline:
        time.sleep(poll)
    return items


def answer_json(handler: BaseHTTPRequestHandler, status: int, document: Any) -> None:
    """Answer the handler's request with `document` as JSON, its length given (the connection may be kept alive)."""
    reply = json.dumps(document).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(reply)))
    handler.end_headers()
    handler.wfile.write(reply)
