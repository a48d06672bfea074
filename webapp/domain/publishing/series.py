"""A recurring series' runs: the rule's instants with the exceptions people made (skipped or moved occurrences).

Pure reads, below the schedules module: materialising the next occurrence (schedules.advance), the
occurrence list and its actions (occurrences), and the preview all walk the series here, so each
sees the same runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from webapp.core.phrases import Phrase
from webapp.core.time import occurrences
from webapp.extensions import db
from webapp.models import OccurrenceChange, Schedule, ScheduleException

_TICK = timedelta(microseconds=1)
# A materialised occurrence a person skipped: its publications are cancelled with this reason, and
# it counts for nothing in max_runs ("stop after 5 runs" means 5 posts).
SKIPPED_REASON = Phrase("occurrence skipped")


@dataclass(frozen=True)
class Run:
    """One occurrence of the rule: the instant the rule gives it, and when it runs (None: skipped)."""

    original_at: datetime
    at: datetime | None
    change: str | None = None  # None (as the rule says) | skip | move
    moved_to: datetime | None = None  # kept when a moved occurrence is then skipped

    @property
    def anchor(self) -> datetime:
        """Where the occurrence's publications are (or were) due: its new time if it was moved."""
        return self.moved_to or self.original_at

    @property
    def state(self) -> str:
        return {None: "due", OccurrenceChange.SKIP.value: "skipped", OccurrenceChange.MOVE.value: "moved"}[self.change]


def exceptions_of(schedule_id: int | None) -> dict[datetime, ScheduleException]:
    """Return the schedule's skipped and moved occurrences by the instant the rule gives them (one query)."""
    if schedule_id is None:
        return {}
    rows = db.session.scalars(select(ScheduleException).where(ScheduleException.schedule_id == schedule_id))
    return {row.original_at: row for row in rows}


def run_of(original: datetime, exception: ScheduleException | None) -> Run:
    if exception is None:
        return Run(original, original)
    if exception.change == OccurrenceChange.SKIP.value:
        return Run(original, None, exception.change, exception.moved_to)
    return Run(original, exception.moved_to, exception.change, exception.moved_to)


def runs(
    cron: str,
    tz_name: str,
    after: datetime,
    count: int,
    exceptions: dict[datetime, ScheduleException],
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    with_skipped: bool = False,
) -> list[Run]:
    """Return the next `count` runs taking place after `after`, in order of when they run.

    A moved occurrence runs at its new time (one moved from before `after` to after it is included,
    one moved from after it to before it is not: it has run); a skipped one is left out unless
    `with_skipped`, when it is listed at the rule's instant with `at` None.
    """
    found: list[Run] = []
    for original, exception in exceptions.items():
        if exception.change == OccurrenceChange.MOVE.value and original <= after < exception.moved_to:
            # Moved from before `after` to after it: still to run, if the rule (maybe edited since) still has it.
            again = occurrences(cron, tz_name, original - _TICK, 1, starts_at=starts_at, ends_at=ends_at)
            if again and again[0] == original:
                found.append(run_of(original, exception))
    # Every exception at or after `after` may remove one rule instant: ask for that many more.
    spare = sum(1 for original in exceptions if original > after)
    for original in occurrences(cron, tz_name, after, count + spare, starts_at=starts_at, ends_at=ends_at):
        run = run_of(original, exceptions.get(original))
        if run.at is not None and run.at > after or (run.at is None and with_skipped):
            found.append(run)
    found.sort(key=lambda r: r.at or r.original_at)
    return found[:count]


def schedule_runs(schedule: Schedule, after: datetime, count: int, exceptions=None, **options) -> list[Run]:
    """The runs of a stored schedule after `after` (its exceptions read unless given)."""
    exceptions = exceptions_of(schedule.id) if exceptions is None else exceptions
    return runs(
        schedule.cron,
        schedule.timezone,
        after,
        count,
        exceptions,
        starts_at=schedule.starts_at,
        ends_at=schedule.ends_at,
        **options,
    )


def is_rule_instant(schedule: Schedule, at: datetime) -> bool:
    """Whether the schedule's rule (within its window) gives an occurrence at exactly `at`."""
    first = occurrences(schedule.cron, schedule.timezone, at - _TICK, 1, starts_at=schedule.starts_at)
    return bool(first) and first[0] == at and (schedule.ends_at is None or at <= schedule.ends_at)
