"""One Redis subscription per web process, fanned out to every SSE client of that process.

A stream handed to the process's fan-out writer (fanout.py) has no queue here: the writer gets each
event once and sends it to all of them. A stream served on its own thread (no gunicorn socket to hand
over) gets a queue of its own, as before.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict

from redis import Redis
from redis.exceptions import RedisError

from webapp.infra.live.fanout import Fanout

log = logging.getLogger(__name__)

CLIENT_BUFFER = 1000


class Broker:
    """Hold the process's single pub/sub connection and the client queues it feeds."""

    def __init__(self, redis: Redis, pattern: str, fanout: Fanout | None = None):
        self._redis = redis
        self.fanout = fanout
        self._pattern = pattern
        self._prefix = pattern.rstrip("*")
        self._clients: dict[int, set[queue.SimpleQueue]] = defaultdict(set)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def subscribe(self, workspace_id: int) -> queue.SimpleQueue:
        """Register a client of the workspace and return the queue its events arrive on.

        A SimpleQueue (C, no Condition to take and notify) rather than a Queue: one event is put in every
        client's queue at once, a thousand of them, each waking its stream's thread. Bounded by hand below.
        """
        q: queue.SimpleQueue = queue.SimpleQueue()
        with self._lock:
            self._clients[workspace_id].add(q)
        self.listen()
        return q

    def listen(self) -> None:
        """Make sure the subscription is running (it starts with the process's first stream)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._listen, name="sse-broker", daemon=True)
                self._thread.start()

    def unsubscribe(self, workspace_id: int, q: queue.SimpleQueue) -> None:
        with self._lock:
            self._clients[workspace_id].discard(q)
            if not self._clients[workspace_id]:
                del self._clients[workspace_id]

    def client_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._clients.values())

    def stop(self, timeout: float = 3.0) -> None:
        """Stop listening and wait for the thread to end (it polls every second)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        try:
            workspace_id = int(channel.decode()[len(self._prefix) :])
        except ValueError:
            return
        event_id, _, payload = data.decode().partition("|")
        with self._lock:
            targets = list(self._clients.get(workspace_id, ()))
        if self.fanout is not None:
            self.fanout.publish(workspace_id, event_id, payload)
        event = (event_id, payload)
        for q in targets:
            if q.qsize() >= CLIENT_BUFFER:
                # A stalled client must not hold up the others; it replays from its Last-Event-ID.
                log.warning("dropping event %s for a slow SSE client", event_id)
                continue
            q.put_nowait(event)

    def _listen(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(self._pattern)
                backoff = 0.5
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "pmessage":
                        self._dispatch(message["channel"], message["data"])
            except (RedisError, OSError, ValueError) as exc:
                if self._stop.is_set():
                    break
                log.warning("SSE broker lost Redis (%s); reconnecting in %.1fs", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10)
            finally:
                pubsub.close()
