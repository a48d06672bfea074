"""The scheduler process: rq-scheduler's loop, marking publications queued before their jobs move."""

from __future__ import annotations

import logging
import time

from flask import current_app
from rq_scheduler import Scheduler

from webapp.extensions import db
from webapp.queues import get_redis, key
from webapp.scheduling.reconcile import reconcile

log = logging.getLogger(__name__)


def heartbeat_key() -> str:
    return key("scheduler", "heartbeat")


class HeraldScheduler(Scheduler):
    """rq-scheduler that keeps the database's publication states in step with the jobs it moves."""

    def __init__(self, *args, reconcile_every: float = 30.0, heartbeat_ttl: int = 60, **kwargs):
        super().__init__(*args, **kwargs)
        self._reconcile_every = reconcile_every
        self._heartbeat_ttl = heartbeat_ttl
        self._next_reconcile = 0.0

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
            self._maybe_reconcile()
        finally:
            db.session.remove()
        return jobs

    def heartbeat(self):
        super().heartbeat()
        self.connection.set(heartbeat_key(), f"{time.time():.3f}", ex=self._heartbeat_ttl)

    def _maybe_reconcile(self) -> None:
        if time.monotonic() < self._next_reconcile:
            return
        self._next_reconcile = time.monotonic() + self._reconcile_every
        try:
            report = reconcile()
        except Exception:  # the loop must outlive a bad reconcile; the next one tries again
            log.exception("reconcile failed")
            db.session.rollback()
            return
        if any(report.values()):
            log.info("reconcile: %s", report)


def run_scheduler(burst: bool = False) -> None:
    """Run the scheduler loop in the current app context until stopped."""
    config = current_app.config
    scheduler = HeraldScheduler(
        connection=get_redis(),
        interval=config["SCHEDULER_INTERVAL_S"],
        reconcile_every=config["RECONCILE_INTERVAL_S"],
    )
    log.info("scheduler started: interval %ss", config["SCHEDULER_INTERVAL_S"])
    scheduler.run(burst=burst)


def last_heartbeat_age() -> float | None:
    """Seconds since the scheduler's last tick, or None if none is recorded."""
    raw = get_redis().get(heartbeat_key())
    return None if raw is None else max(0.0, time.time() - float(raw))
