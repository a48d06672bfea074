"""A cap on each user's concurrent SSE streams, counted in Redis across every web process.

An open stream holds a slot: a member of the sorted set key("sse", "slots", <user id>), scored with
the instant it lapses. The stream renews its slot on every keep-alive and gives it back when it
closes; a slot of a process that died without closing its streams simply lapses (after `ttl`) and
the next claim sweeps it away. Times are the Redis server's, so web hosts' clocks need not agree.

A browser tab names itself (`/events?tab=<id>`, kept in the tab's sessionStorage): a new stream from
the same tab takes over that tab's slot instead of taking another. Without this, a page left behind
keeps its slot until its stream's next keep-alive write fails (up to SSE_KEEPALIVE_S), so clicking
through a few pages quickly ran into the cap. Ownership of a tab's slot is the newest stream's
(key + ":owners", tab -> nonce): the replaced stream's release frees nothing, and its next renew
tells it to end.

A tab's takeover alone would let one account hold any number of streams (and web threads) by
reusing one tab id: every replaced stream stays open until its next keep-alive. So every open stream
also counts, by its own nonce, in key + ":streams", under a hard cap of twice the per-user cap
(room for each tab's page change, never more).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Sweep lapsed slots and streams; refuse at the hard cap of open streams; then take a slot if the user
# is under the cap, or take over the tab's own slot; count the stream.
# KEYS: slots, owners, streams. ARGV: member (tab or stream id), ttl, cap, nonce, hard cap.
# Returns 0 (full), or {1, the nonce of the stream whose tab slot was taken over, or ''}.
_CLAIM_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then
  return 0
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
local ttl = math.ceil(tonumber(ARGV[2])) + 1
local replaced = redis.call('HGET', KEYS[2], ARGV[1]) or ''
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[4])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return {1, replaced}
"""
# Push the slot's lapse time forward (re-adding it if it lapsed while the process was stalled),
# unless a newer stream of the same tab owns it: then answer 0, and the stream ends.
_RENEW_LUA = """
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if owner and owner ~= ARGV[3] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = math.ceil(tonumber(ARGV[2])) + 1
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return 1
"""
# The stream no longer counts; give the slot back only if this stream still owns it.
_RELEASE_LUA = """
redis.call('ZREM', KEYS[3], ARGV[2])
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if owner and owner ~= ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""


@dataclass
class Slot:
    """One stream's place under its user's cap."""

    redis: Redis
    key: str
    token: str  # the member: the tab's id, or the stream's own when the tab gave none
    ttl: int
    nonce: str = ""  # this stream's, telling it from a newer stream of the same tab
    replaced: str = ""  # the nonce of the older stream of the same tab this one took the slot from

    @property
    def _keys(self) -> list[str]:
        return [self.key, self.key + ":owners", self.key + ":streams"]

    def renew(self) -> bool:
        """Keep the slot for another `ttl` seconds (every keep-alive); False once a newer stream of the tab has it."""
        try:
            renewed = self.redis.register_script(_RENEW_LUA)(keys=self._keys, args=[self.token, self.ttl, self.nonce])
            return bool(renewed)
        except RedisError:
            log.warning("SSE slot %s not renewed: Redis unavailable", self.key)
            return True

    def release(self) -> None:
        """Give the slot back at once, unless a newer stream of the tab holds it (safe to call more than once)."""
        try:
            self.redis.register_script(_RELEASE_LUA)(keys=self._keys, args=[self.token, self.nonce])
        except RedisError:
            log.warning("SSE slot %s not released (it lapses on its own): Redis unavailable", self.key)


def claim(redis: Redis, key: str, cap: int, ttl: int, tab: str | None = None) -> Slot | None:
    """Take a slot under `key` if fewer than `cap` are held (or the tab's own), else None; cap <= 0: no cap.

    Whatever the tab, no more than 2 * cap streams are open at once.
    """
    nonce = uuid.uuid4().hex
    slot = Slot(redis, key, f"tab:{tab}" if tab else nonce, ttl, nonce)
    if cap <= 0:
        return slot
    try:
        taken = redis.register_script(_CLAIM_LUA)(keys=slot._keys, args=[slot.token, ttl, cap, nonce, 2 * cap])
    except RedisError:
        # Without Redis the stream has no events to carry anyway; let it open and retry its
        # subscription rather than refusing every dashboard for a blip.
        log.warning("SSE slot for %s not counted: Redis unavailable", key)
        return slot
    if not taken:
        return None
    replaced = taken[1] if isinstance(taken, list) else b""
    slot.replaced = replaced.decode() if isinstance(replaced, bytes) else str(replaced or "")
    return slot
