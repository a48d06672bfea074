"""A series' upcoming occurrences as people see them: skipped, moved, and what each channel's rules do to each.

The occurrence list (page and API), the live preview of the schedule form and the calendar read them
here. Runs not yet materialised are simulated as the tick would materialise them (channel_rules.Ledger,
each simulated run counting against the rules of the next), so "3 Dec: moved to 17:30, daily limit"
in the preview is what will happen, as far as the other publications known now allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.core.phrases import Phrase
from webapp.domain.publishing import occurrence_plan, series
from webapp.domain.publishing.channel_rules import Ledger, Outcome
from webapp.domain.publishing.occurrences import is_skipped
from webapp.domain.publishing.schedules import get_schedule, series_counts
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Channel, Publication, Schedule, ScheduleException, utcnow

MAX_COUNT = 50


@dataclass
class Listed:
    """One upcoming occurrence: its run, each channel's outcome, and its publications if materialised."""

    run: series.Run
    outcomes: list[Outcome] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    notes: list[Phrase] = field(default_factory=list)  # "3 Dec 09:00: moved to 17:30, daily limit (Blog)"

    @property
    def state(self) -> str:
        return self.run.state


def simulate(
    runs: list[series.Run],
    channels: list[Channel],
    policy: str,
    tz_name: str,
    *,
    schedule_id: int | None = None,
    materialised: dict[datetime, list[Publication]] | None = None,
) -> list[Listed]:
    """Each run with each channel's outcome; materialised runs are read from their publications."""
    materialised = materialised or {}
    taking = [r for r in runs if r.at is not None]
    ledger = None
    if taking:
        ledger = Ledger(channels, taking[0].at, taking[-1].at + timedelta(days=1), schedule_id=schedule_id)
    names = {c.id: c.name for c in channels}
    listed = []
    for run in runs:
        item = Listed(run)
        listed.append(item)
        if run.at is None:
            continue
        if run.at in materialised:
            item.publications = materialised[run.at]
            item.outcomes = [_outcome_of(p, run.at) for p in item.publications]
            continue
        following = next((r.at for r in taking if r.at > run.at), None)
        item.outcomes = ledger.outcomes(run.at, following, policy)
        ledger.add(item.outcomes)
        item.notes = [
            Phrase(
                "%(note)s (%(channel)s)", note=occurrence_plan.describe(run.at, o, tz_name), channel=names[o.channel_id]
            )
            for o in item.outcomes
            if o.reason
        ]
    return listed


def _outcome_of(publication: Publication, at: datetime) -> Outcome:
    if publication.due_at == at:
        return Outcome(publication.channel_id, "publish", at)
    return Outcome(publication.channel_id, "move", publication.due_at, Phrase("channel rules"))


def upcoming(actor: Actor, schedule_id: int, count: int = 10, *, now: datetime | None = None):
    """Return the schedule and its next `count` occurrences (skipped ones included), as the list shows them.

    A one-time schedule has no series: none.
    """
    schedule = get_schedule(actor, schedule_id)
    if not schedule.is_recurring:
        return schedule, []
    return schedule, _listed(schedule, min(max(count, 1), MAX_COUNT), now or utcnow())


def _listed(schedule: Schedule, count: int, now: datetime) -> list[Listed]:
    if schedule.status in ("cancelled", "completed"):
        return []
    exceptions = series.exceptions_of(schedule.id)
    # One run more than shown: the last shown run's moves are bounded by the run after it.
    runs = series.schedule_runs(schedule, now, count + 1, exceptions, with_skipped=True)
    pending = _pending_by_run(schedule, runs, now)
    if schedule.max_runs is not None:
        left = schedule.max_runs - series_counts(schedule)[2]
        kept = []
        for run in runs:
            if run.at is None or run.at in pending or left > 0:
                kept.append(run)
                left -= run.at is not None and run.at not in pending
        runs = kept
    listed = simulate(runs, list(schedule.channels), schedule.clash_policy, schedule.timezone, materialised=pending)
    return listed[:count]


def _pending_by_run(schedule: Schedule, runs: list[series.Run], now: datetime) -> dict[datetime, list[Publication]]:
    """The materialised publications of each listed run (by the run's time), one query."""
    taking = [r.at for r in runs if r.at is not None]
    if not taking:
        return {}
    rows = db.session.scalars(
        select(Publication)
        .where(Publication.schedule_id == schedule.id, Publication.due_at >= taking[0])
        .options(selectinload(Publication.channel))
        .order_by(Publication.due_at, Publication.id)
    )
    found: dict[datetime, list[Publication]] = {}
    by_occurrence: dict[int, datetime] = {}
    for publication in rows:
        if is_skipped(publication):
            continue
        at = by_occurrence.get(publication.occurrence)
        if at is None:
            # The run it belongs to: the latest listed run at or before its due time.
            at = max((t for t in taking if t <= publication.due_at), default=None)
            if at is None or at in found:
                continue
            by_occurrence[publication.occurrence] = at
        found.setdefault(at, []).append(publication)
    return found


def preview(
    actor: Actor,
    cron: str,
    tz_name: str,
    *,
    count: int = 10,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_runs: int | None = None,
    channel_ids: list[int] | None = None,
    schedule_id: int | None = None,
    clash_policy: str = "move",
    now: datetime | None = None,
) -> list[Listed]:
    """Simulate a rule (new, or an edited schedule's) on channels: each run's outcome, skipped occurrences shown.

    An edited schedule's own publications do not clash with its runs, and its skipped or moved
    occurrences show as such. Channels of another workspace are ignored, as unknown.
    """
    exceptions: dict[datetime, ScheduleException] = {}
    if schedule_id is not None:
        exceptions = series.exceptions_of(get_schedule(actor, schedule_id).id)
    if max_runs is not None:
        count = min(count, max_runs)
    runs = series.runs(
        cron, tz_name, now or utcnow(), count + 1, exceptions, starts_at=starts_at, ends_at=ends_at, with_skipped=True
    )
    channels = []
    if channel_ids:
        channels = list(
            db.session.scalars(
                select(Channel)
                .where(Channel.id.in_(channel_ids), Channel.workspace_id == actor.workspace_id)
                .order_by(Channel.id)
            )
        )
    return simulate(runs, channels, clash_policy, tz_name, schedule_id=schedule_id)[:count]


def exceptions_between(actor: Actor, start: datetime, end: datetime, channel_id: int | None = None) -> list:
    """The workspace's skipped and moved occurrences whose rule time falls in [start, end), with their schedules."""
    query = (
        select(ScheduleException, Schedule)
        .join(Schedule, Schedule.id == ScheduleException.schedule_id)
        .where(
            ScheduleException.workspace_id == actor.workspace_id,
            ScheduleException.original_at >= start,
            ScheduleException.original_at < end,
        )
        .options(selectinload(Schedule.content), selectinload(Schedule.channels))
        .order_by(ScheduleException.original_at)
    )
    if channel_id is not None:
        query = query.where(Schedule.channels.any(Channel.id == channel_id))
    return list(db.session.execute(query))
