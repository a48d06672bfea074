"""A worker process's presence: one Redis connection it keeps open for its whole life, named after it.

A kill -9 closes the process's sockets, so Redis forgets the name at once: what the process held in Redis
(its slots' in-flight leases, publishing/throttle.py) is known to be orphaned the moment the process dies,
where a heartbeat or a lease would say so only when its time runs out. The name is unique to one run of one
process (worker.py's base name), so a restarted worker never takes its predecessor's name.

Redis also drops the connection when it restarts, or when the server closes idle clients (its `timeout`):
`keep` pings it back (worker.py's main thread does, every few seconds), and until then the process's leases
look orphaned and may be given to others: the per-channel cap is briefly loose, never stuck.
"""

from __future__ import annotations

import contextlib

from flask import Flask, current_app
from redis import ConnectionPool, Redis
from redis.exceptions import RedisError, ResponseError

from webapp.infra.queues import get_redis

PREFIX = "herald-presence."  # a client name allows no spaces
EXTENSION = "herald.presence"


def hold(app: Flask, name: str) -> Redis:
    """Open this process's presence under `name` and make it the holder of what the process takes (`name()`)."""
    with app.app_context():
        shared = get_redis().connection_pool
    pool = ConnectionPool(
        connection_class=shared.connection_class, **{**shared.connection_kwargs, "client_name": PREFIX + name}
    )
    client = Redis(connection_pool=pool, single_connection_client=True)
    client.ping()
    app.extensions[EXTENSION] = (name, client)
    return client


def keep(client: Redis) -> None:
    """Reconnect the presence if Redis dropped it (a Redis restart, an idle timeout); a failure waits for the next."""
    with contextlib.suppress(RedisError):
        client.ping()


def name() -> str | None:
    """The presence this process holds, or None (the web, the scheduler, tests: what they take has no holder)."""
    held = current_app.extensions.get(EXTENSION)
    return held[0] if held else None


def present(redis: Redis) -> set[str] | None:
    """The presences open now, or None when the server refuses CLIENT LIST (some managed Redis services do)."""
    try:
        clients = redis.client_list()
    except ResponseError:
        return None
    return {c["name"].removeprefix(PREFIX) for c in clients if c.get("name", "").startswith(PREFIX)}
