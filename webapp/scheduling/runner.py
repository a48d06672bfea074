"""The scheduler process: rq-scheduler's loop, marking publications queued before their jobs move."""

from __future__ import annotations

import logging
import time

from flask import current_app
from rq_scheduler import Scheduler

from webapp.extensions import db
from webapp.queues import get_redis, key
from webapp.scheduling import periodic
from webapp.scheduling.reconcile import reconcile

log = logging.getLogger(__name__)


def heartbeat_key() -> str:
    return key("scheduler", "heartbeat")


class HeraldScheduler(Scheduler):
    """rq-scheduler that keeps the database's publication states in step with the jobs it moves."""

    def __init__(self, *args, heartbeat_ttl: int = 60, **kwargs):
        super().__init__(*args, **kwargs)
        self._heartbeat_ttl = heartbeat_ttl

    def enqueue_jobs(self):
        from webapp.services.publishing import mark_queued

        jobs = list(self.get_jobs_to_queue())  # a generator in rq-scheduler: read it once
        try:
            # The database says `queued` before the job reaches a queue, so a worker never finds
            # its publication still `scheduled`.
            ids = [job.meta["publication_id"] for job in jobs if "publication_id" in job.meta]
            mark_queued(ids)
            for job in jobs:
                self.enqueue_job(job)
        finally:
            db.session.remove()
        return jobs

    def heartbeat(self):
        super().heartbeat()
        self.connection.set(heartbeat_key(), f"{time.time():.3f}", ex=self._heartbeat_ttl)


def run_scheduler(burst: bool = False) -> None:
    """Run the scheduler loop in the current app context until stopped."""
    config = current_app.config
    scheduler = HeraldScheduler(connection=get_redis(), interval=config["SCHEDULER_INTERVAL_S"])
    log.info("periodic jobs: %s", periodic.sync(scheduler, periodic.definitions(config)))
    # Repair first: after a Redis flush or a long stop, the sorted set may lack what the database holds.
    try:
        log.info("reconcile at start: %s", reconcile())
    finally:
        db.session.remove()
    log.info("scheduler started: interval %ss", config["SCHEDULER_INTERVAL_S"])
    scheduler.run(burst=burst)


def last_heartbeat_age() -> float | None:
    """Seconds since the scheduler's last tick, or None if none is recorded."""
    raw = get_redis().get(heartbeat_key())
    return None if raw is None else max(0.0, time.time() - float(raw))
