"""Recording notifications: one message per medium a person (or a workspace's destination) turned on.

Messages are written inside the transaction of the moment they report (the receivers run from its
signal), so they commit or roll back with it; the outbox enqueues them after the commit.

Each is written in its reader's language: a message's subject and text are lazily translated texts, rendered
once per recipient under `force_locale` (a person's `User.locale`, else English; a workspace's destination speaks
the language of the owner who last set it, else English: it is a team's channel, and that owner chose it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale

from webapp.core.errors import LazyText
from webapp.domain.integrations.notifications.quiet_hours import quiet_until, zone_of
from webapp.extensions import db
from webapp.models import Notification, NotificationSettings, User, utcnow

OUTBOX = "notifications"
SOURCE_LOCALE = "en"  # a reader without a language of their own reads Herald's own


@dataclass(frozen=True)
class Message:
    """What to tell a person, and the link to the place where they act on it."""

    workspace_id: int | None
    kind: str
    subject: str  # or a lazily translated text (webapp.core.errors.lazy_gettext, joined)
    text: str
    link: str


def joined(*parts) -> LazyText:
    """Texts (plain or lazily translated) one after the other, translated only when the whole is rendered."""
    return LazyText(lambda: "".join(str(part) for part in parts))


def absolute_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """Build a link for a message sent outside any request: PUBLIC_URL, else this machine's own address."""
    base = current_app.config.get("PUBLIC_URL") or f"http://127.0.0.1:{current_app.config['PORT']}"
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path + (f"#{_anchor}" if _anchor else "")


def add(
    message: Message, media: list[str], *, user_id: int | None, when: datetime, locale: str | None = None
) -> list[Notification]:
    """Add one pending notification per medium (user_id None: the workspace's destination), in `locale` (else
    English); the caller commits."""
    with force_locale(locale or SOURCE_LOCALE):
        subject, text = str(message.subject), str(message.text)
    made = [
        Notification(
            user_id=user_id,
            workspace_id=message.workspace_id,
            kind=message.kind,
            medium=medium,
            subject=subject[:300],
            text=f"{text}\n\n{message.link}",
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
    return add(message, media, user_id=user.id, when=when, locale=user.locale)
