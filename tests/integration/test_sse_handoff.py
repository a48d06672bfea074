"""GET /events on the real gunicorn: the stream's socket is handed to the process's fan-out writer.

A raw HTTP client reads the body as the bytes on the wire, so the writer's framing is checked as well
as its events; a client that closes frees its slot at once, where a stream on its own thread noticed
only at its next keep-alive write (SSE_KEEPALIVE_S, 15 s here).
"""

from __future__ import annotations

import secrets
import socket
import time

import pytest
import requests
from redis import Redis

from .test_end_to_end import sign_in


class RawStream:
    """One GET /events on a socket of its own, its body read as HTTP/1.1 chunks (exactly) or HTTP/1.0 bytes."""

    def __init__(self, port: int, version: str, headers: dict[str, str]) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        lines = [f"GET /events HTTP/{version}", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.file = self.sock.makefile("rb")
        self.status = self.file.readline().decode()
        self.headers = {}
        while (line := self.file.readline().decode()) != "\r\n":
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.text = ""

    def read_until(self, needle: str) -> str:
        while needle not in self.text:
            if self.chunked:
                size = int(self.file.readline().decode().rstrip("\r\n"), 16)
                assert size > 0, f"the stream ended before {needle!r}: {self.text!r}"
                data = self.file.read(size)
                assert self.file.read(2) == b"\r\n", "a chunk not closed by CRLF"
            else:
                data = self.file.read1(65536)
                assert data, f"the stream ended before {needle!r}: {self.text!r}"
            self.text += data.decode()
        return self.text

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_an_open_stream_gets_a_published_event_from_the_writer_and_frees_its_slot_when_closed(
    stack, own_user, webhook_channel, version
):
    api = own_user("sse")
    channel = webhook_channel(api)
    with requests.Session() as browser:
        sign_in(stack, browser, api.email)
        # The session is bound to the browser that signed in (Flask-Login's session protection).
        signed_in = {
            "Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies),
            "User-Agent": browser.headers["User-Agent"],
        }
    redis = Redis.from_url(stack.redis_url)
    slots_before = set(redis.keys("herald-e2e:sse:slots:*"))

    stream = RawStream(stack.port, version, signed_in)
    try:
        assert stream.status.startswith(f"HTTP/{version} 200")
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.chunked == (version == "1.1")
        stream.read_until('event: system\ndata: {"ok": ')  # the request thread's last bytes before the hand-over
        (slot_key,) = {k for k in set(redis.keys("herald-e2e:sse:slots:*")) - slots_before if k.count(b":") == 3}
        assert redis.zcard(slot_key) == 1

        renamed = f"renamed {secrets.token_hex(2)}"
        assert api.call("PATCH", f"/channels/{channel['id']}", json={"name": renamed}).status_code == 200
        text = stream.read_until(f"event: channel-{channel['id']}\n")
        assert f'data: {{"name":"channel","id":{channel["id"]}}}\n\n' in text
    finally:
        stream.close()

    deadline = time.monotonic() + 5  # the keep-alive is 15 s: only the writer's watch can be this quick
    while redis.zcard(slot_key):
        assert time.monotonic() < deadline, "the closed stream's slot was never given back"
        time.sleep(0.1)
    redis.close()
