"""Schedules, their publications (one per channel and occurrence) and publication attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from webapp.core import phrases
from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.models.channel import Channel
from webapp.models.content import Content


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ClashPolicy(StrEnum):
    """What a recurring occurrence does when a channel's rules refuse its time."""

    MOVE = "move"  # to the channel's next free slot, if that comes before the series' next occurrence
    SKIP = "skip"  # not published on that channel; an alert says why
    PUBLISH = "publish"  # published anyway, at its own time


class OccurrenceChange(StrEnum):
    SKIP = "skip"
    MOVE = "move"


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NEEDS_INTERVENTION = "needs_intervention"


class PublicationStatus(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    PUBLISHING = "publishing"
    RETRYING = "retrying"
    PUBLISHED = "published"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    MISSED = "missed"


TERMINAL_STATUSES = frozenset(
    {
        PublicationStatus.PUBLISHED,
        PublicationStatus.FAILED,
        PublicationStatus.CANCELLED,
        PublicationStatus.MISSED,
    }
)
PENDING_STATUSES = frozenset(
    {
        PublicationStatus.SCHEDULED,
        PublicationStatus.QUEUED,
        PublicationStatus.PUBLISHING,
        PublicationStatus.RETRYING,
        PublicationStatus.UNCONFIRMED,
    }
)

schedule_channels = Table(
    "schedule_channels",
    db.Model.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
)


class Schedule(db.Model):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    # One-time schedules have run_at; recurring ones have cron + timezone.
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_runs: Mapped[int | None] = mapped_column()
    runs_count: Mapped[int] = mapped_column(default=0)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL.value)
    missed_policy: Mapped[str] = mapped_column(String(16), default="run_late")
    grace_minutes: Mapped[int] = mapped_column(default=60)
    # What an occurrence that breaks a channel's rules does (ClashPolicy): move, skip or publish anyway.
    clash_policy: Mapped[str] = mapped_column(String(16), default="move", server_default="move")
    status: Mapped[str] = mapped_column(String(24), default=ScheduleStatus.ACTIVE.value, index=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Chained publications (services/chains.py): [{"channel_id": B, "after_channel_id": A}, ...], each
    # occurrence's publication on B waits for the same occurrence's publication on A; None: no chain.
    chain: Mapped[list | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())

    content: Mapped[Content] = relationship()
    channels: Mapped[list[Channel]] = relationship(secondary=schedule_channels, order_by="Channel.id")

    @property
    def is_recurring(self) -> bool:
        return self.cron is not None


class ScheduleException(db.Model):
    """One occurrence of a series skipped or moved by a person; the rule itself is unchanged."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (UniqueConstraint("schedule_id", "original_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    # The instant the rule gives this occurrence (UTC): what identifies it, however it was changed.
    original_at: Mapped[datetime] = mapped_column(UTCDateTime)
    change: Mapped[str] = mapped_column(String(8))  # OccurrenceChange
    moved_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class Publication(db.Model):
    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("schedule_id", "channel_id", "occurrence"),
        Index("ix_publications_workspace_status_due", "workspace_id", "status", "due_at"),
        Index("ix_publications_status_due", "status", "due_at"),
        # The dashboard and the job monitor at 100k publications per workspace (bench/scale.py): their
        # counts and pages read these, index-only where they can. `id` breaks ties in every ORDER BY, so
        # with it a page of a sort is a walk of the index, never a sort of the workspace.
        Index("ix_publications_workspace_due_id", "workspace_id", "due_at", "id"),
        Index("ix_publications_workspace_status_finished", "workspace_id", "status", "finished_at"),
        Index("ix_publications_workspace_channel_due", "workspace_id", "channel_id", "due_at"),
        # The monitor's triage filter, a status on some channels (migration 0017): index-only at a million rows.
        Index("ix_publications_workspace_status_channel_due", "workspace_id", "status", "channel_id", "due_at"),
        Index("ix_publications_workspace_content_due", "workspace_id", "content_id", "due_at"),
        Index("ix_publications_workspace_lateness_id", "workspace_id", "lateness_ms", "id"),
        Index("ix_publications_workspace_priority_id", "workspace_id", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    # Occurrence number within the schedule (1 for one-time): part of the idempotency key, so a
    # reschedule keeps the key and a platform never sees the same occurrence as two posts.
    occurrence: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL.value)
    status: Mapped[str] = mapped_column(String(16), default=PublicationStatus.SCHEDULED.value)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lateness_ms: Mapped[int | None] = mapped_column()
    attempts_count: Mapped[int] = mapped_column(default=0)
    # Bumped every time the publication is handed to rq-scheduler; part of the RQ job id so a
    # retry or resume never reuses the id (and Redis hash) of a job that is still finishing.
    dispatch_seq: Mapped[int] = mapped_column(default=1)
    external_id: Mapped[str | None] = mapped_column(String(255))
    external_url: Mapped[str | None] = mapped_column(Text)
    # In English; beside each, the untranslated sentence its reader sees in their language (core/phrases.py).
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_i18n: Mapped[dict | None] = mapped_column(JSON)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    hold_reason_i18n: Mapped[dict | None] = mapped_column(JSON)
    # Chains: this publication goes out only after that one has published; `has_dependents` marks the
    # one waited on, so publishing a publication outside any chain never looks for dependents.
    after_publication_id: Mapped[int | None] = mapped_column(
        ForeignKey("publications.id", ondelete="SET NULL"), index=True
    )
    has_dependents: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow())

    schedule: Mapped[Schedule] = relationship()
    channel: Mapped[Channel] = relationship()
    content: Mapped[Content] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="publication", order_by="Attempt.number", cascade="all, delete-orphan"
    )

    @validates("last_error", "hold_reason")
    def _keep_phrase(self, field: str, value: phrases.Phrase | str | None) -> str | None:
        # A Phrase assigned to either sets its JSON twin too; a plain string or None clears it.
        return phrases.keep_beside(self, field, value)


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(24), default="running")
    error_class: Mapped[str | None] = mapped_column(String(24))
    error_message: Mapped[str | None] = mapped_column(Text)  # a platform's words, or Herald's own (a Phrase)
    error_message_i18n: Mapped[dict | None] = mapped_column(JSON)
    http_status: Mapped[int | None] = mapped_column()
    response_excerpt: Mapped[str | None] = mapped_column(Text)

    publication: Mapped[Publication] = relationship(back_populates="attempts")

    @validates("error_message")
    def _keep_phrase(self, field: str, value: phrases.Phrase | str | None) -> str | None:
        return phrases.keep_beside(self, field, value)  # a Phrase sets error_message_i18n too (core/phrases.py)
