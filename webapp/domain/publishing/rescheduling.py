"""Change a schedule's time or rule, copy a schedule, or publish content now.

Redis order as in lifecycle: a moved publication's old entry is removed before the commit, the new
one added after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from webapp.core.errors import Conflict, ValidationFailed
from webapp.core.time import TimeInputError, ceil_to_second, occurrences, validate_cron
from webapp.core.validation import choice_problem, timezone_problem
from webapp.domain.publishing import channel_rules, schedules
from webapp.domain.publishing.lifecycle import Work, finish, open_schedule, publications_in
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Publication, PublicationStatus, Schedule, utcnow

S = PublicationStatus
# Not started yet: these move with a reschedule.
MOVABLE = frozenset({S.SCHEDULED, S.QUEUED, S.PAUSED})
ONLY_RECURRING = ("cron", "starts_at", "ends_at", "max_runs")
RULE_FIELDS = ("cron", "timezone", "starts_at", "ends_at")


def _whole(value, low: int, high: int | None = None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high)


def _changes(schedule: Schedule, data: dict, now: datetime) -> tuple[dict, datetime | None]:
    """Validate a PATCH body against the schedule; return the new field values and the new due time."""
    errors: dict[str, str] = {}
    for name in ("content_id", "channel_ids"):
        if name in data:
            errors[name] = "cannot be changed; clone the schedule instead"
    wrong = ONLY_RECURRING if not schedule.is_recurring else ("run_at",)
    for name in wrong:
        if name in data:
            errors[name] = "does not apply to a " + ("recurring" if schedule.is_recurring else "one-time") + " schedule"
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
    if "run_at" in values and "run_at" not in errors and (values["run_at"] or now) <= now:
        errors["run_at"] = "must be in the future" if values["run_at"] else "is required"
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
        values["grace_minutes"] = data["grace_minutes"]
        if not _whole(data["grace_minutes"], 0, schedules.MAX_GRACE_MINUTES):
            errors["grace_minutes"] = f"must be a whole number of minutes from 0 to {schedules.MAX_GRACE_MINUTES}"
    if "max_runs" in data and "max_runs" not in errors:
        values["max_runs"], made = data["max_runs"], _occurrences_made(schedule)
        if data["max_runs"] is not None and not _whole(data["max_runs"], max(made, 1)):
            errors["max_runs"] = f"must be a whole number of at least {max(made, 1)} (occurrences already created)"
    due = None
    if errors:
        raise ValidationFailed(errors)
    if "run_at" in values:
        due = ceil_to_second(values["run_at"])
    elif schedule.is_recurring and any(name in values for name in RULE_FIELDS):
        rule = {name: values.get(name, getattr(schedule, name)) for name in RULE_FIELDS}
        upcoming = occurrences(rule.pop("cron"), rule.pop("timezone"), now, 1, **rule)
        if not upcoming:
            raise ValidationFailed({"cron": "has no occurrence in the schedule's window"})
        due = upcoming[0]
    return values, due


def _occurrences_made(schedule: Schedule) -> int:
    return (
        db.session.scalar(select(func.max(Publication.occurrence)).where(Publication.schedule_id == schedule.id)) or 0
    )


def reschedule(actor: Actor, schedule_id: int, data: dict, *, now: datetime | None = None) -> Schedule:
    """Change a schedule's time, rule, priority or missed policy; waiting publications move with their jobs."""
    schedule = open_schedule(actor, schedule_id, "rescheduled")
    work = Work(now, actor=actor, action="rescheduled")
    values, due = _changes(schedule, data, work.now)
    latest = _occurrences_made(schedule)
    waiting = publications_in(schedule, MOVABLE | {S.RETRYING})
    movers = [p for p in waiting if p.occurrence == latest and p.status in MOVABLE] if due else []
    if due and not movers and not schedule.is_recurring:
        raise Conflict("Nothing of this schedule is waiting to run; clone it to run it again.")
    if movers and not data.get("allow_conflicts"):
        # The same rules as creating: 422 with the clashes and free slots (the movers don't clash with themselves).
        field = "cron" if "cron" in values else "run_at"
        channel_rules.check(list(schedule.channels), due, exclude={p.id for p in movers}, field=field)
    repriced = values.get("priority", schedule.priority) != schedule.priority
    for name, value in values.items():
        setattr(schedule, name, value)
    for publication in waiting if repriced else movers:
        work.drop(publication, strict=True)  # the old entry must not fire at the old time
        publication.priority = schedule.priority
        if publication in movers:
            publication.due_at, publication.next_attempt_at = due, None
            if publication.status == S.QUEUED:
                publication.status = S.SCHEDULED.value
        dispatch.redispatch(publication)
        work.touch(publication, enqueue=publication.status != S.PAUSED)
    if movers:
        schedule.next_run_at = due
    return finish(actor, schedule, work, "rescheduled", fields=sorted(values), moved=len(movers))


CLONED = ("content_id", "run_at", "cron", "timezone", "starts_at", "ends_at", "max_runs")
CLONED += ("priority", "missed_policy", "grace_minutes", "chain")


def clone_schedule(actor: Actor, schedule_id: int, overrides: dict | None = None) -> Schedule:
    """Create a new active schedule with the original's content, channels and rule, changed by `overrides`."""
    actor.require_writer()
    original, overrides, now = schedules.get_schedule(actor, schedule_id), overrides or {}, utcnow()
    data = {name: getattr(original, name) for name in CLONED}
    data["channel_ids"] = [c.id for c in original.channels]
    if "run_at" in overrides:
        data["timezone"] = None  # a naive run_at is read in the request's own zone
    elif not original.is_recurring and original.run_at <= now:
        raise ValidationFailed({"run_at": "the original time has passed; give a new run_at"})
    clone = schedules.create_schedule(actor, {**data, **overrides}, now=now)
    audit.record(actor, "schedule.cloned", "schedule", clone.id, source_id=original.id)
    db.session.commit()
    return clone


def publish_now(actor: Actor, content_id, channel_ids, priority: str | None = None) -> list[Publication]:
    """Schedule content on channels for the next whole second and return the new publications."""
    now = utcnow()
    # rq-scheduler keeps whole seconds: the next one is the earliest due time that never runs early.
    run_at = now.replace(microsecond=0) + timedelta(seconds=1)
    data = {"content_id": content_id, "channel_ids": channel_ids, "run_at": run_at, "priority": priority or "high"}
    schedule = schedules.create_schedule(actor, data, now=now)
    audit.record(actor, "schedule.published_now", "schedule", schedule.id)
    db.session.commit()
    return schedules.publications_of(schedule)
