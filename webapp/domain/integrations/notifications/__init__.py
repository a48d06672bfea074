"""Notifications beyond the dashboard: each user's preferences, and messages recorded for the moments they chose.

Failures, needs-intervention and missed runs come from `signals.alert_raised`, inside the transaction
that raised the alert: one Notification row per interested member and medium (email, a Slack-compatible
webhook) joins that transaction, and the outbox hands the new rows to RQ after its commit
(services/notification_delivery.py sends them). A daily digest is added by the periodic tick at the
user's chosen local hour.

Quiet hours (in the user's timezone): a message that falls inside them is held, not dropped, and
sent when they end; a digest whose hour falls inside them waits the same way.

The parts: `preferences` (what a user chose, validated and stored), `quiet_hours` (when they may be
told), `messages` (recording one message per medium, and the alert receiver), `digest` (the daily summary).
"""

from __future__ import annotations

from webapp.core import signals
from webapp.domain.integrations.notifications.digest import digest_text, due_digests
from webapp.domain.integrations.notifications.messages import OUTBOX, Message, absolute_url, on_alert, record
from webapp.domain.integrations.notifications.preferences import (
    ALERT_KINDS,
    KINDS,
    settings_of,
    slack_url,
    slack_url_or_problem,
    update_settings,
)
from webapp.domain.integrations.notifications.quiet_hours import quiet_until, zone_of
from webapp.infra import outbox
from webapp.models import Notification

__all__ = [
    "ALERT_KINDS",
    "KINDS",
    "OUTBOX",
    "Message",
    "absolute_url",
    "digest_text",
    "due_digests",
    "init_app",
    "quiet_until",
    "record",
    "settings_of",
    "slack_url",
    "slack_url_or_problem",
    "update_settings",
    "zone_of",
]


def init_app(app) -> None:
    """Record notifications for raised alerts, and enqueue them once their transaction commits."""
    from webapp.domain.integrations.notifications import sender

    signals.alert_raised.connect(on_alert)
    outbox.register(OUTBOX, sender.enqueue, model=Notification)
