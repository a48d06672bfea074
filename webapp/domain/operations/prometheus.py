"""Prometheus figures for the whole install, read from the database and Redis at scrape time.

Herald runs as several processes (gunicorn workers, RQ workers, the scheduler), often on several
machines. Counters kept in one process's memory would describe that process only, and
prometheus_client's multiprocess mode shares a directory, so one machine only. Everything worth
graphing is already recorded in the database (publications, lateness, alerts) or Redis (queues,
heartbeat, workers), so a collector that queries them on each scrape gives the same, whole answer
from any web process on any machine, and nothing is lost when a process restarts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from webapp.adapters import PLATFORMS
from webapp.domain.shared.alerts import KINDS as ALERT_KINDS
from webapp.extensions import db
from webapp.infra.liveness import system_status
from webapp.models import Alert, Channel, Publication, PublicationStatus

# Upper bounds in seconds: a healthy install starts most publications within the 1 s scheduler tick,
# a busy one within seconds; minutes and hours mean a backlog, downtime or `run_late` catch-up.
LATENESS_BUCKETS_S = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)
STATUSES = tuple(s.value for s in PublicationStatus)
CHANNEL_HEALTH = ("unknown", "healthy", "unhealthy", "needs_intervention")


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(name: str, documentation: str, labels: list[str], counts: dict[tuple, int], keys) -> GaugeMetricFamily:
    """A labelled gauge with a zero for every expected label set, so series never vanish and reappear."""
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for key in sorted(set(keys) | set(counts)):
        family.add_metric(list(key), counts.get(key, 0))
    return family


def publication_metrics() -> Iterator[Metric]:
    """Publications by status and platform, and the lateness histogram of every started publication."""
    rows = db.session.execute(
        select(Publication.status, Channel.platform, func.count(Publication.id))
        .join(Channel, Channel.id == Publication.channel_id)
        .group_by(Publication.status, Channel.platform)
    ).all()
    yield _labelled(
        "herald_publications",
        "Publications in each status, by platform (all workspaces).",
        ["status", "platform"],
        {(status, platform): n for status, platform, n in rows},
        [(s, p) for s in STATUSES for p in PLATFORMS],
    )
    yield lateness_histogram()


def lateness_histogram() -> HistogramMetricFamily:
    """Build the histogram of `lateness_ms` (first attempt's start minus due time) in seconds."""
    late = Publication.lateness_ms
    columns = [func.count(Publication.id), func.coalesce(func.sum(late), 0)]
    columns += [func.count(case((late <= round(bound * 1000), 1))) for bound in LATENESS_BUCKETS_S]
    total, sum_ms, *cumulative = db.session.execute(select(*columns).where(late.is_not(None))).one()
    buckets = [(_bound_label(b), n) for b, n in zip(LATENESS_BUCKETS_S, cumulative, strict=True)]
    buckets.append(("+Inf", total))
    return HistogramMetricFamily(
        "herald_publication_lateness_seconds",
        "How late publications started: first attempt's start minus due time (all workspaces).",
        buckets=buckets,
        sum_value=sum_ms / 1000,
    )


def _bound_label(bound: float) -> str:
    return str(float(bound))


def alert_and_channel_metrics() -> Iterator[Metric]:
    """Unread alerts by kind and channels by health."""
    unread = db.session.execute(
        select(Alert.kind, func.count(Alert.id)).where(Alert.read_at.is_(None)).group_by(Alert.kind)
    ).all()
    yield _labelled(
        "herald_alerts_unread",
        "Alerts nobody has marked read yet, by kind (all workspaces).",
        ["kind"],
        {(kind,): n for kind, n in unread},
        [(k,) for k in ALERT_KINDS],
    )
    health = db.session.execute(select(Channel.health, func.count(Channel.id)).group_by(Channel.health)).all()
    yield _labelled(
        "herald_channels",
        "Channels by health (all workspaces).",
        ["health"],
        {(h,): n for h, n in health},
        [(h,) for h in CHANNEL_HEALTH],
    )


def machinery_metrics() -> Iterator[Metric]:
    """Redis, the scheduler's heartbeat, workers and queue depths, as /healthz sees them."""
    status = system_status()
    yield _gauge("herald_redis_up", "1 when Redis answered this scrape.", 1 if status["redis"] else 0)
    if not status["redis"]:
        return
    age = status.get("scheduler_heartbeat_age_s")
    # Never reported in counts as infinitely old, so `> threshold` alerts fire instead of seeing no data.
    yield _gauge(
        "herald_scheduler_heartbeat_age_seconds",
        "Seconds since the scheduler's last heartbeat (+Inf: never).",
        math.inf if age is None else age,
    )
    yield _gauge("herald_workers_alive", "RQ workers registered and not suspended.", status["workers_alive"])
    depths = GaugeMetricFamily("herald_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
    for name, depth in status["queue_depths"].items():
        depths.add_metric([name], depth)
    yield depths


class HeraldCollector(Collector):
    """Query the database and Redis on each scrape; one that is down is reported as such, not as an error."""

    def collect(self) -> Iterator[Metric]:
        try:
            database = [*publication_metrics(), *alert_and_channel_metrics()]
        except SQLAlchemyError:
            db.session.rollback()
            database = []
        yield _gauge("herald_database_up", "1 when the database answered this scrape.", 1 if database else 0)
        yield from database
        yield from machinery_metrics()


def registry() -> CollectorRegistry:
    """Return a registry holding only Herald's collector (no per-process defaults: they would differ per process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HeraldCollector())
    return registry
