"""One writer thread per web process that sends every SSE event to every stream's socket.

A stream's request thread writes its first bytes itself (so gunicorn sends the response headers),
then hands its socket over and only sleeps. From then on this writer is the one thread writing to
that socket: it renders each event of a workspace once, frames it once per body framing (HTTP/1.1
chunked, HTTP/1.0 raw), and sends it to every socket of that workspace without blocking. Bytes a
socket cannot take yet wait in the stream's own buffer until the selector says it is writable; a
stream whose buffer passes `max_buffer` is dropped (the browser reconnects and replays from its
Last-Event-ID). One event thus costs one wake-up of one thread, not one per open dashboard.

A dropped or ended stream is forgotten first, then its request thread woken (`Stream.ended`), which
returns so gunicorn ends the response. Every change of the writer's state runs on its own thread, in
the order asked: other threads only append commands and wake it.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import selectors
import socket
import threading
from collections.abc import Callable

from webapp.infra.live.events import format_sse, replaced_stream

log = logging.getLogger(__name__)

# Bytes a stream may owe its client beyond what the kernel took: a few hundred events, or one batch of a
# thousand publications. Past it the client is too slow to keep up, and reconnecting costs it less.
MAX_BUFFER = 1 << 20


def frame(data: bytes, chunked: bool) -> bytes:
    """The body bytes as gunicorn would put them on the wire (its util.write_chunk for HTTP/1.1)."""
    return b"%X\r\n%s\r\n" % (len(data), data) if chunked else data


class Stream:
    """One SSE response: its workspace, its tab's nonce, its socket once handed over, and what it still owes."""

    def __init__(self, workspace_id: int, nonce: str, chunked: bool) -> None:
        self.workspace_id = workspace_id
        self.nonce = nonce
        self.chunked = chunked
        self.sock: socket.socket | None = None  # None until handed over: events wait in `pending`
        self.fd = -1  # the socket's, kept: the selector must let go of it even if the socket was closed
        self.pending = bytearray()
        self.listening = True  # watching the socket for the client's close (until it sends anything)
        self.ended = threading.Event()  # set once the writer has let go of the socket


class Fanout:
    """The process's SSE writer: `join` a stream, `hand_over` its socket, `send` to it, `end` it."""

    def __init__(self, max_buffer: int = MAX_BUFFER) -> None:
        self.max_buffer = max_buffer
        self._streams: dict[int, set[Stream]] = collections.defaultdict(set)
        self._commands: collections.deque[tuple[Callable, tuple]] = collections.deque()
        # The selector and the wake-up pair are made with the thread: most apps built never serve a stream.
        self._selector: selectors.BaseSelector
        self._wake_r: socket.socket
        self._wake_w: socket.socket
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # --- asked from other threads ---------------------------------------------------------------------

    def join(self, workspace_id: int, nonce: str, chunked: bool) -> Stream:
        """Count a stream in from now: the workspace's events wait for it until its socket is handed over."""
        stream = Stream(workspace_id, nonce, chunked)
        self._ask(self._join, stream)
        return stream

    def hand_over(self, stream: Stream, sock: socket.socket) -> None:
        """The request thread has written its last bytes: the writer owns the socket from now on."""
        self._ask(self._hand_over, stream, sock)

    def publish(self, workspace_id: int, event_id: str, payload: str) -> None:
        """A bus event (from the broker's thread): for every stream of the workspace."""
        if self._thread is not None:  # no stream ever joined (a worker, a test client): nothing to wake
            self._ask(self._publish, workspace_id, event_id, payload)

    def send(self, stream: Stream, text: str) -> None:
        """Bytes for one stream only (its keep-alive ping, a system status change)."""
        if text:
            self._ask(self._send, stream, text)

    def end(self, stream: Stream, timeout: float = 5.0) -> None:
        """End the stream and wait until the writer has let go of its socket (so nothing else writes after)."""
        self._ask(self._forget, stream, False)
        stream.ended.wait(timeout)

    def stop(self) -> None:
        """Process shutdown: end every stream, waking their request threads."""
        self._ask(self._forget_all)

    def stream_count(self) -> int:
        return sum(len(s) for s in list(self._streams.values()))

    def _ask(self, command: Callable, *args) -> None:
        self._commands.append((command, args))
        self._ensure_running()
        with contextlib.suppress(BlockingIOError):  # full: a wake-up is already pending
            self._wake_w.send(b"\0")

    def _ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None:
                self._selector = selectors.DefaultSelector()
                self._wake_r, self._wake_w = socket.socketpair()
                self._wake_r.setblocking(False)
                self._wake_w.setblocking(False)
                self._selector.register(self._wake_r, selectors.EVENT_READ)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sse-fanout", daemon=True)
                self._thread.start()

    # --- the writer's thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            for key, mask in self._selector.select():
                if key.fileobj is self._wake_r:
                    with contextlib.suppress(BlockingIOError):
                        self._wake_r.recv(4096)
                else:
                    self._safely(self._on_ready, key.data, mask)
            while self._commands:
                command, args = self._commands.popleft()
                self._safely(command, *args)

    def _safely(self, command: Callable, *args) -> None:
        try:
            command(*args)
        except Exception:  # the writer must outlive any one stream's trouble; that stream ends
            log.exception("SSE fan-out: %s failed", command.__name__)
            for stream in (a for a in args if isinstance(a, Stream)):
                self._forget(stream, True)

    def _join(self, stream: Stream) -> None:
        self._streams[stream.workspace_id].add(stream)

    def _hand_over(self, stream: Stream, sock: socket.socket) -> None:
        if stream.ended.is_set():
            return
        stream.sock, stream.fd = sock, sock.fileno()
        if stream.fd < 0:  # closed already: the request ended before the writer took over
            self._forget(stream, True)
            return
        self._flush(stream)

    def _publish(self, workspace_id: int, event_id: str, payload: str) -> None:
        streams = self._streams.get(workspace_id)
        if not streams:
            return
        nonce = replaced_stream(payload)
        if nonce is not None:
            for stream in [s for s in streams if s.nonce == nonce]:
                self._forget(stream, False)  # its tab opened a newer stream: end now, not at the next keep-alive
            return
        data = format_sse(event_id, payload).encode()
        framed = {False: data, True: frame(data, True)}  # built once, whatever the number of streams
        for stream in list(streams):
            self._write(stream, framed[stream.chunked])

    def _send(self, stream: Stream, text: str) -> None:
        if stream in self._streams.get(stream.workspace_id, ()):
            self._write(stream, frame(text.encode(), stream.chunked))

    def _write(self, stream: Stream, data: bytes) -> None:
        if stream.pending or stream.sock is None:
            stream.pending += data
        else:
            sent = self._send_now(stream, data)
            if sent is None:
                return
            stream.pending += data[sent:]
        if len(stream.pending) > self.max_buffer:
            log.warning("dropping a slow SSE client: %d bytes unsent", len(stream.pending))
            self._forget(stream, True)
        else:
            self._watch(stream)

    def _send_now(self, stream: Stream, data: bytes) -> int | None:
        """Send what the socket takes at once; None if the connection is gone (and the stream forgotten)."""
        try:
            return stream.sock.send(data, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0
        except OSError:  # EPIPE, ECONNRESET: the client has gone
            self._forget(stream, True)
            return None

    def _flush(self, stream: Stream) -> None:
        data, stream.pending = bytes(stream.pending), bytearray()
        self._write(stream, data)

    def _watch(self, stream: Stream) -> None:
        """Ask the selector about the socket: readable (the client closed it: noticed now, not at the next
        write), and writable while bytes wait."""
        if stream.sock is None:
            return
        events = (selectors.EVENT_READ if stream.listening else 0) | (selectors.EVENT_WRITE if stream.pending else 0)
        key = self._selector.get_map().get(stream.fd)
        if key is None and events:
            self._selector.register(stream.fd, events, stream)
        elif key is not None and not events:
            self._selector.unregister(stream.fd)
        elif key is not None and key.events != events:
            self._selector.modify(stream.fd, events, stream)

    def _on_ready(self, stream: Stream, mask: int) -> None:
        if mask & selectors.EVENT_READ:
            try:
                peeked = stream.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                peeked = None  # woken for nothing: keep watching
            except OSError:
                peeked = b""
            if peeked == b"":  # the client closed the connection, or reset it
                self._forget(stream, True)
                return
            if peeked:
                stream.listening = False  # it sent bytes (a next request): gunicorn reads them, later
        if mask & selectors.EVENT_WRITE:
            self._flush(stream)
        else:
            self._watch(stream)

    def _forget(self, stream: Stream, broken: bool) -> None:
        """Let go of the stream's socket, then wake its request thread.

        A connection dropped with bytes unsent (or a dead one) is shut down, so gunicorn's closing write fails
        and the connection is closed rather than reused after half a chunk.
        """
        streams = self._streams.get(stream.workspace_id)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self._streams[stream.workspace_id]
        if stream.sock is not None:
            if stream.fd >= 0 and stream.fd in self._selector.get_map():
                self._selector.unregister(stream.fd)
            if broken or stream.pending:
                with contextlib.suppress(OSError):
                    stream.sock.shutdown(socket.SHUT_RDWR)
        stream.pending = bytearray()
        stream.ended.set()

    def _forget_all(self) -> None:
        for streams in list(self._streams.values()):
            for stream in list(streams):
                self._forget(stream, False)
