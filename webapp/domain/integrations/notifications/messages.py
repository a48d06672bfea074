"""Recording notifications: one message per medium a person (or a workspace's destination) turned on.

Messages are written inside the transaction of the moment they report (the receivers run from its
signal), so they commit or roll back with it; the outbox enqueues them after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from webapp.domain.integrations.notifications.quiet_hours import quiet_until, zone_of
from webapp.extensions import db
from webapp.models import Notification, NotificationSettings, User, utcnow

OUTBOX = "notifications"


@dataclass(frozen=True)
class Message:
    """What to tell a person, and the link to the place where they act on it."""

    workspace_id: int | None
    kind: str
    subject: str
    text: str
    link: str


def absolute_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """Build a link for a message sent outside any request: PUBLIC_URL, else this machine's own address."""
    base = current_app.config.get("PUBLIC_URL") or f"http://127.0.0.1:{current_app.config['PORT']}"
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path + (f"#{_anchor}" if _anchor else "")


def add(message: Message, media: list[str], *, user_id: int | None, when: datetime) -> list[Notification]:
    """Add one pending notification per medium (user_id None: the workspace's destination); the caller commits."""
    made = [
        Notification(
            user_id=user_id,
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


def record(settings: NotificationSettings, user: User, message: Message) -> list[Notification]:
    """Add one message per medium the user turned on, held past their quiet hours (the caller commits)."""
    now = utcnow()
    when = quiet_until(settings, zone_of(user), now) or now
    media = (["email"] if settings.email_enabled else []) + (["slack"] if settings.slack_url_encrypted else [])
    return add(message, media, user_id=user.id, when=when)
