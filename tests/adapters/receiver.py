"""A real HTTP receiver on 127.0.0.1 that records every request and answers as a test tells it."""

import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.served import ServedInThread


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: Message
    body: bytes
    client_port: int = 0

    def json(self) -> Any:
        """Return the raw body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read-timeout tests) makes our late write fail; that is the point.
        pass


class Receiver(ServedInThread):
    """Serve on an ephemeral port in a thread; use as a context manager or through the fixture."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.reply = Reply()
        self._released = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        # A short poll interval keeps shutdown(), and so every test's teardown, fast.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        """Return the URL a webhook channel should post to."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def respond(
        self, status: int = 200, *, headers: dict[str, str] | None = None, body: bytes | str | dict = b""
    ) -> None:
        """Answer every following request with this status, headers and body."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            headers.setdefault("Content-Type", "application/json")
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.reply = Reply(status=status, headers=headers, body=body)

    def delay(self, seconds: float) -> None:
        """Hold every following answer for seconds after the request has been read."""
        self.reply.delay = seconds

    def drop(self) -> None:
        """Close every following connection after reading the request, without answering."""
        self.reply.drop = True

    def _before_stop(self) -> None:
        self._released.set()  # wake any delayed handler

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    RecordedRequest(self.command, self.path, self.headers, body, self.client_address[1])
                )
                reply = receiver.reply
                if reply.delay:
                    receiver._released.wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output for assertions, not access logs

        return Handler


@pytest.fixture(name="receiver")
def receiver_fixture() -> Any:
    """Yield a started Receiver and stop it after the test."""
    with Receiver() as receiver:
        yield receiver
