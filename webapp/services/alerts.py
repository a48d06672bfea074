"""Alerts: what a person must see, per workspace, with read state."""

from __future__ import annotations

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import Alert, utcnow
from webapp.services import audit
from webapp.services.actor import Actor

KINDS = ("failure", "needs_intervention", "missed", "channel_unhealthy", "conflict", "scheduler_silent")


def alert_query(actor: Actor, kind: str | None = None, unread_only: bool = False):
    """Build the query of the workspace's alerts, newest first."""
    query = select(Alert).where(Alert.workspace_id == actor.workspace_id)
    if kind:
        query = query.where(Alert.kind == kind)
    if unread_only:
        query = query.where(Alert.read_at.is_(None))
    return query.order_by(Alert.created_at.desc(), Alert.id.desc())


def unread_count(actor: Actor) -> int:
    return db.session.scalar(
        select(func.count(Alert.id)).where(Alert.workspace_id == actor.workspace_id, Alert.read_at.is_(None))
    )


def mark_read(actor: Actor, ids: list[int] | None = None) -> int:
    """Mark the given alerts (or all unread ones) of the workspace read; return how many changed."""
    statement = update(Alert).where(Alert.workspace_id == actor.workspace_id, Alert.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Alert.id.in_(ids))
    changed = db.session.execute(statement.values(read_at=utcnow())).rowcount
    audit.record(actor, "alerts.read", "alert", None, count=changed)
    db.session.commit()
    return changed
