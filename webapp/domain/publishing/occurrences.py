"""One occurrence of a recurring series: skip it, move it, or restore it, without changing the rule.

An occurrence is named by the instant the rule gives it (`original_at`), however it was changed. The
change is a `ScheduleException` the series' walk honours (series.py): a skipped occurrence is never
materialised, a moved one is materialised at its new time. When the occurrence is already materialised
(its publications wait in rq-scheduler), skipping cancels them ("occurrence skipped") and the series
materialises its next run; moving moves them and their jobs, keeping their occurrence number and so
their idempotency keys. A skipped occurrence counts for nothing in `max_runs`.

Refused: a time that is not an occurrence of the rule (422 `at`), a move into the past or past the
series' next occurrence (or before its previous one: the order of a series is kept, so exactly one
occurrence stays in flight) (422 `to`), an occurrence already publishing or published (409).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from webapp.core.errors import Conflict, ValidationFailed, lazy_gettext
from webapp.core.phrases import At, Phrase
from webapp.core.time import ceil_to_second, format_utc
from webapp.domain.publishing import channel_rules, schedules, series
from webapp.domain.publishing.lifecycle import Work, cancel_publication, finish, open_schedule
from webapp.domain.publishing.rescheduling import MOVABLE
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import (
    OccurrenceChange,
    Publication,
    PublicationStatus,
    Schedule,
    ScheduleException,
    ScheduleStatus,
)

S = PublicationStatus
# How far ahead an occurrence may be named (a previous occurrence is looked for among this many runs).
LOOKAHEAD = 500


def recurring_schedule(actor: Actor, schedule_id: int, verb: str = "changed") -> Schedule:
    """Return an open recurring schedule of the actor's workspace (404 elsewhere, 409 closed or one-time)."""
    schedule = open_schedule(actor, schedule_id, verb)
    if not schedule.is_recurring:
        raise Conflict(
            lazy_gettext("Only a recurring schedule has occurrences; reschedule a one-time schedule instead.")
        )
    return schedule


def _instant(schedule: Schedule, value, field: str, tz_name: str | None) -> datetime:
    errors: dict[str, str] = {}
    instant = schedules.instant_field(value, tz_name or schedule.timezone, field, errors)
    if errors:
        raise ValidationFailed(errors)
    if instant is None:
        raise ValidationFailed({field: lazy_gettext("is required")})
    return instant


def resolve(schedule: Schedule, at: datetime, exceptions) -> series.Run:
    """The occurrence named by `at`: the rule's instant, or the new time of a moved one."""
    if at in exceptions:
        return series.run_of(at, exceptions[at])
    for original, exception in exceptions.items():
        if exception.moved_to == at:
            return series.run_of(original, exception)
    if not series.is_rule_instant(schedule, at):
        raise ValidationFailed(
            {"at": lazy_gettext("%(at)s is not an occurrence of this schedule's rule", at=format_utc(at))}
        )
    return series.run_of(at, None)


def _neighbours(schedule: Schedule, run: series.Run, exceptions, now: datetime):
    """The series' runs just before and after this one (None when there is none, or none still to come)."""
    others = {k: v for k, v in exceptions.items() if k != run.original_at}
    upcoming = series.schedule_runs(schedule, now, LOOKAHEAD, others)
    previous = following = None
    for candidate in upcoming:
        if candidate.original_at < run.original_at:
            previous = candidate
        elif candidate.original_at > run.original_at:
            following = candidate
            break
    return previous, following


def materialised(schedule: Schedule, start: datetime, end: datetime | None, *, skipped: bool = False):
    """The publications of the occurrence due from `start` (before `end`): pending ones, or those skipped."""
    query = select(Publication).where(Publication.schedule_id == schedule.id, Publication.due_at >= start)
    if end is not None:
        query = query.where(Publication.due_at < end)
    rows = list(db.session.scalars(query.order_by(Publication.due_at, Publication.id)))
    rows = [p for p in rows if is_skipped(p) == skipped]
    if not rows:
        return []
    return [p for p in rows if p.occurrence == rows[0].occurrence]


def is_skipped(publication: Publication) -> bool:
    return publication.status == S.CANCELLED and publication.hold_reason == series.SKIPPED_REASON


# Finished without being sent (a person cancelled it, or it was missed): left as they are.
_SETTLED = frozenset({S.CANCELLED, S.MISSED})


def _waiting(publications: list[Publication]) -> list[Publication]:
    """The occurrence's publications still waiting, after refusing one that has started (409)."""
    started = [p for p in publications if p.status not in MOVABLE | _SETTLED]
    if started:
        raise Conflict(
            lazy_gettext(
                "This occurrence is already %(status)s (publication #%(id)s); "
                "only an occurrence still waiting can be skipped or moved.",
                status=started[0].status,
                id=started[0].id,
            )
        )
    return [p for p in publications if p.status in MOVABLE]


def _target(schedule: Schedule, data: dict, exceptions, now: datetime) -> series.Run:
    if data.get("at") in (None, ""):
        upcoming = series.schedule_runs(schedule, now, 1, exceptions)
        if not upcoming:
            raise Conflict(lazy_gettext("This series has no occurrence left."))
        return upcoming[0]
    run = resolve(schedule, _instant(schedule, data["at"], "at", data.get("timezone")), exceptions)
    if run.anchor <= now:
        raise ValidationFailed({"at": lazy_gettext("this occurrence's time has passed")})
    return run


def _exception(schedule: Schedule, run: series.Run, exceptions, actor: Actor) -> ScheduleException:
    row = exceptions.get(run.original_at)
    if row is None:
        row = ScheduleException(
            workspace_id=schedule.workspace_id, schedule_id=schedule.id, original_at=run.original_at
        )
        db.session.add(row)
    row.created_by_id = actor.user_id
    return row


def skip(actor: Actor, schedule_id: int, data: dict | None = None, *, now: datetime | None = None) -> series.Run:
    """Skip the next occurrence (or the one `at` names); waiting publications of it are cancelled."""
    schedule, data = recurring_schedule(actor, schedule_id, "skipped"), data or {}
    work = Work(now, actor=actor, action=series.SKIPPED_REASON)
    exceptions = series.exceptions_of(schedule.id)
    run = _target(schedule, data, exceptions, work.now)
    if run.change == OccurrenceChange.SKIP.value:
        raise Conflict(lazy_gettext("This occurrence is already skipped."))
    _, following = _neighbours(schedule, run, exceptions, work.now)
    materialised_run = materialised(schedule, run.anchor, following.at if following else None)
    pending = _waiting(materialised_run)
    row = _exception(schedule, run, exceptions, actor)
    row.change, row.moved_to = OccurrenceChange.SKIP.value, run.moved_to
    for publication in pending:
        cancel_publication(publication, work)
        publication.hold_reason = series.SKIPPED_REASON
    if materialised_run:
        db.session.flush()
        last_occurrence, _, runs = schedules.series_counts(schedule)
        if materialised_run[0].occurrence == last_occurrence and schedule.status == ScheduleStatus.ACTIVE.value:
            # It was the series' materialised run: the next one takes its place now.
            work.to_enqueue.extend(schedules.materialise_next(schedule, run.anchor, last_occurrence, runs))
    result = series.run_of(run.original_at, row)
    finish(actor, schedule, work, "occurrence_skipped", at=format_utc(run.original_at), cancelled=len(pending))
    return result


def move(actor: Actor, schedule_id: int, data: dict, *, now: datetime | None = None) -> series.Run:
    """Move one occurrence (`at`) to another time (`to`) between the series' previous and next occurrences."""
    schedule = recurring_schedule(actor, schedule_id, "moved")
    work = Work(now, actor=actor)
    exceptions = series.exceptions_of(schedule.id)
    if data.get("at") in (None, ""):
        raise ValidationFailed({"at": lazy_gettext("is required")})
    run = _target(schedule, data, exceptions, work.now)
    to = ceil_to_second(_instant(schedule, data.get("to"), "to", data.get("timezone")))
    if run.change == OccurrenceChange.SKIP.value:
        raise Conflict(lazy_gettext("This occurrence is skipped; restore it before moving it."))
    if to == run.original_at:
        if run.change is None:
            raise ValidationFailed({"to": lazy_gettext("is already this occurrence's time")})
        return restore(actor, schedule_id, {"at": format_utc(run.original_at)}, now=work.now)
    previous, following = _neighbours(schedule, run, exceptions, work.now)
    pending = _waiting(materialised(schedule, run.anchor, following.at if following else None))
    _check_target(schedule, run, to, previous, following, pending, work.now, data)
    row = _exception(schedule, run, exceptions, actor)
    row.change, row.moved_to = OccurrenceChange.MOVE.value, to
    work.action = Phrase("occurrence of %(run)s moved to %(to)s", run=_utc(run.original_at), to=_utc(to))
    _move_publications(schedule, pending, to, work)
    finish(actor, schedule, work, "occurrence_moved", at=format_utc(run.original_at), to=format_utc(to))
    return series.run_of(run.original_at, row)


def _check_target(schedule, run, to, previous, following, pending, now, data) -> None:
    if to <= now:
        raise ValidationFailed({"to": lazy_gettext("must be in the future")})
    if following is not None and to >= following.at:
        raise ValidationFailed(
            {"to": lazy_gettext("must be before the series' next occurrence (%(at)s)", at=format_utc(following.at))}
        )
    earlier = db.session.scalar(
        select(Publication.due_at)
        .where(Publication.schedule_id == schedule.id, Publication.due_at < run.anchor)
        .order_by(Publication.due_at.desc())
        .limit(1)
    )
    floor = max([t for t in (previous.at if previous else None, earlier) if t is not None], default=None)
    if floor is not None and to <= floor:
        raise ValidationFailed(
            {"to": lazy_gettext("must be after the series' previous occurrence (%(at)s)", at=format_utc(floor))}
        )
    if not data.get("allow_conflicts"):
        channel_rules.check(list(schedule.channels), to, exclude={p.id for p in pending}, field="to")


def _move_publications(schedule: Schedule, publications: list[Publication], to: datetime, work: Work) -> None:
    """Move waiting publications and their rq-scheduler jobs to `to` (the old entry is removed first)."""
    for publication in publications:
        work.drop(publication, strict=True)
        publication.due_at, publication.next_attempt_at = to, None
        if publication.status == S.QUEUED:
            publication.status = S.SCHEDULED.value
        dispatch.redispatch(publication)
        work.touch(publication, enqueue=publication.status != S.PAUSED)
    if publications and publications[0].occurrence == schedules.series_counts(schedule)[0]:
        schedule.next_run_at = to


def restore(actor: Actor, schedule_id: int, data: dict, *, now: datetime | None = None) -> series.Run:
    """Undo a skip or a move: the occurrence runs at the rule's own time again."""
    schedule = recurring_schedule(actor, schedule_id, "changed")
    work = Work(now, actor=actor, action=Phrase("occurrence restored"))
    exceptions = series.exceptions_of(schedule.id)
    if data.get("at") in (None, ""):
        raise ValidationFailed({"at": lazy_gettext("is required")})
    run = resolve(schedule, _instant(schedule, data["at"], "at", data.get("timezone")), exceptions)
    row = exceptions.get(run.original_at)
    if row is None:
        raise Conflict(lazy_gettext("This occurrence is neither skipped nor moved."))
    if run.original_at <= work.now:
        raise ValidationFailed({"at": lazy_gettext("this occurrence's own time has passed; move it instead")})
    _, following = _neighbours(schedule, run, exceptions, work.now)
    end = following.at if following else None
    if run.change == OccurrenceChange.MOVE.value:
        pending = _waiting(materialised(schedule, run.anchor, end))
        _move_publications(schedule, pending, run.original_at, work)
    else:
        _revive(schedule, run, end, work)
    db.session.delete(row)
    finish(actor, schedule, work, "occurrence_restored", at=format_utc(run.original_at))
    return series.run_of(run.original_at, None)


def _revive(schedule: Schedule, run: series.Run, end: datetime | None, work: Work) -> None:
    """Bring a skipped occurrence back: its cancelled publications, or new ones if the series went past it."""
    skipped = materialised(schedule, run.anchor, end, skipped=True)
    for publication in skipped:
        publication.status, publication.hold_reason = S.SCHEDULED.value, None
        publication.due_at, publication.finished_at = run.original_at, None
        dispatch.redispatch(publication)
        work.touch(publication, enqueue=True)
    last_occurrence, last_due, _ = schedules.series_counts(schedule)
    if not skipped and last_due is not None and last_due > run.original_at:
        # The series went past it while it was skipped: it will not come round again, so it is made now.
        for publication in schedules.materialise(
            schedule, occurrence=(last_occurrence or 0) + 1, due_at=run.original_at
        ):
            work.touch(publication, enqueue=True)


def _utc(when: datetime) -> At:
    return At(when.astimezone(UTC), "utc")
