"""Alerts resolve themselves when their cause is gone; this module is the one place that knows the causes.

- a publication published (after an earlier attempt: the only way a publish finds an alert of its own on
  the worker's path) or cancelled: its failure, unconfirmed, pre-flight and missed alerts;
- a channel healthy again (a connection check passed, a publish went through after it was unknown or
  needed intervention): its unhealthy and needs-intervention alerts;
- a channel's credentials replaced: its unhealthy alert; a channel resumed: its held alert; a channel
  deleted: every alert about it; a channel held by its open circuit that has published since (the breaker
  closed or was reset, in Redis): its held alert, by the periodic sweep (`resolve_stale`);
- the scheduler back: `alerts.resolve_everywhere` (operations/scheduler_watch.py).

The moments are seen where they happen, without an edit to the code that makes them: attribute events on
`Publication.status`, `Channel.health`, `Channel.credentials_encrypted`, `Channel.paused_at` and
`Channel.archived_at`, plus `signals.publication_published`. The one exception is the worker's publish, which
writes the status in a single statement and says so (`status_written`): the ORM's flush of it cost more CPU
than the rest of the outcome. They only note ids in the session; one
UPDATE per cause runs just before the commit, so a publish that had no trouble costs no query at all
(tests/budgets). An alert resolved this way keeps `resolved_by_id` NULL: it resolved itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from webapp.core import signals
from webapp.domain.shared.alerts import LIVE
from webapp.extensions import db
from webapp.infra import outbox
from webapp.models import Alert, Channel, Publication, PublicationStatus, utcnow

HEALTHY = "healthy"
NEEDS_INTERVENTION = "needs_intervention"
# cause -> (the alert's column naming the record, the kinds that cause explains; None: every kind)
CAUSES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "publication_done": ("publication_id", ("failure", "unconfirmed", "preflight", "missed")),
    "channel_healthy": ("channel_id", ("channel_unhealthy", NEEDS_INTERVENTION)),
    "credentials_replaced": ("channel_id", ("channel_unhealthy",)),
    "channel_resumed": ("channel_id", ("channel_held",)),
    "channel_deleted": ("channel_id", None),
}
_PENDING = "herald.alert_causes"  # session.info: cause -> {record id: workspace id}


def init_app(app) -> None:
    """Listen for the moments that end an alert's cause (once per process, however many apps)."""
    hooks = (
        (Publication.status, "set", _publication_status),
        (Channel.health, "set", _channel_health),
        (Channel.credentials_encrypted, "set", _credentials),
        (Channel.paused_at, "set", _paused),
        (Channel.archived_at, "set", _archived),
        (db.session, "before_commit", resolve_pending),
    )
    for target, name, hook in hooks:
        if not event.contains(target, name, hook):
            event.listen(target, name, hook)
    signals.publication_published.connect(_published)


def note(cause: str, record_id: int | None, workspace_id: int | None) -> None:
    """Remember that this record's alerts of `cause` are over; they resolve when the transaction commits."""
    if record_id is None or workspace_id is None:
        return  # a row being created has no alert yet
    db.session.info.setdefault(_PENDING, {}).setdefault(cause, {})[record_id] = workspace_id


def _publication_status(publication: Publication, value, old, _initiator) -> None:
    if value == old:
        return
    # On the worker's path a first attempt that publishes cannot have an alert of its own (a failure,
    # an unknown outcome or a hold came with an earlier attempt): no query for it. A pre-flight warning
    # before a first-attempt success is left to `resolve_stale`.
    if value == PublicationStatus.CANCELLED.value or (
        value == PublicationStatus.PUBLISHED.value and (publication.attempts_count or 0) > 1
    ):
        note("publication_done", publication.id, publication.workspace_id)


def status_written(publication: Publication, old: str | None) -> None:
    """A publication's status was written by a single statement (publishing/attempt_rows.py): no event saw it."""
    _publication_status(publication, publication.status, old, None)


def _published(publication: Publication) -> None:
    """A publish went through: the channel works, whatever its last failures said (loaded already: no query)."""
    channel = publication.channel
    if channel.health == NEEDS_INTERVENTION:
        channel.health, channel.health_message = HEALTHY, None


def _channel_health(channel: Channel, value, old, _initiator) -> None:
    if value == HEALTHY and old != HEALTHY:
        note("channel_healthy", channel.id, channel.workspace_id)


def _credentials(channel: Channel, value, old, _initiator) -> None:
    if value != old:
        note("credentials_replaced", channel.id, channel.workspace_id)


def _paused(channel: Channel, value, old, _initiator) -> None:
    if value is None and old is not None:
        note("channel_resumed", channel.id, channel.workspace_id)


def _archived(channel: Channel, value, old, _initiator) -> None:
    if value is not None and old is None:
        note("channel_deleted", channel.id, channel.workspace_id)


def resolve_pending(session: Session, now: datetime | None = None) -> int:
    """Resolve the alerts whose causes this transaction ended: one UPDATE per cause; return how many."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return 0
    now = now or utcnow()
    resolved = 0
    for cause, targets in pending.items():
        column, kinds = CAUSES[cause]
        statement = update(Alert).where(Alert.resolved_at.is_(None), getattr(Alert, column).in_(list(targets)))
        if kinds is not None:
            statement = statement.where(Alert.kind.in_(kinds))
        changed = session.execute(
            statement.values(resolved_at=now, resolved_by_id=None), execution_options={"synchronize_session": False}
        ).rowcount
        if changed:
            resolved += changed
            outbox.add(LIVE, *set(targets.values()))
    return resolved


def resolve_stale(now: datetime | None = None) -> int:
    """Resolve, in every workspace, open alerts whose cause is gone but was not seen going (the periodic sweep).

    A pre-flight warning about a publication that then published at its first attempt is the usual one; a
    channel held by an open circuit (not paused) that has published since the alert is another: the breaker
    closed or was reset, which lives in Redis, where no attribute event sees it. Two statements whatever
    the number; the caller commits.
    """
    now = now or utcnow()
    done = (PublicationStatus.PUBLISHED.value, PublicationStatus.CANCELLED.value)
    _, kinds = CAUSES["publication_done"]
    publication_done = Alert.publication_id.in_(select(Publication.id).where(Publication.status.in_(done)))
    _, channel_kinds = CAUSES["channel_healthy"]
    healthy = Alert.channel_id.in_(select(Channel.id).where(Channel.health == HEALTHY))
    published_since = (
        select(Publication.id)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(
            Publication.channel_id == Alert.channel_id,
            Publication.status == PublicationStatus.PUBLISHED.value,
            Publication.finished_at > Alert.created_at,
            Channel.paused_at.is_(None),
        )
        .exists()
    )
    stale = or_(
        Alert.kind.in_(kinds) & publication_done,
        Alert.kind.in_(channel_kinds) & Alert.publication_id.is_(None) & healthy,
        (Alert.kind == "channel_held") & published_since,
    )
    workspace_ids = set(db.session.scalars(select(Alert.workspace_id).where(Alert.resolved_at.is_(None), stale)))
    if not workspace_ids:
        return 0
    statement = update(Alert).where(Alert.resolved_at.is_(None), stale).values(resolved_at=now, resolved_by_id=None)
    changed = db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount
    outbox.add(LIVE, *workspace_ids)
    return changed
