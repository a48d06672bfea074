"""Herald's records; the database is the source of truth."""

from webapp.core.orm import utcnow
from webapp.models.account import ApiKey, Membership, Role, SignInSession, User, Workspace
from webapp.models.audit import Alert, AuditEvent
from webapp.models.channel import Channel
from webapp.models.content import CONTENT_TYPES, Content, EditorialStatus
from webapp.models.content_templates import ContentTemplate
from webapp.models.integrations import CalendarFeed, WebhookDelivery, WebhookSubscription
from webapp.models.media import Media, MediaUpload
from webapp.models.notifications import Notification, NotificationSettings, WorkspaceNotificationSettings
from webapp.models.publication_change import PublicationChange
from webapp.models.review import Decision, ReviewDecision
from webapp.models.schedule import (
    PENDING_STATUSES,
    TERMINAL_STATUSES,
    Attempt,
    ClashPolicy,
    OccurrenceChange,
    Priority,
    Publication,
    PublicationStatus,
    Schedule,
    ScheduleException,
    ScheduleStatus,
    schedule_channels,
)
from webapp.models.team import Invitation, PasswordReset, PendingSignUp
from webapp.models.variants import VARIANT_FIELDS, ContentVariant

__all__ = [
    "CONTENT_TYPES",
    "PENDING_STATUSES",
    "TERMINAL_STATUSES",
    "VARIANT_FIELDS",
    "Alert",
    "ApiKey",
    "Attempt",
    "AuditEvent",
    "CalendarFeed",
    "ClashPolicy",
    "Channel",
    "Content",
    "ContentTemplate",
    "ContentVariant",
    "Decision",
    "EditorialStatus",
    "Invitation",
    "Media",
    "MediaUpload",
    "Membership",
    "Notification",
    "OccurrenceChange",
    "NotificationSettings",
    "PasswordReset",
    "PendingSignUp",
    "Priority",
    "Publication",
    "PublicationChange",
    "PublicationStatus",
    "ReviewDecision",
    "Role",
    "Schedule",
    "ScheduleException",
    "ScheduleStatus",
    "SignInSession",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
    "Workspace",
    "WorkspaceNotificationSettings",
    "schedule_channels",
    "utcnow",
]
