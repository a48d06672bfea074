"""Images attached to content items, and the record of each one's upload to a platform per publication."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.models.content import Content


class Media(db.Model):
    """One verified image: its bytes live in storage under storage_key; the first of a content item is featured."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(200))  # the uploader's name for it, for people only
    content_type: Mapped[str] = mapped_column(String(32))  # decoded from the bytes, never from the request
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    # The backref gives Content.media without touching the Content model; the database deletes a
    # content item's rows with it (the stored files are removed by the service that deletes).
    content: Mapped[Content] = relationship(
        Content,
        backref=backref("media", cascade="all, delete-orphan", passive_deletes=True, order_by="Media.id"),
    )


class MediaUpload(db.Model):
    """What a platform answered for one image of one publication: reused by every retry, so it is sent once."""

    __tablename__ = "media_uploads"
    __table_args__ = (UniqueConstraint("publication_id", "media_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(String(500))
    remote_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
