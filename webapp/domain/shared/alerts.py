"""Alerts: what a person must see, per workspace: a work list with read state, resolved and reopened.

An alert is open until a person resolves it (resolved_by_id set) or its cause goes away on its own
(resolved_by_id NULL: see alert_causes.py); what followed it (its publication's status now, its
channel's health now) is read beside the list by `followups`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from webapp.core import signals
from webapp.core.errors import Conflict, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra import outbox
from webapp.infra.live import events
from webapp.models import Alert, Channel, Publication, User, Workspace, utcnow

KINDS = (
    "failure",
    "needs_intervention",
    "missed",
    "channel_unhealthy",
    "preflight",
    "conflict",
    "scheduler_silent",
    "unconfirmed",
    "channel_held",
    "review_requested",
)
STATUSES = ("open", "resolved", "all")  # the work list's filter; "open" is what needs doing
LIVE = "alerts.live"  # the outbox entry: workspaces whose alerts changed, announced once the change commits


def init_app(app) -> None:
    from webapp.domain.shared import alert_causes  # it names LIVE: imported once this module is

    outbox.register(LIVE, _announce)
    alert_causes.init_app(app)  # alerts resolve themselves when their cause is gone


def _announce(workspace_ids: list[int]) -> None:
    """Tell each workspace's open pages that its alerts changed: the header's badge and the alert center re-fetch.

    A pre-flight warning changes no publication, so without this it would show only at the next reload.
    """
    for workspace_id in dict.fromkeys(workspace_ids):
        events.publish(workspace_id, "alert")


def raise_alert(
    workspace_id: int,
    kind: str,
    message: Phrase | str,
    *,
    publication_id: int | None = None,
    channel_id: int | None = None,
    once_per_s: int | None = None,
) -> Alert | None:
    """Add an alert for the workspace (the caller commits); with `once_per_s`, only if none of its kind is recent.

    A Phrase `message` is shown in each reader's language (webapp/core/phrases.py); the column keeps its English.
    """
    target = {k: v for k, v in (("publication_id", publication_id), ("channel_id", channel_id)) if v is not None}
    if once_per_s is not None:
        # Cool-off: one alert per target and kind per period, however many failures follow.
        since = utcnow() - timedelta(seconds=once_per_s)
        recent = db.session.scalar(
            select(Alert.id).where(
                Alert.workspace_id == workspace_id,
                Alert.kind == kind,
                Alert.created_at >= since,
                Alert.resolved_at.is_(None),  # once resolved, the same cause coming back is news again
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


def raise_everywhere(kind: str, message: Phrase | str) -> int:
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


def publication_alert(publication: Publication, kind: str, message: Phrase | str) -> Alert | None:
    """Add an alert about a publication, tied to it and its channel (the caller commits)."""
    return raise_alert(
        publication.workspace_id, kind, message, publication_id=publication.id, channel_id=publication.channel_id
    )


def alert_query(
    actor: Actor,
    kind: str | None = None,
    unread_only: bool = False,
    *,
    status: str = "all",
    since: datetime | None = None,
):
    """Build the query of the workspace's alerts (of a kind, open or resolved, raised since), newest first."""
    query = select(Alert).where(Alert.workspace_id == actor.workspace_id)
    if kind:
        query = query.where(Alert.kind == kind)
    if unread_only:
        query = query.where(Alert.read_at.is_(None))
    if status == "open":
        query = query.where(Alert.resolved_at.is_(None))
    elif status == "resolved":
        query = query.where(Alert.resolved_at.is_not(None))
    if since is not None:
        query = query.where(Alert.created_at >= since)
    return query.order_by(Alert.created_at.desc(), Alert.id.desc())


def list_alerts(
    actor: Actor, kind: str | None = None, unread_only: bool = False, limit: int = 200, *, status: str = "all"
) -> list[Alert]:
    """Return the workspace's newest alerts (of one kind, open or resolved, or only the unread ones)."""
    return list(db.session.scalars(alert_query(actor, kind, unread_only, status=status).limit(limit)))


@dataclass(frozen=True)
class Followups:
    """What became of the records a list of alerts is about: publications and channels by id, as they are now."""

    publications: dict[int, Publication]
    channels: dict[int, Channel]
    resolvers: dict[int, str]  # user id -> email, of the people who resolved them

    def deleted_channels(self) -> set[int]:
        """The channels deleted since: their page is gone, so no link to it."""
        return {i for i, c in self.channels.items() if c.archived_at is not None}


def followups(actor: Actor, items: list[Alert]) -> Followups:
    """Load, in three queries at most, the publications, channels and resolvers these alerts name."""

    def load(model, ids: set[int]) -> dict:
        if not ids:
            return {}
        rows = db.session.scalars(select(model).where(model.workspace_id == actor.workspace_id, model.id.in_(ids)))
        return {row.id: row for row in rows}

    return Followups(
        load(Publication, {a.publication_id for a in items if a.publication_id is not None}),
        load(Channel, {a.channel_id for a in items if a.channel_id is not None}),
        _emails({a.resolved_by_id for a in items if a.resolved_by_id is not None}),
    )


def _emails(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all())


def unread_count(actor: Actor) -> int:
    return db.session.scalar(
        select(func.count(Alert.id)).where(Alert.workspace_id == actor.workspace_id, Alert.read_at.is_(None))
    )


def open_count(actor: Actor) -> int:
    """Count the workspace's open alerts: the header badge's number."""
    return db.session.scalar(
        select(func.count(Alert.id)).where(Alert.workspace_id == actor.workspace_id, Alert.resolved_at.is_(None))
    )


def resolve(actor: Actor, alert_id: int, now: datetime | None = None) -> Alert:
    """Mark an open alert of the workspace resolved by this person; Conflict when it is resolved already."""
    actor.require_writer()
    alert = get_in_workspace(actor, Alert, alert_id, "alert")
    if alert.resolved_at is not None:
        raise Conflict(lazy_gettext("is resolved already"))
    alert.resolved_at, alert.resolved_by_id = now or utcnow(), actor.user_id
    alert.read_at = alert.read_at or alert.resolved_at  # handled is read
    return _changed(actor, alert, "alert.resolved")


def reopen(actor: Actor, alert_id: int) -> Alert:
    """Put a resolved alert of the workspace back on the work list; Conflict when it is open."""
    actor.require_writer()
    alert = get_in_workspace(actor, Alert, alert_id, "alert")
    if alert.resolved_at is None:
        raise Conflict(lazy_gettext("is open already"))
    alert.resolved_at, alert.resolved_by_id = None, None
    return _changed(actor, alert, "alert.reopened")


def _changed(actor: Actor, alert: Alert, action: str) -> Alert:
    audit.record(actor, action, "alert", alert.id, kind=alert.kind)
    outbox.add(LIVE, actor.workspace_id)  # every open page's list and badge re-fetch
    db.session.commit()
    return alert


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
