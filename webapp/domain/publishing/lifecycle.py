"""Pause, resume, retry, cancel and delete schedules and publications, keeping rq-scheduler in step.

Redis order: a publication's old entry is removed before the change is committed (a missing entry
is restored by the reconciler, a stale one could fire), new entries are added after the commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from types import SimpleNamespace

from redis.exceptions import RedisError
from sqlalchemy import delete, select

from webapp.core.errors import Conflict, lazy_gettext
from webapp.core.phrases import At, Phrase
from webapp.domain.publishing import chains, missed_runs, schedules
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.infra.queues import QUEUE_FOR_PRIORITY
from webapp.models import (
    TERMINAL_STATUSES,
    Alert,
    Attempt,
    Publication,
    PublicationChange,
    PublicationStatus,
    Schedule,
    ScheduleStatus,
    utcnow,
)

log = logging.getLogger(__name__)

S = PublicationStatus
PAUSABLE = frozenset({S.SCHEDULED, S.QUEUED, S.RETRYING})
RESUMABLE = frozenset({S.PAUSED})
# `publishing` is left to finish: the worker's outcome would overwrite a cancel anyway.
CANCELLABLE = frozenset({S.SCHEDULED, S.QUEUED, S.RETRYING, S.PAUSED, S.UNCONFIRMED})
RETRYABLE = frozenset({S.FAILED, S.UNCONFIRMED})
CLOSED = (ScheduleStatus.CANCELLED.value, ScheduleStatus.COMPLETED.value)


class Work:
    """One unit of publication changes: drop old jobs, commit once, then enqueue and announce.

    Redis work is batched, one round trip per step (a bulk chunk touches 500 publications): old jobs
    are dropped just before the database commit, new jobs enqueued and events published just after.
    """

    def __init__(self, now: datetime | None = None, *, actor: Actor | None = None, action: str | None = None):
        self.now = now or utcnow()
        # Who did what, for each touched publication's timeline (none for the system's own steps).
        self.actor, self.action = actor, action
        self.changed: dict[int, Publication] = {}
        self.to_enqueue: list[Publication] = []
        self.deleted: list[tuple[int, int]] = []  # (workspace id, publication id)
        self.to_settle: dict[int, Schedule] = {}
        self.to_drop: list[tuple[str, str | None]] = []  # (job id, its queue's name when queued)
        self.strict = False

    def drop(self, publication: Publication, *, strict: bool = False) -> None:
        """Mark the publication's current job for removal from rq-scheduler (and its queue, if queued)."""
        # Read now: the transition that follows changes the status and the job id's dispatch number.
        queue = QUEUE_FOR_PRIORITY[publication.priority] if publication.status == S.QUEUED else None
        self.to_drop.append((dispatch.job_id(publication), queue))
        self.strict = self.strict or strict  # a stale entry would run the publication at its old time

    def _drop_jobs(self) -> None:
        jobs, self.to_drop = self.to_drop, []
        if not jobs:
            return
        try:
            dispatch.unschedule_jobs(jobs)
        except RedisError:
            if self.strict:
                raise
            # Harmless: a stale job finds the publication no longer scheduled or queued.
            log.warning("%d old jobs not removed, Redis unavailable", len(jobs))

    def touch(self, publication: Publication, *, enqueue: bool = False) -> None:
        self.changed[publication.id] = publication
        if enqueue:
            self.to_enqueue.append(publication)
        self.to_settle[publication.schedule_id] = publication.schedule

    def delete(self, publication: Publication) -> None:
        self.deleted.append((publication.workspace_id, publication.id))
        self.to_settle[publication.schedule_id] = publication.schedule

    def commit(self) -> None:
        """Settle touched schedules, commit, then hand new jobs to rq-scheduler and publish events."""
        if ids := [pid for _, pid in self.deleted]:
            # Explicit, because SQLite does not enforce ON DELETE CASCADE.
            for column in (
                Alert.publication_id,
                Attempt.publication_id,
                PublicationChange.publication_id,
                Publication.id,
            ):
                db.session.execute(delete(column.class_).where(column.in_(ids)))
        self._settle()
        self._record_changes()
        self._drop_jobs()
        db.session.commit()
        if self.changed:  # reload the expired rows in one query rather than one each
            list(db.session.scalars(select(Publication).where(Publication.id.in_(list(self.changed)))))
        schedules.enqueue_all(self.to_enqueue)  # announces them too
        queued = {p.id for p in self.to_enqueue}
        events.publications_changed([p for p in self.changed.values() if p.id not in queued])
        gone = [SimpleNamespace(workspace_id=w, id=i, status="deleted") for w, i in self.deleted]
        events.publications_changed(gone)

    def _record_changes(self) -> None:
        if self.actor is None or self.action is None:
            return
        db.session.add_all(
            PublicationChange(
                publication_id=publication.id,
                at=self.now,
                status=publication.status,
                detail=_change_detail(self.action, publication),
                user_id=self.actor.user_id,
                source=self.actor.source,
            )
            for publication in self.changed.values()
        )

    def _settle(self) -> None:
        """Settle the touched schedules; one query first finds those still busy, for which settling is a no-op."""
        if not self.to_settle:
            return
        db.session.flush()
        busy = set(
            db.session.scalars(
                select(Publication.schedule_id)
                .where(
                    Publication.schedule_id.in_(list(self.to_settle)),
                    Publication.status.not_in([s.value for s in TERMINAL_STATUSES]),
                )
                .distinct()
            )
        )
        for schedule_id, schedule in self.to_settle.items():
            if schedule_id not in busy:
                schedules.settle(schedule)


# Publication-level transitions: each changes one record inside a Work or raises Conflict(reason).


def _refuse(publication: Publication, allowed, verb: str) -> None:
    if publication.status not in allowed:
        names = ", ".join(sorted(allowed))
        raise Conflict(
            lazy_gettext(
                "is %(status)s; only %(names)s publications can be %(verb)s",
                status=publication.status,
                names=names,
                verb=verb,
            )
        )


def pause_publication(publication: Publication, work: Work) -> Publication:
    """Pause a scheduled, queued or retrying publication; its job is removed."""
    _refuse(publication, PAUSABLE, "paused")
    work.drop(publication)
    publication.status = S.PAUSED.value
    publication.hold_reason = None  # a "waiting for rate limit" note no longer applies
    work.touch(publication)
    return publication


def resume_publication(publication: Publication, work: Work) -> Publication:
    """Put a paused publication back to scheduled (or missed), unless its whole schedule is paused."""
    _refuse(publication, RESUMABLE, "resumed")
    if publication.schedule.status == ScheduleStatus.PAUSED.value:
        raise Conflict(lazy_gettext("its schedule is paused; resume the schedule"))
    wake(publication, work)
    return publication


def wake(publication: Publication, work: Work) -> None:
    """Put a paused publication back to scheduled under a fresh job id, or mark it missed if too late."""
    # A chained publication whose predecessor has not published goes back to waiting for it, visibly.
    publication.hold_reason = chains.waiting_note(publication) if publication.after_publication_id else None
    if missed_runs.mark_missed(publication, publication.schedule, work.now):
        work.touch(publication)
        return
    publication.status = S.SCHEDULED.value
    dispatch.redispatch(publication)
    work.touch(publication, enqueue=True)  # an overdue entry is due at once: rq-scheduler runs it next tick


def retry_publication(publication: Publication, work: Work) -> Publication:
    """Queue a failed or unconfirmed publication again, now, under a fresh job id."""
    _refuse(publication, RETRYABLE, "retried")
    schedule = publication.schedule
    if schedule.status in (ScheduleStatus.CANCELLED.value, ScheduleStatus.PAUSED.value):
        raise Conflict(lazy_gettext("its schedule is %(status)s", status=schedule.status))
    if schedule.status == ScheduleStatus.COMPLETED.value:
        schedule.status = ScheduleStatus.ACTIVE.value  # settles again once this one finishes
    work.drop(publication)
    # Queued at once; the scheduler's next tick moves the fresh job. The idempotency key is kept,
    # so a platform that saw an unconfirmed attempt recognises the resend.
    publication.status, publication.enqueued_at = S.QUEUED.value, work.now
    publication.finished_at, publication.next_attempt_at = None, work.now
    publication.hold_reason = None  # a person decided: no longer waiting for one
    dispatch.redispatch(publication)
    work.touch(publication, enqueue=True)
    return publication


def cancel_publication(publication: Publication, work: Work) -> Publication:
    """Cancel a publication that has neither finished nor started publishing."""
    if publication.status == S.PUBLISHING:
        raise Conflict(lazy_gettext("is being published right now; wait for the outcome"))
    _refuse(publication, CANCELLABLE, "cancelled")
    work.drop(publication)
    publication.status, publication.finished_at = S.CANCELLED.value, work.now
    publication.next_attempt_at, publication.hold_reason = None, None
    chains.hold(publication)  # what waits for it would link to nothing: held, with the reason
    work.touch(publication)
    return publication


def delete_publication(publication: Publication, work: Work) -> Publication:
    """Delete a finished publication with its attempts and alerts."""
    # Only finished records are deleted: a pending one is cancelled first, so a recurring schedule
    # never re-materialises a deleted occurrence under the same idempotency key.
    if publication.status not in TERMINAL_STATUSES:
        raise Conflict(lazy_gettext("is %(status)s; cancel it before deleting", status=publication.status))
    work.drop(publication)
    work.delete(publication)
    return publication


TRANSITIONS = {
    "pause": pause_publication,
    "resume": resume_publication,
    "retry": retry_publication,
    "cancel": cancel_publication,
    "delete": delete_publication,
}
# How each transition reads in a publication's timeline.
# What each transition did, as its timeline entry says it (in the reader's language).
DONE = {
    "pause": Phrase("paused"),
    "resume": Phrase("resumed"),
    "retry": Phrase("retried"),
    "cancel": Phrase("cancelled"),
    "delete": Phrase("deleted"),
}
# The statuses each transition starts from: the sets its guard refuses outside of (a view offers exactly these).
ALLOWED_FROM = {
    "pause": PAUSABLE,
    "resume": RESUMABLE,
    "retry": RETRYABLE,
    "cancel": CANCELLABLE,
    "delete": TERMINAL_STATUSES,
}


def actions_for(status: str) -> tuple[str, ...]:
    """Return the transitions a publication in this status allows, in TRANSITIONS order (none while publishing)."""
    return tuple(action for action in TRANSITIONS if status in ALLOWED_FROM[action])


# Schedule-level transitions.

_SCHEDULE_OPEN = frozenset(ScheduleStatus) - set(CLOSED)
# What may be done to a schedule in each status, in the order a list offers it: pause_schedule and resume_schedule
# refuse a closed schedule (open_schedule) and one already in the state asked for; cancel refuses a closed one;
# clone (rescheduling.clone_schedule) and delete take any schedule.
SCHEDULE_ALLOWED_FROM = {
    "pause": _SCHEDULE_OPEN - {ScheduleStatus.PAUSED},
    "resume": _SCHEDULE_OPEN - {ScheduleStatus.ACTIVE},
    "cancel": _SCHEDULE_OPEN,
    "clone": frozenset(ScheduleStatus),
    "delete": frozenset(ScheduleStatus),
}


def schedule_actions_for(status: str) -> tuple[str, ...]:
    """Return the actions a schedule in this status allows, in SCHEDULE_ALLOWED_FROM order."""
    return tuple(action for action, allowed in SCHEDULE_ALLOWED_FROM.items() if status in allowed)


def publications_in(schedule: Schedule, statuses) -> list[Publication]:
    """Return the schedule's publications in the given statuses, locked against a concurrent claim."""
    query = select(Publication).where(Publication.schedule_id == schedule.id)
    if statuses is not None:
        query = query.where(Publication.status.in_([str(s) for s in statuses]))
    return list(db.session.scalars(query.order_by(Publication.id).with_for_update()))


def open_schedule(actor: Actor, schedule_id: int, verb: str) -> Schedule:
    """Return a writable schedule that is neither cancelled nor completed, or raise Conflict."""
    actor.require_writer()
    schedule = schedules.get_schedule(actor, schedule_id)
    if schedule.status in CLOSED:
        raise Conflict(
            lazy_gettext(
                "This schedule is %(status)s and cannot be %(verb)s; clone it to run it again.",
                status=schedule.status,
                verb=verb,
            )
        )
    return schedule


def _change_detail(action: str, publication: Publication) -> Phrase | str:
    # Herald's own sentences are Phrases, read in each reader's language (the due time in their zone too).
    if action == "rescheduled" and publication.status == S.CANCELLED:
        return Phrase("cancelled: its channel was removed from the schedule")  # an edit's other change
    if action == "rescheduled":
        return Phrase("rescheduled: due %(when)s", when=At(publication.due_at, "datetime"))
    return action


def finish(actor: Actor, schedule: Schedule, work: Work, action: str, **details) -> Schedule:
    """Audit a schedule-level change, commit its Work and announce the schedule's new status."""
    audit.record(actor, f"schedule.{action}", "schedule", schedule.id, **details)
    work.commit()
    events.publish(schedule.workspace_id, "schedule", id=schedule.id, status=schedule.status)
    return schedule


def pause_schedule(actor: Actor, schedule_id: int) -> Schedule:
    """Pause a schedule and its waiting publications; paused publications have no rq-scheduler entry."""
    schedule = open_schedule(actor, schedule_id, "paused")
    if schedule.status == ScheduleStatus.PAUSED.value:
        raise Conflict(lazy_gettext("This schedule is already paused."))
    work = Work(actor=actor, action=Phrase("paused with its schedule"))
    for publication in publications_in(schedule, PAUSABLE):
        pause_publication(publication, work)
    schedule.status = ScheduleStatus.PAUSED.value
    return finish(actor, schedule, work, "paused", publications=len(work.changed))


def resume_schedule(actor: Actor, schedule_id: int) -> Schedule:
    """Resume a paused (or needs-intervention) schedule: re-enqueue its paused publications at their due time."""
    schedule = open_schedule(actor, schedule_id, "resumed")
    if schedule.status == ScheduleStatus.ACTIVE.value:
        raise Conflict(lazy_gettext("This schedule is not paused."))
    work = Work(actor=actor, action=Phrase("resumed with its schedule"))
    schedule.status = ScheduleStatus.ACTIVE.value
    for publication in publications_in(schedule, RESUMABLE):
        wake(publication, work)
    for publication in schedules.advance(schedule, work.now):
        work.touch(publication, enqueue=True)
    work.to_settle[schedule.id] = schedule
    return finish(actor, schedule, work, "resumed", publications=len(work.changed))


def cancel_schedule(actor: Actor, schedule_id: int) -> Schedule:
    """Cancel a schedule and every publication of it that has not finished or started publishing."""
    schedule = open_schedule(actor, schedule_id, "cancelled")
    work = Work(actor=actor, action=Phrase("cancelled with its schedule"))
    for publication in publications_in(schedule, CANCELLABLE):
        cancel_publication(publication, work)
    schedule.status, schedule.next_run_at = ScheduleStatus.CANCELLED.value, None
    return finish(actor, schedule, work, "cancelled", publications=len(work.changed))


def delete_schedule(actor: Actor, schedule_id: int) -> None:
    """Delete a schedule with its publications, after removing their pending rq-scheduler entries."""
    actor.require_writer()
    schedule = schedules.get_schedule(actor, schedule_id)
    publications = publications_in(schedule, None)
    if any(p.status == S.PUBLISHING for p in publications):
        raise Conflict(
            lazy_gettext("A publication of this schedule is being published right now; try again when it finishes.")
        )
    work = Work()
    for publication in publications:
        work.drop(publication)
        work.delete(publication)
    work.to_settle.clear()
    audit.record(actor, "schedule.deleted", "schedule", schedule.id, publications=len(publications))
    db.session.delete(schedule)
    work.commit()
    events.publish(actor.workspace_id, "schedule", id=schedule_id, status="deleted")
