"""Send recorded notifications by email or Slack-compatible webhook, each once, with retries; and the periodic tick.

A claim (pending → sending, only when due) is the only door to a send, so a duplicate job does
nothing. A message held by quiet hours, a retry, or one a Redis blip never enqueued is picked up by
the tick (every NOTIFY_INTERVAL_S), which also adds the daily digests.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError

from webapp.adapters.base import AdapterError, ErrorClass
from webapp.adapters.http import send
from webapp.core.errors import lazy_gettext
from webapp.domain.integrations import sending
from webapp.domain.integrations.notifications import destination, digest, messages, preferences
from webapp.extensions import db
from webapp.infra import mail, tasks
from webapp.infra.queues import get_queue
from webapp.models import Notification, NotificationSettings, User, utcnow

log = logging.getLogger(__name__)

JOB_TIMEOUT_S = 60
# A message claimed this long ago lost its worker mid-send: try it again.
STUCK_SENDING = timedelta(minutes=5)
RETRYABLE = {ErrorClass.TRANSIENT, ErrorClass.RATE_LIMITED, ErrorClass.UNKNOWN_OUTCOME}


class _Permanent(Exception):
    """Sending again would not help (SMTP off, the URL refused the message, the key cannot open the URL)."""


def enqueue(notification_ids: list[int]) -> None:
    """Hand committed notifications to a worker; Redis trouble is left to the tick."""
    try:
        queue = get_queue()
        for notification_id in notification_ids:
            tasks.enqueue(
                queue,
                tasks.DELIVER_NOTIFICATION,
                notification_id,
                job_timeout=JOB_TIMEOUT_S,
                result_ttl=600,
                failure_ttl=86400,
            )
    except RedisError:
        log.warning("notifications %s not enqueued: Redis unavailable; the tick will send them", notification_ids)


def deliver(notification_id: int, now: datetime | None = None) -> str | None:
    """Send one due notification once and record the outcome; return its new status, or None if not ours."""
    now = now or utcnow()
    if not sending.claim(Notification, notification_id, now):
        return None  # sent already, or held until the end of quiet hours
    notification = db.session.get(Notification, notification_id)
    notification.attempts += 1
    config = current_app.config
    try:
        _send(notification, config)
    except _Permanent as exc:
        sending.fail(notification, str(exc))
    except (mail.MailError, AdapterError) as exc:
        message = exc.message if isinstance(exc, AdapterError) else str(exc)
        if isinstance(exc, AdapterError) and exc.error_class not in RETRYABLE:
            sending.fail(notification, message)
        else:
            retry_after = exc.retry_after if isinstance(exc, AdapterError) else None
            sending.retry_or_fail(
                notification, message, now, retry_after=retry_after, max_attempts=config["NOTIFY_MAX_ATTEMPTS"]
            )
    else:
        notification.status, notification.last_error, notification.next_attempt_at = "sent", None, None
        notification.sent_at = utcnow()
    db.session.commit()
    return notification.status


def _destination(notification: Notification):
    """The settings that hold the message's address: its user's, or (no user) its workspace's own destination."""
    if notification.user_id is None:
        return destination.destination_of(notification.workspace_id)
    return preferences.settings_of(notification.user_id)


def _send(notification: Notification, config) -> None:
    settings = _destination(notification)
    if notification.medium == "email":
        if not mail.is_configured():
            raise _Permanent("SMTP is not configured (set SMTP_HOST)")
        if notification.user_id is None:
            address = settings.email_address
        else:
            address = db.session.get(User, notification.user_id).email
        if not address:
            raise _Permanent("no team email address is set any more")
        mail.send(address, notification.subject, notification.text)
        return
    url, problem = preferences.slack_url_or_problem(settings)
    if url is None:
        raise _Permanent(problem or "no Slack webhook URL is set any more")
    try:
        # Slack's incoming-webhook shape; the URL is the credential, so it never reaches a stored message.
        send("POST", url, json={"text": notification.text}, timeout=config["PUBLISH_TIMEOUT_S"], secrets=(url,))
    except AdapterError as exc:
        if exc.error_class in RETRYABLE:
            raise
        raise _Permanent(exc.message) from exc


def tick(now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Add due digests, restart sends whose worker died, and enqueue every due message (the periodic job)."""
    now = now or utcnow()
    digests = digest.due_digests(now)
    reset = sending.reset_stuck(Notification, now - STUCK_SENDING, retry_at=now)
    due = sending.due_ids(Notification, now, batch)
    db.session.commit()
    if due:
        enqueue(due)
    return {"digests": digests, "reset": reset, "enqueued": len(due)}


def send_test(user_id: int) -> list[Notification]:
    """Queue a test message to each medium the user turned on; commit."""
    settings = preferences.settings_of(user_id)
    user = db.session.get(User, user_id)
    message = messages.Message(
        None,
        "test",
        lazy_gettext("Herald: a test notification"),
        lazy_gettext("A test from Herald: this is how failures, missed runs and digests will reach you."),
        messages.absolute_url("notifications.edit"),
    )
    made = messages.record(_ignore_quiet(settings), user, message)
    db.session.commit()
    return made


def _ignore_quiet(settings: NotificationSettings) -> NotificationSettings:
    # A test is sent now, whatever the quiet hours: the person is looking at the page.
    return NotificationSettings(
        user_id=settings.user_id,
        email_enabled=settings.email_enabled,
        slack_url_encrypted=settings.slack_url_encrypted,
        kinds=settings.kinds,
    )
