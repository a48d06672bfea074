"""Alerts: what a person must see, per workspace, with read state."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from webapp.core import signals
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import outbox
from webapp.infra.live import events
from webapp.models import Alert, Channel, Publication, Workspace, utcnow

KINDS = (
    "failure",
    "needs_intervention",
    "missed",
    "channel_unhealthy",
    "preflight",
    "conflict",
    "scheduler_silent",
    "unconfirmed",
)
LIVE = "alerts.live"  # the outbox entry: workspaces whose alerts changed, announced once the change commits


def init_app(app) -> None:
    outbox.register(LIVE, _announce)


def _announce(workspace_ids: list[int]) -> None:
    """Tell each workspace's open pages that its alerts changed: the header's badge and the alert center re-fetch.

    A pre-flight warning changes no publication, so without this it would show only at the next reload.
    """
    for workspace_id in dict.fromkeys(workspace_ids):
        events.publish(workspace_id, "alert")


def raise_alert(
    workspace_id: int,
    kind: str,
    message: str,
    *,
    publication_id: int | None = None,
    channel_id: int | None = None,
    once_per_s: int | None = None,
) -> Alert | None:
    """Add an alert for the workspace (the caller commits); with `once_per_s`, only if none of its kind is recent."""
    target = {k: v for k, v in (("publication_id", publication_id), ("channel_id", channel_id)) if v is not None}
    if once_per_s is not None:
        # Cool-off: one alert per target and kind per period, however many failures follow.
        since = utcnow() - timedelta(seconds=once_per_s)
        recent = db.session.scalar(
            select(Alert.id).where(
                Alert.workspace_id == workspace_id,
                Alert.kind == kind,
                Alert.created_at >= since,
                *(getattr(Alert, k) == v for k, v in target.items()),
            )
        )
        if recent is not None:
            return None
    alert = Alert(workspace_id=workspace_id, kind=kind, message=message, **target)
    db.session.add(alert)
    signals.alert_raised.send(alert)
    outbox.add(LIVE, workspace_id)
    return alert


def raise_everywhere(kind: str, message: str) -> int:
    """Add an alert of `kind` to every workspace (a problem of the whole install); the caller commits."""
    workspace_ids = list(db.session.scalars(select(Workspace.id)))
    for workspace_id in workspace_ids:
        raise_alert(workspace_id, kind, message)
    return len(workspace_ids)


def resolve_everywhere(kind: str, now=None) -> int:
    """Mark every open alert of `kind`, in every workspace, resolved; the caller commits."""
    now = now or utcnow()
    open_ = list(db.session.scalars(select(Alert).where(Alert.kind == kind, Alert.resolved_at.is_(None))))
    for alert in open_:
        alert.resolved_at = now
        outbox.add(LIVE, alert.workspace_id)
    return len(open_)


def publication_alert(publication: Publication, kind: str, message: str) -> Alert | None:
    """Add an alert about a publication, tied to it and its channel (the caller commits)."""
    return raise_alert(
        publication.workspace_id, kind, message, publication_id=publication.id, channel_id=publication.channel_id
    )


def alert_query(actor: Actor, kind: str | None = None, unread_only: bool = False):
    """Build the query of the workspace's alerts, newest first."""
    query = select(Alert).where(Alert.workspace_id == actor.workspace_id)
    if kind:
        query = query.where(Alert.kind == kind)
    if unread_only:
        query = query.where(Alert.read_at.is_(None))
    return query.order_by(Alert.created_at.desc(), Alert.id.desc())


def list_alerts(actor: Actor, kind: str | None = None, unread_only: bool = False, limit: int = 200) -> list[Alert]:
    """Return the workspace's newest alerts (of one kind, or only the unread ones), for the notification center."""
    return list(db.session.scalars(alert_query(actor, kind, unread_only).limit(limit)))


def deleted_channel_ids(actor: Actor, items: list[Alert]) -> set[int]:
    """The channels named by these alerts that were deleted since: their page is gone, so no link to it."""
    named = {a.channel_id for a in items if a.channel_id is not None}
    if not named:
        return set()
    return set(
        db.session.scalars(
            select(Channel.id).where(
                Channel.workspace_id == actor.workspace_id, Channel.id.in_(named), Channel.archived_at.is_not(None)
            )
        )
    )


def unread_count(actor: Actor) -> int:
    return db.session.scalar(
        select(func.count(Alert.id)).where(Alert.workspace_id == actor.workspace_id, Alert.read_at.is_(None))
    )


def mark_read(actor: Actor, ids: list[int] | None = None) -> int:
    """Mark the given alerts (or all unread ones) of the workspace read; return how many changed."""
    actor.require_writer()  # read state is shared by the whole workspace
    statement = update(Alert).where(Alert.workspace_id == actor.workspace_id, Alert.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Alert.id.in_(ids))
    changed = db.session.execute(statement.values(read_at=utcnow())).rowcount
    audit.record(actor, "alerts.read", "alert", None, count=changed)
    if changed:
        outbox.add(LIVE, actor.workspace_id)  # the user's other tabs lower their count too
    db.session.commit()
    return changed
