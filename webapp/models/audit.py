"""Audit trail and alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from webapp.core import phrases
from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(16))  # ui | api | cli | system
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class Alert(db.Model):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_workspace_read", "workspace_id", "read_at"),
        Index("ix_alerts_workspace_resolved", "workspace_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # failure | needs_intervention | missed | ...
    message: Mapped[str] = mapped_column(Text)  # in English; its reader's language is in message_i18n (core/phrases)
    message_i18n: Mapped[dict | None] = mapped_column(JSON)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    # Set when the cause went away on its own (the scheduler came back): the alert stays, marked resolved.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who resolved it; NULL with resolved_at set means it resolved itself when its cause went away.
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("message")
    def _keep_phrase(self, field: str, value: phrases.Phrase | str) -> str:
        return phrases.keep_beside(self, field, value)
