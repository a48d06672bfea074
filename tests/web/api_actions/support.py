"""Helpers shared by the lifecycle, bulk and action-endpoint tests: schedules, scheduler ticks, workers."""

from __future__ import annotations

import time
from datetime import timedelta

from rq import SimpleWorker
from sqlalchemy import inspect

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import all_queues, get_redis
from webapp.models import Publication, utcnow
from webapp.processes.scheduler import HeraldScheduler


def one_time(make, actor=None, channels=1, url="http://127.0.0.1:9/hook", **extra):
    """Create a one-time schedule (ten minutes ahead unless told) and return (schedule, publications)."""
    actor = actor or make.actor()
    channel_ids = [make.channel(actor, url=url).id for _ in range(channels)]
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": channel_ids, "run_at": utcnow() + timedelta(minutes=10), **extra}
    schedule = schedules.create_schedule(actor, data)
    return schedule, schedules.publications_of(schedule)


def recurring(make, actor=None, cron="30 9 * * *", tz="Europe/Paris", **extra):
    actor = actor or make.actor()
    channel = make.channel(actor)
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": cron, "timezone": tz, **extra}
    schedule = schedules.create_schedule(actor, data)
    return schedule, schedules.publications_of(schedule)


def entry(publication: Publication) -> float | None:
    """rq-scheduler's time for the publication's current job (reloaded from the database), or None."""
    return dispatch.scheduled_time(db.session.get(Publication, publication.id))


def scheduled_job_ids() -> set[str]:
    key = dispatch.get_scheduler().scheduled_jobs_key
    return {job_id.decode() for job_id in get_redis().zrange(key, 0, -1)}


def make_due(*publications: Publication) -> None:
    """Move the publications' rq-scheduler entries into the past, as if their time had come."""
    key = dispatch.get_scheduler().scheduled_jobs_key
    get_redis().zadd(key, {dispatch.job_id(p): time.time() - 1 for p in publications})


def tick() -> None:
    """Run one rq-scheduler pass in-process (it ends the database session: reload afterwards)."""
    HeraldScheduler(connection=get_redis(), interval=1).enqueue_jobs()


def work() -> None:
    """Run an in-process worker until the queues are empty."""
    SimpleWorker(all_queues(), connection=get_redis()).work(burst=True)


def reload(publication: Publication) -> Publication:
    """The publication as the database has it now, also when a tick or a worker ended the session it came from."""
    (publication_id,) = inspect(publication).identity  # readable on a detached row, where .id would need a load
    return db.session.get(Publication, publication_id)


def set_status(publication: Publication, status: str) -> Publication:
    """Force a status straight in the database (a state the test needs, not a transition under test)."""
    publication = reload(publication)
    publication.status = status
    db.session.commit()
    return publication


def insert_publications(schedule, count: int, status: str = "scheduled") -> list[int]:
    """Insert `count` publications of one schedule straight into the database (fast, no jobs)."""
    [channel] = schedule.channels
    due = utcnow() + timedelta(days=1)
    rows = [
        Publication(
            workspace_id=schedule.workspace_id,
            schedule_id=schedule.id,
            channel_id=channel.id,
            content_id=schedule.content_id,
            occurrence=n,
            idempotency_key=schedules.idempotency_key(schedule, channel.id, n),
            status=status,
            due_at=due,
        )
        for n in range(2, count + 2)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]
