"""The shared machinery of a fake platform: a real HTTP server on 127.0.0.1 that routes, records and misbehaves."""

import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.served import ServedInThread


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def multipart(self) -> tuple[dict[str, str], dict[str, "Part"]]:
        """Return a multipart/form-data body as (text fields, file parts by field name); ({}, {}) for anything else."""
        content_type = self.headers.get("Content-Type") or ""
        if not content_type.startswith("multipart/form-data"):
            return {}, {}
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + self.body)
        fields: dict[str, str] = {}
        files: dict[str, Part] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = Part(part.get_filename(), part.get_content_type(), data)
            else:
                fields[name] = data.decode("utf-8")
        return fields, files


@dataclass(frozen=True)
class Part:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> Response:
    """Return a JSON response, the way every platform here answers."""
    body = json.dumps(document).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


@dataclass
class _Fault:
    response: Response
    method: str | None
    path: str | None
    times: int
    after_handling: bool
    body_contains: bytes | None = None

    def matches(self, request: Request) -> bool:
        return (
            self.method in (None, request.method)
            and (self.path is None or request.path.startswith(self.path))
            and (self.body_contains is None or self.body_contains in request.body)
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up makes our late write fail; that is not a test failure


class FakePlatform(ServedInThread):
    """Subclasses implement route(); tests read .requests and inject faults with fail_next()."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        """Return the base URL (no trailing slash) the fake listens on."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, request: Request) -> Response:
        """Answer one request as the platform would."""
        raise NotImplementedError

    def fail_next(
        self,
        status: int,
        body: bytes | str | dict = b"",
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        after_handling: bool = False,
        body_contains: bytes | None = None,
    ) -> None:
        """Answer the next matching requests with this response instead of the platform's.

        With after_handling the platform still handles the request (a post is created) and only
        its answer is lost: the "it happened but we never heard" case idempotency exists for.
        body_contains picks requests by their body (one GraphQL operation among several on one path).
        """
        response = json_response(status, body, headers) if isinstance(body, dict) else None
        if response is None:
            raw = body.encode("utf-8") if isinstance(body, str) else body
            response = Response(status, raw, dict(headers or {}))
        with self.lock:
            self._faults.append(_Fault(response, method, path, times, after_handling, body_contains))

    def _dispatch(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
            fault = next((f for f in self._faults if f.matches(request)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            if fault is not None and not fault.after_handling:
                return fault.response
            response = self.route(request)
            return fault.response if fault is not None else response

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, parse_qs(parts.query), self.headers, body)
                response = fake._dispatch(request)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
