"""Content templates: a reusable starting point for new content items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db


class ContentTemplate(db.Model):
    """The structure of a content item (text, tags, variants) with its usual channels and default schedule."""

    __tablename__ = "content_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    body_format: Mapped[str] = mapped_column(String(16), default="markdown")
    excerpt: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(32), default="article")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # Overrides as the API writes them: [{"platform" | "channel_id", "title"?, "body"?, "excerpt"?, "tags"?}].
    variants: Mapped[list] = mapped_column(JSON, default=list)
    channel_ids: Mapped[list] = mapped_column(JSON, default=list)
    # None, {"cron", "timezone"} or {"after_days", "at", "timezone"}: see services/content_templates.py.
    schedule: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())
