"""What a channel's circuit, token bucket and in-flight cap say right now: a read-only view for pages and the API.

It reads the keys throttle.py writes (and its clock, so tests that move that clock move this view too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.exceptions import RedisError

from webapp.domain.publishing import throttle
from webapp.infra.queues import get_redis, key


@dataclass(frozen=True)
class ChannelLimits:
    """What a channel's circuit and token bucket say right now (read-only; `known` False if Redis did not answer)."""

    breaker: str = "closed"  # closed | open | half-open (its cool-off is over: the next call is a probe)
    open_until: datetime | None = None
    failures: int = 0  # consecutive transient failures counted towards opening
    rate_per_minute: int = 0  # 0: no limit
    tokens: float | None = None  # left in the bucket now (None: unlimited, or never used)
    next_token_at: datetime | None = None  # when the next token is there, if the bucket is empty
    known: bool = True
    max_in_flight: int = 0  # 0: no cap
    in_flight: int = 0  # unexpired leases: calls to the channel under way on any worker


def limits(channel, now: float | None = None) -> ChannelLimits:
    """Read the channel's circuit and rate-limit bucket without changing either."""
    now = throttle.clock() if now is None else now
    per_minute, cap = throttle.rate_per_minute(channel), throttle.max_in_flight(channel)
    try:
        redis = get_redis()
        with redis.pipeline(transaction=False) as pipe:
            pipe.hmget(throttle._keys(channel.id)[0], "open_until", "failures")
            pipe.hmget(key("bucket", f"channel:{channel.id}"), "tokens", "at")
            pipe.zcount(throttle._slot_keys(channel.id)[0], f"({now}", "+inf")
            (open_until, failures), (tokens, at), in_flight = pipe.execute()
    except RedisError:
        return ChannelLimits(rate_per_minute=per_minute, known=False, max_in_flight=cap)
    breaker, until = "closed", None
    if open_until is not None:
        until = datetime.fromtimestamp(math.ceil(float(open_until)), UTC)
        breaker = "open" if now < float(open_until) else "half-open"
    left = next_at = None
    if per_minute > 0 and tokens is not None:
        rate = per_minute / 60
        left = min(per_minute, float(tokens) + max(0.0, now - float(at or now)) * rate)
        if left < 1:
            next_at = datetime.fromtimestamp(math.ceil(now + (1 - left) / rate), UTC)
    return ChannelLimits(breaker, until, int(failures or 0), per_minute, left, next_at, True, cap, in_flight)
