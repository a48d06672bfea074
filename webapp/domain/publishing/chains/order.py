"""The chain's order: B goes out only after A has published, whatever path tries to send it.

A's publish releases B (in A's transaction, enqueued after its commit); A's failure, miss or
cancellation holds B with the reason; the worker's claim and the reconciler check the same rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import select

from webapp.core.phrases import Phrase, of
from webapp.domain.publishing.chains.links import waiting_reason
from webapp.domain.publishing.chains.placeholders import uses
from webapp.extensions import db
from webapp.infra import dispatch, outbox
from webapp.infra.live import events
from webapp.models import Alert, Channel, Publication, PublicationStatus, utcnow

log = logging.getLogger(__name__)

S = PublicationStatus
HOLD_PREFIX = "held: chained after #"
# What ends A without publishing it: B must never go out with a link to nothing.
BROKEN = frozenset({S.FAILED.value, S.MISSED.value, S.CANCELLED.value})
# Alerts about A that mean it did not publish (needs_intervention about a publication comes with a failure).
FAILURE_ALERTS = frozenset({"failure", "needs_intervention", "missed"})
RELEASED = "chain-released"


def _parent(publication: Publication) -> Publication | None:
    # Usually in the identity map already (the same occurrence's rows load together).
    return db.session.get(Publication, publication.after_publication_id) if publication.after_publication_id else None


def ready(publication: Publication) -> bool:
    """Say whether the publication may be dispatched: it waits for nothing, or what it waits for has published."""
    parent = _parent(publication)
    return parent is None or parent.status == S.PUBLISHED.value


def waiting_note(publication: Publication) -> Phrase | None:
    """Return what a publication being put back on schedule waits for, or None when it may go out."""
    parent = _parent(publication)
    if parent is None or parent.status == S.PUBLISHED.value:
        return None
    channel_name = db.session.get(Channel, parent.channel_id).name
    if parent.status in BROKEN:
        return _hold_reason(parent, channel_name, _broken_reason(parent))  # the reconciler holds it again
    return waiting_reason(parent.id, channel_name)


def _hold_reason(parent: Publication, channel_name: str, what: Phrase) -> Phrase:
    return Phrase(  # starts with HOLD_PREFIX
        "held: chained after #%(id)s on %(channel)s, which %(what)s; it goes out when #%(id)s publishes",
        id=parent.id,
        channel=channel_name,
        what=what,
    )


def _broken_reason(parent: Publication) -> Phrase:
    if parent.status == S.FAILED.value:
        return Phrase("failed (%(error)s)", error=of(parent, "last_error") or Phrase("no reason given"))
    # The status's own word is a msgid already (the UI's TERMS): said in the reader's language too.
    return Phrase("was %(status)s", status=Phrase(parent.status))


# --- the worker's claim (defence in depth) -----------------------------------------------------


def hold_back(publication: Publication) -> bool:
    """Send a claimed chained publication back to waiting (or hold it) unless it may go out now; say whether it did.

    The caller gives back the counted attempt and commits.
    """
    parent = _parent(publication)
    if parent is None:
        return False
    channel_name = db.session.get(Channel, parent.channel_id).name
    if parent.status == S.PUBLISHED.value:
        if parent.external_url or not uses(publication, "url"):
            return False
        publication.status = S.PAUSED.value
        without_url = Phrase("published without a URL for %(placeholder)s", placeholder="{{ published.url }}")
        publication.hold_reason = _hold_reason(parent, channel_name, without_url)
    elif parent.status in BROKEN:
        publication.status = S.PAUSED.value
        publication.hold_reason = _hold_reason(parent, channel_name, _broken_reason(parent))
    else:
        # Not its turn: back to waiting, with no rq-scheduler entry; A's publish releases it.
        publication.status = S.SCHEDULED.value
        publication.hold_reason = waiting_reason(parent.id, channel_name)
    return True


# --- A's outcome ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dispatch:
    """What enqueueing needs, copied before the commit: the handler may not read the session."""

    id: int
    workspace_id: int
    dispatch_seq: int
    priority: str
    status: str
    due_at: datetime
    next_attempt_at: datetime | None


def _dependents(parent: Publication) -> list[Publication]:
    with db.session.no_autoflush:
        return list(db.session.scalars(select(Publication).where(Publication.after_publication_id == parent.id)))


def _waiting_on(parent: Publication, child: Publication) -> bool:
    if child.status == S.SCHEDULED.value:
        return True
    return child.status == S.PAUSED.value and (child.hold_reason or "").startswith(f"{HOLD_PREFIX}{parent.id} ")


def release(parent: Publication, now: datetime | None = None) -> list[Publication]:
    """Dispatch the publications waiting for a just-published one, after the caller's commit."""
    if not parent.has_dependents:
        return []
    now = now or utcnow()
    released = []
    for child in _dependents(parent):
        if not _waiting_on(parent, child):
            continue  # paused by a person, already out, or cancelled: not the chain's to move
        child.status, child.hold_reason = S.SCHEDULED.value, None
        # At once; and the missed-run grace counts from the moment B could go, not from its due time.
        child.next_attempt_at = now
        dispatch.redispatch(child)
        outbox.add(RELEASED, _snapshot(child))
        released.append(child)
    return released


def hold(parent: Publication) -> list[Publication]:
    """Hold the publications waiting for one that failed, was missed or was cancelled (the caller commits)."""
    if not parent.has_dependents:
        return []
    channel_name = db.session.get(Channel, parent.channel_id).name
    held = []
    for child in _dependents(parent):
        if child.status not in (S.SCHEDULED.value, S.QUEUED.value, S.RETRYING.value):
            continue
        # A queued one's job may still be in a queue: the worker's claim finds it paused and does nothing.
        child.status = S.PAUSED.value
        child.hold_reason = _hold_reason(parent, channel_name, _broken_reason(parent))
        outbox.add(RELEASED, _snapshot(child))  # announced, not enqueued: it is paused
        held.append(child)
    return held


def _snapshot(publication: Publication) -> _Dispatch:
    return _Dispatch(
        publication.id,
        publication.workspace_id,
        publication.dispatch_seq,
        publication.priority,
        publication.status,
        publication.due_at,
        publication.next_attempt_at,
    )


def enqueue_released(snapshots: list[_Dispatch]) -> None:
    """Enqueue the released publications after the commit and announce every change (the outbox's hook)."""
    for snapshot in snapshots:
        if snapshot.status == S.SCHEDULED.value:
            try:
                dispatch.enqueue_publication(snapshot)
            except RedisError:
                log.warning("publication %s released but not enqueued; the reconciler will", snapshot.id)
        events.publication_changed(snapshot)


def on_published(publication: Publication) -> None:
    """Release what waits for a publication that just published (signals.publication_published)."""
    release(publication)


def on_alert(alert: Alert) -> None:
    """Hold what waits for a publication a failure, needs-intervention or missed alert is about."""
    if alert.kind not in FAILURE_ALERTS or alert.publication_id is None:
        return
    publication = db.session.get(Publication, alert.publication_id)
    if publication is not None and publication.status in BROKEN:
        hold(publication)


# --- the reconciler ---------------------------------------------------------------------------------


def repair(limit: int = 500) -> int:
    """Hold chained publications still waiting on one that can no longer publish; return how many (commits)."""
    parent_ids = db.session.scalars(
        select(Publication.after_publication_id)
        .where(
            Publication.after_publication_id.is_not(None),
            Publication.status.in_([S.SCHEDULED.value, S.RETRYING.value]),
        )
        .distinct()
        .limit(limit)
    )
    parents = db.session.scalars(
        select(Publication).where(Publication.id.in_(list(parent_ids)), Publication.status.in_(BROKEN))
    )
    held = [child for parent in list(parents) for child in hold(parent)]
    db.session.commit()
    return len(held)
