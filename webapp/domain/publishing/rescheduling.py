"""Change a schedule's time or rule, copy a schedule, or publish content now.

Redis order as in lifecycle: a moved publication's old entry is removed before the commit, the new
one added after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.core.errors import Conflict, ValidationFailed, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.core.time import TimeInputError, ceil_to_second, validate_cron
from webapp.core.validation import choice_problem, timezone_problem
from webapp.domain.publishing import chains, channel_rules, schedules, series
from webapp.domain.publishing.lifecycle import (
    CANCELLABLE,
    Work,
    cancel_publication,
    finish,
    open_schedule,
    publications_in,
)
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Publication, PublicationStatus, Schedule, ScheduleStatus, utcnow

S = PublicationStatus
# Not started yet: these move with a reschedule.
MOVABLE = frozenset({S.SCHEDULED, S.QUEUED, S.PAUSED})
ONLY_RECURRING = ("cron", "starts_at", "ends_at", "max_runs", "clash_policy")
RULE_FIELDS = ("cron", "timezone", "starts_at", "ends_at")
BUSY = "A publication of this schedule is being published right now; try again when it finishes."


def _changes(actor: Actor, schedule: Schedule, data: dict, now: datetime) -> tuple[dict, list | None, datetime | None]:
    """Validate a PATCH body against the schedule; return the changed fields, the new channels and the new due time.

    A field sent with the value the schedule already has is no change (a form sends every field).
    """
    errors: dict[str, str] = {}
    if "content_id" in data:
        errors["content_id"] = lazy_gettext("cannot be changed; clone the schedule instead")
    wrong = ONLY_RECURRING if not schedule.is_recurring else ("run_at",)
    for name in wrong:
        if name in data:
            errors[name] = (
                lazy_gettext("does not apply to a recurring schedule")
                if schedule.is_recurring
                else lazy_gettext("does not apply to a one-time schedule")
            )
    values: dict = {}
    tz_name = data.get("timezone") or None  # a naive instant is read in the request's zone, never the stored one
    if "timezone" in data:
        if problem := timezone_problem(tz_name):
            errors["timezone"], tz_name = problem, None
        else:
            values["timezone"] = tz_name
    for name in ("run_at", "starts_at", "ends_at"):
        if name in data and name not in errors:
            values[name] = schedules.instant_field(data[name], tz_name, name, errors)
    if "starts_at" in values or "ends_at" in values:
        window = [values.get(name, getattr(schedule, name)) for name in ("starts_at", "ends_at")]
        schedules.window_field(*window, errors)
    if "cron" in data and "cron" not in errors:
        try:
            values["cron"] = validate_cron(data["cron"])
        except TimeInputError as exc:
            errors["cron"] = exc.message
    for name, choices in (("priority", schedules.PRIORITIES), ("missed_policy", schedules.MISSED_POLICIES)):
        if name in data and (problem := choice_problem(data[name], choices)) is None:
            values[name] = data[name]
        elif name in data:
            errors[name] = problem
    if "grace_minutes" in data:
        values["grace_minutes"] = schedules.grace_field(data["grace_minutes"], errors)
    if "max_runs" in data and "max_runs" not in errors:
        # Runs skipped by a person count for nothing toward max_runs (schedules.series_counts).
        values["max_runs"] = schedules.max_runs_field(data["max_runs"], errors)
        made = schedules.series_counts(schedule)[2]
        if "max_runs" not in errors and values["max_runs"] is not None and values["max_runs"] < made:
            errors["max_runs"] = lazy_gettext("must be at least %(made)s (runs already made)", made=made)
    if "clash_policy" in data and "clash_policy" not in errors:
        values["clash_policy"] = schedules.clash_policy_field(data["clash_policy"], errors)
    channels = _new_channels(actor, schedule, data["channel_ids"], errors) if "channel_ids" in data else None
    values = {name: value for name, value in values.items() if value != getattr(schedule, name)}
    if "run_at" in values and "run_at" not in errors and (values["run_at"] or now) <= now:
        errors["run_at"] = lazy_gettext("must be in the future") if values["run_at"] else lazy_gettext("is required")
    if errors:
        raise ValidationFailed(errors)
    due = None
    if "run_at" in values:
        due = ceil_to_second(values["run_at"])
    elif schedule.is_recurring and any(name in values for name in RULE_FIELDS):
        rule = {name: values.get(name, getattr(schedule, name)) for name in RULE_FIELDS}
        # The occurrences people skipped or moved stay so: the next run is the series' next, not the bare rule's.
        exceptions = series.exceptions_of(schedule.id)
        upcoming = series.runs(rule.pop("cron"), rule.pop("timezone"), now, 1, exceptions, **rule)
        if not upcoming:
            raise ValidationFailed({"cron": lazy_gettext("has no occurrence in the schedule's window")})
        due = upcoming[0].at
    return values, channels, due


def _new_channels(actor: Actor, schedule: Schedule, raw, errors: dict[str, str]) -> list | None:
    """Read the schedule's new channel list (None when it is the same set), recording problems in `errors`."""
    if raw in (None, []) and publications_in(schedule, CANCELLABLE):
        errors["channel_ids"] = lazy_gettext(
            "cannot remove the last channel while runs are pending; cancel the schedule instead"
        )
        return None
    channels = schedules.channels_field(actor, raw, errors)
    if "channel_ids" not in errors:
        _, problem = chains.chain_problem(schedule.chain, [c.id for c in channels])
        if problem:
            errors["channel_ids"] = lazy_gettext("would break the schedule's chain: %(problem)s", problem=problem)
    if "channel_ids" in errors or {c.id for c in channels} == {c.id for c in schedule.channels}:
        return None
    return channels


def reschedule(actor: Actor, schedule_id: int, data: dict, *, now: datetime | None = None) -> Schedule:
    """Change a schedule's time or rule, window, channels, priority and policies; waiting publications follow.

    A moved time moves the waiting publications and their jobs; an added channel gets a publication
    for the occurrence still waiting; a removed channel's pending publications are cancelled. Every
    check comes before the first change, so a refused edit changes nothing.
    """
    schedule = open_schedule(actor, schedule_id, "changed")
    work = Work(now, actor=actor, action=Phrase("rescheduled"))
    if publications_in(schedule, {S.PUBLISHING}):
        raise Conflict(BUSY)
    values, channels, due = _changes(actor, schedule, data, work.now)
    if not values and channels is None:
        return schedule  # nothing to change
    latest = schedules.series_counts(schedule)[0] or 0  # the latest occurrence made
    waiting = publications_in(schedule, MOVABLE | {S.RETRYING})
    current = [p for p in waiting if p.occurrence == latest and p.status in MOVABLE]
    kept = {c.id for c in channels} if channels is not None else {c.id for c in schedule.channels}
    added = [c for c in channels or [] if c not in schedule.channels]
    movers = [p for p in current if p.channel_id in kept] if due else []
    # The added channels join the occurrence still waiting, at its (new) time; else the next one has them.
    join_at = due if movers else next((p.due_at for p in current if p.channel_id in kept), None)
    if not schedule.is_recurring and ((due and not movers) or (added and join_at is None)):
        raise Conflict(lazy_gettext("Nothing of this schedule is waiting to run; clone it to run it again."))
    if not data.get("allow_conflicts"):
        # The same rules as creating: 422 with the clashes and free slots (the movers don't clash with themselves).
        if movers:
            field = "cron" if "cron" in values else "run_at"
            channel_rules.check(channels or list(schedule.channels), due, exclude={p.id for p in movers}, field=field)
        elif added and join_at is not None:
            channel_rules.check(added, join_at, field="channel_ids")
    repriced = values.get("priority", schedule.priority) != schedule.priority
    for name, value in values.items():
        setattr(schedule, name, value)
    for publication in publications_in(schedule, CANCELLABLE):
        if publication.channel_id not in kept:
            cancel_publication(publication, work)
    for publication in waiting if repriced else movers:
        if publication.channel_id not in kept:
            continue
        work.drop(publication, strict=True)  # the old entry must not fire at the old time
        publication.priority = schedule.priority
        if publication in movers:
            publication.due_at, publication.next_attempt_at = due, None
            if publication.status == S.QUEUED:
                publication.status = S.SCHEDULED.value
        dispatch.redispatch(publication)
        work.touch(publication, enqueue=publication.status != S.PAUSED)
    if channels is not None:
        schedule.channels = channels
    if added and join_at is not None:
        _join(schedule, added, latest, join_at, work)
    if movers:
        schedule.next_run_at = due
    changed = sorted({*values, *(["channel_ids"] if channels is not None else [])})
    details = {"fields": changed, "moved": len(movers)}
    if channels is not None:
        details["channels"] = [c.id for c in channels]
    return finish(actor, schedule, work, "rescheduled", **details)


def _join(schedule: Schedule, added: list, occurrence: int, due: datetime, work: Work) -> None:
    """Give the added channels their publications of the occurrence still waiting (paused if the schedule is).

    A channel removed earlier (its publication of this occurrence cancelled) and added back gets that
    publication back under a fresh job: one publication per channel and occurrence, one idempotency key.
    """
    status = S.PAUSED if schedule.status == ScheduleStatus.PAUSED.value else S.SCHEDULED
    ids = [c.id for c in added]
    earlier = db.session.scalars(
        select(Publication).where(
            Publication.schedule_id == schedule.id,
            Publication.occurrence == occurrence,
            Publication.channel_id.in_(ids),
        )
    )
    back = {p.channel_id: p for p in earlier}
    revived = [p for p in back.values() if p.status == S.CANCELLED]  # the others already went out (or failed)
    for publication in revived:
        publication.finished_at, publication.hold_reason, publication.due_at = None, None, due
        dispatch.redispatch(publication)
    fresh = [c for c in added if c.id not in back]
    for publication in revived + schedules.materialise(schedule, occurrence=occurrence, due_at=due, channels=fresh):
        publication.status = status.value
        work.touch(publication, enqueue=status == S.SCHEDULED)


CLONED = ("content_id", "run_at", "cron", "timezone", "starts_at", "ends_at", "max_runs")
CLONED += ("priority", "missed_policy", "grace_minutes", "clash_policy", "chain")


def clone_schedule(actor: Actor, schedule_id: int, overrides: dict | None = None) -> Schedule:
    """Create a new active schedule with the original's content, channels and rule, changed by `overrides`."""
    actor.require_writer()
    original, overrides, now = schedules.get_schedule(actor, schedule_id), overrides or {}, utcnow()
    data = {name: getattr(original, name) for name in CLONED}
    data["channel_ids"] = [c.id for c in original.channels]
    if "run_at" in overrides:
        data["timezone"] = None  # a naive run_at is read in the request's own zone
    elif not original.is_recurring and original.run_at <= now:
        raise ValidationFailed({"run_at": lazy_gettext("the original time has passed; give a new run_at")})
    clone = schedules.create_schedule(actor, {**data, **overrides}, now=now)
    audit.record(actor, "schedule.cloned", "schedule", clone.id, source_id=original.id)
    db.session.commit()
    return clone


def publish_now(
    actor: Actor, content_id, channel_ids, priority: str | None = None, *, allow_conflicts: bool = False
) -> list[Publication]:
    """Schedule content on channels for the next whole second and return the new publications.

    The channels' rules apply as to any new schedule (a clash is refused with free slots) unless
    `allow_conflicts` says to publish anyway.
    """
    now = utcnow()
    # rq-scheduler keeps whole seconds: the next one is the earliest due time that never runs early.
    run_at = now.replace(microsecond=0) + timedelta(seconds=1)
    data = {"content_id": content_id, "channel_ids": channel_ids, "run_at": run_at, "priority": priority or "high"}
    data["allow_conflicts"] = allow_conflicts is True
    schedule = schedules.create_schedule(actor, data, now=now)
    audit.record(actor, "schedule.published_now", "schedule", schedule.id)
    db.session.commit()
    return schedules.publications_of(schedule)
