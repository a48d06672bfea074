"""Per-channel and per-platform overrides of a content item's text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.models.content import Content

# The fields a variant may override; None in a column means "inherited".
VARIANT_FIELDS = ("title", "body", "excerpt", "tags")


class ContentVariant(db.Model):
    """One override: for every channel of a platform, or for one channel (which wins)."""

    __tablename__ = "content_variants"
    __table_args__ = (
        UniqueConstraint("content_id", "platform"),
        UniqueConstraint("content_id", "channel_id"),
        CheckConstraint("(platform IS NULL) <> (channel_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list | None] = mapped_column(JSON)
    slug: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())

    # The backref gives Content.variants without touching the Content model; the database deletes
    # a content item's (or a channel's) variants along with it.
    content: Mapped[Content] = relationship(
        Content,
        backref=backref(
            "variants",
            cascade="all, delete-orphan",
            passive_deletes=True,
            order_by="ContentVariant.id",
        ),
    )

    @property
    def target(self) -> str:
        """Name the override's target as the forms and error fields do: 'platform:mastodon' or 'channel:3'."""
        return f"platform:{self.platform}" if self.platform else f"channel:{self.channel_id}"

    def overrides(self) -> dict:
        """Return the overridden fields only (inherited ones are left out)."""
        return {f: getattr(self, f) for f in VARIANT_FIELDS if getattr(self, f) is not None}
