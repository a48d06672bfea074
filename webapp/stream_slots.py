"""A cap on each user's concurrent SSE streams, counted in Redis across every web process.

An open stream holds a slot: a member of the sorted set key("sse", "slots", <user id>), scored with
the instant it lapses. The stream renews its slot on every keep-alive and gives it back when it
closes; a slot of a process that died without closing its streams simply lapses (after `ttl`) and
the next claim sweeps it away. Times are the Redis server's, so web hosts' clocks need not agree.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Sweep lapsed slots, then take one if the user is under the cap. Returns 1 (taken) or 0 (full).
_CLAIM_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""
# Push the slot's lapse time forward (re-adding it if it lapsed while the process was stalled).
_RENEW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""


@dataclass
class Slot:
    """One stream's place under its user's cap."""

    redis: Redis
    key: str
    token: str
    ttl: int

    def renew(self) -> None:
        """Keep the slot for another `ttl` seconds (called on every keep-alive)."""
        try:
            self.redis.register_script(_RENEW_LUA)(keys=[self.key], args=[self.token, self.ttl])
        except RedisError:
            log.warning("SSE slot %s not renewed: Redis unavailable", self.key)

    def release(self) -> None:
        """Give the slot back at once (safe to call more than once)."""
        try:
            self.redis.zrem(self.key, self.token)
        except RedisError:
            log.warning("SSE slot %s not released (it lapses on its own): Redis unavailable", self.key)


def claim(redis: Redis, key: str, cap: int, ttl: int) -> Slot | None:
    """Take a slot under `key` if fewer than `cap` are held, else None; a cap of 0 or less means no cap."""
    slot = Slot(redis, key, uuid.uuid4().hex, ttl)
    if cap <= 0:
        return slot
    try:
        taken = redis.register_script(_CLAIM_LUA)(keys=[key], args=[slot.token, ttl, cap])
    except RedisError:
        # Without Redis the stream has no events to carry anyway; let it open and retry its
        # subscription rather than refusing every dashboard for a blip.
        log.warning("SSE slot for %s not counted: Redis unavailable", key)
        return slot
    return slot if taken else None
