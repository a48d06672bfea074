"""Record who did what to which record."""

from __future__ import annotations

from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import AuditEvent


def record(actor: Actor, action: str, target_type: str | None = None, target_id: int | None = None, **details):
    """Add an audit event to the current transaction (the caller commits)."""
    db.session.add(
        AuditEvent(
            workspace_id=actor.workspace_id,
            actor_user_id=actor.user_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            source=actor.source,
            ip=actor.ip,
            details=details,
        )
    )
