"""Is the machinery alive? Scheduler heartbeat, workers, queue depths — from Redis, never by scanning jobs."""

from __future__ import annotations

import time

from flask import current_app
from redis.exceptions import RedisError
from rq import Worker

from webapp.infra.queues import all_queues, get_redis, key


def heartbeat_key() -> str:
    """The Redis key where the scheduler's every tick writes the time (it expires if the scheduler stops)."""
    return key("scheduler", "heartbeat")


def last_heartbeat_age() -> float | None:
    """Seconds since the scheduler's last tick, or None if none is recorded."""
    raw = get_redis().get(heartbeat_key())
    return None if raw is None else max(0.0, time.time() - float(raw))


def system_status() -> dict:
    """Return the scheduler's heartbeat age, live workers, queue depths and a list of problems."""
    stale_after = current_app.config["HEARTBEAT_STALE_S"]
    problems: list[str] = []
    try:
        redis = get_redis()
        age = last_heartbeat_age()
        workers = sum(1 for w in Worker.all(connection=redis) if w.state != "suspended")
        depths = {q.name: q.count for q in all_queues()}
    except RedisError as exc:
        return {"ok": False, "redis": False, "problems": [f"Redis is unreachable ({type(exc).__name__})"]}
    if age is None:
        problems.append("the scheduler has never reported in: no publication will be queued")
    elif age > stale_after:
        problems.append(f"the scheduler has been silent for {age:.0f} s: publications are not being queued")
    if workers == 0:
        problems.append("no worker is running: queued publications will wait")
    return {
        "ok": not problems,
        "redis": True,
        "scheduler_heartbeat_age_s": None if age is None else round(age, 1),
        "workers_alive": workers,
        "queue_depths": depths,
        "problems": problems,
    }
