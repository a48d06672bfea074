"""GET /events (SSE), the liveness banner and /healthz."""

import queue
import time

from webapp.extensions import db
from webapp.infra.live import events
from webapp.infra.liveness import heartbeat_key, worker_beat
from webapp.infra.queues import get_redis
from webapp.models import Membership, User
from webapp.web.live_stream import pending_text


def _workspace_id() -> int:
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    return db.session.query(Membership).filter_by(user_id=user.id).one().workspace_id


def _read_until(chunks, needle: str, limit: int = 20) -> str:
    seen = ""
    for _ in range(limit):
        seen += next(chunks).decode() if isinstance(seen, str) else ""
        if needle in seen:
            return seen
    raise AssertionError(f"{needle!r} not in {seen!r}")


def test_the_stream_says_connected_then_reports_liveness_then_relays_workspace_events(client, auth, app):
    auth.sign_up("ada@example.test")
    response = client.get("/events", buffered=False)
    chunks = iter(response.response)
    try:
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        assert next(chunks).decode() == "retry: 3000\n: connected\n\n"
        assert next(chunks).decode() == 'event: system\ndata: {"ok": false}\n\n'  # no scheduler here
        _wait_for_subscriber()
        event_id = events.publish(_workspace_id(), "publication", id=5, status="queued")
        text = _read_until(chunks, "publication-5")
        assert f"id: {event_id}\nevent: publication\n" in text
    finally:
        response.close()


def test_the_stream_replays_events_after_last_event_id(client, auth, app):
    auth.sign_up("ada@example.test")
    first = events.publish(_workspace_id(), "publication", id=1, status="queued")
    events.publish(_workspace_id(), "publication", id=1, status="published")

    response = client.get("/events", headers={"Last-Event-ID": first}, buffered=False)
    chunks = iter(response.response)
    try:
        next(chunks)
        text = _read_until(chunks, '"status":"published"')
        assert '"status":"queued"' not in text
    finally:
        response.close()


def _wait_for_subscriber() -> None:
    deadline = time.monotonic() + 3
    while get_redis().pubsub_numpat() < 1:
        assert time.monotonic() < deadline, "broker never subscribed"
        time.sleep(0.02)


def test_the_banner_says_the_scheduler_is_silent(client, auth):
    auth.sign_up("ada@example.test")

    html = client.get("/status", headers={"HX-Request": "true"}).get_data(as_text=True)

    assert 'role="alert"' in html and "scheduler has never reported in" in html


def test_the_banner_is_empty_when_scheduler_and_worker_are_alive(client, auth, monkeypatch):
    auth.sign_up("ada@example.test")
    get_redis().set(heartbeat_key(), f"{time.time():.3f}")
    worker_beat(get_redis(), "worker-1", alive_for_s=90)

    html = client.get("/status", headers={"HX-Request": "true"}).get_data(as_text=True)

    assert 'role="alert"' not in html


def test_healthz_names_the_failing_checks(client):
    get_redis().set(heartbeat_key(), f"{time.time() - 60:.3f}")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json["failing"] == ["scheduler", "workers"]
    assert response.json["checks"]["scheduler"]["last_heartbeat_s"] >= 59


def test_healthz_is_ok_when_everything_answers(client, monkeypatch):
    get_redis().set(heartbeat_key(), f"{time.time():.3f}")
    worker_beat(get_redis(), "worker-1", alive_for_s=90)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["checks"]["workers"] == {"alive": 1}


def test_events_waiting_in_a_streams_inbox_go_out_in_one_write():
    inbox = queue.SimpleQueue()
    for i in (2, 3):
        inbox.put((f"{i}-0", f'{{"name":"publication","id":{i}}}'))

    text, ended = pending_text(("1-0", '{"name":"publication","id":1}'), inbox, nonce="mine")

    assert not ended and inbox.empty()
    assert [line for line in text.split("\n") if line.startswith("id: ")] == ["id: 1-0"] * 2 + ["id: 2-0"] * 2 + [
        "id: 3-0"
    ] * 2


def test_a_replacement_waiting_behind_events_ends_the_stream_after_writing_them():
    inbox = queue.SimpleQueue()
    inbox.put(("0", '{"name":"stream.replaced","nonce":"mine"}'))
    inbox.put(("2-0", '{"name":"publication","id":2}'))

    text, ended = pending_text(("1-0", '{"name":"publication","id":1}'), inbox, nonce="mine")

    assert ended and "publication-1" in text and "publication-2" not in text
