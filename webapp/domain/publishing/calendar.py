"""The calendar: publications laid out by local day and hour, and moving one to another time.

Days are the user's days: a period runs from local midnight to local midnight, so a DST day is 23
or 25 hours long and a publication lands on the day its wall clock says.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, union_all

from webapp.core.errors import Conflict, ValidationFailed, lazy_gettext
from webapp.core.time import TimeInputError, ceil_to_second, localize, parse_instant
from webapp.domain.publishing import lifecycle, rescheduling
from webapp.domain.publishing.publications import get_publication
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Channel, Content, Publication, Schedule, utcnow

VIEWS = ("month", "week", "day", "timeline", "list")
SPANS = ("day", "week")
# A period this full is shown truncated, with a note: a calendar page is not an export (and each
# publication drawn costs about 50 us of the page: 1,000 of them stay well within 150 ms).
MAX_ITEMS = 1000
# A month cell shows this many of its day's publications, then "+N more" linking to the day.
PER_DAY = 4
MOVABLE = rescheduling.MOVABLE
YEARS = (1900, 9000)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?", re.ASCII)


class LocalDaySpan:
    """Whole local days, first to last inclusive, in one zone: the UTC instants they begin and end.

    A mixin for frozen dataclasses that declare first, last and tz, so the calendar's periods and the
    analytics ranges cut days at the same (DST-aware) midnights.
    """

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.tz)


@dataclass(frozen=True)
class Period(LocalDaySpan):
    """The days one calendar view shows, in one timezone."""

    view: str
    span: str
    anchor: date
    first: date  # inclusive
    last: date  # inclusive
    tz: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def weeks(self) -> list[list[date]]:
        days = self.days
        return [days[i : i + 7] for i in range(0, len(days), 7)]

    @property
    def previous(self) -> date:
        return _shift(self, -1)

    @property
    def next(self) -> date:
        return _shift(self, 1)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Return the UTC instant a local day begins (a midnight inside a DST gap begins at the gap's end)."""
    return localize(datetime.combine(day, time()), tz)


def _month_bounds(anchor: date) -> tuple[date, date]:
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _shift(period: Period, step: int) -> date:
    if period.view in ("month", "list"):
        month_index = period.anchor.year * 12 + period.anchor.month - 1 + step
        return date(month_index // 12, month_index % 12 + 1, 1)
    if period.view == "day" or (period.view == "timeline" and period.span == "day"):
        return period.anchor + timedelta(days=step)
    return period.anchor + timedelta(days=7 * step)


def period_for(view: str, anchor: date, tz_name: str, span: str = "week") -> Period:
    """Return the days a view shows around `anchor`: whole weeks (Monday first) for month and week."""
    tz = ZoneInfo(tz_name)
    view = view if view in VIEWS else "month"
    span = span if span in SPANS else "week"
    monday = anchor - timedelta(days=anchor.weekday())
    if view == "month":
        first, last = _month_bounds(anchor)
        first, last = first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())
    elif view == "list":
        first, last = _month_bounds(anchor)
    elif view == "day" or (view == "timeline" and span == "day"):
        first = last = anchor
    else:
        first, last = monday, monday + timedelta(days=6)
    return Period(view, span, anchor, first, last, tz)


@dataclass(frozen=True)
class Entry:
    """What the calendar shows of one publication: a few columns read in one query, not a loaded record."""

    id: int
    due_at: datetime
    status: str
    title: str
    channel_name: str
    recurring: bool


def _entries(actor: Actor, channel_id: int | None, *conditions):
    query = (
        select(
            Publication.id,
            Publication.due_at,
            Publication.status,
            Content.title,
            Channel.name,
            Schedule.cron.is_not(None),
        )
        .join(Content, Content.id == Publication.content_id)
        .join(Channel, Channel.id == Publication.channel_id)
        .join(Schedule, Schedule.id == Publication.schedule_id)
        .where(Publication.workspace_id == actor.workspace_id, *conditions)
        .order_by(Publication.due_at, Publication.id)
    )
    return query if channel_id is None else query.where(Publication.channel_id == channel_id)


def publications_in(actor: Actor, period: Period, channel_id: int | None = None) -> tuple[list[Entry], bool]:
    """Return the workspace's publications due in the period (soonest first) and whether the list was cut."""
    query = _entries(actor, channel_id, Publication.due_at >= period.start, Publication.due_at < period.end)
    rows = [Entry(*row) for row in db.session.execute(query.limit(MAX_ITEMS + 1))]
    return rows[:MAX_ITEMS], len(rows) > MAX_ITEMS


def month_in(
    actor: Actor, period: Period, channel_id: int | None = None, per_day: int = PER_DAY
) -> tuple[dict[date, list[Entry]], dict[date, int]]:
    """Return the first `per_day` publications of each local day of the period, and how many each day holds.

    A month cell shows a few and links the rest to its day ("+N more"): every day is a count and a short
    range read from the (workspace[, channel], due) index, so a month of 100,000 reads no more rows than one of 100.
    """
    bounds = [local_midnight(day, period.tz) for day in [*period.days, period.last + timedelta(days=1)]]
    scope = [Publication.workspace_id == actor.workspace_id]
    if channel_id is not None:
        scope.append(Publication.channel_id == channel_id)
    spans = list(zip(bounds, bounds[1:], strict=False))
    counts = db.session.execute(
        select(
            *(
                select(func.count()).where(*scope, Publication.due_at >= a, Publication.due_at < b).scalar_subquery()
                for a, b in spans
            )
        )
    ).one()
    firsts = [
        select(Publication.id)
        .where(*scope, Publication.due_at >= a, Publication.due_at < b)
        .order_by(Publication.due_at, Publication.id)
        .limit(per_day)
        .subquery()
        for (a, b), count in zip(spans, counts, strict=True)
        if count
    ]
    days: dict[date, list[Entry]] = defaultdict(list)
    if firsts:
        ids = union_all(*(select(first.c.id) for first in firsts)).subquery()
        for row in db.session.execute(_entries(actor, None, Publication.id.in_(select(ids.c.id)))):
            entry = Entry(*row)
            days[entry.due_at.astimezone(period.tz).date()].append(entry)
    return days, {day: count for day, count in zip(period.days, counts, strict=True) if count}


def by_day(publications: list[Entry], tz: ZoneInfo) -> dict[date, list[Entry]]:
    """Group publications by the local date of their due time."""
    days: dict[date, list[Entry]] = defaultdict(list)
    for publication in publications:
        days[publication.due_at.astimezone(tz).date()].append(publication)
    return days


def by_hour(publications: list[Entry], tz: ZoneInfo) -> dict[tuple[date, int], list[Entry]]:
    """Group publications by local (date, hour); a fall-back day's repeated hour holds both passes."""
    hours: dict[tuple[date, int], list[Entry]] = defaultdict(list)
    for publication in publications:
        local = publication.due_at.astimezone(tz)
        hours[(local.date(), local.hour)].append(publication)
    return hours


def parse_day(text: str | None) -> date | None:
    """Read a YYYY-MM-DD date exactly (no other ISO forms) in years a period can span, or return None."""
    try:
        day = date.fromisoformat(text) if text and _DATE.fullmatch(text) else None
    except ValueError:
        return None
    # A month view or a range reaches a few weeks either side: keep clear of datetime's limits.
    return day if day and YEARS[0] <= day.year <= YEARS[1] else None


def parse_clock(text: str | None) -> time | None:
    """Read an HH:MM (or HH:MM:SS) time of day, or return None."""
    try:
        return time.fromisoformat(text) if text and _TIME.fullmatch(text) else None
    except ValueError:
        return None


def target_instant(
    publication: Publication, tz_name: str, day: str | None, at_time: str | None = None, at: str | None = None
) -> datetime:
    """Read a move target: an exact instant `at`, or a local `day` (YYYY-MM-DD) and optional `at_time` (HH:MM).

    Without a time the publication keeps its local time of day, so a drag to another day moves
    the date only.
    """
    if at:
        try:
            return parse_instant(at, None, field="at")
        except TimeInputError as exc:
            raise ValidationFailed({exc.field: exc.message}) from None
    errors: dict[str, str] = {}
    tz = ZoneInfo(tz_name)
    new_day = parse_day(day)
    if new_day is None:
        errors["date"] = lazy_gettext("is not a date (YYYY-MM-DD)")
    new_time = parse_clock(at_time) if at_time else publication.due_at.astimezone(tz).time()
    if new_time is None:
        errors["time"] = lazy_gettext("is not a time of day (HH:MM)")
    if errors:
        raise ValidationFailed(errors)
    return localize(datetime.combine(new_day, new_time), tz)


def move_publication(
    actor: Actor, publication_id: int, when: datetime, *, allow_conflicts: bool = False, now: datetime | None = None
) -> list[Publication]:
    """Move a waiting publication of a one-time schedule, with its schedule's other channels, to `when`.

    The channel rules are checked as a new schedule's are (the moved publications do not clash
    with themselves); the move itself is the schedule reschedule the API's PATCH performs.
    """
    actor.require_writer()
    publication = get_publication(actor, publication_id)
    if publication.status not in MOVABLE:
        names = ", ".join(sorted(MOVABLE))
        raise Conflict(
            lazy_gettext(
                "Publication #%(id)s is %(status)s; only %(names)s publications can move.",
                id=publication.id,
                status=publication.status,
                names=names,
            )
        )
    schedule = publication.schedule
    if schedule.is_recurring:
        raise Conflict(
            lazy_gettext(
                "Publication #%(id)s is an occurrence of recurring schedule #%(schedule_id)s; "
                "change the schedule's rule instead.",
                id=publication.id,
                schedule_id=schedule.id,
            )
        )
    due = ceil_to_second(when)
    if due <= (now or utcnow()):
        raise ValidationFailed({"run_at": lazy_gettext("must be in the future")})
    movers = [
        p
        for p in lifecycle.publications_in(schedule, MOVABLE)
        if p.occurrence == publication.occurrence and p.workspace_id == actor.workspace_id
    ]
    # reschedule checks the channel rules as the API's PATCH does (422 with clashes and free slots).
    rescheduling.reschedule(actor, schedule.id, {"run_at": due, "allow_conflicts": allow_conflicts}, now=now)
    return movers
