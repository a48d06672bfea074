"""The key's own user's notification settings: GET and PATCH /notifications/settings.

Settings belong to the person, not the workspace, so any key reads and changes its own user's only.
The Slack-compatible webhook URL is itself a credential: it can be set or removed, never read back.
"""

from __future__ import annotations

from flask import jsonify

from webapp.domain.integrations import notifications
from webapp.infra import mail
from webapp.models import NotificationSettings
from webapp.web.api.base import ApiError, actor, bp, json_body

FIELDS = ("email_enabled", "slack_url", "kinds", "quiet_start", "quiet_end", "digest_hour")


def settings_json(settings: NotificationSettings) -> dict:
    return {
        "email_enabled": settings.email_enabled,
        "email_available": mail.is_configured(),
        "slack_url_set": bool(settings.slack_url_encrypted),
        "kinds": list(settings.kinds or []),
        "quiet_start": settings.quiet_start,
        "quiet_end": settings.quiet_end,
        "digest_hour": settings.digest_hour,
    }


@bp.get("/notifications/settings")
def get_notification_settings():
    return jsonify(settings_json(notifications.settings_of(actor().user_id)))


@bp.patch("/notifications/settings")
def update_notification_settings():
    body = json_body()
    if unknown := sorted(set(body) - set(FIELDS)):
        fields = dict.fromkeys(unknown, "is not a notification setting")
        raise ApiError(422, "validation_failed", "Unknown field(s): " + ", ".join(unknown) + ".", fields)
    stored = notifications.settings_of(actor().user_id)
    # A PATCH changes only what it names; the service stores a whole set of settings.
    data = {
        "email_enabled": stored.email_enabled,
        "kinds": list(stored.kinds or []),
        "quiet_start": stored.quiet_start,
        "quiet_end": stored.quiet_end,
        "digest_hour": stored.digest_hour,
        **body,
    }
    if "slack_url" in body and body["slack_url"] is None:
        data["slack_url"] = ""  # null removes the URL, as "" does
    return jsonify(settings_json(notifications.update_settings(actor(), data)))
