"""Create schedules and materialise their publications (one per channel and occurrence)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core.errors import NotFound, ValidationFailed, lazy_gettext
from webapp.core.time import TimeInputError, ceil_to_second, occurrences, parse_instant, validate_cron
from webapp.core.validation import choice_problem, id_list, is_id, timezone_problem
from webapp.domain.content.contents import get_content
from webapp.domain.publishing import chains, channel_rules, series
from webapp.domain.publishing.occurrence_plan import idempotency_key as idempotency_key
from webapp.domain.publishing.occurrence_plan import materialise, materialise_next
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.models import (
    TERMINAL_STATUSES,
    Channel,
    ClashPolicy,
    Priority,
    Publication,
    PublicationStatus,
    Schedule,
    ScheduleStatus,
    utcnow,
)

log = logging.getLogger(__name__)

PRIORITIES = tuple(p.value for p in Priority)
MISSED_POLICIES = ("run_late", "skip")
CLASH_POLICIES = tuple(p.value for p in ClashPolicy)
MAX_GRACE_MINUTES = 7 * 24 * 60
# A queued post never lands in a slot so close that nobody could still change their mind.
QUEUE_LEAD = timedelta(minutes=1)


def max_runs_field(value, errors: dict[str, str]) -> int | None:
    """Read an optional run count (a positive whole number), recording a problem in `errors`."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        errors["max_runs"] = lazy_gettext("must be a positive whole number")
        return None
    return value


def grace_field(value, errors: dict[str, str]):
    """Read a missed run's grace in minutes (0 to a week), recording a problem in `errors`."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_GRACE_MINUTES:
        errors["grace_minutes"] = lazy_gettext(
            "must be a whole number of minutes from 0 to %(max_grace_minutes)s", max_grace_minutes=MAX_GRACE_MINUTES
        )
    return value


def clash_policy_field(value, errors: dict[str, str]) -> str:
    """Read what an occurrence breaking a channel rule does (default: move to the next free slot)."""
    policy = value or ClashPolicy.MOVE.value
    if problem := choice_problem(policy, CLASH_POLICIES):
        errors["clash_policy"] = problem
    return policy


def instant_field(value, tz_name: str | None, field: str, errors: dict[str, str]) -> datetime | None:
    """Read an optional instant from a form or API value, recording a problem in `errors` by field."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        errors[field] = lazy_gettext("must be an ISO 8601 date and time")
        return None
    try:
        return parse_instant(value, tz_name, field=field)
    except TimeInputError as exc:
        errors[exc.field] = exc.message
        return None


def window_field(starts_at: datetime | None, ends_at: datetime | None, errors: dict[str, str]) -> None:
    """Record a problem in `errors` when a series' end does not come after its start."""
    if starts_at is not None and ends_at is not None and ends_at <= starts_at and "ends_at" not in errors:
        errors["ends_at"] = lazy_gettext("must be after starts_at")


def channels_field(actor: Actor, channel_ids, errors: dict[str, str]) -> list[Channel]:
    """Read a non-empty list of the workspace's channel ids, recording a problem in `errors`."""
    ids = id_list(channel_ids)
    if ids is None:
        errors["channel_ids"] = lazy_gettext("must be a non-empty list of channel ids")
        return []
    found = list(
        db.session.scalars(
            # A deleted (archived) channel reads as unknown too: nothing new is scheduled on it.
            select(Channel).where(
                Channel.id.in_(ids), Channel.workspace_id == actor.workspace_id, Channel.archived_at.is_(None)
            )
        )
    )
    missing = sorted(set(ids) - {c.id for c in found})
    if missing:
        # Another workspace's channel reads as unknown: never confirm that it exists.
        errors["channel_ids"] = lazy_gettext("unknown channel id(s): %(missing)s", missing=", ".join(map(str, missing)))
    return sorted(found, key=lambda c: ids.index(c.id))


def create_schedule(actor: Actor, data: dict, *, now: datetime | None = None) -> Schedule:
    """Validate a one-time (run_at) or recurring (cron + timezone) schedule, store it and enqueue it."""
    schedule, publications = add_schedule(actor, data, now=now)
    db.session.commit()
    enqueue_all(publications)
    return schedule


def add_schedule(actor: Actor, data: dict, *, now: datetime | None = None) -> tuple[Schedule, list[Publication]]:
    """Validate a schedule and add it with its first publications (the caller commits, then enqueue_all).

    Imports add many rows this way in one transaction, checked by the same rules as one create.
    """
    actor.require_writer()
    now = now or utcnow()
    errors: dict[str, str] = {}
    tz_name = data.get("timezone") or None
    if tz_name is not None and (problem := timezone_problem(tz_name)):
        errors["timezone"] = problem
        tz_name = None
    try:
        content = get_content(actor, data.get("content_id")) if is_id(data.get("content_id")) else None
    except NotFound:
        content = None
    if content is None:
        errors["content_id"] = lazy_gettext("unknown content id")
    channels = channels_field(actor, data.get("channel_ids"), errors)
    run_at = instant_field(data.get("run_at"), tz_name, "run_at", errors)
    starts_at = instant_field(data.get("starts_at"), tz_name, "starts_at", errors)
    ends_at = instant_field(data.get("ends_at"), tz_name, "ends_at", errors)
    window_field(starts_at, ends_at, errors)
    cron = data.get("cron") or None
    if (run_at is None) == (cron is None) and "run_at" not in errors:
        errors["run_at"] = lazy_gettext("give either run_at (one-time) or cron (recurring)")
    if run_at is not None and run_at <= now:
        errors["run_at"] = lazy_gettext("must be in the future")
    if cron is not None:
        try:
            cron = validate_cron(cron)
        except TimeInputError as exc:
            errors["cron"] = exc.message
        if not data.get("timezone"):
            errors.setdefault("timezone", lazy_gettext("is required for a recurring schedule"))
    priority = data.get("priority") or Priority.NORMAL.value
    if problem := choice_problem(priority, PRIORITIES):
        errors["priority"] = problem
    missed_policy = data.get("missed_policy") or "run_late"
    if problem := choice_problem(missed_policy, MISSED_POLICIES):
        errors["missed_policy"] = problem
    grace = grace_field(data.get("grace_minutes", current_app.config["DEFAULT_GRACE_MINUTES"]), errors)
    chain, problem = chains.chain_problem(data.get("chain"), [c.id for c in channels])
    if problem:
        errors["chain"] = problem
    max_runs = max_runs_field(data.get("max_runs"), errors)
    clash_policy = clash_policy_field(data.get("clash_policy"), errors)
    first_due = ceil_to_second(run_at) if run_at is not None else None
    if cron is not None and not errors:
        upcoming = occurrences(cron, tz_name, now, 1, starts_at=starts_at, ends_at=ends_at)
        if not upcoming:
            errors["cron"] = lazy_gettext("has no occurrence in the schedule's window")
        else:
            first_due = upcoming[0]
    if errors:
        raise ValidationFailed(errors)
    if not data.get("allow_conflicts"):
        channel_rules.check(channels, first_due, field="cron" if cron else "run_at")

    schedule = Schedule(
        workspace_id=actor.workspace_id,
        content_id=content.id,
        run_at=run_at,
        cron=cron,
        timezone=tz_name or "UTC",
        starts_at=starts_at,
        ends_at=ends_at,
        max_runs=max_runs,
        priority=priority,
        missed_policy=missed_policy,
        grace_minutes=grace,
        clash_policy=clash_policy,
        status=ScheduleStatus.ACTIVE.value,
        next_run_at=first_due,
        chain=chain,
        created_by_id=actor.user_id,
        channels=channels,
    )
    db.session.add(schedule)
    db.session.flush()
    publications = materialise(schedule, occurrence=1, due_at=first_due)
    audit.record(actor, "schedule.created", "schedule", schedule.id, channels=[c.id for c in channels])
    return schedule, publications


# Only approved content goes into a channel's queue (the content list offers "add to queue" for exactly these).
QUEUEABLE = frozenset({"approved"})


def may_queue(content_status: str) -> bool:
    """Whether content in this editorial status can be added to a channel's queue."""
    return content_status in QUEUEABLE


def add_to_queue(actor: Actor, channel_id, content_id, priority: str | None = None) -> Schedule:
    """Schedule approved content into the channel's next free slot (the channel's queue)."""
    actor.require_writer()
    errors: dict[str, str] = {}
    channels = channels_field(actor, [channel_id] if is_id(channel_id) else None, errors)
    try:
        content = get_content(actor, content_id) if is_id(content_id) else None
    except NotFound:
        content = None
    if content is None:
        errors["content_id"] = lazy_gettext("unknown content id")
    elif not may_queue(content.status):
        errors["content_id"] = lazy_gettext("only approved content can be added to a queue")
    slot = None
    if channels and not errors:
        slot = channel_rules.next_free_slot(channels[0], utcnow() + QUEUE_LEAD)
        if slot is None:
            errors["channel_id"] = lazy_gettext("this channel has no time slots or rules to queue into")
    if errors:
        raise ValidationFailed({("channel_id" if k == "channel_ids" else k): v for k, v in errors.items()})
    data = {"content_id": content.id, "channel_ids": [channels[0].id], "run_at": slot, "priority": priority}
    return create_schedule(actor, data)


def advance_due(schedule_ids, now: datetime | None = None) -> list[Publication]:
    """Advance each recurring schedule whose latest occurrence has fallen due; commit and enqueue the new ones.

    A series that has run out (`max_runs` reached, `ends_at` passed) records that it has no next run,
    and completes at once if its last run is already settled; otherwise the last run's own outcome
    completes it (`settle`). Either way the end is committed here, not left to a later write.
    """
    created: list[Publication] = []
    ended: list[Schedule] = []
    # Only a recurring schedule advances or ends here: the scheduler passes the schedules of a whole batch,
    # mostly one-time ones, not worth loading.
    recurring = select(Schedule).where(Schedule.id.in_(list(schedule_ids)), Schedule.cron.is_not(None))
    for schedule in db.session.scalars(recurring):
        created.extend(advance(schedule, now))
        if db.session.is_modified(schedule) and schedule.cron and schedule.next_run_at is None:
            ended.append(schedule)
    for schedule in ended:
        settle(schedule)
    if created or ended:
        db.session.commit()
    if created:
        enqueue_all(created)
    return created


def enqueue_all(publications: list[Publication]) -> None:
    """Hand committed publications to rq-scheduler and announce them; Redis trouble is repaired later."""
    # A chained publication not yet ready waits: the publication it follows releases it.
    ready = [p for p in publications if p.after_publication_id is None or chains.ready(p)]
    try:
        dispatch.enqueue_publications(ready)  # one round trip, however many (a bulk retry sends 500)
    except RedisError:
        # The database already holds them; the reconciler re-adds missing entries.
        log.warning("%d publications not enqueued: Redis unavailable", len(ready))
    events.publications_changed(publications)


def advance(schedule: Schedule, now: datetime | None = None) -> list[Publication]:
    """Materialise a recurring schedule's next occurrence once its latest one has fallen due (caller commits)."""
    if schedule.cron is None or schedule.status != ScheduleStatus.ACTIVE.value:
        return []
    now = now or utcnow()
    last_occurrence, last_due, runs = series_counts(schedule)
    if last_due is not None and last_due > now:
        return []  # the next occurrence is already waiting
    # Counting from now, not from the last due time, coalesces a backlog (the scheduler was down
    # for days) into the one overdue occurrence the reconciler already handles.
    return materialise_next(schedule, max(last_due or now, now), last_occurrence or 0, runs or 0)


def series_counts(schedule: Schedule) -> tuple[int | None, datetime | None, int]:
    """The schedule's latest occurrence number, latest due time, and the runs that count toward max_runs (one query).

    A run a person skipped after it was materialised is cancelled as "occurrence skipped": not one of max_runs.
    """
    counted = func.coalesce(Publication.hold_reason, "") != series.SKIPPED_REASON
    counted = or_(Publication.status != PublicationStatus.CANCELLED.value, counted)
    last_occurrence, last_due, runs = db.session.execute(
        select(
            func.max(Publication.occurrence),
            func.max(Publication.due_at),
            func.count(func.distinct(case((counted, Publication.occurrence)))),
        ).where(Publication.schedule_id == schedule.id)
    ).one()
    return last_occurrence, last_due, runs or 0


# Built once (the statement is the same for every schedule): composing it and its cache key anew took about
# half a millisecond of a publish's CPU. The pending check re-reads the schedule's publications in SQL. Its
# parameters are named after no column (an UPDATE would SET a column whose name a parameter has).
_SETTLE = (
    update(Schedule)
    .where(
        Schedule.id == bindparam("settle_id"),
        Schedule.status == ScheduleStatus.ACTIVE.value,
        or_(Schedule.cron.is_(None), Schedule.next_run_at.is_(None)),
        ~select(Publication.id)
        .where(
            Publication.schedule_id == bindparam("settle_id"),
            Publication.status.not_in([s.value for s in TERMINAL_STATUSES]),
        )
        .exists(),
    )
    .values(
        status=ScheduleStatus.COMPLETED.value,
        next_run_at=None,
        updated_at=bindparam("settle_at", type_=Schedule.__table__.c.updated_at.type),
    )
    .execution_options(synchronize_session=False)
)


def settle(schedule: Schedule) -> None:
    """Mark an active schedule completed once nothing of it is pending and nothing more will come (caller commits).

    One conditional UPDATE: it costs a single round trip on the publishing path, and it re-checks the
    schedule's status in the database, so a pause or cancel that landed meanwhile is never overwritten.
    """
    if schedule.status != ScheduleStatus.ACTIVE.value or (schedule.cron and schedule.next_run_at is not None):
        return
    db.session.flush()  # the caller's own status changes count in the pending check
    # On the session's connection: the ORM's bulk-update layer cost more than the UPDATE (nothing loaded needs it).
    completed = db.session.connection().execute(_SETTLE, {"settle_id": schedule.id, "settle_at": utcnow()})
    if completed.rowcount == 1:
        # The row changed under the ORM's feet: tell the loaded object without marking it dirty.
        set_committed_value(schedule, "status", ScheduleStatus.COMPLETED.value)
        set_committed_value(schedule, "next_run_at", None)


def get_schedule(actor: Actor, schedule_id: int) -> Schedule:
    """Return a schedule of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, Schedule, schedule_id, "schedule")


def schedule_query(actor: Actor, status: str | None = None, channel_id: int | None = None):
    query = select(Schedule).where(Schedule.workspace_id == actor.workspace_id)
    if status:
        query = query.where(Schedule.status == status)
    if channel_id:
        query = query.where(Schedule.channels.any(Channel.id == channel_id))
    return query.order_by(Schedule.id.desc())


def schedule_rows_query(actor: Actor, status: str | None = None):
    """The schedule_query of a list page: each row names its content and channels, loaded with the page."""
    return schedule_query(actor, status=status).options(selectinload(Schedule.content), selectinload(Schedule.channels))


def publications_of(schedule: Schedule, occurrence: int | None = None) -> list[Publication]:
    """Return the schedule's publications for one occurrence (the latest when none is named)."""
    if occurrence is None:
        occurrence = db.session.scalar(
            select(func.max(Publication.occurrence)).where(Publication.schedule_id == schedule.id)
        )
    return list(
        db.session.scalars(
            select(Publication)
            .where(Publication.schedule_id == schedule.id, Publication.occurrence == occurrence)
            .order_by(Publication.channel_id)
        )
    )
