"""Notifications beyond the dashboard: each user's preferences, and the outbox of messages to send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.models.account import User


class NotificationSettings(db.Model):
    """One user's channels (email, a Slack-compatible webhook), event kinds, quiet hours and digest hour."""

    __tablename__ = "notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    email_enabled: Mapped[bool] = mapped_column(default=False)
    # Fernet token (webapp.infra.crypto) of {"url": ...}: an incoming-webhook URL is itself the credential.
    slack_url_encrypted: Mapped[str | None] = mapped_column(Text)
    # Event kinds the user wants (services.notifications.KINDS).
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    # Wall-clock "HH:MM" in the user's timezone; both set or both empty. start > end spans midnight.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    digest_hour: Mapped[int] = mapped_column(default=8)
    # The user's local date of the last digest sent ("YYYY-MM-DD"): one digest per local day.
    last_digest_on: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())

    user: Mapped[User] = relationship()


class WorkspaceNotificationSettings(db.Model):
    """A workspace's own destination, set by an owner: a shared Slack/Mattermost webhook and/or a team email."""

    __tablename__ = "workspace_notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    email_address: Mapped[str | None] = mapped_column(String(320))
    # Fernet token (webapp.infra.crypto) of {"url": ...}, as for a user's own webhook.
    slack_url_encrypted: Mapped[str | None] = mapped_column(Text)
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())


class Notification(db.Model):
    """One message to one user over one medium: written in the transaction of the moment it reports."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: addressed to the workspace's own destination (WorkspaceNotificationSettings), not to a user.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    medium: Mapped[str] = mapped_column(String(16))  # email | slack
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    # Not before this instant: now, the end of the user's quiet hours, or the next retry.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=lambda: utcnow())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
