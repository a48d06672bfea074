"""The per-process SSE writer, on real socket pairs: one thread sends each event to every stream's socket."""

import socket
import time

import pytest
from gunicorn import util as gunicorn_util

from webapp.infra.live.events import format_sse
from webapp.infra.live.fanout import Fanout, frame
from webapp.web.live_stream import PING, handed_over

EVENT = ("7-0", '{"name":"publication","id":42,"status":"published"}')


@pytest.fixture
def fanout():
    writer = Fanout()
    yield writer
    writer.stop()


@pytest.fixture
def pairs():
    made = []

    def make():
        server, client = socket.socketpair()
        client.settimeout(3)
        made.append((server, client))
        return server, client

    yield make
    for server, client in made:
        server.close()
        client.close()


def _handed(fanout, pairs, workspace_id=1, nonce="n", chunked=True):
    server, client = pairs()
    stream = fanout.join(workspace_id, nonce, chunked)
    fanout.hand_over(stream, server)
    return stream, client


def _read(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = client.recv(size - len(data))
        assert part, f"closed after {data!r}"
        data += part
    return data


def _gunicorn_chunk(data: bytes) -> bytes:
    """What gunicorn itself writes for one body chunk of an HTTP/1.1 response."""
    left, right = socket.socketpair()
    with left, right:
        gunicorn_util.write_chunk(left, data)
        return right.recv(len(data) + 64)


def test_a_chunk_is_framed_byte_for_byte_as_gunicorn_frames_it():
    data = format_sse(*EVENT).encode()

    assert frame(data, chunked=True) == _gunicorn_chunk(data)
    assert frame(data, chunked=False) == data  # HTTP/1.0: the body as it is


def test_one_event_reaches_every_stream_of_the_workspace_and_no_other(fanout, pairs):
    streams = [_handed(fanout, pairs, chunked=chunked) for chunked in (True, True, False)]
    _, elsewhere = _handed(fanout, pairs, workspace_id=2)

    fanout.publish(1, *EVENT)

    text = format_sse(*EVENT).encode()
    for stream, client in streams:
        expected = frame(text, stream.chunked)
        assert _read(client, len(expected)) == expected
    elsewhere.settimeout(0.2)
    with pytest.raises(TimeoutError):
        elsewhere.recv(1)


def test_events_published_before_the_hand_over_wait_for_it_in_order(fanout, pairs):
    server, client = pairs()
    stream = fanout.join(1, "n", chunked=True)
    fanout.publish(1, "1-0", '{"name":"alert"}')
    fanout.publish(1, "2-0", '{"name":"bulk"}')

    fanout.hand_over(stream, server)

    expected = frame(format_sse("1-0", '{"name":"alert"}').encode(), True)
    expected += frame(format_sse("2-0", '{"name":"bulk"}').encode(), True)
    assert _read(client, len(expected)) == expected


def test_a_reader_that_falls_behind_is_dropped_without_holding_up_the_others(pairs):
    fanout = Fanout(max_buffer=64 * 1024)
    try:
        slow_server, slow_client = pairs()
        slow_server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        slow = fanout.join(1, "slow", chunked=True)
        fanout.hand_over(slow, slow_server)
        fast, fast_client = _handed(fanout, pairs)
        payload = '{"name":"bulk","pad":"' + "x" * 4000 + '"}'
        expected = frame(format_sse("1-0", payload).encode(), True)

        received = 0
        for _ in range(100):  # ~400 KB: far past what the slow socket and its buffer may hold
            fanout.publish(1, "1-0", payload)
            received += len(_read(fast_client, len(expected)))  # the fast reader keeps pace throughout

        assert slow.ended.wait(3), "the slow reader was never dropped"
        assert received == 100 * len(expected) and not fast.ended.is_set()
        assert fanout.stream_count() == 1
    finally:
        fanout.stop()


def test_a_client_that_closes_is_forgotten_and_its_thread_woken_without_waiting_for_a_write(fanout, pairs):
    stream, client = _handed(fanout, pairs)
    fanout.send(stream, PING)
    _read(client, len(frame(PING.encode(), True)))  # the writer holds the socket, and has nothing left to write

    client.close()

    assert stream.ended.wait(3)
    assert fanout.stream_count() == 0


def test_a_client_that_sends_bytes_is_not_taken_for_one_that_left(fanout, pairs):
    stream, client = _handed(fanout, pairs)

    client.sendall(b"GET /next HTTP/1.1\r\n")  # a pipelined request: gunicorn's to read once the stream ends
    fanout.publish(1, *EVENT)

    expected = frame(format_sse(*EVENT).encode(), True)
    assert _read(client, len(expected)) == expected and not stream.ended.is_set()


def test_a_socket_closed_before_the_writer_takes_it_ends_the_stream(fanout, pairs):
    server, _ = pairs()
    stream = fanout.join(1, "n", chunked=True)
    server.close()

    fanout.hand_over(stream, server)

    assert stream.ended.wait(3)
    fanout.publish(1, *EVENT)  # and the writer goes on
    assert _handed(fanout, pairs)[0].ended.is_set() is False


def test_a_replaced_stream_ends_and_its_workspace_s_other_streams_go_on(fanout, pairs):
    old, old_client = _handed(fanout, pairs, nonce="old")
    other, other_client = _handed(fanout, pairs, nonce="other")

    fanout.publish(1, "0", '{"name":"stream.replaced","nonce":"old"}')
    fanout.publish(1, *EVENT)

    assert old.ended.wait(3) and not other.ended.is_set()
    expected = frame(format_sse(*EVENT).encode(), True)
    assert _read(other_client, len(expected)) == expected  # the signal itself is never shown to a page
    old_client.settimeout(0.2)
    with pytest.raises(TimeoutError):
        old_client.recv(1)  # ended cleanly: nothing written, the socket left for gunicorn to finish


class _Ticks:
    """A stream's keep-alive with its slot renewed `renewals` times, then lapsed."""

    def __init__(self, renewals: int) -> None:
        self.renewals = renewals

    def renew(self) -> bool:
        self.renewals -= 1
        return self.renewals >= 0

    def status(self) -> str:
        return 'event: system\ndata: {"ok": true}\n\n' if self.renewals == 0 else ""


def test_keep_alive_bytes_go_through_the_writer_and_a_lapsed_slot_ends_the_stream(fanout, pairs):
    server, client = pairs()
    stream = fanout.join(1, "n", chunked=True)

    started = time.monotonic()
    handed_over(fanout, stream, server, keepalive=0.05, ticks=_Ticks(renewals=1))

    assert time.monotonic() - started < 2 and stream.ended.is_set() and fanout.stream_count() == 0
    expected = frame(PING.encode(), True) + frame(b'event: system\ndata: {"ok": true}\n\n', True)
    expected += frame(PING.encode(), True)
    assert _read(client, len(expected)) == expected


def test_stopping_ends_every_stream(fanout, pairs):
    streams = [_handed(fanout, pairs, workspace_id=w)[0] for w in (1, 2)]

    fanout.stop()

    assert all(stream.ended.wait(3) for stream in streams)
