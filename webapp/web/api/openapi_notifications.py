"""The OpenAPI part of notifications: a user's settings and the workspace's own destination (schemas, and the
destination's operations), merged into the description by openapi.py."""

from __future__ import annotations

from webapp.domain.integrations.notifications import KINDS, WORKSPACE_KINDS
from webapp.web.api.openapi_schemas import array, enum, integer, nullable, obj, string

CLOCK = string(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM in the user's profile timezone.")
KIND_LIST = array(enum(KINDS), uniqueItems=True, description="; ".join(f"`{k}`: {v}" for k, v in KINDS.items()))
TEAM_KINDS = array(enum(WORKSPACE_KINDS), uniqueItems=True, description="The alert kinds the team is told about.")
HOUR = integer(minimum=0, maximum=23, description="The daily digest's local hour.")


def notification_operations(op) -> tuple:
    """Return the workspace destination's operations, built with openapi.py's `op`."""
    return (
        op("GET /workspace/notifications", "get_workspace_notifications",
           "The workspace's own notification destination (any member; the webhook URL is never shown)", 200,
           "WorkspaceNotifications"),
        op("PUT /workspace/notifications", "put_workspace_notifications",
           "Set the workspace's team webhook, team email and their kinds (owner)", 200, "WorkspaceNotifications",
           body="WorkspaceNotificationsUpdate"),
    )  # fmt: skip


def notification_schemas() -> dict:
    """Return the components for notification settings."""
    return {
        "NotificationSettings": obj(
            {
                "email_enabled": {"type": "boolean"},
                "email_available": {"type": "boolean", "description": "Whether this Herald can send email (SMTP)."},
                "slack_url_set": {"type": "boolean", "description": "A webhook URL is stored; it is never shown."},
                "kinds": KIND_LIST,
                "quiet_start": nullable(CLOCK),
                "quiet_end": nullable(CLOCK),
                "digest_hour": HOUR,
            },
            required=("email_enabled", "email_available", "slack_url_set", "kinds", "quiet_start", "quiet_end",
                      "digest_hour"),
            additionalProperties=False,
            description="The API key's own user's settings: per person, the same in every workspace.",
        ),
        "NotificationSettingsUpdate": obj(
            {
                "email_enabled": {"type": "boolean"},
                "slack_url": nullable(string(format="uri", description="A Slack-compatible incoming webhook "
                                             "(https); \"\" or null removes it; absent keeps it.")),
                "kinds": KIND_LIST,
                "quiet_start": nullable(CLOCK),
                "quiet_end": nullable(CLOCK),
                "digest_hour": HOUR,
            },
            additionalProperties=False,
            description="Only the named fields change. Quiet hours take both ends, or neither (null).",
        ),
        "WorkspaceNotifications": obj(
            {
                "email_address": nullable(string(format="email", description="The team's email address.")),
                "email_available": {"type": "boolean", "description": "Whether this Herald can send email (SMTP)."},
                "slack_url_set": {"type": "boolean", "description": "A team webhook URL is stored; it is never shown."},
                "kinds": TEAM_KINDS,
                "updated_at": nullable(string(format="date-time")),
            },
            required=("email_address", "email_available", "slack_url_set", "kinds", "updated_at"),
            additionalProperties=False,
            description="The workspace's own destination: told at once (no quiet hours), no digest.",
        ),
        "WorkspaceNotificationsUpdate": obj(
            {
                "email_address": nullable(string(format="email", description="Absent or null: none.")),
                "slack_url": nullable(string(format="uri", description="A Slack-compatible incoming webhook "
                                             "(https); \"\" or null removes it; absent keeps it.")),
                "kinds": TEAM_KINDS,
            },
            additionalProperties=False,
            description="Replaces the destination; only the webhook URL, which cannot be read back, stays when absent.",
        ),
    }  # fmt: skip
