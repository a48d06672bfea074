"""Review decisions: the editorial history of a content item (who moved it where, and why)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.models.account import User


class Decision(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"
    RESTORED = "restored"
    # Not a reviewer's decision: an edit of approved content's published text sent it back to review.
    REOPENED = "reopened"


class ReviewDecision(db.Model):
    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_content_created", "content_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    reviewer: Mapped[User | None] = relationship()
