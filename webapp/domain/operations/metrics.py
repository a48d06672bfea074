"""Dashboard figures from indexed queries (never from scanning jobs)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from webapp.extensions import db
from webapp.models import PENDING_STATUSES, Channel, Publication, PublicationStatus, Schedule, ScheduleStatus, utcnow

PUBLISHED = PublicationStatus.PUBLISHED.value
FAILED = PublicationStatus.FAILED.value


def start_of_local_day(now: datetime, tz_name: str) -> datetime:
    """Return the UTC instant at which `now`'s day began in the given zone."""
    local = now.astimezone(ZoneInfo(tz_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(ZoneInfo("UTC"))


def _count(workspace_id: int, *conditions) -> int:
    # count(*), not count(id): PostgreSQL then answers from the (workspace, status, ...) index alone (an
    # index-only scan), where count(id) reads every matching row from the table: 5x slower at a million rows.
    query = select(func.count()).select_from(Publication).where(Publication.workspace_id == workspace_id, *conditions)
    return db.session.scalar(query) or 0


def _percentiles(workspace_id: int, since: datetime, quantiles: tuple[float, ...]) -> list[int | None]:
    base = (
        Publication.workspace_id == workspace_id,
        Publication.status == PUBLISHED,
        Publication.finished_at >= since,
        Publication.lateness_ms.is_not(None),
    )
    n = db.session.scalar(select(func.count()).select_from(Publication).where(*base)) or 0
    if n == 0:
        return [None for _ in quantiles]
    # Nearest-rank percentiles, computed in the database on both SQLite and PostgreSQL. OFFSET 0 keeps
    # PostgreSQL from flattening the subquery, so the window's rows come from the (workspace, status,
    # finished_at) index and are then sorted; flattened, a cached generic plan walked the monitor's
    # lateness sort index over every row of the workspace instead (34 ms against 1 ms at 100k).
    window = select(Publication.lateness_ms.label("lateness_ms")).where(*base).offset(0).subquery()
    ordered = select(window.c.lateness_ms).order_by(window.c.lateness_ms)
    return [db.session.scalar(ordered.offset(max(0, min(n - 1, round(q * (n - 1))))).limit(1)) for q in quantiles]


def _finished_counts(workspace_id: int, since: datetime, today: datetime) -> dict[str, int]:
    """Count published and failed publications finished since `since` and since `today`, in one indexed query."""
    recent = Publication.finished_at >= today
    row = db.session.execute(
        select(
            func.count(case((Publication.status == PUBLISHED, 1))),
            func.count(case((Publication.status == FAILED, 1))),
            func.count(case(((Publication.status == PUBLISHED) & recent, 1))),
            func.count(case(((Publication.status == FAILED) & recent, 1))),
        ).where(
            Publication.workspace_id == workspace_id,
            Publication.status.in_([PUBLISHED, FAILED]),
            Publication.finished_at >= min(since, today),
        )
    ).one()
    return dict(zip(("published_since", "failed_since", "published_today", "failed_today"), row, strict=True))


def workspace_metrics(workspace_id: int, tz_name: str = "UTC", now: datetime | None = None) -> dict:
    """Return the overview figures of API.md's GET /metrics for one workspace."""
    now = now or utcnow()
    today = start_of_local_day(now, tz_name)
    week_ago = now - timedelta(days=7)
    counts = _finished_counts(workspace_id, week_ago, today)
    published_7d, failed_7d = counts["published_since"], counts["failed_since"]
    finished_7d = published_7d + failed_7d
    lateness_p50, lateness_p95 = _percentiles(workspace_id, week_ago, (0.50, 0.95))
    active = db.session.scalar(
        select(func.count(Schedule.id)).where(
            Schedule.workspace_id == workspace_id, Schedule.status == ScheduleStatus.ACTIVE.value
        )
    )
    return {
        "active_schedules": active or 0,
        "pending": _count(workspace_id, Publication.status.in_([s.value for s in PENDING_STATUSES])),
        "published_today": counts["published_today"],
        "failed_today": counts["failed_today"],
        "success_rate_7d": round(published_7d / finished_7d, 4) if finished_7d else None,
        "lateness_ms_p50_7d": lateness_p50,
        "lateness_ms_p95_7d": lateness_p95,
    }


NEEDS_ATTENTION = (
    PublicationStatus.FAILED.value,
    PublicationStatus.UNCONFIRMED.value,
    PublicationStatus.MISSED.value,
)


def attention(workspace_id: int, now: datetime | None = None, days: int = 7) -> dict:
    """Count what needs a person: recent failures, unconfirmed and missed runs, held publications, sick channels."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    rows = db.session.execute(
        select(Publication.status, func.count())
        .where(
            Publication.workspace_id == workspace_id,
            Publication.status.in_(NEEDS_ATTENTION),
            Publication.due_at >= since,
        )
        .group_by(Publication.status)
    ).all()
    counts = dict.fromkeys(NEEDS_ATTENTION, 0) | dict(rows)
    counts["held"] = _count(
        workspace_id, Publication.status == PublicationStatus.PAUSED.value, Publication.hold_reason.is_not(None)
    )
    counts["channels_needing_attention"] = db.session.scalar(
        select(func.count(Channel.id)).where(
            Channel.workspace_id == workspace_id,
            Channel.archived_at.is_(None),
            Channel.health.in_(["unhealthy", "needs_intervention"]),
        )
    )
    return counts
