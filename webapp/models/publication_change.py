"""What people did to a publication, for its timeline (the worker's own steps are read off its timestamps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from webapp.core import phrases
from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db


class PublicationChange(db.Model):
    __tablename__ = "publication_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    status: Mapped[str] = mapped_column(String(24))  # the status it changed to
    detail: Mapped[str] = mapped_column(String(300))  # in English; the reader's language: detail_i18n
    detail_i18n: Mapped[dict | None] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))  # ui | api | cli | system

    @validates("detail")
    def _keep_phrase(self, field: str, value: phrases.Phrase | str | None) -> str | None:
        return phrases.keep_beside(self, field, value)  # a Phrase sets detail_i18n too (core/phrases.py)
