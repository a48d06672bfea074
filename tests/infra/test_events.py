"""The event bus: every live event is also in the replayable stream, and SSE formatting."""

import json
import queue
import socket

from webapp.infra.live import events
from webapp.infra.live.fanout import Fanout
from webapp.infra.live.sse import Broker
from webapp.infra.queues import get_redis


def test_a_published_event_is_replayable_by_id(app):
    first = events.publish(7, "publication", id=1, status="queued")
    second = events.publish(7, "publication", id=1, status="published")

    replayed = events.replay(7, first)

    assert [(eid, json.loads(payload)["status"]) for eid, payload in replayed] == [(second, "published")]


def test_events_of_one_workspace_are_not_replayed_to_another(app):
    events.publish(1, "publication", id=1, status="queued")

    assert events.replay(2, "0-0") == []


def test_sse_format_names_a_generic_and_a_targeted_event_with_the_id():
    text = events.format_sse("5-0", '{"name":"publication","id":42,"status":"published"}')

    assert text == (
        'id: 5-0\nevent: publication\ndata: {"name":"publication","id":42,"status":"published"}\n\n'
        'id: 5-0\nevent: publication-42\ndata: {"name":"publication","id":42,"status":"published"}\n\n'
    )


def test_one_broker_subscription_fans_out_to_every_client_of_the_workspace(app):
    broker = Broker(get_redis(), "herald-test:events:*")
    a, b = broker.subscribe(3), broker.subscribe(3)
    other = broker.subscribe(4)
    try:
        _wait_until_subscribed()
        event_id = events.publish(3, "publication", id=9, status="queued")

        assert a.get(timeout=3) == (event_id, '{"name":"publication","id":9,"status":"queued"}')
        assert b.get(timeout=3)[0] == event_id
        assert other.empty()
        assert broker.client_count() == 3
    finally:
        for workspace_id, q in ((3, a), (3, b), (4, other)):
            broker.unsubscribe(workspace_id, q)
        broker.stop()


def test_the_broker_hands_each_event_to_the_fan_out_writer_once_for_its_handed_over_streams(app):
    fanout = Fanout()
    broker = Broker(get_redis(), "herald-test:events:*", fanout=fanout)
    server, client = socket.socketpair()
    try:
        stream = fanout.join(3, "nonce", chunked=False)
        fanout.hand_over(stream, server)
        broker.listen()
        received = _publish_until_one_arrives(client)

        event_id = received.partition(b"\n")[0].removeprefix(b"id: ").decode()
        expected = events.format_sse(event_id, '{"name":"publication","id":9,"status":"queued"}').encode()
        while len(received) < len(expected):
            received += client.recv(4096)
        assert received[: len(expected)] == expected
        assert broker.client_count() == 0  # no queue of its own: the writer serves it
    finally:
        broker.stop()
        fanout.stop()
        server.close()
        client.close()


def _publish_until_one_arrives(client: socket.socket) -> bytes:
    # Another test's broker may still hold the pattern for a moment, so "subscribed" cannot be told apart.
    client.settimeout(0.2)
    for _ in range(25):
        events.publish(3, "publication", id=9, status="queued")
        try:
            return client.recv(4096)
        except TimeoutError:
            continue
    raise AssertionError("no event reached the handed-over socket")


def _wait_until_subscribed():
    import time

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if get_redis().pubsub_numpat() >= 1:
            return
        time.sleep(0.02)
    raise AssertionError("broker never subscribed")


def test_a_client_queue_that_is_full_drops_events_instead_of_blocking(app, monkeypatch):
    monkeypatch.setattr("webapp.infra.live.sse.CLIENT_BUFFER", 1)
    broker = Broker(get_redis(), "herald-test:events:*")
    inbox = queue.SimpleQueue()
    broker._clients[5].add(inbox)

    broker._dispatch(b"herald-test:events:5", b"1-0|{}")
    broker._dispatch(b"herald-test:events:5", b"2-0|{}")

    assert inbox.get_nowait() == ("1-0", "{}")


def test_publications_changing_together_are_one_replayable_event_per_workspace_and_status(app):
    from types import SimpleNamespace

    rows = [SimpleNamespace(id=i, status="queued", workspace_id=8) for i in (1, 2, 3)]
    rows += [
        SimpleNamespace(id=4, status="deleted", workspace_id=8),
        SimpleNamespace(id=5, status="queued", workspace_id=9),
    ]

    events.publications_changed(rows)

    assert [json.loads(payload) for _, payload in events.replay(8, "0-0")] == [
        {"name": "publication", "ids": [1, 2, 3], "status": "queued"},
        {"name": "publication", "id": 4, "status": "deleted"},
    ]
    assert [json.loads(payload) for _, payload in events.replay(9, "0-0")] == [
        {"name": "publication", "id": 5, "status": "queued"}
    ]


def test_sse_format_of_a_batch_is_one_generic_event_and_a_targeted_one_per_publication():
    text = events.format_sse("6-0", '{"name":"publication","ids":[7,8],"status":"queued"}')

    assert text == (
        'id: 6-0\nevent: publication\ndata: {"name":"publication","ids":[7,8],"status":"queued"}\n\n'
        'id: 6-0\nevent: publication-7\ndata: {"name":"publication","id":7,"status":"queued"}\n\n'
        'id: 6-0\nevent: publication-8\ndata: {"name":"publication","id":8,"status":"queued"}\n\n'
    )
