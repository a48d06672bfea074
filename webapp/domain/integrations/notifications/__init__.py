"""Notifications beyond the dashboard: each person's preferences, a workspace's own destination, and messages.

Every alert kind a person must act on (failure, credentials rejected, a held channel, pre-flight,
unconfirmed, missed, needs-intervention, scheduler silent) comes from `signals.alert_raised`, a review
request from `signals.review_requested`, the scheduler's return from `signals.scheduler_back`; each
inside the transaction of its moment: one Notification row per interested member and medium (email,
a Slack-compatible webhook), and per medium of the workspace's destination, joins that transaction,
and the outbox hands the new rows to RQ after its commit (`sender` sends them). A daily digest is
added by the periodic tick at the user's chosen local hour.

Quiet hours (in the user's timezone): a message that falls inside them is held, not dropped, and
sent when they end; a digest whose hour falls inside them waits the same way. A workspace's
destination has no quiet hours and no digest.

The parts: `preferences` (what a user chose), `destination` (the workspace's own channel, set by an
owner), `quiet_hours` (when a person may be told), `messages` (recording one message per medium),
`links` (where each message points), `receivers` (the signals' receivers), `digest`, `sender`.
"""

from __future__ import annotations

from webapp.core import signals
from webapp.domain.integrations.notifications.destination import (
    WORKSPACE_KINDS,
    read_destination,
    update_destination,
)
from webapp.domain.integrations.notifications.digest import digest_text, due_digests
from webapp.domain.integrations.notifications.messages import OUTBOX, Message, absolute_url, record
from webapp.domain.integrations.notifications.preferences import (
    ALERT_KINDS,
    KINDS,
    settings_of,
    slack_url,
    slack_url_or_problem,
    update_settings,
)
from webapp.domain.integrations.notifications.quiet_hours import quiet_until, zone_of
from webapp.domain.integrations.notifications.receivers import on_alert, on_review_requested, on_scheduler_back
from webapp.infra import outbox
from webapp.models import Notification

__all__ = [
    "ALERT_KINDS",
    "KINDS",
    "OUTBOX",
    "WORKSPACE_KINDS",
    "Message",
    "absolute_url",
    "digest_text",
    "due_digests",
    "init_app",
    "quiet_until",
    "read_destination",
    "record",
    "settings_of",
    "slack_url",
    "slack_url_or_problem",
    "update_destination",
    "update_settings",
    "zone_of",
]


def init_app(app) -> None:
    """Record notifications for the moments people must act on, and enqueue them once their transaction commits."""
    from webapp.domain.integrations.notifications import sender

    signals.alert_raised.connect(on_alert)
    signals.review_requested.connect(on_review_requested)
    signals.scheduler_back.connect(on_scheduler_back)
    outbox.register(OUTBOX, sender.enqueue, model=Notification)
