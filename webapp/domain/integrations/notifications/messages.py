"""Recording notifications: one message per medium a user turned on, each linking straight to what needs attention.

Alerts arrive through `signals.alert_raised` inside the transaction that raised them, so the rows
written here commit (or roll back) with the alert; the outbox enqueues them after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from webapp.domain.integrations.notifications.preferences import ALERT_KINDS, KINDS
from webapp.domain.integrations.notifications.quiet_hours import quiet_until, zone_of
from webapp.extensions import db
from webapp.models import Alert, Membership, Notification, NotificationSettings, User, utcnow

OUTBOX = "notifications"


@dataclass(frozen=True)
class Message:
    """What to tell a person, and the link to what needs their attention."""

    workspace_id: int | None
    kind: str
    subject: str
    text: str
    link: str


def absolute_url(endpoint: str, **values) -> str:
    """Build a link for a message sent outside any request: PUBLIC_URL, else this machine's own address."""
    base = current_app.config.get("PUBLIC_URL") or f"http://127.0.0.1:{current_app.config['PORT']}"
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path


def _alert_link(alert: Alert) -> str:
    if alert.publication_id is not None:
        return absolute_url("publications.show", publication_id=alert.publication_id)
    if alert.channel_id is not None:
        return absolute_url("channels.index")  # the channel's health and its resume button
    return absolute_url("alerts.index")


def record(settings: NotificationSettings, user: User, message: Message) -> list[Notification]:
    """Add one message per medium the user turned on, held past their quiet hours (the caller commits)."""
    now = utcnow()
    when = quiet_until(settings, zone_of(user), now) or now
    media = (["email"] if settings.email_enabled else []) + (["slack"] if settings.slack_url_encrypted else [])
    made = [
        Notification(
            user_id=user.id,
            workspace_id=message.workspace_id,
            kind=message.kind,
            medium=medium,
            subject=message.subject[:300],
            text=f"{message.text}\n\n{message.link}",
            link=message.link,
            status="pending",
            attempts=0,
            next_attempt_at=when,
        )
        for medium in media
    ]
    db.session.add_all(made)
    return made


def _recipients(workspace_id: int, kind: str) -> list[tuple[NotificationSettings, User]]:
    with db.session.no_autoflush:  # never flush the caller's half-made changes from inside its signal
        rows = db.session.execute(
            select(NotificationSettings, User, Membership.role)
            .join(User, User.id == NotificationSettings.user_id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id)
        ).all()
    owners_only = kind == "scheduler_silent"  # the install's trouble: for those who run the workspace
    return [(s, u) for s, u, role in rows if kind in (s.kinds or []) and (role == "owner" or not owners_only)]


def on_alert(alert: Alert) -> None:
    """Record a message for every member who wants this kind of alert (inside the alert's transaction)."""
    if alert.kind not in ALERT_KINDS:
        return
    recipients = _recipients(alert.workspace_id, alert.kind)
    if not recipients:
        return
    subject = f"Herald: {KINDS[alert.kind]} — {alert.message}"
    message = Message(alert.workspace_id, alert.kind, subject, alert.message, _alert_link(alert))
    for settings, user in recipients:
        record(settings, user, message)
