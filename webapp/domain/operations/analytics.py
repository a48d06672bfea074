"""Publishing analytics of one workspace over a range of the user's days: outcomes, timings, errors, when to post.

Every query is scoped to the workspace and aggregates in the database, on SQLite and PostgreSQL
alike. Publications count in the range by their due time; attempts by their start time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, Select, and_, case, cast, func, select

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.domain.publishing.calendar import LocalDaySpan, parse_day
from webapp.extensions import db
from webapp.models import Attempt, Channel, Content, Publication, PublicationStatus

S = PublicationStatus
DEFAULT_DAYS = 30
MAX_DAYS = 366
# Daily points up to this many days, weekly beyond: a chart keeps a readable number of columns.
DAILY_UP_TO = 62
# "On time": started within a minute of its due time (Publication.lateness_ms).
ON_TIME_MS = 60_000
# Best posting times: an hour of the week needs this many finished publications to be ranked, and
# the range this many in all, or the page says there is too little history.
MIN_SLOT_FINISHED = 3
MIN_FINISHED = 20
BEST_SLOTS = 5
# Every timezone's offset is a whole number of quarter hours, so a UTC quarter hour lies inside
# one local hour of one local day, DST days included: the database counts by quarter hour, and
# Python folds those counts into the user's days and hours.
BUCKET_S = 900
FINISHED = (S.PUBLISHED.value, S.FAILED.value, S.MISSED.value)


@dataclass(frozen=True)
class Range(LocalDaySpan):
    """Whole local days, first to last inclusive, in the user's zone."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _read_day(text: str | None, field: str, errors: dict[str, str]) -> date | None:
    day = parse_day(text)
    if text and day is None:
        errors[field] = lazy_gettext("is not a date (YYYY-MM-DD)")
    return day


def parse_range(from_text: str | None, to_text: str | None, tz_name: str, today: date) -> Range:
    """Read a custom range (empty ends default to the last 30 days up to today), or raise ValidationFailed."""
    errors: dict[str, str] = {}
    last = _read_day(to_text, "to", errors) or today
    first = _read_day(from_text, "from", errors) or last - timedelta(days=DEFAULT_DAYS - 1)
    if not errors and first > last:
        errors["to"] = lazy_gettext("must not be before From")
    elif not errors and (last - first).days + 1 > MAX_DAYS:
        errors["to"] = lazy_gettext("must be within %(max_days)s days of From", max_days=MAX_DAYS)
    if errors:
        raise ValidationFailed(errors)
    return Range(first, last, ZoneInfo(tz_name))


# Dialect-specific arithmetic on stored instants.


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _epoch_seconds(column):
    if _dialect() == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _millis_between(start, end):
    if _dialect() == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86_400_000.0
    return func.extract("epoch", end - start) * 1000


def rank_offset(n: int, q: float) -> int:
    """The dashboard's percentile rule (services/metrics.py), so both pages agree on the same data."""
    return max(0, min(n - 1, round(q * (n - 1))))


def percentiles(values: Select, value, qs: tuple[float, ...]) -> tuple[int, list[int | None]]:
    """Count the rows of a one-column query and read its q-th values by offset: two small queries each."""
    n = db.session.scalar(select(func.count()).select_from(values.subquery())) or 0
    if not n:
        return 0, [None for _ in qs]
    found = [db.session.scalar(values.order_by(value).offset(rank_offset(n, q)).limit(1)) for q in qs]
    return n, [round(v) if v is not None else None for v in found]


def _due_in(workspace_id: int, rng: Range):
    return (
        Publication.workspace_id == workspace_id,
        Publication.due_at >= rng.start,
        Publication.due_at < rng.end,
    )


def _rate(good: int, total: int) -> float | None:
    return round(good / total, 4) if total else None


def _quarter_hours(workspace_id: int, rng: Range) -> list[tuple[datetime, str, bool, int]]:
    """Count publications by (local quarter-hour start, status, on time)."""
    bucket = _epoch_seconds(Publication.due_at) // BUCKET_S
    on_time = case((and_(Publication.lateness_ms.is_not(None), Publication.lateness_ms <= ON_TIME_MS), 1), else_=0)
    rows = db.session.execute(
        select(bucket, Publication.status, on_time, func.count(Publication.id))
        .where(*_due_in(workspace_id, rng))
        .group_by(bucket, Publication.status, on_time)
    )
    return [(datetime.fromtimestamp(b * BUCKET_S, UTC).astimezone(rng.tz), s, bool(t), n) for b, s, t, n in rows]


def _period_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


def outcomes(workspace_id: int, rng: Range) -> dict:
    """Totals, success rate per day (or week), the hour-of-week heatmap and the best posting times."""
    weekly = rng.days > DAILY_UP_TO
    totals: dict[str, int] = defaultdict(int)
    periods: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    heat = [[0] * 24 for _ in range(7)]
    finished = [[0] * 24 for _ in range(7)]
    good = [[0] * 24 for _ in range(7)]
    for local, status, on_time, n in _quarter_hours(workspace_id, rng):
        totals[status] += n
        periods[_period_start(local.date(), weekly)][status] += n
        weekday, hour = local.weekday(), local.hour
        if status != S.CANCELLED.value:
            heat[weekday][hour] += n
        if status in FINISHED:
            finished[weekday][hour] += n
            good[weekday][hour] += n if status == S.PUBLISHED.value and on_time else 0
    first = _period_start(rng.first, weekly)
    steps = range(0, (rng.last - first).days + 1, 7 if weekly else 1)
    series = []
    for offset in steps:
        start = first + timedelta(days=offset)
        counts = periods.get(start, {})
        published, failed = counts.get(S.PUBLISHED.value, 0), counts.get(S.FAILED.value, 0)
        series.append(
            {"start": start, "published": published, "failed": failed, "rate": _rate(published, published + failed)}
        )
    done = totals[S.PUBLISHED.value] + totals[S.FAILED.value]
    return {
        "totals": {
            "due": sum(totals.values()),
            **{s: totals[s] for s in (S.PUBLISHED.value, S.FAILED.value, S.MISSED.value, S.CANCELLED.value)},
            "success_rate": _rate(totals[S.PUBLISHED.value], done),
        },
        "granularity": "week" if weekly else "day",
        "success": series,
        "heatmap": heat,
        "best": _best_times(finished, good),
    }


def _best_times(finished: list[list[int]], good: list[list[int]]) -> dict:
    """Rank hours of the week by their share of on-time successes, busier hours first on a tie."""
    total = sum(map(sum, finished))
    slots = [
        {"weekday": d, "hour": h, "finished": finished[d][h], "good": good[d][h], "rate": good[d][h] / finished[d][h]}
        for d in range(7)
        for h in range(24)
        if finished[d][h] >= MIN_SLOT_FINISHED
    ]
    slots.sort(key=lambda s: (-s["rate"], -s["finished"], s["weekday"], s["hour"]))
    enough = total >= MIN_FINISHED and bool(slots)
    return {"enough": enough, "finished": total, "slots": slots[:BEST_SLOTS] if enough else []}


def execution(workspace_id: int, rng: Range) -> dict:
    """Average and p95 of finished attempts' duration (started to finished), in milliseconds."""
    duration = _millis_between(Attempt.started_at, Attempt.finished_at)
    where = (
        Publication.workspace_id == workspace_id,
        Attempt.started_at >= rng.start,
        Attempt.started_at < rng.end,
        Attempt.finished_at.is_not(None),
    )
    joined = select(duration).select_from(Attempt).join(Publication, Publication.id == Attempt.publication_id)
    average = db.session.scalar(
        select(func.avg(duration))
        .select_from(Attempt)
        .join(Publication, Publication.id == Attempt.publication_id)
        .where(*where)
    )
    n, (p95,) = percentiles(joined.where(*where), duration, (0.95,))
    return {"attempts": n, "avg_ms": round(average) if average is not None else None, "p95_ms": p95}


def lateness_by_channel(workspace_id: int, rng: Range) -> list[dict]:
    """Lateness p50/p95 and the on-time share per channel, for publications that started."""
    measured = (*_due_in(workspace_id, rng), Publication.lateness_ms.is_not(None))
    on_time = func.sum(case((Publication.lateness_ms <= ON_TIME_MS, 1), else_=0))
    rows = db.session.execute(
        select(Channel.id, Channel.name, Channel.platform, func.count(Publication.id), on_time)
        .select_from(Publication)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(*measured)
        .group_by(Channel.id, Channel.name, Channel.platform)
        .order_by(Channel.name)
    ).all()
    found = []
    for channel_id, name, platform, count, timely in rows:
        values = select(Publication.lateness_ms).where(*measured, Publication.channel_id == channel_id)
        _, (p50, p95) = percentiles(values, Publication.lateness_ms, (0.5, 0.95))
        found.append(
            {
                "channel": name,
                "platform": platform,
                "count": count,
                "p50_ms": p50,
                "p95_ms": p95,
                "on_time_rate": _rate(timely or 0, count),
            }
        )
    return found


def errors_by_class(workspace_id: int, rng: Range) -> list[dict]:
    """Count failed attempts by error class, most frequent first."""
    rows = db.session.execute(
        select(Attempt.error_class, func.count(Attempt.id))
        .join(Publication, Publication.id == Attempt.publication_id)
        .where(
            Publication.workspace_id == workspace_id,
            Attempt.started_at >= rng.start,
            Attempt.started_at < rng.end,
            Attempt.error_class.is_not(None),
        )
        .group_by(Attempt.error_class)
        .order_by(func.count(Attempt.id).desc(), Attempt.error_class)
    )
    return [{"error_class": name, "count": n} for name, n in rows]


def _distribution(workspace_id: int, rng: Range, column, join_on) -> list[dict]:
    published = func.sum(case((Publication.status == S.PUBLISHED.value, 1), else_=0))
    rows = db.session.execute(
        select(column, func.count(Publication.id), published)
        .select_from(Publication)
        .join(column.class_, join_on)
        .where(*_due_in(workspace_id, rng))
        .group_by(column)
        .order_by(func.count(Publication.id).desc(), column)
    )
    return [{"name": name, "count": n, "published": p or 0} for name, n, p in rows]


def report(workspace_id: int, rng: Range) -> dict:
    """Every figure of the analytics page for one workspace and range."""
    return {
        "range": rng,
        **outcomes(workspace_id, rng),
        "execution": execution(workspace_id, rng),
        "lateness": lateness_by_channel(workspace_id, rng),
        "errors": errors_by_class(workspace_id, rng),
        "platforms": _distribution(workspace_id, rng, Channel.platform, Channel.id == Publication.channel_id),
        "content_types": _distribution(workspace_id, rng, Content.content_type, Content.id == Publication.content_id),
    }


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def csv_rows(figures: dict) -> list[tuple]:
    """Flatten a report into (figure, group, measure, value) rows for a CSV export."""
    rows: list[tuple] = [("figure", "group", "measure", "value")]
    rng = figures["range"]
    rows += [("range", "", "from", rng.first.isoformat()), ("range", "", "to", rng.last.isoformat())]
    rows += [("range", "", "timezone", rng.tz.key)]
    rows += [("totals", "", measure, value) for measure, value in figures["totals"].items()]
    for point in figures["success"]:
        for measure in ("published", "failed", "rate"):
            rows.append((f"success_by_{figures['granularity']}", point["start"].isoformat(), measure, point[measure]))
    rows += [("execution", "", measure, value) for measure, value in figures["execution"].items()]
    for line in figures["lateness"]:
        for measure in ("count", "p50_ms", "p95_ms", "on_time_rate"):
            rows.append(("lateness", line["channel"], measure, line[measure]))
    rows += [("errors", line["error_class"], "count", line["count"]) for line in figures["errors"]]
    for figure in ("platforms", "content_types"):
        for line in figures[figure]:
            rows += [
                (figure, line["name"], "count", line["count"]),
                (figure, line["name"], "published", line["published"]),
            ]
    for d, hours in enumerate(figures["heatmap"]):
        rows += [("hour_of_week", f"{WEEKDAYS[d]} {h:02d}:00", "publications", n) for h, n in enumerate(hours) if n]
    for slot in figures["best"]["slots"]:
        group = f"{WEEKDAYS[slot['weekday']]} {slot['hour']:02d}:00"
        rows += [("best_times", group, m, round(slot[m], 4)) for m in ("rate", "good", "finished")]
    return rows
