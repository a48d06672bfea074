"""What people did to a publication, for its timeline (the worker's own steps are read off its timestamps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db


class PublicationChange(db.Model):
    __tablename__ = "publication_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    status: Mapped[str] = mapped_column(String(24))  # the status it changed to
    detail: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))  # ui | api | cli | system
