"""Materialising an occurrence: its publications, and where a series' next run lands under the channels' rules.

The series' runs (with the occurrences people skipped or moved) are walked in order; each run meets
each channel's rules and the schedule's clash policy (move to the channel's next free slot before
the series' next run, skip, or publish anyway). A run no channel takes is skipped and the walk goes
on, so a minutely rule on a `daily_limit: 1` channel lands once a day, never a backlog. The walk is
in memory: one query for the exceptions and one per channel that has rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from webapp.core.phrases import At, Phrase
from webapp.core.time import ceil_to_second
from webapp.domain.publishing import chains, series
from webapp.domain.publishing.channel_rules import Ledger, Outcome
from webapp.domain.publishing.series import Run
from webapp.domain.shared.alerts import raise_alert
from webapp.extensions import db
from webapp.models import Channel, Publication, PublicationChange, PublicationStatus, Schedule

# How many runs one materialisation looks through for one a channel takes: a day of a minutely rule.
WALK = 1500
_LEDGER_SPAN = timedelta(days=1)


@dataclass
class Plan:
    """The run to materialise (None: none within the walk) and what the runs before it did per channel."""

    run: series.Run | None
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: dict[int, list[tuple[datetime, str]]] = field(default_factory=dict)  # channel id -> (time, reason)
    last_seen: datetime | None = None  # the last run looked at
    exhausted: bool = False  # the series has no run left

    def note(self, outcome: Outcome, tz_name: str) -> Phrase | None:
        """The timeline note of a publication the rules moved or let through ("3 Dec 09:00: moved to 17:30, …")."""
        if outcome.reason is None:
            return None
        return describe(self.run.at, outcome, tz_name)


def describe(at: datetime, outcome: Outcome, tz_name: str) -> Phrase:
    """Say what the rules did to one run on one channel: in English in the schedule's zone, to a reader in theirs."""
    tz = ZoneInfo(tz_name)
    local = At(at.astimezone(tz))
    if outcome.action == "move":
        moved = outcome.at.astimezone(tz)
        to = At(moved, "hour_minute")
        if moved.date() == local.when.date():
            return Phrase("%(run)s: moved to %(time)s, %(reason)s", run=local, time=to, reason=outcome.reason)
        day = At(moved, "short_day_month")
        return Phrase(
            "%(run)s: moved to %(time)s on %(day)s, %(reason)s", run=local, time=to, day=day, reason=outcome.reason
        )
    if outcome.action == "skip":
        return Phrase("%(run)s: skipped, %(reason)s", run=local, reason=outcome.reason)
    return Phrase("%(run)s: published anyway, %(reason)s", run=local, reason=outcome.reason)


def pairs(schedule: Schedule, after: datetime, exceptions, limit: int) -> Iterator[tuple[series.Run, Run | None]]:
    """Yield each run after `after` with the run that follows it (None after the last), reading the rule in chunks."""
    batch, size, seen = series.schedule_runs(schedule, after, 2, exceptions), 2, 0
    while batch:
        if len(batch) == 1:
            yield batch[0], None
            return
        for run, following in zip(batch, batch[1:], strict=False):
            yield run, following
            seen += 1
            if seen >= limit:
                return
        size = min(size * 4, 256)
        batch = [batch[-1], *series.schedule_runs(schedule, batch[-1].at, size, exceptions)]


def plan_next(schedule: Schedule, after: datetime, channels=None) -> Plan:
    """Find the next run after `after` that at least one channel takes, and each channel's outcome for it."""
    channels = list(schedule.channels) if channels is None else channels
    exceptions = series.exceptions_of(schedule.id)
    plan, ledger = Plan(None), None
    for run, following in pairs(schedule, after, exceptions, WALK):
        plan.last_seen = run.at
        if ledger is None:
            ledger = Ledger(channels, run.at, run.at + _LEDGER_SPAN)
        outcomes = ledger.outcomes(run.at, following.at if following else None, schedule.clash_policy)
        if any(o.at is not None for o in outcomes):
            plan.run, plan.outcomes = run, outcomes
            for outcome in outcomes:
                if outcome.at is None:
                    plan.skipped.setdefault(outcome.channel_id, []).append((run.at, outcome.reason))
            return plan
        for outcome in outcomes:
            plan.skipped.setdefault(outcome.channel_id, []).append((run.at, outcome.reason))
        if following is None:
            plan.exhausted = True
            return plan
    plan.exhausted = plan.last_seen is None
    return plan


def alert_skips(schedule: Schedule, plan: Plan, channels) -> None:
    """One alert per channel for the runs the rules skipped on it (a minutely rule: one a day, not 1,439)."""
    names = {c.id: c.name for c in channels}
    tz = ZoneInfo(schedule.timezone)
    for channel_id, skipped in plan.skipped.items():
        first, reason = skipped[0]
        last = skipped[-1][0].astimezone(tz)
        when = At(first.astimezone(tz))  # the schedule's zone in English, the reader's own when shown
        if skipped[1:]:
            when = Phrase(
                "%(first)s and %(count)s more run(s) to %(last)s", first=when, count=len(skipped) - 1, last=At(last)
            )
        message = Phrase(
            "Schedule #%(id)s skipped its run of %(when)s on %(channel)s: %(reason)s (clash policy %(policy)s).",
            id=schedule.id,
            when=when,
            channel=names.get(channel_id, f"channel {channel_id}"),
            reason=reason,  # the rules it broke (channel_rules.RULE_NAMES)
            policy=schedule.clash_policy,
        )
        raise_alert(schedule.workspace_id, "conflict", message, channel_id=channel_id)


def idempotency_key(schedule: Schedule, channel_id: int, occurrence: int) -> str:
    """Derive the stable key a platform sees for one occurrence on one channel.

    The schedule's creation instant (to the microsecond) salts the ids: a fresh database, or a
    staging copy, reuses ids 1, 2, 3…, and must not find another install's posts by their key.
    """
    salt = schedule.created_at.isoformat()
    digest = hashlib.sha256(f"herald:{salt}:{schedule.id}:{channel_id}:{occurrence}".encode()).hexdigest()
    return f"hrd-{digest[:40]}"


def materialise(
    schedule: Schedule,
    *,
    occurrence: int,
    due_at: datetime,
    channels: list[Channel] | None = None,
    due_for: dict[int, datetime] | None = None,
) -> list[Publication]:
    """Add one publication per channel (all of the schedule's unless given) for an occurrence (the caller commits).

    `due_for` gives a channel its own time (the channel's rules moved it) or, by leaving it out, none.
    """
    chosen = schedule.channels if channels is None else channels
    if due_for is not None:
        chosen = [c for c in chosen if c.id in due_for]
    publications = [
        Publication(
            workspace_id=schedule.workspace_id,
            schedule_id=schedule.id,
            channel_id=channel.id,
            content_id=schedule.content_id,
            occurrence=occurrence,
            idempotency_key=idempotency_key(schedule, channel.id, occurrence),
            priority=schedule.priority,
            status=PublicationStatus.SCHEDULED.value,
            due_at=ceil_to_second(due_for[channel.id]) if due_for is not None else due_at,
        )
        for channel in chosen
    ]
    db.session.add_all(publications)
    db.session.flush()
    chains.link(schedule, publications)
    return publications


def materialise_next(schedule: Schedule, after: datetime, last_occurrence: int, runs: int) -> list[Publication]:
    """Materialise the series' next run after `after` on the channels whose rules take it (caller commits).

    Runs people skipped never materialise, moved ones do at their new time; each channel's rules and the
    schedule's clash policy decide per channel (occurrence_plan). Skipped runs count for nothing in max_runs.
    """
    if schedule.max_runs is not None and runs >= schedule.max_runs:
        schedule.next_run_at = None
        return []
    channels = list(schedule.channels)
    plan = plan_next(schedule, after, channels)
    alert_skips(schedule, plan, channels)
    if plan.run is None:
        # No run left, or none a channel takes within a day's walk: the reconciler comes back at the last one seen.
        schedule.next_run_at = None if plan.exhausted else plan.last_seen
        return []
    due_for = {o.channel_id: o.at for o in plan.outcomes if o.at is not None}
    schedule.next_run_at = min(due_for.values())
    publications = materialise(schedule, occurrence=last_occurrence + 1, due_at=plan.run.at, due_for=due_for)
    by_channel = {o.channel_id: o for o in plan.outcomes}
    for publication in publications:
        if note := plan.note(by_channel[publication.channel_id], schedule.timezone):
            db.session.add(
                PublicationChange(
                    publication_id=publication.id, status=publication.status, detail=note, source="system"
                )
            )
    return publications
