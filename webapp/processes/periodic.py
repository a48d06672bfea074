"""Herald's periodic jobs, declared as data and reconciled with rq-scheduler when the scheduler starts."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq_scheduler import Scheduler

from webapp.infra import tasks
from webapp.infra.queues import key

ID_PREFIX = "herald-periodic-"


@dataclass(frozen=True)
class PeriodicJob:
    id: str
    func: str  # dotted path, so a definition compares equal to what Redis holds
    interval_s: int
    queue: str = "high"


def definitions(config) -> list[PeriodicJob]:
    """Return the periodic jobs this configuration wants."""
    wanted = [PeriodicJob(f"{ID_PREFIX}reconcile", tasks.RECONCILE, config["RECONCILE_INTERVAL_S"])]
    # An interval of 0 turns pre-flight off (sync then removes a job registered before). It may read
    # a platform (a Mastodon instance's limit), so it runs on `default`, behind critical and high work.
    if config["PREFLIGHT_INTERVAL_S"] > 0:
        interval = config["PREFLIGHT_INTERVAL_S"]
        wanted.append(PeriodicJob(f"{ID_PREFIX}preflight", tasks.PREFLIGHT, interval, "default"))
    # Outbound webhooks: the outbox sweep picks up deliveries a Redis blip or a crash left unsent.
    if config.get("OUTBOUND_SWEEP_INTERVAL_S", 0) > 0:
        interval = config["OUTBOUND_SWEEP_INTERVAL_S"]
        wanted.append(PeriodicJob(f"{ID_PREFIX}outbound-sweep", tasks.OUTBOUND_SWEEP, interval, "default"))
    # Notifications: messages held by quiet hours or waiting for a retry, and the daily digests (0 s: off).
    if config.get("NOTIFY_INTERVAL_S", 0) > 0:
        interval = config["NOTIFY_INTERVAL_S"]
        wanted.append(PeriodicJob(f"{ID_PREFIX}notifications", tasks.NOTIFICATIONS_TICK, interval, "default"))
    # Retention is housekeeping: on `low`, so it never delays a publication (0 s interval: off).
    if config.get("RETENTION_INTERVAL_S", 0) > 0:
        interval = config["RETENTION_INTERVAL_S"]
        wanted.append(PeriodicJob(f"{ID_PREFIX}retention", tasks.RETENTION, interval, "low"))
    return wanted


def _registry_key() -> str:
    # The ids we registered, so stale ones are found without scanning every scheduled job.
    return key("periodic", "ids")


def _matches(job: Job, wanted: PeriodicJob) -> bool:
    return job.func_name == wanted.func and job.meta.get("interval") == wanted.interval_s and job.origin == wanted.queue


def sync(scheduler: Scheduler, wanted: list[PeriodicJob]) -> dict[str, list[str]]:
    """Add missing periodic jobs, replace changed ones and remove stale ones; report what was done."""
    redis = scheduler.connection
    report: dict[str, list[str]] = {"added": [], "replaced": [], "removed": [], "kept": []}
    wanted_ids = {w.id for w in wanted}
    registered = {i.decode() for i in redis.smembers(_registry_key())}
    for stale in sorted(registered - wanted_ids):
        _remove(scheduler, stale)
        report["removed"].append(stale)
    for definition in wanted:
        try:
            job = Job.fetch(definition.id, connection=redis)
        except NoSuchJobError:
            job = None
        if job is not None and job.id in scheduler and _matches(job, definition):
            report["kept"].append(definition.id)
            continue
        if job is not None:
            _remove(scheduler, definition.id)
        scheduler.schedule(
            scheduled_time=datetime.now(UTC),
            func=definition.func,
            interval=definition.interval_s,
            repeat=None,
            id=definition.id,
            queue_name=definition.queue,
            timeout=max(60, definition.interval_s * 2),
        )
        redis.sadd(_registry_key(), definition.id)
        report["replaced" if job is not None else "added"].append(definition.id)
    return report


def _remove(scheduler: Scheduler, job_id: str) -> None:
    scheduler.cancel(job_id)
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=scheduler.connection).delete()
    scheduler.connection.srem(_registry_key(), job_id)
