"""Move rq-scheduler's due jobs to their queues: two Lua calls a batch, however many jobs it holds.

What rq's enqueue_job does for a job whose hash rq-scheduler already saved, without its per-job cost: rq
writes the whole hash again, sets the status in a second HSET and registers the queue again (4 commands and
a Job object a job). A pipeline of the lean commands still spent most of a 10,000-entry move packing and
parsing them in Python; inside a script a job costs its HSET and its push, server side. The scripts take
their lists as a few space-separated strings (rq allows only letters, digits, _ and - in a job id), not an
argument a job: redis-py encodes each argument in Python, and a thousand of them cost more than the move
itself. So the jobs' keys are built in the script from rq's prefixes (Herald's Redis is one server, never a
cluster that would need every key declared).
"""

from __future__ import annotations

from typing import NamedTuple

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.utils import now, utcformat

_WORDS_LUA = """
local function words(text)
  local found = {}
  for word in string.gmatch(text, '%S+') do found[#found + 1] = word end
  return found
end
"""
# ARGV: the job key prefix, the ids. Returns one line per id: "<queue> <front flag>", or "" where the hash is gone.
_READ_LUA = (
    _WORDS_LUA
    + """
local lines = {}
for i, id in ipairs(words(ARGV[2])) do
  local origin, front = unpack(redis.call('HMGET', ARGV[1] .. id, 'origin', 'enqueue_at_front'))
  lines[i] = origin and (origin .. ' ' .. (front or '0')) or ''
end
return table.concat(lines, '\\n')
"""
)
# KEYS: the scheduled set, the set of queues. ARGV: status, enqueued_at, the job and queue key prefixes, then the
# jobs to move (ids, queue names, front flags as one '0'/'1' a job: '1' is the queue's head), then the ids whose
# hash is gone, dropped from the set only. Atomic like MULTI/EXEC: a job is in its queue and out of the set, or
# neither.
_MOVE_LUA = (
    _WORDS_LUA
    + """
local ids, origins, fronts, done, registered = words(ARGV[5]), words(ARGV[6]), ARGV[7], words(ARGV[8]), {}
for i, id in ipairs(ids) do
  local queue = ARGV[4] .. origins[i]
  redis.call('HSET', ARGV[3] .. id, 'status', ARGV[1], 'enqueued_at', ARGV[2])
  redis.call(string.sub(fronts, i, i) == '1' and 'LPUSH' or 'RPUSH', queue, id)
  if not registered[queue] then
    registered[queue] = true
    redis.call('SADD', KEYS[2], queue)
  end
  done[#done + 1] = id
end
for i = 1, #done, 500 do
  redis.call('ZREM', KEYS[1], unpack(done, i, math.min(i + 499, #done)))
end
return #done
"""
)


class DueJob(NamedTuple):
    """A due job, as much of it as the move needs (rq-scheduler saved the rest already)."""

    id: str
    origin: str
    enqueue_at_front: bool


class Mover:
    """The two scripts, registered once per connection (EVALSHA: their bodies are not resent each tick)."""

    def __init__(self, redis: Redis):
        self._read = redis.register_script(_READ_LUA)
        self._move = redis.register_script(_MOVE_LUA)

    def read(self, ids: list[str]) -> list[DueJob | None]:
        """Return each job's queue and front flag, None where its hash is gone."""
        if not ids:
            return []
        lines = self._read(args=[Job.redis_job_namespace_prefix, " ".join(ids)]).decode().split("\n")
        return [_due(ident, line) for ident, line in zip(ids, lines, strict=True)]

    def move(self, scheduled_key: str, jobs: list, gone: list[str]) -> None:
        """Push `jobs` (anything with id, origin, enqueue_at_front) to their queues marked queued, and drop them
        and the `gone` ids from the scheduled set, in one atomic call."""
        if not jobs and not gone:
            return
        self._move(
            keys=[scheduled_key, Queue.redis_queues_keys],
            args=[
                JobStatus.QUEUED.value,
                utcformat(now()),
                Job.redis_job_namespace_prefix,
                Queue.redis_queue_namespace_prefix,
                " ".join(job.id for job in jobs),
                " ".join(job.origin for job in jobs),
                "".join("1" if job.enqueue_at_front else "0" for job in jobs),
                " ".join(gone),
            ],
        )


def _due(ident: str, line: str) -> DueJob | None:
    if not line:
        return None
    origin, _, front = line.partition(" ")
    return DueJob(ident, origin, front == "1")
