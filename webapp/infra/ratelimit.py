"""Fixed-window rate limits in Redis, shared by every web process."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from webapp.infra.queues import get_redis, key


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets


def hit(bucket: str, limit: int, window_s: int) -> Verdict:
    """Count one hit against `bucket`; refuse past `limit` within the current window."""
    window = int(time.time()) // window_s
    name = key("ratelimit", bucket, window)
    try:
        with get_redis().pipeline() as pipe:
            count, _ = pipe.incr(name).expire(name, window_s + 1).execute()
    except RedisError:
        # A limiter that fails closed would lock everyone out during a Redis blip.
        return Verdict(True, limit, 0)
    retry_after = window_s - int(time.time()) % window_s
    return Verdict(count <= limit, max(0, limit - count), retry_after)


def reset(bucket: str, window_s: int) -> None:
    """Forget the current window's hits (after a successful sign-in)."""
    window = int(time.time()) // window_s
    with contextlib.suppress(RedisError):
        get_redis().delete(key("ratelimit", bucket, window))
