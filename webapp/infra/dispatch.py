"""Keep rq-scheduler's sorted set in step with the publications the database says are due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rq import Queue
from rq.job import Job, JobStatus
from rq.utils import now, utcformat
from rq_scheduler import Scheduler

from webapp.core.time import ceil_to_second
from webapp.infra import tasks
from webapp.infra.queues import QUEUE_FOR_PRIORITY, get_redis
from webapp.models import Publication

JOB_ID_PREFIX = "herald-publication-"
# Long enough for a slow platform call plus retries inside the adapter, short enough that a hung
# call frees the worker.
JOB_TIMEOUT_S = 120


def job_id(publication: Publication) -> str:
    """Return the deterministic RQ job id of a publication's current dispatch."""
    return f"{JOB_ID_PREFIX}{publication.id}-{publication.dispatch_seq}"


def redispatch(publication: Publication) -> None:
    """Give the publication a fresh job id before it is enqueued again (the caller commits)."""
    publication.dispatch_seq += 1


def get_scheduler() -> Scheduler:
    return Scheduler(connection=get_redis())


def enqueue_publication(publication: Publication, when: datetime | None = None) -> None:
    """Put the publication's current job in rq-scheduler at its due instant, rounded up to a second."""
    _enqueue(get_scheduler(), publication, when)


def enqueue_publications(publications: Iterable[Publication]) -> None:
    """Put many publications' current jobs in rq-scheduler at their due instants, in one round trip."""
    with get_redis().pipeline(transaction=False) as pipe:
        # A scheduler on the pipeline queues each job's HSET and ZADD instead of sending them.
        scheduler = Scheduler(connection=pipe)
        for publication in publications:
            _enqueue(scheduler, publication)
        pipe.execute()


def own_time(publication: Publication) -> datetime:
    """When the publication's entry falls due: its next attempt's time, else its due time, rounded up to a second."""
    return ceil_to_second(publication.next_attempt_at or publication.due_at)


def _enqueue(scheduler: Scheduler, publication: Publication, when: datetime | None = None) -> None:
    at = ceil_to_second(when) if when else own_time(publication)
    scheduler.enqueue_at(
        at,
        tasks.PUBLISH_PUBLICATION,
        publication.id,
        publication.dispatch_seq,
        job_id=job_id(publication),
        queue_name=QUEUE_FOR_PRIORITY[publication.priority],
        timeout=JOB_TIMEOUT_S,
        job_result_ttl=0,  # nothing reads a publish job's result: the database has the outcome
        meta={
            "publication_id": publication.id,
            "dispatch_seq": publication.dispatch_seq,
            "workspace_id": publication.workspace_id,
        },
    )


def parse_job_id(ident: str) -> tuple[int, int] | None:
    """Return the (publication id, dispatch_seq) a publication's job id names, or None for another job."""
    if not ident.startswith(JOB_ID_PREFIX):
        return None
    publication_id, _, seq = ident.removeprefix(JOB_ID_PREFIX).partition("-")
    return (int(publication_id), int(seq)) if publication_id.isdigit() and seq.isdigit() else None


def queue_now(ident: str) -> bool:
    """Put a job that rq-scheduler no longer holds at the front of its queue, as a tick would; False if it is gone.

    The front: it has waited its turn already (a slot handed over, throttle.observe).
    """
    redis = get_redis()
    origin = redis.hget(Job.key_for(ident), "origin")
    if origin is None:
        return False
    queue_key = Queue.redis_queue_namespace_prefix + origin.decode()
    with redis.pipeline(transaction=True) as pipe:
        pipe.hset(Job.key_for(ident), mapping={"status": JobStatus.QUEUED.value, "enqueued_at": utcformat(now())})
        pipe.lpush(queue_key, ident)
        pipe.sadd(Queue.redis_queues_keys, queue_key)
        pipe.execute()
    return True


def unschedule_publication(publication: Publication) -> None:
    """Remove the publication's pending rq-scheduler entry, if any."""
    get_scheduler().cancel(job_id(publication))


def unschedule_jobs(jobs: Iterable[tuple[str, str | None]]) -> None:
    """Remove (job id, queue name or None) jobs from rq-scheduler, and from the named queue, in one round trip."""
    redis = get_redis()
    with redis.pipeline(transaction=False) as pipe:
        scheduler = Scheduler(connection=pipe)
        for ident, queue_name in jobs:
            scheduler.cancel(ident)
            if queue_name is not None:
                Queue(queue_name, connection=redis).remove(ident, pipeline=pipe)
        pipe.execute()


def scheduled_time(publication: Publication) -> float | None:
    """Return the unix time rq-scheduler holds for the publication's current job, or None."""
    return get_redis().zscore(get_scheduler().scheduled_jobs_key, job_id(publication))
