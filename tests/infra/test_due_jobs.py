"""The scheduler's two scripts: read each due job's queue, then move the batch to the queues in one atomic call."""

from rq import Queue
from rq.job import Job
from rq.utils import utcparse

from webapp.infra.due_jobs import DueJob, Mover

SCHEDULED = "rq:scheduler:scheduled_jobs"


def _saved(redis, ident: str, origin: str = "default", front: bool = False) -> None:
    """A job hash as rq-scheduler leaves it, and its entry in the scheduled set."""
    redis.hset(Job.key_for(ident), mapping={"origin": origin, "status": "scheduled", "enqueue_at_front": int(front)})
    redis.zadd(SCHEDULED, {ident: 1})


def test_reading_gives_each_jobs_queue_and_front_flag_and_none_for_a_hash_that_is_gone(redis_conn):
    _saved(redis_conn, "job-a", "high")
    _saved(redis_conn, "job-b", "default", front=True)

    found = Mover(redis_conn).read(["job-a", "job-gone", "job-b"])

    assert found == [DueJob("job-a", "high", False), None, DueJob("job-b", "default", True)]


def test_moving_queues_each_job_in_order_front_ones_at_the_head_and_empties_the_set(redis_conn):
    for ident in ("job-1", "job-2", "job-3"):
        _saved(redis_conn, ident)
    _saved(redis_conn, "job-urgent", front=True)
    redis_conn.zadd(SCHEDULED, {"job-gone": 1, "job-later": 99})
    jobs = Mover(redis_conn).read(["job-1", "job-2", "job-urgent", "job-3"])

    Mover(redis_conn).move(SCHEDULED, jobs, gone=["job-gone"])

    assert Queue("default", connection=redis_conn).job_ids == ["job-urgent", "job-1", "job-2", "job-3"]
    assert redis_conn.smembers(Queue.redis_queues_keys) == {b"rq:queue:default"}
    assert redis_conn.zrange(SCHEDULED, 0, -1) == [b"job-later"]
    job = redis_conn.hgetall(Job.key_for("job-2"))
    assert job[b"status"] == b"queued" and utcparse(job[b"enqueued_at"].decode()) is not None


def test_moving_nothing_sends_nothing(redis_conn, monkeypatch):
    mover = Mover(redis_conn)
    monkeypatch.setattr(mover, "_move", lambda **_: (_ for _ in ()).throw(AssertionError("sent")))

    mover.move(SCHEDULED, [], gone=[])
