"""Is the machinery alive? Scheduler heartbeat, workers, queue depths — from Redis, never by scanning jobs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

from webapp.infra.queues import all_queues, get_redis, key


def heartbeat_key() -> str:
    """The Redis key where the scheduler's every tick writes the time (it expires if the scheduler stops)."""
    return key("scheduler", "heartbeat")


# The launcher's (`make run`) record of the processes it restarted, under Herald's key prefix. The
# launcher has no app, so it names the key from the prefix itself (supervisor_key).
SUPERVISOR = "supervisor"


def supervisor_key(prefix: str) -> str:
    return f"{prefix}:{SUPERVISOR}"


def record_launch(redis: Redis, prefix: str, now: datetime | None = None) -> None:
    """Start a fresh restart record for a new `make run` (the previous run's restarts are history)."""
    pipe = redis.pipeline()
    pipe.delete(supervisor_key(prefix))
    pipe.hset(supervisor_key(prefix), "started_at", (now or datetime.now(UTC)).isoformat())
    pipe.execute()


def record_restart(redis: Redis, prefix: str, name: str, code: int | None, now: datetime | None = None) -> None:
    """Count one restart of process `name` (exit `code`) in the launcher's record."""
    pipe = redis.pipeline()
    pipe.hincrby(supervisor_key(prefix), f"{name}:restarts", 1)
    pipe.hset(
        supervisor_key(prefix), f"{name}:last", json.dumps({"at": (now or datetime.now(UTC)).isoformat(), "code": code})
    )
    pipe.execute()


def supervisor_report() -> dict | None:
    """Return {"started_at", "processes": {name: {"restarts", "last_at", "last_code"}}}, or None without a launcher.

    Processes run by systemd or another supervisor have no record here: their restarts are in its journal.
    """
    raw = {k.decode(): v.decode() for k, v in get_redis().hgetall(key(SUPERVISOR)).items()}
    if not raw:
        return None
    processes: dict[str, dict] = {}
    for field, value in raw.items():
        name, _, what = field.partition(":")
        if what == "restarts":
            processes.setdefault(name, {})["restarts"] = int(value)
        elif what == "last":
            last = json.loads(value)
            processes.setdefault(name, {}).update(last_at=datetime.fromisoformat(last["at"]), last_code=last["code"])
    return {
        "started_at": datetime.fromisoformat(raw["started_at"]) if "started_at" in raw else None,
        "processes": processes,
    }


# Herald's own record of live workers: a sorted set of worker names scored by the instant each is
# alive until, refreshed by every RQ heartbeat. RQ's own registry (`rq:workers`) is written once at a
# worker's birth, so after a Redis flush a running worker is missing from it for good; this set is
# written again within one heartbeat (HeraldWorker.worker_ttl).
WORKERS_ALIVE = ("workers", "alive")


def worker_beat(redis: Redis, name: str, alive_for_s: float, now: float | None = None) -> None:
    """Record that worker `name` is alive for the next `alive_for_s` seconds."""
    redis.zadd(key(*WORKERS_ALIVE), {name: (now or time.time()) + alive_for_s})


def worker_gone(redis: Redis, name: str) -> None:
    """Forget a worker that shut down cleanly (one that died simply stops beating)."""
    redis.zrem(key(*WORKERS_ALIVE), name)


def live_worker_names(redis: Redis, now: float | None = None) -> set[str]:
    """Names of the workers alive now: beating in Herald's set, or registered (not suspended) in RQ's."""
    now = now or time.time()
    beating = {n.decode() for n in redis.zrangebyscore(key(*WORKERS_ALIVE), now, "+inf")}
    registered = {w.name for w in Worker.all(connection=redis) if w.get_state() != "suspended"}
    return beating | registered


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
        workers = len(live_worker_names(redis))
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
