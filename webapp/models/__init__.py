"""Herald's records; the database is the source of truth."""

from webapp.models.account import ApiKey, Membership, Role, User, Workspace
from webapp.models.audit import Alert, AuditEvent
from webapp.models.channel import Channel
from webapp.models.content import CONTENT_TYPES, Content, EditorialStatus
from webapp.models.schedule import (
    PENDING_STATUSES,
    TERMINAL_STATUSES,
    Attempt,
    Priority,
    Publication,
    PublicationStatus,
    Schedule,
    ScheduleStatus,
    schedule_channels,
)
from webapp.orm import utcnow

__all__ = [
    "CONTENT_TYPES",
    "PENDING_STATUSES",
    "TERMINAL_STATUSES",
    "Alert",
    "ApiKey",
    "Attempt",
    "AuditEvent",
    "Channel",
    "Content",
    "EditorialStatus",
    "Membership",
    "Priority",
    "Publication",
    "PublicationStatus",
    "Role",
    "Schedule",
    "ScheduleStatus",
    "User",
    "Workspace",
    "schedule_channels",
    "utcnow",
]
