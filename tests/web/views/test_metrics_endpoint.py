"""GET /metrics: Prometheus text that parses, right figures from the database and Redis, and who may read it."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra.liveness import heartbeat_key
from webapp.infra.queues import EXTENSION, get_redis
from webapp.models import Alert, Publication

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[tuple, float]:
    """GET /metrics, parse it with prometheus_client's own parser, and key each sample by name and labels."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def publications(make):
    """Five publications on two webhook channels: two published, one failed, one retrying, one scheduled."""
    actor = make.actor()
    channels = [make.channel(actor), make.channel(actor)]
    content = make.content(actor)
    run_at = datetime.now(UTC) + timedelta(days=1)
    for _ in range(3):
        schedules.create_schedule(
            actor, {"content_id": content.id, "channel_ids": [c.id for c in channels], "run_at": run_at}
        )
    rows = db.session.query(Publication).order_by(Publication.id).all()[:5]
    db.session.query(Publication).filter(Publication.id.not_in([r.id for r in rows])).delete()
    for row, status, lateness in zip(
        rows,
        ["published", "published", "failed", "retrying", "scheduled"],
        [50, 800, 3_000, 7_200_000, None],
        strict=True,
    ):
        row.status, row.lateness_ms = status, lateness
    db.session.add_all(
        [
            Alert(workspace_id=actor.workspace_id, kind="failure", message="x"),
            Alert(workspace_id=actor.workspace_id, kind="failure", message="y"),
            Alert(workspace_id=actor.workspace_id, kind="missed", message="z", read_at=datetime.now(UTC)),
        ]
    )
    db.session.commit()
    return rows


def test_publications_are_counted_by_status_and_platform(client, publications):
    samples = scrape(client)

    def count(status, platform="webhook"):
        return samples[("herald_publications", (("platform", platform), ("status", status)))]

    assert (count("published"), count("failed"), count("retrying"), count("scheduled")) == (2, 1, 1, 1)
    assert count("cancelled") == 0 and count("published", "mastodon") == 0  # zeros keep series stable


def test_the_lateness_histogram_has_the_right_buckets_sum_and_count(client, publications):
    samples = scrape(client)

    def bucket(le):
        return samples[("herald_publication_lateness_seconds_bucket", (("le", le),))]

    assert [bucket(le) for le in ("0.1", "0.25", "1.0", "2.0", "5.0", "3600.0", "+Inf")] == [1, 1, 2, 2, 3, 3, 4]
    assert samples[("herald_publication_lateness_seconds_count", ())] == 4
    assert samples[("herald_publication_lateness_seconds_sum", ())] == pytest.approx(7203.85)


def test_unread_alerts_are_counted_by_kind(client, publications):
    samples = scrape(client)

    assert samples[("herald_alerts_unread", (("kind", "failure"),))] == 2
    assert samples[("herald_alerts_unread", (("kind", "missed"),))] == 0


def test_channels_are_counted_by_health(client, publications):
    assert scrape(client)[("herald_channels", (("health", "unknown"),))] == 2


def test_queue_depths_workers_and_a_silent_scheduler(client, app):
    Queue("low", connection=get_redis()).enqueue("builtins.print", "x")

    samples = scrape(client)

    assert samples[("herald_queue_depth", (("queue", "low"),))] == 1
    assert samples[("herald_queue_depth", (("queue", "critical"),))] == 0
    assert samples[("herald_workers_alive", ())] == 0
    assert math.isinf(samples[("herald_scheduler_heartbeat_age_seconds", ())])
    assert samples[("herald_redis_up", ())] == 1 and samples[("herald_database_up", ())] == 1


def test_the_heartbeat_age_is_seconds_since_the_last_tick(client, app):
    get_redis().set(heartbeat_key(), f"{time.time() - 4:.3f}")

    assert 3.5 <= scrape(client)[("herald_scheduler_heartbeat_age_seconds", ())] <= 10


def test_redis_down_is_a_figure_not_a_failed_scrape(client, app, monkeypatch):
    monkeypatch.setitem(app.extensions, EXTENSION, Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))

    samples = scrape(client)

    assert samples[("herald_redis_up", ())] == 0 and samples[("herald_database_up", ())] == 1
    assert ("herald_workers_alive", ()) not in samples


def test_without_a_token_only_loopback_clients_are_answered(client, app):
    assert client.get("/metrics", environ_overrides={"REMOTE_ADDR": "::1"}).status_code == 200
    refused = client.get("/metrics", environ_overrides=REMOTE)
    assert refused.status_code == 403 and b"set METRICS_TOKEN" in refused.data


def test_a_request_through_a_proxy_is_not_loopback(client, app):
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 403


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    return "s3cret-scrape-token"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic s3cret-scrape-token", "s3cret-scrape-token"])
def test_with_a_token_configured_anything_else_is_refused_even_from_loopback(client, token, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})

    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_the_right_token_is_answered_from_anywhere(client, token):
    samples = scrape(client, headers={"Authorization": f"Bearer {token}"}, environ_overrides=REMOTE)

    assert samples[("herald_database_up", ())] == 1


def test_metrics_need_no_session(client, app):
    assert client.get("/metrics").status_code == 200  # not a redirect to /signin
