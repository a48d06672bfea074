"""Per-channel token buckets, circuit breakers and in-flight caps in Redis, shared by every worker on every machine."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from webapp.adapters.base import ErrorClass
from webapp.core.phrases import At, Phrase
from webapp.infra import presence
from webapp.infra.queues import get_redis, key

log = logging.getLogger(__name__)

# Every decision here reads this clock (unix seconds), so tests can replace it with a fake one. The
# time travels into the Lua scripts as an argument for the same reason.
clock = time.time
# While the half-open circuit's one probe is out, others look again this soon rather than after a cool-off.
PROBE_RETRY_S = 15
# The start of a waiting publication's visible reason (in English): the channel page counts them by it.
RATE_WAIT = "waiting for rate limit until"
CIRCUIT_WAIT = "channel circuit open"
SLOT_WAIT = "waiting for a free slot on the channel"
# A publication that found its channel full is woken (its rq-scheduler entry brought forward) when a slot
# frees; this is only the latest it looks again should that wake-up be lost.
SLOT_RETRY_S = 30
# A slot is a lease: a worker killed mid-call frees it when the lease runs out (job timeout 120 s + margin), or
# sooner, when its process's presence is seen gone (release_orphans: a worker's start, the reconciler).
SLOT_LEASE_S = 150

# Refill by the time elapsed since the last take (never backwards: workers' clocks differ slightly),
# then take one token; when there is none, take it on credit (the balance goes below zero) and answer
# when that token will have been refilled. Each waiter so gets its own future slot, in order, instead
# of all of them waking at the same instant to fight over one token.
_TAKE = """
local rate, capacity, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or capacity, tonumber(state[2]) or now
if now > at then
  tokens, at = math.min(capacity, tokens + (now - at) * rate), now
end
local wait = 0
tokens = tokens - 1
if tokens < 0 then wait = -tokens / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return tostring(wait)
"""
# Closed: no open_until. Open: before it. Half-open: after it, and the first to SET NX the probe lock
# is the one call let through. A call that may go takes a lease in the channel's in-flight set (KEYS[4],
# if it has a cap: at most ARGV[3] unexpired leases, the publication id ARGV[4] as member) and takes back
# the publication's reserved token (KEYS[3], if the channel has a rate limit), in the same round trip: this
# runs once per publish. Expired leases (a killed worker's) are swept only when the set looks full, to keep
# the common case short; the set has no expiry of its own (a lease's is its score), and goes with its last
# member. The third answer says whether the circuit has anything to close (open, or failures counted).
_ADMIT = """
local now = tonumber(ARGV[1])
local state = 'closed'
local breaker = redis.call('HMGET', KEYS[1], 'open_until', 'failures')
local open_until = tonumber(breaker[1])
local dirty = (breaker[1] or breaker[2]) and '1' or ''
if open_until then
  if now < open_until then return {'open', tostring(open_until)} end
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'busy', '0'} end
  state = 'probe'
end
if KEYS[4] then
  local cap, lease = tonumber(ARGV[3]), tonumber(ARGV[5])
  redis.call('ZADD', KEYS[4], now + lease, ARGV[4])
  if redis.call('ZCARD', KEYS[4]) > cap then
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
    if redis.call('ZCARD', KEYS[4]) > cap then
      redis.call('ZREM', KEYS[4], ARGV[4])
      return {'full', tostring(cap)}
    end
  end
end
if state == 'probe' then redis.call('SET', KEYS[2], '1', 'EX', ARGV[2]) end
local reserved = false
if KEYS[3] ~= '' then reserved = redis.call('GETDEL', KEYS[3]) end
return {state, reserved or '', dirty}
"""
# A finished call gives its lease back (KEYS[1], member ARGV[1]) and takes the channel's longest waiter
# (KEYS[2]) out of rq-scheduler (KEYS[3]), answering its job id: the worker hands the freed slot over at
# once (publisher), where a tick would leave it idle for up to a second. A waiter whose entry is gone
# (cancelled, or moved by its fallback time already) is skipped. With ARGV[3] = 1 the call succeeded: the
# circuit closes too (KEYS[4], KEYS[5]). The scheduler's key sits outside the channel's hash tag: a Redis
# cluster would want the wake-up as a second call.
_DONE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[3] == '1' then redis.call('DEL', KEYS[4], KEYS[5]) end
if ARGV[4] ~= '1' then return '' end
for _ = 1, 5 do
  local woken = redis.call('ZPOPMIN', KEYS[2])
  if not woken[1] then return '' end
  if redis.call('ZREM', KEYS[3], woken[1]) == 1 then return woken[1] end
end
return ''
"""
# A failure while open or half-open (the probe) re-opens for a full cool-off; otherwise it counts
# towards the threshold.
_FAIL = """
local now, cooloff = tonumber(ARGV[2]), tonumber(ARGV[3])
local opened = 0
if redis.call('HEXISTS', KEYS[1], 'open_until') == 1 then
  opened = 1
elseif redis.call('HINCRBY', KEYS[1], 'failures', 1) >= tonumber(ARGV[1]) then
  opened = 1
end
if opened == 1 then
  redis.call('HSET', KEYS[1], 'open_until', tostring(now + cooloff))
  redis.call('HDEL', KEYS[1], 'failures')
  redis.call('DEL', KEYS[2])
end
redis.call('EXPIRE', KEYS[1], cooloff + 86400)
return opened
"""


@dataclass(frozen=True)
class Admission:
    """Whether a call to a channel may go now; if not, until when and why."""

    until: datetime | None = None
    reason: Phrase | None = None
    probe: bool = False  # this call is the half-open circuit's one probe
    slot_full: bool = False  # it waits for a free slot: line it up to be woken (wait_for_slot)
    slot: int | None = None  # the publication id holding a lease in the channel's in-flight set
    # The circuit had failures counted (or was open) when the call was let through: a success closes it.
    # A clean circuit is left alone, which saves a command per publish; a failure another worker counts
    # meanwhile is reset by the next success that saw it.
    circuit_dirty: bool = True

    @property
    def allowed(self) -> bool:
        return self.until is None


def _keys(channel_id: int) -> list[str]:
    # One hash tag per channel keeps a script's keys in one slot, should Redis ever be a cluster.
    return [key("breaker", f"{{{channel_id}}}"), key("breaker", f"{{{channel_id}}}", "probe")]


def _slot_keys(channel_id: int) -> list[str]:
    return [key("inflight", f"{{{channel_id}}}"), key("inflight", f"{{{channel_id}}}", "waiting")]


def _holders_key() -> str:
    return key("inflight", "holders")


def _lease(publication_id: int) -> str:
    # A lease names the process that holds it (its presence), so a dead process's leases can be told apart.
    holder = presence.name()
    return f"{publication_id}@{holder}" if holder else str(publication_id)


def max_in_flight(channel) -> int:
    """Return how many of the channel's publications may be in flight at once: its `max_in_flight` rule, else its
    platform's default (0: no cap)."""
    own = (channel.rules or {}).get("max_in_flight")
    if isinstance(own, int) and not isinstance(own, bool) and own >= 0:
        return own
    return current_app.config["MAX_IN_FLIGHT"].get(channel.platform, 0)


def rate_per_minute(channel) -> int:
    """Return the channel's posts per minute: its own `rate_per_minute` rule, else its platform's default."""
    own = (channel.rules or {}).get("rate_per_minute")
    if isinstance(own, int) and not isinstance(own, bool) and own >= 0:
        return own
    return current_app.config["RATE_PER_MINUTE"].get(channel.platform, 0)


def take_token(bucket: str, per_minute: int, now: float | None = None, connection: Redis | None = None) -> float:
    """Take one token (on credit when the bucket is empty); return the seconds until it is really there."""
    if per_minute <= 0:
        return 0.0
    redis = connection or get_redis()
    now = clock() if now is None else now
    script = redis.register_script(_TAKE)
    return float(script(keys=[key("bucket", bucket)], args=[per_minute / 60, per_minute, now]))


def _reservation_key(channel_id: int, publication_id: int) -> str:
    # The channel's hash tag: the admit script reads it beside the channel's breaker keys.
    return key("bucket", f"{{{channel_id}}}", "reserved", publication_id)


def admit(channel, publication_id: int | None = None) -> Admission:
    """Let a call to the channel go if its circuit and its rate limit allow it; fail open if Redis does not answer.

    A publication sent away to wait already holds its token: when it comes back at its slot it goes. With
    a publication id, the channel's in-flight cap applies too: a call that goes holds a lease until
    `observe` or `release` (pass them `slot`), and one that finds the channel full waits to be woken.
    """
    config, now = current_app.config, clock()
    try:
        redis = get_redis()
        keys, args = _keys(channel.id), [now, config["BREAKER_PROBE_TTL_S"]]
        cap = max_in_flight(channel) if publication_id is not None else 0
        per_minute = rate_per_minute(channel)
        # Only a rate-limited channel ever reserves a token; "" when there is none (Lua keys are positional).
        keys.append(_reservation_key(channel.id, publication_id) if publication_id and per_minute > 0 else "")
        if cap > 0:
            keys.append(_slot_keys(channel.id)[0])
            args += [cap, _lease(publication_id), SLOT_LEASE_S]
        answer = redis.register_script(_ADMIT)(keys=keys, args=args)
        state, value, *dirty = (part.decode() if isinstance(part, bytes) else part for part in answer)
        if state == "open":
            return _wait(float(value), lambda time: Phrase("channel circuit open until %(time)s", time=time))
        if state == "busy":
            return _wait(
                now + PROBE_RETRY_S,
                lambda time: Phrase("channel circuit open (a probe is checking it) until %(time)s", time=time),
            )
        if state == "full":
            return _wait(
                now + SLOT_RETRY_S,
                lambda time: Phrase(
                    "waiting for a free slot on the channel (%(count)s in flight); at the latest %(time)s",
                    count=value,
                    time=time,
                ),
                slot_full=True,
            )
        probe, slot = state == "probe", (publication_id if cap > 0 else None)
        going = Admission(probe=probe, slot=slot, circuit_dirty=bool(dirty and dirty[0]) or probe)
        if value and now >= float(value) - 1:  # back at the slot it reserved while waiting
            return going
        wait = take_token(f"channel:{channel.id}", per_minute, now)
        if wait > 0:
            release(channel.id, probe)  # the probe did not go: let the next caller be it
            if slot is not None:
                _done(channel.id, _lease(slot), False, wake=False)  # nor did the lease: no call ended, nobody is woken
            if publication_id is not None:
                slot = now + wait
                redis.set(_reservation_key(channel.id, publication_id), f"{slot:.3f}", ex=math.ceil(wait) + 3600)
            return _wait(now + wait, lambda time: Phrase("waiting for rate limit until %(time)s", time=time))
    except RedisError:
        # Redis is where the job came from, so this is a blip; refusing would stall every channel.
        log.warning("channel %s: rate limit and circuit not checked, Redis did not answer", channel.id)
        return Admission()
    return going


def _wait(until: float, reason: Callable[[At], Phrase], slot_full: bool = False) -> Admission:
    # Whole seconds: rq-scheduler keeps no fractions, and the time shown is the time it runs.
    at = datetime.fromtimestamp(math.ceil(until), UTC)
    return Admission(until=at, reason=reason(At(at, "time")), slot_full=slot_full)


def wait_for_slot(channel_id: int, job_id: str) -> None:
    """Line up a publication's rq-scheduler entry to be brought forward when the channel frees a slot."""
    waiting = _slot_keys(channel_id)[1]
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            pipe.zadd(waiting, {job_id: clock()}).expire(waiting, SLOT_LEASE_S + SLOT_RETRY_S).execute()
    except RedisError:
        log.warning("channel %s: %s waits without a wake-up, Redis did not answer", channel_id, job_id)


def _done(channel_id: int, lease: str, closes_circuit: bool, wake: bool = True) -> str | None:
    """Give the lease back, take the longest waiter's entry and, after a success, close the circuit: one round trip.

    Return the waiter's job id (now out of rq-scheduler: the caller queues it), or None.
    """
    keys = [*_slot_keys(channel_id), Scheduler.scheduled_jobs_key, *_keys(channel_id)]
    try:
        args = [lease, int(clock()), int(closes_circuit), int(wake)]
        woken = get_redis().register_script(_DONE)(keys=keys, args=args)
    except RedisError:
        log.warning("channel %s: lease left to expire, Redis did not answer", channel_id)
        return None
    return (woken.decode() if isinstance(woken, bytes) else woken) or None


def observe(
    channel_id: int, error_class: ErrorClass | None, probe: bool, slot: int | None = None, circuit_dirty: bool = True
) -> str | None:
    """Feed a finished call's outcome (None: success) to the channel's circuit; give its lease back, if any.

    `circuit_dirty` False (from the Admission): the circuit had nothing to close, so a success leaves it be.
    Return the job id of the publication the freed slot goes to (out of rq-scheduler: queue it), or None.
    """
    # A transient failure counts towards opening; a success or a permanent error (the platform
    # answered) closes; auth, 429 and unknown outcomes say nothing about the link.
    closes = error_class is None or error_class is ErrorClass.PERMANENT
    woken = _done(channel_id, _lease(slot), closes and circuit_dirty) if slot is not None else None
    if closes:
        if circuit_dirty and slot is None:
            succeeded(channel_id)
    elif error_class is ErrorClass.TRANSIENT:
        failed(channel_id)
    else:
        release(channel_id, probe)
    return woken


def succeeded(channel_id: int) -> None:
    """Close the channel's circuit: the platform answered."""
    try:
        get_redis().delete(*_keys(channel_id))
    except RedisError:
        log.warning("channel %s: circuit not closed, Redis did not answer", channel_id)


def failed(channel_id: int) -> bool:
    """Count a transient failure on the channel; return True when its circuit (re-)opened."""
    config = current_app.config
    args = [config["BREAKER_FAILURES"], clock(), config["BREAKER_COOLOFF_S"]]
    try:
        opened = get_redis().register_script(_FAIL)(keys=_keys(channel_id), args=args)
    except RedisError:
        log.warning("channel %s: failure not counted, Redis did not answer", channel_id)
        return False
    if opened:
        log.warning("channel %s: circuit open for %ss", channel_id, config["BREAKER_COOLOFF_S"])
    return bool(opened)


def release(channel_id: int, probe: bool, slot: int | None = None) -> str | None:
    """Give the probe lock back when a probe ended without a verdict on the channel, and the lease, if any.

    Return the job id of the publication the freed slot goes to (as `observe`), or None.
    """
    woken = _done(channel_id, _lease(slot), False) if slot is not None else None
    if not probe:
        return woken
    try:
        get_redis().delete(_keys(channel_id)[1])
    except RedisError:
        log.warning("channel %s: probe lock left to expire, Redis did not answer", channel_id)
    return woken


def hold_leases() -> None:
    """Record this process's presence among the lease holders, so that its leases are freed should it die."""
    get_redis().sadd(_holders_key(), presence.name())


def release_orphans() -> tuple[int, list[str]]:
    """Give back the leases of worker processes that are gone (a kill -9 mid-call); return how many, and the job
    ids of the waiters the freed slots went to (out of rq-scheduler: the caller queues them).

    The holders are read before the open presences: a holder on the list had its presence open before it took
    a lease, so one missing from the later list is gone, never one that has not connected yet. Costs two
    commands when nobody died; a death costs a SCAN for the channels' in-flight sets.
    """
    redis = get_redis()
    holders = {h.decode() for h in redis.smembers(_holders_key())}
    alive = presence.present(redis) if holders else None
    if alive is None or not (gone := holders - alive):
        return 0, []
    freed, woken = 0, []
    for name in redis.scan_iter(match=key("inflight", "{*}"), count=1000):
        channel_id = int(name.decode().rsplit("{", 1)[1].rstrip("}"))
        for lease in (m.decode() for m in redis.zrange(name, 0, -1)):
            if lease.partition("@")[2] in gone:
                freed += 1
                if job_id := _done(channel_id, lease, False):
                    woken.append(job_id)
    redis.srem(_holders_key(), *gone)
    if freed:
        log.warning("freed %d in-flight lease(s) of gone worker process(es) %s", freed, ", ".join(sorted(gone)))
    return freed, woken


def let_go_leases() -> None:
    """Take this process off the lease holders as it stops cleanly (its calls have ended: it holds none)."""
    get_redis().srem(_holders_key(), presence.name())


def reset_breaker(channel_id: int) -> None:
    """Close the channel's circuit by hand (a person says the platform is back); RedisError propagates."""
    get_redis().delete(*_keys(channel_id))
