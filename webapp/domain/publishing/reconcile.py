"""Make Redis agree with the database: the database is the source of truth."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from webapp.domain.publishing import chains, missed_runs, recovery, schedules
from webapp.domain.shared import alert_causes
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.infra.liveness import live_worker_names
from webapp.infra.queues import get_redis
from webapp.models import Publication, PublicationStatus, Schedule, ScheduleStatus, utcnow

log = logging.getLogger(__name__)

WAITING = (PublicationStatus.SCHEDULED.value, PublicationStatus.RETRYING.value)
# A publication `queued` this long with no job in any queue lost its job (Redis flushed or restarted).
STUCK_QUEUED_AFTER = timedelta(minutes=2)


def reconcile(batch: int = 1000) -> dict[str, int]:
    """Restore missing rq-scheduler entries, apply missed-run policies, requeue lost jobs."""
    now = utcnow()
    report = {"restored": 0, "missed": 0, "requeued": 0, "advanced": 0, "early": 0}
    report["chain_held"] = chains.repair()
    followed = aliased(Publication)
    rows = db.session.execute(
        select(Publication, Schedule)
        .join(Schedule, Schedule.id == Publication.schedule_id)
        # A chained publication is restored only once the one it follows has published: before
        # that it has no entry on purpose, and dispatching it would break the chain's order.
        .outerjoin(followed, followed.id == Publication.after_publication_id)
        .where(
            Publication.status.in_(WAITING),
            or_(Publication.after_publication_id.is_(None), followed.status == PublicationStatus.PUBLISHED.value),
        )
        .order_by(Publication.due_at)
        .limit(batch)
    ).all()
    to_enqueue: list[Publication] = []
    for publication, schedule in rows:
        entry = dispatch.scheduled_time(publication)
        if entry is not None:
            if entry >= dispatch.own_time(publication).timestamp():
                continue
            # Herald never writes an entry before the publication's own time. One that is earlier came from
            # elsewhere: a database started afresh under a Redis that kept an older install's entries, under
            # the same publication ids and dispatch numbers. It would publish this one early: replace it.
            log.warning("publication %s: its scheduler entry was early (not Herald's): replaced", publication.id)
            dispatch.unschedule_publication(publication)
            report["early"] += 1
        if missed_runs.mark_missed(publication, schedule, now):
            report["missed"] += 1
            schedules.settle(schedule)
            continue
        if _redispatch_unless_moved(publication):
            to_enqueue.append(publication)
    stuck = db.session.scalars(
        select(Publication)
        .where(
            Publication.status == PublicationStatus.QUEUED.value,
            Publication.enqueued_at < now - STUCK_QUEUED_AFTER,
        )
        .limit(batch)
    )
    whereabouts = JobWhereabouts()
    for publication in stuck:
        if not whereabouts.alive(publication):
            publication.status = PublicationStatus.SCHEDULED.value
            dispatch.redispatch(publication)
            to_enqueue.append(publication)
            report["requeued"] += 1
    report["alerts_resolved"] = alert_causes.resolve_stale(now)  # causes gone unseen (a first-attempt publish)
    db.session.commit()
    for publication in to_enqueue:
        # Overdue run_late publications go out now; the rest at their own time.
        dispatch.enqueue_publication(publication, when=max(now, publication.next_attempt_at or publication.due_at))
        events.publication_changed(publication)
    report["restored"] = len(to_enqueue) - report["requeued"]
    # Recurring schedules whose latest occurrence is behind us get their next one.
    behind = db.session.scalars(
        select(Schedule.id).where(
            Schedule.cron.is_not(None),
            Schedule.status == ScheduleStatus.ACTIVE.value,
            Schedule.next_run_at <= now,
        )
    )
    report["advanced"] = len(schedules.advance_due(list(behind), now))
    report["orphaned"] = recovery.mark_orphans(now)
    report["slots_freed"] = recovery.free_orphaned_slots()
    report.update(recovery.resolve_unconfirmed())
    return report


def _redispatch_unless_moved(publication: Publication) -> bool:
    """Give a waiting publication a new dispatch number, unless it moved on since it was read; say whether it did.

    An entry is missing from rq-scheduler for a moment on purpose: a channel slot handed over takes the waiting
    publication's entry out, then marks it queued and queues its job (publisher.hand_over). A reconcile between the
    two once gave it a new number by primary key, over the `queued` just written: the handed-over job found its
    number stale and skipped, and the publication went out 30 s late (the restored entry). Compare and set instead.
    """
    seen_status, seen_seq = publication.status, publication.dispatch_seq
    moved = db.session.execute(
        update(Publication)
        .where(
            Publication.id == publication.id,
            Publication.status == seen_status,
            Publication.dispatch_seq == seen_seq,
        )
        .values(dispatch_seq=seen_seq + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    set_committed_value(publication, "dispatch_seq", seen_seq + 1)
    return True


class JobWhereabouts:
    """Is a publication's job somewhere a worker will run it: rq-scheduler's set, its queue's list, or in
    the hands of a live worker?

    Judged by where the job is, never by its recorded status: a worker killed between taking a job and
    committing its claim leaves a job whose status says "queued" or "started" while it sits in no queue,
    held by a worker that no longer exists. Trusting the status left such publications `queued` forever.
    Each queue's list and the live workers are read once per reconcile, however many jobs are checked.
    """

    def __init__(self) -> None:
        self._redis = get_redis()
        self._queued: dict[str, set[str]] = {}
        self._live_workers: set[str] | None = None

    def _in_queue(self, origin: str, ident: str) -> bool:
        from rq.queue import Queue

        if origin not in self._queued:
            key = Queue(origin, connection=self._redis).key
            self._queued[origin] = {raw.decode() for raw in self._redis.lrange(key, 0, -1)}
        return ident in self._queued[origin]

    def _held_by_live_worker(self, worker_name: str | None) -> bool:
        if self._live_workers is None:
            self._live_workers = live_worker_names(self._redis)
        return bool(worker_name) and worker_name in self._live_workers

    def alive(self, publication: Publication) -> bool:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        if dispatch.scheduled_time(publication) is not None:
            return True
        ident = dispatch.job_id(publication)
        try:
            job = Job.fetch(ident, connection=self._redis)
        except NoSuchJobError:
            return False
        if job.origin and self._in_queue(job.origin, ident):
            return True
        return job.get_status() == "started" and self._held_by_live_worker(job.worker_name)
