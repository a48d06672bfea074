"""Notifications beyond the dashboard: each user's preferences, and messages recorded for the moments they chose.

Failures, needs-intervention and missed runs come from `signals.alert_raised`, inside the transaction
that raised the alert: one Notification row per interested member and medium (email, a Slack-compatible
webhook) joins that transaction, and the outbox hands the new rows to RQ after its commit
(services/notification_delivery.py sends them). A daily digest is added by the periodic tick at the
user's chosen local hour.

Quiet hours (in the user's timezone): a message that falls inside them is held, not dropped, and
sent when they end; a digest whose hour falls inside them waits the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from webapp import outbox, signals
from webapp.crypto import CredentialsError, decrypt_credentials, encrypt_credentials
from webapp.extensions import db
from webapp.models import (
    Alert,
    Membership,
    Notification,
    NotificationSettings,
    Publication,
    PublicationStatus,
    User,
    Workspace,
    utcnow,
)
from webapp.scheduling.time import localize
from webapp.services import audit
from webapp.services.actor import Actor
from webapp.services.errors import ValidationFailed
from webapp.services.subscriptions import url_problem

log = logging.getLogger(__name__)

# Alert kinds a person may be told about, and the daily digest.
KINDS = {
    "failure": "a publication failed",
    "needs_intervention": "a channel or schedule needs intervention",
    "missed": "a run was missed",
    "digest": "a daily digest",
}
ALERT_KINDS = frozenset(KINDS) - {"digest"}
OUTBOX = "notifications"
_HHMM = "%H:%M"


def init_app(app) -> None:
    """Record notifications for raised alerts, and enqueue them once their transaction commits."""
    from webapp.services import notification_delivery

    signals.alert_raised.connect(_on_alert)
    outbox.register(OUTBOX, notification_delivery.enqueue, model=Notification)


# --- preferences ---------------------------------------------------------------------------------


def settings_of(user_id: int) -> NotificationSettings:
    """Return the user's settings, unsaved defaults when none are stored (everything off: opt in)."""
    found = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    return found or NotificationSettings(user_id=user_id, email_enabled=False, kinds=[], digest_hour=8)


def slack_url(settings: NotificationSettings) -> str | None:
    """Decrypt the stored Slack-compatible webhook URL, or None when there is none."""
    if not settings.slack_url_encrypted:
        return None
    return decrypt_credentials(settings.slack_url_encrypted)["url"]


def _clock(value, field: str, errors: dict[str, str]) -> str | None:
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value), _HHMM).strftime(_HHMM)
    except ValueError:
        errors[field] = "must be a time as HH:MM"
        return None


def update_settings(actor: Actor, data: dict) -> NotificationSettings:
    """Validate and store the acting user's notification settings; commit.

    `slack_url`: a new URL replaces the stored one, "" removes it, absent keeps it. Any member may set
    their own notifications, viewers too: it changes nothing in the workspace.
    """
    errors: dict[str, str] = {}
    kinds = data.get("kinds", [])
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        errors["kinds"] = "must be a list of: " + ", ".join(KINDS)
    start = _clock(data.get("quiet_start"), "quiet_start", errors)
    end = _clock(data.get("quiet_end"), "quiet_end", errors)
    if (start is None) != (end is None) and not errors.keys() & {"quiet_start", "quiet_end"}:
        errors["quiet_end" if start else "quiet_start"] = "give both ends of the quiet hours, or neither"
    elif start is not None and start == end:
        errors["quiet_end"] = "must differ from the start"
    hour = data.get("digest_hour", 8)
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        errors["digest_hour"] = "must be an hour from 0 to 23"
    url = data.get("slack_url")
    if url not in (None, "") and (problem := url_problem(url)):
        errors["slack_url"] = problem
    if errors:
        raise ValidationFailed(errors)
    settings = settings_of(actor.user_id)
    settings.email_enabled = bool(data.get("email_enabled"))
    settings.kinds = [k for k in KINDS if k in kinds]
    settings.quiet_start, settings.quiet_end, settings.digest_hour = start, end, hour
    if url == "":
        settings.slack_url_encrypted = None
    elif url is not None:
        settings.slack_url_encrypted = encrypt_credentials({"url": url})
    db.session.add(settings)
    # Never the URL itself: it is a credential.
    audit.record(actor, "notifications.updated", "user", actor.user_id, kinds=settings.kinds)
    db.session.commit()
    return settings


# --- time: quiet hours -----------------------------------------------------------------------------


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(settings: NotificationSettings, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Return when the user's quiet hours around `now` end (UTC), or None when `now` is not inside them."""
    if not settings.quiet_start or not settings.quiet_end:
        return None
    start = datetime.strptime(settings.quiet_start, _HHMM).time()
    end = datetime.strptime(settings.quiet_end, _HHMM).time()
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside, end_day = start <= clock < end, local.date()
    else:  # spans midnight, e.g. 22:00–07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return localize(datetime.combine(end_day, end), tz).astimezone(now.tzinfo)


# --- links ---------------------------------------------------------------------------------------------


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


# --- recording -------------------------------------------------------------------------------------------


def _recipients(workspace_id: int, kind: str) -> list[tuple[NotificationSettings, User]]:
    with db.session.no_autoflush:  # never flush the caller's half-made changes from inside its signal
        rows = db.session.execute(
            select(NotificationSettings, User)
            .join(User, User.id == NotificationSettings.user_id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id)
        ).all()
    return [(s, u) for s, u in rows if kind in (s.kinds or [])]


@dataclass(frozen=True)
class Message:
    """What to tell a person, and the link to what needs their attention."""

    workspace_id: int | None
    kind: str
    subject: str
    text: str
    link: str


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


def _on_alert(alert: Alert) -> None:
    if alert.kind not in ALERT_KINDS:
        return
    recipients = _recipients(alert.workspace_id, alert.kind)
    if not recipients:
        return
    subject = f"Herald: {KINDS[alert.kind]} — {alert.message}"
    message = Message(alert.workspace_id, alert.kind, subject, alert.message, _alert_link(alert))
    for settings, user in recipients:
        record(settings, user, message)


# --- the daily digest ---------------------------------------------------------------------------------------


def due_digests(now: datetime | None = None) -> int:
    """Add a digest for each user whose local digest hour it is and who had none today; commit; return how many."""
    now = now or utcnow()
    made = 0
    rows = db.session.execute(
        select(NotificationSettings, User).join(User, User.id == NotificationSettings.user_id)
    ).all()
    for settings, user in rows:
        if "digest" not in (settings.kinds or []):
            continue
        local = now.astimezone(zone_of(user))
        today = local.date().isoformat()
        if local.hour != settings.digest_hour or settings.last_digest_on == today:
            continue
        settings.last_digest_on = today
        for workspace in _workspaces_of(user.id):
            text = digest_text(workspace, now)
            if text is not None:
                subject = f"Herald: daily digest for {workspace.name}"
                message = Message(workspace.id, "digest", subject, text, absolute_url("dashboard.index"))
                made += len(record(settings, user, message))
    db.session.commit()
    return made


def _workspaces_of(user_id: int) -> list[Workspace]:
    return list(
        db.session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == user_id)
            .order_by(Workspace.id)
        )
    )


def digest_text(workspace: Workspace, now: datetime) -> str | None:
    """Summarise the workspace's last 24 hours and next 24 hours; None when there is nothing to tell."""
    since, until = now - timedelta(days=1), now + timedelta(days=1)
    finished = dict(
        db.session.execute(
            select(Publication.status, func.count())
            .where(Publication.workspace_id == workspace.id, Publication.finished_at >= since)
            .group_by(Publication.status)
        ).all()
    )
    upcoming = db.session.scalar(
        select(func.count()).where(
            Publication.workspace_id == workspace.id,
            Publication.status == PublicationStatus.SCHEDULED.value,
            Publication.due_at < until,
        )
    )
    unread = db.session.scalar(select(func.count()).where(Alert.workspace_id == workspace.id, Alert.read_at.is_(None)))
    counts = {s: finished.get(s, 0) for s in ("published", "failed", "missed")}
    if not any(counts.values()) and not upcoming and not unread:
        return None
    lines = [
        f"{workspace.name}, the last 24 hours: {counts['published']} published, {counts['failed']} failed, "
        f"{counts['missed']} missed.",
        f"Due in the next 24 hours: {upcoming}.",
        f"Unread alerts: {unread}.",
    ]
    return "\n".join(lines)


def slack_url_or_problem(settings: NotificationSettings) -> tuple[str | None, str | None]:
    """Return (URL, None), or (None, why it cannot be read) for a stored URL the keys no longer open."""
    try:
        return slack_url(settings), None
    except CredentialsError as exc:
        return None, str(exc)
