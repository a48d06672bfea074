"""Make Redis agree with the database: the database is the source of truth."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from webapp.domain.publishing import chains, missed_runs, recovery, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.models import Publication, PublicationStatus, Schedule, ScheduleStatus, utcnow

log = logging.getLogger(__name__)

WAITING = (PublicationStatus.SCHEDULED.value, PublicationStatus.RETRYING.value)
# A publication `queued` this long with no job in any queue lost its job (Redis flushed or restarted).
STUCK_QUEUED_AFTER = timedelta(minutes=2)


def reconcile(batch: int = 1000) -> dict[str, int]:
    """Restore missing rq-scheduler entries, apply missed-run policies, requeue lost jobs."""
    now = utcnow()
    report = {"restored": 0, "missed": 0, "requeued": 0, "advanced": 0}
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
        if dispatch.scheduled_time(publication) is not None:
            continue
        if missed_runs.mark_missed(publication, schedule, now):
            report["missed"] += 1
            schedules.settle(schedule)
            continue
        dispatch.redispatch(publication)
        to_enqueue.append(publication)
    stuck = db.session.scalars(
        select(Publication)
        .where(
            Publication.status == PublicationStatus.QUEUED.value,
            Publication.enqueued_at < now - STUCK_QUEUED_AFTER,
        )
        .limit(batch)
    )
    for publication in stuck:
        if not _job_alive(publication):
            publication.status = PublicationStatus.SCHEDULED.value
            dispatch.redispatch(publication)
            to_enqueue.append(publication)
            report["requeued"] += 1
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
    report.update(recovery.resolve_unconfirmed())
    return report


def _job_alive(publication: Publication) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from webapp.infra.queues import get_redis

    try:
        status = Job.fetch(dispatch.job_id(publication), connection=get_redis()).get_status()
    except NoSuchJobError:
        return False
    return status in ("queued", "started", "scheduled", "deferred")
