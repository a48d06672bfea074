"""Redis connection, RQ queues and the rq-scheduler handle, one set per app."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
from rq import Queue

from webapp.models import Priority

# Workers listen in this order, so a busy `critical` queue always drains first.
QUEUE_FOR_PRIORITY = {
    Priority.CRITICAL.value: "critical",
    Priority.HIGH.value: "high",
    Priority.NORMAL.value: "default",
    Priority.LOW.value: "low",
}
QUEUE_ORDER = ("critical", "high", "default", "low")
EXTENSION = "herald.redis"


def init_app(app: Flask) -> None:
    """Create the app's Redis client lazily-connected from REDIS_URL."""
    app.extensions[EXTENSION] = Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10, health_check_interval=30
    )


def get_redis() -> Redis:
    return current_app.extensions[EXTENSION]


def key(*parts: object) -> str:
    """Build a key under Herald's prefix, e.g. key("events", 3) -> "herald:events:3"."""
    return ":".join([current_app.config["REDIS_KEY_PREFIX"], *map(str, parts)])


def get_queue(priority: str = Priority.NORMAL.value) -> Queue:
    return Queue(QUEUE_FOR_PRIORITY[priority], connection=get_redis())


def all_queues() -> list[Queue]:
    return [Queue(name, connection=get_redis()) for name in QUEUE_ORDER]
