"""Retention: prune old attempts, read alerts, audit events, webhook deliveries and notifications in batches.

Each kind has its RETENTION_*_DAYS setting; 0 days keeps it forever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased

from webapp.extensions import db
from webapp.models import (
    TERMINAL_STATUSES,
    Alert,
    Attempt,
    AuditEvent,
    Notification,
    Publication,
    WebhookDelivery,
    utcnow,
)

log = logging.getLogger(__name__)

# Small enough that one transaction never holds the SQLite write lock (or PostgreSQL row locks) for
# long while workers record attempts; the loop commits between batches.
BATCH = 1000
FINISHED = tuple(s.value for s in TERMINAL_STATUSES)
# Outbox rows still to send (pending, sending) always stay: only settled ones are history.
SETTLED_DELIVERIES = ("delivered", "failed")
SETTLED_NOTIFICATIONS = ("sent", "failed")


def _delete_in_batches(model, id_query) -> int:
    """Delete the rows whose ids `id_query` selects, BATCH at a time, committing after each; return how many."""
    deleted = 0
    while ids := list(db.session.scalars(id_query.limit(BATCH))):
        db.session.execute(delete(model).where(model.id.in_(ids)), execution_options={"synchronize_session": False})
        db.session.commit()
        deleted += len(ids)
        if len(ids) < BATCH:
            break
    return deleted


def attempts_to_prune(cutoff: datetime):
    """Select attempts started before cutoff on finished publications, except each publication's last attempt."""
    # The last attempt stays, so a publication's detail page still says how it ended.
    later = aliased(Attempt)
    is_last = (
        ~select(later.id).where(later.publication_id == Attempt.publication_id, later.number > Attempt.number).exists()
    )
    return (
        select(Attempt.id)
        .join(Publication, Publication.id == Attempt.publication_id)
        .where(Attempt.started_at < cutoff, Publication.status.in_(FINISHED), ~is_last)
        .order_by(Attempt.id)
    )


def prune_attempts(days: int, now: datetime | None = None) -> int:
    """Delete old attempts of finished publications (keeping each one's last); return how many."""
    if days <= 0:
        return 0
    return _delete_in_batches(Attempt, attempts_to_prune((now or utcnow()) - timedelta(days=days)))


def prune_alerts(days: int, now: datetime | None = None) -> int:
    """Delete alerts read more than `days` ago; unread ones stay until someone reads them."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    return _delete_in_batches(Alert, select(Alert.id).where(Alert.read_at < cutoff).order_by(Alert.id))


def prune_audit_events(days: int, now: datetime | None = None) -> int:
    """Delete audit events older than `days`."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    return _delete_in_batches(
        AuditEvent, select(AuditEvent.id).where(AuditEvent.created_at < cutoff).order_by(AuditEvent.id)
    )


def _settled_before(model, statuses: tuple[str, ...], cutoff: datetime):
    # The last attempt, not the creation, dates a row: a delivery redelivered today is today's news.
    last_activity = func.coalesce(model.last_attempt_at, model.created_at)
    return select(model.id).where(model.status.in_(statuses), last_activity < cutoff).order_by(model.id)


def prune_webhook_deliveries(days: int, now: datetime | None = None) -> int:
    """Delete delivered or failed webhook deliveries last tried more than `days` ago; pending ones stay."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    return _delete_in_batches(WebhookDelivery, _settled_before(WebhookDelivery, SETTLED_DELIVERIES, cutoff))


def prune_notifications(days: int, now: datetime | None = None) -> int:
    """Delete sent or failed notifications last tried more than `days` ago; ones still to send stay."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    return _delete_in_batches(Notification, _settled_before(Notification, SETTLED_NOTIFICATIONS, cutoff))


def run(now: datetime | None = None) -> dict[str, int]:
    """Apply every retention setting once; return how many rows of each kind were deleted."""
    config = current_app.config
    now = now or utcnow()
    report = {
        "attempts": prune_attempts(config["RETENTION_ATTEMPTS_DAYS"], now),
        "alerts": prune_alerts(config["RETENTION_ALERTS_DAYS"], now),
        "audit_events": prune_audit_events(config["RETENTION_AUDIT_DAYS"], now),
        "webhook_deliveries": prune_webhook_deliveries(config["RETENTION_WEBHOOK_DELIVERIES_DAYS"], now),
        "notifications": prune_notifications(config["RETENTION_NOTIFICATIONS_DAYS"], now),
    }
    if any(report.values()):
        log.info("retention pruned %s", report)
    return report
