"""What a person does to a whole channel: pause it, reset its circuit, delete it; and its live state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import func, select

from webapp.core.errors import Conflict, ServiceError, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.domain.channels import channels
from webapp.domain.publishing import channel_limits, failures, lifecycle, throttle
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Channel, Publication, PublicationStatus

S = PublicationStatus


class RedisUnavailable(ServiceError):
    code = "unavailable"


@dataclass(frozen=True)
class ChannelState:
    """Everything the channel's page and row show about it now."""

    channel: Channel
    limits: channel_limits.ChannelLimits
    held: int  # paused for the channel: credentials rejected, or the channel paused
    rate_waiting: int  # retrying until the rate limit gives them a token
    circuit_waiting: int  # retrying until the open circuit lets a call through
    slot_waiting: int  # retrying until a call to the channel ends (its in-flight cap is reached)
    pending: dict[str, int]  # by status: what a delete would cancel

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())


def _waiting(channel: Channel, prefix: str) -> int:
    return db.session.scalar(
        select(func.count(Publication.id)).where(
            Publication.channel_id == channel.id,
            Publication.status == S.RETRYING.value,
            Publication.hold_reason.like(f"{prefix}%"),
        )
    )


def state(channel: Channel, now: float | None = None) -> ChannelState:
    """Read the channel's live state (the database's counts and the Redis circuit and bucket)."""
    return ChannelState(
        channel=channel,
        limits=channel_limits.limits(channel, now),
        held=failures.held_count(channel),
        rate_waiting=_waiting(channel, throttle.RATE_WAIT),
        circuit_waiting=_waiting(channel, throttle.CIRCUIT_WAIT),
        slot_waiting=_waiting(channel, throttle.SLOT_WAIT),
        pending=channels.pending_counts(channel),
    )


def _locked(channel: Channel, *conditions) -> list[Publication]:
    """The channel's publications matching the conditions, locked against a worker's concurrent claim."""
    query = select(Publication).where(Publication.channel_id == channel.id, *conditions)
    return list(db.session.scalars(query.order_by(Publication.id).with_for_update()))


def states(actor: Actor, now: float | None = None) -> list[ChannelState]:
    """The live state of every channel of the workspace, by name."""
    return [state(channel, now) for channel in channels.list_channels(actor)]


def pause_channel(actor: Actor, channel_id: int, now: datetime | None = None) -> int:
    """Pause a channel: hold its waiting publications (`paused`, with the reason) until it resumes; return how many.

    One `publishing` right now finishes; one that comes due while the channel is paused is held by
    the worker instead of sent (publisher).
    """
    actor.require_writer()
    channel = channels.get_channel(actor, channel_id)
    if channel.paused_at is not None:
        raise Conflict(lazy_gettext("This channel is already paused."))
    work = lifecycle.Work(now, actor=actor, action=Phrase("the channel is paused"))
    channel.paused_at = work.now
    for publication in _locked(channel, Publication.status.in_([str(s) for s in lifecycle.PAUSABLE])):
        work.drop(publication)
        publication.status, publication.hold_reason = S.PAUSED.value, failures.PAUSE_HOLD
        work.touch(publication)
    audit.record(actor, "channel.paused", "channel", channel.id, publications=len(work.changed))
    work.commit()
    failures.channel_changed(channel)
    return len(work.changed)


def resume_channel(actor: Actor, channel_id: int) -> int:
    """Resume a paused or failing channel and release what was held for it; return how many."""
    return failures.resume_channel(actor, channels.get_channel(actor, channel_id))


def reset_breaker(actor: Actor, channel_id: int, now: datetime | None = None) -> int:
    """Close the channel's circuit by hand; what waited for it is due again now. Return how many were released."""
    actor.require_writer()
    channel = channels.get_channel(actor, channel_id)
    try:
        throttle.reset_breaker(channel.id)
    except RedisError as exc:
        raise RedisUnavailable("The circuit could not be reset: Redis did not answer. Try again.") from exc
    work = lifecycle.Work(now, actor=actor, action=Phrase("circuit reset by hand"))
    waiting = _locked(
        channel, Publication.status == S.RETRYING.value, Publication.hold_reason.like(f"{throttle.CIRCUIT_WAIT}%")
    )
    for publication in waiting:
        work.drop(publication)
        publication.next_attempt_at, publication.hold_reason = work.now, None
        dispatch.redispatch(publication)
        work.touch(publication, enqueue=True)
    audit.record(actor, "channel.breaker_reset", "channel", channel.id, publications=len(work.changed))
    work.commit()
    failures.channel_changed(channel)
    return len(work.changed)


def delete_channel(actor: Actor, channel_id: int, *, cancel_pending: bool = False, now: datetime | None = None) -> int:
    """Delete (archive) a channel; its pending publications are cancelled if asked, else it refuses.

    Return how many were cancelled. One being published right now always refuses: its outcome is
    not known yet. The published history stays readable under the channel's archived name.
    """
    actor.require_writer()
    channel = channels.get_channel(actor, channel_id)
    counts = channels.pending_counts(channel)
    publishing = counts.get(S.PUBLISHING.value, 0)
    if publishing or (counts and not cancel_pending):
        raise channels.pending_conflict(sum(counts.values()), publishing)
    work = lifecycle.Work(now, actor=actor, action=Phrase("cancelled: its channel was deleted"))
    for publication in _locked(channel, Publication.status.in_([str(s) for s in lifecycle.CANCELLABLE])):
        lifecycle.cancel_publication(publication, work)
    channels.archive(actor, channel, work.now)
    work.commit()
    failures.channel_changed(channel)
    return len(work.changed)
