"""The daily digest: each user's workspaces summarised at their chosen local hour, once per local day, in their
language (`messages.add` renders it under their locale)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from webapp.core.errors import lazy_gettext
from webapp.domain.integrations.notifications.messages import Message, absolute_url, joined, record
from webapp.domain.integrations.notifications.quiet_hours import zone_of
from webapp.extensions import db
from webapp.models import (
    Alert,
    Membership,
    NotificationSettings,
    Publication,
    PublicationStatus,
    User,
    Workspace,
    utcnow,
)


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
                subject = lazy_gettext("Herald: daily digest for %(workspace)s", workspace=workspace.name)
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


def digest_text(workspace: Workspace, now: datetime):
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
    summary = lazy_gettext(
        "%(workspace)s, the last 24 hours: %(published)s published, %(failed)s failed, %(missed)s missed.",
        workspace=workspace.name,
        **counts,
    )
    due = lazy_gettext("Due in the next 24 hours: %(count)s.", count=upcoming)
    return joined(summary, "\n", due, "\n", lazy_gettext("Unread alerts: %(count)s.", count=unread))
