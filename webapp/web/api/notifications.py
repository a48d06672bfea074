"""Notification settings: the key's own user's (GET and PATCH /notifications/settings) and the key's
workspace's own destination (GET and PUT /workspace/notifications).

A person's settings belong to the person, not the workspace, so any key reads and changes its own user's
only. The workspace's destination any member reads; only an owner's key changes it. A Slack-compatible
webhook URL is itself a credential: it can be set or removed, never read back.
"""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext

from webapp.core.time import format_utc
from webapp.domain.integrations import notifications
from webapp.infra import mail
from webapp.models import NotificationSettings, WorkspaceNotificationSettings
from webapp.web.api.base import ApiError, actor, bp, json_body

FIELDS = ("email_enabled", "slack_url", "kinds", "quiet_start", "quiet_end", "digest_hour")
DESTINATION_FIELDS = ("email_address", "slack_url", "kinds")


def _refuse_unknown(body: dict, fields: tuple[str, ...]) -> None:
    if unknown := sorted(set(body) - set(fields)):
        problems = dict.fromkeys(unknown, gettext("is not a notification setting"))
        message = gettext("Unknown field(s): %(fields)s.", fields=", ".join(unknown))
        raise ApiError(422, "validation_failed", message, problems)


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
    _refuse_unknown(body, FIELDS)
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


def destination_json(settings: WorkspaceNotificationSettings) -> dict:
    return {
        "email_address": settings.email_address,
        "email_available": mail.is_configured(),
        "slack_url_set": bool(settings.slack_url_encrypted),
        "kinds": list(settings.kinds or []),
        "updated_at": format_utc(settings.updated_at) if settings.id else None,
    }


@bp.get("/workspace/notifications")
def get_workspace_notifications():
    return jsonify(destination_json(notifications.read_destination(actor())))


@bp.put("/workspace/notifications")
def put_workspace_notifications():
    body = json_body()
    _refuse_unknown(body, DESTINATION_FIELDS)
    return jsonify(destination_json(notifications.update_destination(actor(), body)))
