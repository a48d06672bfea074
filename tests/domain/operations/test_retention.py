"""Retention: old attempts of finished publications (not their last), old read alerts, old audit events, and
settled webhook deliveries and notifications go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapp import jobs
from webapp.domain.integrations import subscriptions
from webapp.domain.operations import retention
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Alert, Attempt, AuditEvent, Notification, Publication, WebhookDelivery

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def actor(make):
    return make.actor()


def _publication(make, actor, status: str, attempt_times: list[datetime]) -> Publication:
    """A publication in `status` with one attempt started at each given time (numbered 1..n)."""
    channel = make.channel(actor)
    content = make.content(actor)
    schedules.create_schedule(
        actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": datetime.now(UTC) + timedelta(days=1)}
    )
    publication = db.session.query(Publication).filter_by(channel_id=channel.id).one()
    publication.status = status
    publication.attempts_count = len(attempt_times)
    for number, started in enumerate(attempt_times, start=1):
        db.session.add(Attempt(publication_id=publication.id, number=number, started_at=started, outcome="transient"))
    db.session.commit()
    return publication


def _attempt_numbers(publication: Publication) -> list[int]:
    return sorted(db.session.scalars(db.select(Attempt.number).where(Attempt.publication_id == publication.id)))


def test_old_attempts_of_a_finished_publication_go_but_its_last_stays(make, actor):
    published = _publication(make, actor, "published", [OLD, OLD, OLD])

    assert retention.prune_attempts(90, NOW) == 2
    assert _attempt_numbers(published) == [3]


def test_a_publication_still_in_progress_keeps_every_attempt(make, actor):
    retrying = _publication(make, actor, "retrying", [OLD, OLD])
    unconfirmed = _publication(make, actor, "unconfirmed", [OLD, OLD])

    assert retention.prune_attempts(90, NOW) == 0
    assert _attempt_numbers(retrying) == [1, 2] and _attempt_numbers(unconfirmed) == [1, 2]


def test_attempts_inside_the_window_stay(make, actor):
    failed = _publication(make, actor, "failed", [OLD, RECENT, RECENT])

    assert retention.prune_attempts(90, NOW) == 1
    assert _attempt_numbers(failed) == [2, 3]


def test_zero_days_keeps_attempts_forever(make, actor):
    published = _publication(make, actor, "published", [OLD, OLD])

    assert retention.prune_attempts(0, NOW) == 0
    assert _attempt_numbers(published) == [1, 2]


def test_deletion_runs_in_batches_until_done(make, actor, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    commits = []
    original = db.session.commit
    monkeypatch.setattr(db.session, "commit", lambda: (commits.append(1), original())[1])
    rows = [_publication(make, actor, "cancelled", [OLD, OLD, OLD]) for _ in range(3)]
    commits.clear()

    assert retention.prune_attempts(90, NOW) == 6
    assert len(commits) == 3 and all(_attempt_numbers(p) == [3] for p in rows)


def test_read_alerts_past_retention_go_unread_ones_stay(actor):
    old_read = Alert(workspace_id=actor.workspace_id, kind="failure", message="a", created_at=OLD, read_at=OLD)
    recent_read = Alert(workspace_id=actor.workspace_id, kind="failure", message="b", created_at=OLD, read_at=RECENT)
    old_unread = Alert(workspace_id=actor.workspace_id, kind="missed", message="c", created_at=OLD)
    db.session.add_all([old_read, recent_read, old_unread])
    db.session.commit()

    assert retention.prune_alerts(30, NOW) == 1
    assert sorted(a.message for a in db.session.scalars(db.select(Alert))) == ["b", "c"]


def test_audit_events_past_retention_go(actor):
    for when, action in ((OLD, "old.thing"), (RECENT, "recent.thing")):
        db.session.add(
            AuditEvent(workspace_id=actor.workspace_id, action=action, source="ui", created_at=when, details={})
        )
    db.session.commit()

    assert retention.prune_audit_events(90, NOW) == 1
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert "old.thing" not in actions and "recent.thing" in actions


def _delivery(actor, subscription, status: str, created_at: datetime, last_attempt_at: datetime | None = None):
    delivery = WebhookDelivery(
        workspace_id=actor.workspace_id,
        subscription_id=subscription.id,
        event="schedule.missed",
        event_id=f"evt-{status}-{created_at:%j}-{last_attempt_at and last_attempt_at.day}",
        payload="{}",
        status=status,
        created_at=created_at,
        last_attempt_at=last_attempt_at,
    )
    db.session.add(delivery)
    return delivery


def test_settled_webhook_deliveries_past_retention_go_pending_ones_stay(actor):
    subscription, _ = subscriptions.create_subscription(actor, "https://example.test/hook", ["schedule.missed"])
    _delivery(actor, subscription, "delivered", OLD, OLD)
    _delivery(actor, subscription, "failed", OLD, OLD)
    _delivery(actor, subscription, "pending", OLD, OLD)  # still in the outbox: never pruned
    _delivery(actor, subscription, "sending", OLD, OLD)
    _delivery(actor, subscription, "delivered", RECENT, RECENT)
    _delivery(actor, subscription, "delivered", OLD, RECENT)  # redelivered lately: dated by its last attempt
    db.session.commit()

    assert retention.prune_webhook_deliveries(30, NOW) == 2
    left = sorted((d.status, d.created_at == OLD) for d in db.session.scalars(db.select(WebhookDelivery)))
    assert left == [("delivered", False), ("delivered", True), ("pending", True), ("sending", True)]
    assert retention.prune_webhook_deliveries(0, NOW) == 0


def _notification(actor, status: str, created_at: datetime, last_attempt_at: datetime | None = None):
    notification = Notification(
        user_id=actor.user_id,
        workspace_id=actor.workspace_id,
        kind="failed",
        medium="email",
        subject=status,
        text="t",
        link="https://herald.test/",
        status=status,
        created_at=created_at,
        last_attempt_at=last_attempt_at,
    )
    db.session.add(notification)
    return notification


def test_settled_notifications_past_retention_go_pending_ones_stay(actor):
    _notification(actor, "sent", OLD, OLD)
    _notification(actor, "failed", OLD)  # never tried (no last attempt): dated by its creation
    _notification(actor, "pending", OLD)  # held by quiet hours, say: never pruned
    _notification(actor, "sent", OLD, RECENT)
    db.session.commit()

    assert retention.prune_notifications(30, NOW) == 2
    left = sorted((n.status, n.last_attempt_at is not None) for n in db.session.scalars(db.select(Notification)))
    assert left == [("pending", False), ("sent", True)]
    assert retention.prune_notifications(0, NOW) == 0


def test_run_applies_the_configured_days(app, make, actor, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_ATTEMPTS_DAYS", 0)
    monkeypatch.setitem(app.config, "RETENTION_AUDIT_DAYS", 30)
    monkeypatch.setitem(app.config, "RETENTION_ALERTS_DAYS", 30)
    monkeypatch.setitem(app.config, "RETENTION_WEBHOOK_DELIVERIES_DAYS", 0)
    monkeypatch.setitem(app.config, "RETENTION_NOTIFICATIONS_DAYS", 30)
    _publication(make, actor, "published", [OLD, OLD])
    db.session.add(AuditEvent(workspace_id=actor.workspace_id, action="x", source="ui", created_at=OLD, details={}))
    subscription, _ = subscriptions.create_subscription(actor, "https://example.test/hook", ["schedule.missed"])
    _delivery(actor, subscription, "delivered", OLD, OLD)
    _notification(actor, "sent", OLD, OLD)
    db.session.commit()

    assert retention.run(NOW) == {
        "attempts": 0,
        "alerts": 0,
        "audit_events": 1,
        "webhook_deliveries": 0,
        "notifications": 1,
    }


def test_the_periodic_job_prunes_with_the_configured_days(app, make, actor, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_ATTEMPTS_DAYS", 1)
    published_id = _publication(make, actor, "published", [OLD, OLD]).id

    assert jobs.retention_job()["attempts"] == 1  # the job ends its session: keep the id, not the row
    assert sorted(db.session.scalars(db.select(Attempt.number).where(Attempt.publication_id == published_id))) == [2]


def test_the_cli_command_reports_what_it_deleted(runner, app, make, actor, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_ATTEMPTS_DAYS", 1)
    _publication(make, actor, "missed", [OLD, OLD, OLD])

    result = runner.invoke(args=["retention", "run"])

    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        "2 attempts, 0 alerts, 0 audit events, 0 webhook deliveries, 0 notifications deleted"
    )
