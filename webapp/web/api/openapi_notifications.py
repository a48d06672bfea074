"""JSON Schemas of a user's notification settings (components merged into the OpenAPI description)."""

from __future__ import annotations

from webapp.domain.integrations.notifications import KINDS
from webapp.web.api.openapi_schemas import array, enum, integer, nullable, obj, string

CLOCK = string(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM in the user's profile timezone.")
KIND_LIST = array(enum(KINDS), uniqueItems=True, description="; ".join(f"`{k}`: {v}" for k, v in KINDS.items()))
HOUR = integer(minimum=0, maximum=23, description="The daily digest's local hour.")


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
    }  # fmt: skip
