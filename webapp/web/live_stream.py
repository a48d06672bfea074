"""How an open GET /events stream spends its life, once its first bytes are out.

Under gunicorn (HTTP/1.x, plain TCP) the stream hands its socket to the process's fan-out writer
(infra/live/fanout.py), which sends every event; this thread only wakes each keep-alive to ping, renew
the stream's slot and report a change of the system's status. Anywhere else (Flask's test client,
`flask run`, TLS terminated by gunicorn) there is no socket to hand over, and the thread waits on its
own queue and writes each event itself. Both say the same bytes: the keep-alive is `KeepAlive`'s.
"""

from __future__ import annotations

import json
import queue
import socket
import time
from collections.abc import Iterator

from flask import Request

from webapp.infra.live.events import format_sse, is_stream_replaced
from webapp.infra.live.fanout import Fanout, Stream
from webapp.infra.live.sse import Broker
from webapp.infra.live.stream_slots import Slot
from webapp.infra.liveness import system_status

PING = ": ping\n\n"


class KeepAlive:
    """What a stream says besides events: the system's status when it changed (the scheduler went silent, or
    came back), checked at connect and on every tick, and the tick's ping, which also renews the slot."""

    def __init__(self, slot: Slot) -> None:
        self._slot = slot
        self._system_ok: bool | None = None

    def status(self) -> str:
        now_ok = system_status()["ok"]
        if now_ok == self._system_ok:
            return ""
        self._system_ok = now_ok
        return f"event: system\ndata: {json.dumps({'ok': now_ok})}\n\n"

    def renew(self) -> bool:
        """False once the same tab opened a newer stream (the page moved on): this one is done."""
        return self._slot.renew()


class LiveStream:
    """One /events stream's place in its process's fan-out, from before its first bytes to its close.

    Joined before the replay is read, so an event published meanwhile waits for it: in the writer's buffer
    until the socket is handed over, or in the stream's own queue on the fallback.
    """

    def __init__(self, broker: Broker, workspace_id: int, slot: Slot, keepalive: float, request: Request) -> None:
        self._broker, self._workspace_id, self._keepalive = broker, workspace_id, keepalive
        self._nonce, self._ticks = slot.nonce, KeepAlive(slot)
        self._fanout, self._handover = broker.fanout, handover_socket(request)
        if self._fanout is not None and self._handover is not None:
            self._stream, self._inbox = self._fanout.join(workspace_id, slot.nonce, chunked=self._handover[1]), None
            broker.listen()
        else:
            self._stream, self._inbox = None, broker.subscribe(workspace_id)

    def follow(self) -> Iterator[str]:
        """After the preamble and the replay: the events until the stream ends."""
        if self._stream is None:
            yield from on_own_thread(self._inbox, self._nonce, self._keepalive, self._ticks)
            return
        # At connect, as on each keep-alive tick: an open dashboard learns within seconds that the
        # scheduler went silent (or came back).
        yield self._ticks.status()
        # gunicorn has written every byte yielded so far (headers first): from here the writer sends.
        handed_over(self._fanout, self._stream, self._handover[0], self._keepalive, self._ticks)

    def leave(self) -> None:
        """On the response's close, even if it never started (safe to call more than once)."""
        if self._stream is None:
            self._broker.unsubscribe(self._workspace_id, self._inbox)
        else:
            self._fanout.end(self._stream)


def handover_socket(request: Request) -> tuple[socket.socket, bool] | None:
    """The connection's socket and whether gunicorn frames the body in chunks, if the stream may be handed over.

    gunicorn's gthread worker puts the connection's socket in the environ; a response without
    Content-Length is chunked for HTTP/1.1 and raw for HTTP/1.0 (its Response.is_chunked). Not for TLS
    (an SSLSocket, whose bytes only its own thread may write), HTTP/2, or a HEAD request (no body).
    """
    sock = request.environ.get("gunicorn.socket")
    protocol = request.environ.get("SERVER_PROTOCOL")
    if type(sock) is not socket.socket or request.method != "GET" or protocol not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    return sock, protocol == "HTTP/1.1"


def handed_over(fanout: Fanout, stream: Stream, sock: socket.socket, keepalive: float, ticks: KeepAlive) -> None:
    """Give the socket to the writer, then only tick until the writer or the slot ends the stream.

    The writer ends it when the client leaves or lags too far behind, or its tab opened a newer stream;
    the tick, when the slot lapsed. Either way the writer has let go of the socket before this returns,
    so gunicorn's closing bytes never interleave with its own.
    """
    fanout.hand_over(stream, sock)
    while not stream.ended.wait(keepalive):
        fanout.send(stream, PING)
        if not ticks.renew():
            break
        fanout.send(stream, ticks.status())
    fanout.end(stream)


def on_own_thread(inbox: queue.SimpleQueue, nonce: str, keepalive: int, ticks: KeepAlive) -> Iterator[str]:
    """Wait on the stream's own queue and yield each event, a ping each keep-alive, until the stream ends."""
    while True:
        if text := ticks.status():
            yield text
        deadline = time.monotonic() + keepalive
        while (left := deadline - time.monotonic()) > 0:
            try:
                first = inbox.get(timeout=left)
            except queue.Empty:
                break
            text, replaced = pending_text(first, inbox, nonce)
            if text:
                yield text
            if replaced:
                return  # this tab opened a newer stream: end now, not at the next keep-alive
        yield PING
        if not ticks.renew():
            return


def pending_text(first: tuple[str, str], inbox: queue.SimpleQueue, nonce: str) -> tuple[str, bool]:
    """The SSE text of `first` and of every event already waiting behind it, and whether one ends this stream.

    One write for all of them: when a burst of events outruns a thousand streams, each thread catches up in
    one wake-up and one socket write instead of one per event.
    """
    texts, item = [], first
    while item is not None:  # bounded: the broker keeps an inbox under CLIENT_BUFFER
        event_id, payload = item
        replaced = is_stream_replaced(payload, nonce)
        if replaced:
            return "".join(texts), True
        if replaced is None:
            texts.append(format_sse(event_id, payload))
        try:
            item = inbox.get_nowait()
        except queue.Empty:
            item = None
    return "".join(texts), False
