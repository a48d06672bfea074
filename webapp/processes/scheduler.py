"""The scheduler process: rq-scheduler's loop, marking publications queued before their jobs move."""

from __future__ import annotations

import logging
import time

from flask import current_app
from rq_scheduler import Scheduler

from webapp.domain.publishing.reconcile import reconcile
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.due_jobs import DueJob, Mover
from webapp.infra.liveness import heartbeat_key
from webapp.infra.queues import get_redis
from webapp.processes import periodic

log = logging.getLogger(__name__)


TICK_OFFSET_S = 0.005


class HeraldScheduler(Scheduler):
    """rq-scheduler that keeps the database's publication states in step with the jobs it moves."""

    def __init__(self, *args, heartbeat_ttl: int = 60, periodic_jobs: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._heartbeat_ttl = heartbeat_ttl
        self._periodic = periodic_jobs or []
        self._mover = Mover(self.connection)

    # Due jobs move in batches: one ZRANGEBYSCORE, one script reading the jobs' queues and one moving them
    # per batch, instead of ~10 round trips per job (10,000 due entries: well under a second of Redis).
    batch_size = 1000
    max_batches = 100

    def enqueue_jobs(self):
        moved = []
        try:
            self._restore_periodic()
            for _ in range(self.max_batches):
                batch = self._move_batch()
                moved.extend(batch)
                if len(batch) < self.batch_size:
                    break
        except Exception:
            # The loop must outlive one bad tick (a database blip, a Redis hiccup): what did not
            # move stays in the sorted set and moves on the next tick.
            log.exception("scheduler tick failed; retrying on the next tick")
            db.session.rollback()
        finally:
            db.session.remove()
        return moved

    def _restore_periodic(self) -> None:
        # A Redis flush or restart wipes the periodic jobs with everything else, and with them the
        # reconciler that would repair the rest: put them back as soon as a tick notices.
        if not self._periodic:
            return
        with self.connection.pipeline(transaction=False) as pipe:
            for definition in self._periodic:
                pipe.zscore(self.scheduled_jobs_key, definition.id)
            scores = pipe.execute()
        if any(score is None for score in scores):
            log.warning("periodic jobs missing from Redis (flushed?): %s", periodic.sync(self, self._periodic))

    def _move_batch(self) -> list:
        from webapp.domain.publishing.publisher import mark_queued

        # Whole seconds, like rq-scheduler: due times are stored rounded up, so nothing moves early.
        due = self.connection.zrangebyscore(self.scheduled_jobs_key, 0, int(time.time()), 0, self.batch_size)
        ids = [raw.decode() for raw in due]
        if not ids:
            return []
        jobs = self._fetch(ids)
        present = [job for job in jobs if job is not None]
        # The database says `queued` before a job reaches a queue, so a worker never finds its
        # publication still `scheduled`. A crash after this moves the same entries again next tick.
        mark_queued([], dispatches=[dispatch.parse_job_id(job.id) for job in present if isinstance(job, DueJob)])
        gone = [job_id for job_id, job in zip(ids, jobs, strict=True) if job is None]
        self._mover.move(self.scheduled_jobs_key, [job for job in present if not _needs_stock_path(job)], gone)
        for job in present:
            if _needs_stock_path(job):
                self.enqueue_job(job)  # periodic jobs: rq-scheduler re-adds them at their next time
        return present

    def _fetch(self, ids: list[str]) -> list:
        """Read what moving each job needs: a publication's job its queue only (its id names the rest), any
        other job whole (rq's fetch: periodic ones go the stock way). None where the job hash is gone."""
        ours = [ident for ident in ids if dispatch.parse_job_id(ident) is not None]
        others = [ident for ident in ids if dispatch.parse_job_id(ident) is None]
        found = dict(zip(ours, self._mover.read(ours), strict=True))
        found.update(zip(others, self.job_class.fetch_many(others, connection=self.connection), strict=True))
        return [found[ident] for ident in ids]

    def run(self, burst: bool = False) -> None:
        """Tick just after each whole second (rq-scheduler's own loop ticks at a random phase)."""
        self.register_birth()
        self._install_signal_handlers()
        try:
            while True:
                self.heartbeat()
                if self.acquire_lock():
                    self.enqueue_jobs()
                    self.heartbeat()
                    self.remove_lock()
                    if burst:
                        break
                # Due times are whole seconds, so a tick at X.005 starts what is due at X within
                # milliseconds, where a random phase adds half a second on average.
                time.sleep(self._interval - time.time() % self._interval + TICK_OFFSET_S)
        finally:
            self.remove_lock()
            self.register_death()

    def heartbeat(self):
        if not self.connection.exists(self.key):
            # Redis was flushed or restarted under a running scheduler: register it again, or it
            # would count as gone while it goes on moving jobs.
            with self.connection.pipeline() as pipe:
                pipe.hset(self.key, "birth", time.time()).expire(self.key, int(self._interval) + 10).execute()
        super().heartbeat()
        self.connection.set(heartbeat_key(), f"{time.time():.3f}", ex=self._heartbeat_ttl)


def _needs_stock_path(job) -> bool:
    if isinstance(job, DueJob):
        return False  # a publication's job runs once
    meta = job.meta or {}
    return bool(meta.get("interval") or meta.get("cron_string") or meta.get("repeat") is not None)


def run_scheduler(burst: bool = False) -> None:
    """Run the scheduler loop in the current app context until stopped."""
    config = current_app.config
    definitions = periodic.definitions(config)
    scheduler = HeraldScheduler(
        connection=get_redis(), interval=config["SCHEDULER_INTERVAL_S"], periodic_jobs=definitions
    )
    log.info("periodic jobs: %s", periodic.sync(scheduler, definitions))
    # Repair first: after a Redis flush or a long stop, the sorted set may lack what the database holds.
    try:
        log.info("reconcile at start: %s", reconcile())
    finally:
        db.session.remove()
    log.info("scheduler started: interval %ss", config["SCHEDULER_INTERVAL_S"])
    scheduler.run(burst=burst)
