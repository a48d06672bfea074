"""Publishing destinations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from webapp.core import phrases
from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db


class Channel(db.Model):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    platform: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Fernet token of the JSON credentials; never sent back to a client.
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    health: Mapped[str] = mapped_column(String(24), default="unknown")
    health_message: Mapped[str | None] = mapped_column(Text)  # in English; the reader's language: health_message_i18n
    health_message_i18n: Mapped[dict | None] = mapped_column(JSON)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while a person has paused the channel: its due publications wait (held) until it resumes.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the channel was deleted: it leaves every list and choice, its publications' history stays.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())

    @validates("health_message")
    def _keep_phrase(self, field: str, value: phrases.Phrase | str | None) -> str | None:
        return phrases.keep_beside(self, field, value)  # a Phrase sets health_message_i18n too (core/phrases.py)
