"""Chained publications: a publication on channel B goes out only once the same occurrence has published on A.

A schedule's `chain` lists links `{"channel_id": B, "after_channel_id": A}`. Each occurrence's
publication on B records the one on A (`after_publication_id`), and A is marked `has_dependents`,
so publishing anything outside a chain never looks for dependents. B waits `scheduled` with no
rq-scheduler entry and a visible reason ("waiting for #12 on blog"). When A publishes, B is
released in A's transaction and enqueued after its commit; when A fails, is missed or cancelled, B
is held (`paused`, with the reason) and a later publish of A (a retry) releases it. The worker's
claim and the reconciler check the order too, so no path sends B before A or with a broken link.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import select

from webapp import events, outbox, signals
from webapp.adapters.base import PublishRequest
from webapp.adapters.html import looks_like_html
from webapp.extensions import db
from webapp.models import Alert, Channel, Publication, PublicationStatus, Schedule, utcnow
from webapp.scheduling import dispatch
from webapp.services import variants
from webapp.services.validation import is_id

log = logging.getLogger(__name__)

S = PublicationStatus
WAITING_PREFIX = "waiting for #"
HOLD_PREFIX = "held: chained after #"
# What ends A without publishing it: B must never go out with a link to nothing.
BROKEN = frozenset({S.FAILED.value, S.MISSED.value, S.CANCELLED.value})
# Alerts about A that mean it did not publish (needs_intervention about a publication comes with a failure).
FAILURE_ALERTS = frozenset({"failure", "needs_intervention", "missed"})
# Exactly these names, substituted once: user text is never evaluated as a template.
PLACEHOLDER = re.compile(r"\{\{\s*published\.(url|title)\s*\}\}")
_RELEASED = "chain-released"


def init_app(app) -> None:
    """Connect A's outcomes (published, failure alerts) to its dependents, enqueueing releases after commit."""
    signals.publication_published.connect(_on_published)
    signals.alert_raised.connect(_on_alert)
    outbox.register(_RELEASED, _enqueue_released)


# --- the schedule's chain ----------------------------------------------------------------------


def chain_problem(raw, channel_ids: list[int]) -> tuple[list[dict] | None, str | None]:
    """Validate a chain against the schedule's channels; return (normalised links or None, problem or None)."""
    if raw in (None, [], ""):
        return None, None
    if not isinstance(raw, list):
        return None, 'must be a list of {"channel_id", "after_channel_id"} links'
    parents: dict[int, int] = {}
    for link in raw:
        if not isinstance(link, dict) or not is_id(link.get("channel_id")) or not is_id(link.get("after_channel_id")):
            return None, 'each link needs a "channel_id" and an "after_channel_id"'
        child, parent = int(link["channel_id"]), int(link["after_channel_id"])
        if child not in channel_ids or parent not in channel_ids:
            return None, f"link {child} after {parent}: both channels must be among the schedule's channel_ids"
        if child == parent:
            return None, f"channel {child} cannot wait for itself"
        if child in parents:
            return None, f"channel {child} can wait for one channel only"
        parents[child] = parent
    for start in parents:
        seen, node = {start}, parents[start]
        while node in parents:
            if node in seen:
                return None, f"the links around channel {start} form a loop"
            seen.add(node)
            node = parents[node]
        if node == start:
            return None, f"the links around channel {start} form a loop"
    return [{"channel_id": c, "after_channel_id": p} for c, p in parents.items()], None


def link(schedule: Schedule, publications: list[Publication]) -> None:
    """Tie one occurrence's publications together as the schedule's chain says (the caller flushed them)."""
    if not schedule.chain:
        return
    by_channel = {p.channel_id: p for p in publications}
    names = {c.id: c.name for c in schedule.channels}
    for entry in schedule.chain:
        child, parent = by_channel.get(entry["channel_id"]), by_channel.get(entry["after_channel_id"])
        if child is None or parent is None:
            continue
        child.after_publication_id, parent.has_dependents = parent.id, True
        child.hold_reason = waiting_reason(parent.id, names.get(parent.channel_id, f"channel {parent.channel_id}"))


def waiting_reason(parent_id: int, channel_name: str) -> str:
    return f"{WAITING_PREFIX}{parent_id} on {channel_name}"


def _parent(publication: Publication) -> Publication | None:
    # Usually in the identity map already (the same occurrence's rows load together).
    return db.session.get(Publication, publication.after_publication_id) if publication.after_publication_id else None


def ready(publication: Publication) -> bool:
    """Say whether the publication may be dispatched: it waits for nothing, or what it waits for has published."""
    parent = _parent(publication)
    return parent is None or parent.status == S.PUBLISHED.value


def waiting_note(publication: Publication) -> str | None:
    """Return what a publication being put back on schedule waits for, or None when it may go out."""
    parent = _parent(publication)
    if parent is None or parent.status == S.PUBLISHED.value:
        return None
    channel_name = db.session.get(Channel, parent.channel_id).name
    if parent.status in BROKEN:
        return _hold_reason(parent, channel_name, _broken_reason(parent))  # the reconciler holds it again
    return waiting_reason(parent.id, channel_name)


def _hold_reason(parent: Publication, channel_name: str, what: str) -> str:
    return f"{HOLD_PREFIX}{parent.id} on {channel_name}, which {what}; it goes out when #{parent.id} publishes"


def _broken_reason(parent: Publication) -> str:
    if parent.status == S.FAILED.value:
        return f"failed ({parent.last_error or 'no reason given'})"
    return f"was {parent.status}"


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
        if parent.external_url or not _uses(publication, "url"):
            return False
        publication.status = S.PAUSED.value
        publication.hold_reason = _hold_reason(parent, channel_name, "published without a URL for {{ published.url }}")
    elif parent.status in BROKEN:
        publication.status = S.PAUSED.value
        publication.hold_reason = _hold_reason(parent, channel_name, _broken_reason(parent))
    else:
        # Not its turn: back to waiting, with no rq-scheduler entry; A's publish releases it.
        publication.status = S.SCHEDULED.value
        publication.hold_reason = waiting_reason(parent.id, channel_name)
    return True


def _uses(publication: Publication, name: str) -> bool:
    content = variants.resolve(publication.content, publication.channel)  # the text this channel gets
    texts = (content.title, content.body, content.excerpt or "")
    return any(name in {m.group(1) for m in PLACEHOLDER.finditer(text)} for text in texts)


# --- placeholders --------------------------------------------------------------------------------


def fill_placeholders(publication: Publication, request: PublishRequest) -> PublishRequest:
    """Put the published parent's URL and title into a chained publication's text; others pass unchanged."""
    if publication.after_publication_id is None:
        return request
    parent = _parent(publication)
    if parent is None or parent.status != S.PUBLISHED.value:
        return request
    values = {"url": parent.external_url or "", "title": variants.resolve(parent.content, parent.channel).title}
    content = request.content
    body_values = values
    if publication.content.body_format == "html" or looks_like_html(content.body):
        body_values = {k: html.escape(v) for k, v in values.items()}
    filled = replace(
        content,
        title=substitute(content.title, values),
        body=substitute(content.body, body_values),
        excerpt=substitute(content.excerpt, values) if content.excerpt is not None else None,
    )
    return replace(request, content=filled)


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace `{{ published.url }}` and `{{ published.title }}` once each; nothing else is read as a template."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


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
        outbox.add(_RELEASED, _snapshot(child))
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
        outbox.add(_RELEASED, _snapshot(child))  # announced, not enqueued: it is paused
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


def _enqueue_released(snapshots: list[_Dispatch]) -> None:
    for snapshot in snapshots:
        if snapshot.status == S.SCHEDULED.value:
            try:
                dispatch.enqueue_publication(snapshot)
            except RedisError:
                log.warning("publication %s released but not enqueued; the reconciler will", snapshot.id)
        events.publication_changed(snapshot)


def _on_published(publication: Publication) -> None:
    release(publication)


def _on_alert(alert: Alert) -> None:
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
