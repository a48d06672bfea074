"""The health page: scheduler, workers, queues, Redis, database and the workspace's channels, for members."""

from __future__ import annotations

import re
import time

from rq import Queue

from webapp.extensions import db
from webapp.infra.liveness import heartbeat_key
from webapp.infra.queues import get_redis
from webapp.models import utcnow

HX = {"HX-Request": "true"}


def test_the_health_page_needs_a_sign_in(client):
    response = client.get("/health")

    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_a_silent_scheduler_and_no_workers_are_called_out(client, ada):
    html = client.get("/health").get_data(as_text=True)

    assert '<span class="status status-unhealthy">silent</span>' in html
    assert "<dt>last heartbeat</dt><dd>never</dd>" in html
    assert '<span class="status status-unhealthy">none running</span>' in html


def test_a_ticking_scheduler_shows_its_heartbeat_age(client, ada):
    get_redis().set(heartbeat_key(), f"{time.time() - 2:.3f}")

    html = client.get("/health").get_data(as_text=True)

    assert '<span class="status status-healthy">ticking</span>' in html
    assert re.search(r"<dt>last heartbeat</dt><dd>[23]\.\d s ago</dd>", html)


def test_queue_depths_are_shown_per_priority_queue(client, ada):
    Queue("high", connection=get_redis()).enqueue("builtins.print", "x")

    html = client.get("/health").get_data(as_text=True)

    assert "<tr><td>critical</td><td>0</td></tr>" in html
    assert "<tr><td>high</td><td>1</td></tr>" in html


def test_redis_and_the_database_report_their_round_trips_and_revision(client, ada):
    head = db.session.scalar(db.text("SELECT version_num FROM alembic_version"))

    html = client.get("/health").get_data(as_text=True)

    assert '<span class="status status-healthy">answering</span>' in html
    assert '<span class="status status-healthy">up to date</span>' in html
    assert f"<dt>revision</dt><dd>{head} (code: {head})</dd>" in html
    assert html.count(" ms</dd>") == 2  # one ping each


def test_channels_show_health_last_check_and_what_preflight_finds(client, ada, make):
    good = make.channel(ada, name="Team blog")
    good.health, good.health_message, good.last_checked_at = "unhealthy", "401 from the blog", utcnow()
    broken = make.channel(ada, name="Broken hook")
    broken.credentials_encrypted = "not-a-fernet-token"
    db.session.commit()

    html = client.get("/health").get_data(as_text=True)

    assert "Team blog" in html and "401 from the blog" in html and "<time datetime=" in html
    assert "channel Team blog is unhealthy: 401 from the blog" in html
    assert "Broken hook" in html and "cannot be decrypted" in html


def test_another_workspaces_channels_are_not_listed(client, ada, make):
    make.channel(make.actor(), name="Someone else's blog")

    assert "Someone else" not in client.get("/health").get_data(as_text=True)


def test_the_poll_gets_only_the_report_fragment(client, ada):
    response = client.get("/health", headers=HX)
    html = response.get_data(as_text=True)

    assert html.lstrip().startswith('<div id="health-report">') and "<nav" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_full_page_has_the_poll_and_the_layout(client, ada):
    html = client.get("/health").get_data(as_text=True)

    assert 'hx-trigger="every 5s, sse:system"' in html and "<nav" in html


def test_restarts_made_by_make_run_are_counted_per_process(client, ada, app):
    from datetime import UTC, datetime

    from webapp.infra.liveness import record_launch, record_restart

    prefix = app.config["REDIS_KEY_PREFIX"]
    record_launch(get_redis(), prefix, now=datetime(2031, 3, 4, 9, 0, tzinfo=UTC))
    record_restart(get_redis(), prefix, "worker", -9, now=datetime(2031, 3, 4, 9, 5, tzinfo=UTC))
    record_restart(get_redis(), prefix, "worker", -9, now=datetime(2031, 3, 4, 9, 6, tzinfo=UTC))

    html = client.get("/health").get_data(as_text=True)

    assert "Run by <code>make run</code> since" in html
    row = re.search(r"<tr><td>worker</td><td>(\d+)</td><td>(.*?)</td><td>(-?\d+)</td></tr>", html)
    assert row and row.group(1) == "2" and 'datetime="2031-03-04T09:06:00Z"' in row.group(2) and row.group(3) == "-9"
    assert "<tr><td>scheduler</td><td>0</td>" in html


def test_without_the_launcher_the_page_points_at_the_supervisor_log(client, ada):
    html = client.get("/health").get_data(as_text=True)

    assert "Not run by <code>make run</code>" in html


def test_livez_answers_while_the_process_runs_and_needs_no_sign_in(client):
    response = client.get("/livez")

    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_green_without_scheduler_or_workers(client):
    # A scheduler restart must not take every web node out of rotation: /readyz asks only what serving needs.
    assert client.get("/healthz").status_code == 503

    response = client.get("/readyz")

    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_fails_when_redis_does_not_answer(client, app, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def refuse(*args, **kwargs):
        raise RedisConnectionError("refused")

    monkeypatch.setattr(get_redis(), "ping", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "failing", "failing": ["redis"], "problems": {"redis": "ConnectionError"}}
