"""Failure detection: repeated failures need a person; an auth error stops a channel at once."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select

from webapp.core.phrases import At, Phrase, of
from webapp.domain.publishing import lifecycle, throttle
from webapp.domain.shared import alerts, audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.models import Channel, Publication, PublicationStatus, ScheduleStatus, utcnow

log = logging.getLogger(__name__)

NEEDS_INTERVENTION = "needs_intervention"
_HOLDABLE = (PublicationStatus.SCHEDULED.value, PublicationStatus.QUEUED.value, PublicationStatus.RETRYING.value)
AUTH_HOLD_PREFIX = "held: the channel's credentials were rejected"
# A person paused the channel: what comes due meanwhile waits for them to resume it.
PAUSE_HOLD_PREFIX = "held: the channel is paused"
PAUSE_HOLD = Phrase("held: the channel is paused; resume the channel to send it")
CHANNEL_HOLD_PREFIXES = (AUTH_HOLD_PREFIX, PAUSE_HOLD_PREFIX)


def _tripped(column, target_id: int) -> bool:
    """True when the target's last N outcomes all failed, or it failed M times in the window."""
    config = current_app.config
    recent = list(
        db.session.scalars(
            select(Publication.status)
            .where(
                column == target_id,
                Publication.status.in_([PublicationStatus.PUBLISHED.value, PublicationStatus.FAILED.value]),
            )
            .order_by(Publication.finished_at.desc())
            .limit(config["FAILURE_CONSECUTIVE"])
        )
    )
    if len(recent) == config["FAILURE_CONSECUTIVE"] and set(recent) == {PublicationStatus.FAILED.value}:
        return True
    since = utcnow() - timedelta(days=config["FAILURE_WINDOW_DAYS"])
    in_window = db.session.scalar(
        select(func.count(Publication.id)).where(
            column == target_id, Publication.status == PublicationStatus.FAILED.value, Publication.finished_at >= since
        )
    )
    return in_window >= config["FAILURE_WINDOW_COUNT"]


def after_failure(publication: Publication) -> None:
    """Put the channel and schedule in needs_intervention when failures repeat (the caller commits)."""
    db.session.flush()
    channel, schedule = publication.channel, publication.schedule
    if _tripped(Publication.channel_id, channel.id):
        channel.health = NEEDS_INTERVENTION
        channel.health_message = Phrase("repeated failures; last: %(error)s", error=of(publication, "last_error"))
        alerts.raise_alert(
            publication.workspace_id,
            NEEDS_INTERVENTION,
            Phrase(
                "Channel %(channel)s keeps failing and needs attention: %(error)s",
                channel=channel.name,
                error=of(publication, "last_error"),
            ),
            channel_id=channel.id,
            once_per_s=current_app.config["FAILURE_COOLOFF_S"],
        )
    if schedule.cron and _tripped(Publication.schedule_id, schedule.id):
        # A recurring schedule stops producing occurrences until someone resumes it.
        schedule.status = ScheduleStatus.NEEDS_INTERVENTION.value
        alerts.raise_alert(
            publication.workspace_id,
            NEEDS_INTERVENTION,
            Phrase(
                "Schedule #%(id)s keeps failing and was stopped: %(error)s",
                id=schedule.id,
                error=of(publication, "last_error"),
            ),
            publication_id=publication.id,
            once_per_s=current_app.config["FAILURE_COOLOFF_S"],
        )


def on_auth_error(publication: Publication, message: str) -> list[Publication]:
    """Mark the channel unhealthy and hold its pending publications instead of failing them (caller commits)."""
    channel = publication.channel
    channel.health, channel.health_message = "unhealthy", message
    held = list(
        db.session.scalars(
            select(Publication).where(Publication.channel_id == channel.id, Publication.status.in_(_HOLDABLE))
        )
    )
    for other in [publication, *held]:
        other.status = PublicationStatus.PAUSED.value
        other.hold_reason = Phrase(
            "held: the channel's credentials were rejected (%(message)s); fix them and resume the channel",
            message=message,
        )
    alerts.raise_alert(
        publication.workspace_id,
        "channel_unhealthy",
        Phrase(
            "Channel %(channel)s rejected its credentials: %(message)s. Its publications are held.",
            channel=channel.name,
            message=message,
        ),
        channel_id=channel.id,
        once_per_s=current_app.config["FAILURE_COOLOFF_S"],
    )
    return held


def channel_held(publication: Publication, reason: str | None) -> None:
    """Alert once per cool-off that the worker holds the channel's due posts: paused by a person, or its circuit open.

    (Rejected credentials hold a channel too; their own `channel_unhealthy` alert says so.) The caller commits.
    """
    if not reason or not reason.startswith((PAUSE_HOLD_PREFIX, throttle.CIRCUIT_WAIT)):
        return  # a rate-limit wait is the channel working as set up, not a hold
    channel = publication.channel
    paused = reason.startswith(PAUSE_HOLD_PREFIX)
    why = Phrase("is paused") if paused else Phrase("has its circuit open after repeated failures")
    alerts.raise_alert(
        publication.workspace_id,
        "channel_held",
        Phrase(
            "Channel %(channel)s %(why)s: its due posts are held (publication #%(id)s was due %(due)s). "
            "Resume the channel or reset its circuit to send them.",
            channel=channel.name,
            why=why,
            id=publication.id,
            due=At(publication.due_at, "minute"),
        ),
        channel_id=channel.id,
        once_per_s=current_app.config["FAILURE_COOLOFF_S"],
    )


def unschedule_held(publications: list[Publication]) -> None:
    """Remove held publications' rq-scheduler entries (after the commit that held them)."""
    for publication in publications:
        try:
            dispatch.unschedule_publication(publication)
        except RedisError:
            log.warning("publication %s: entry not removed; the worker's claim will refuse it", publication.id)
        events.publication_changed(publication)


def held_by_channel(channel: Channel):
    """Build the query of the channel's publications held for it (credentials rejected, or paused by a person)."""
    return select(Publication).where(
        Publication.channel_id == channel.id,
        Publication.status == PublicationStatus.PAUSED.value,
        or_(*(Publication.hold_reason.like(f"{prefix}%") for prefix in CHANNEL_HOLD_PREFIXES)),
    )


def held_count(channel: Channel) -> int:
    return db.session.scalar(select(func.count()).select_from(held_by_channel(channel).subquery()))


def resume_channel(actor: Actor, channel: Channel) -> int:
    """Clear a channel's failure state and its pause; put its held publications back on schedule; return how many.

    Each goes back as a person's resume would: to `scheduled` under a fresh job (due at once if its
    time has passed), `missed` past a `skip` schedule's grace, or waiting again for the publication
    it is chained after; each gets a timeline entry.
    """
    actor.require_writer()
    was_paused = channel.paused_at is not None
    channel.health, channel.health_message, channel.paused_at = "unknown", None, None
    work = lifecycle.Work(actor=actor, action=Phrase("resumed with its channel"))
    for publication in db.session.scalars(held_by_channel(channel).with_for_update()):
        lifecycle.wake(publication, work)
    audit.record(actor, "channel.resumed", "channel", channel.id, publications=len(work.changed), was_paused=was_paused)
    work.commit()
    channel_changed(channel)
    return len(work.changed)


def channel_changed(channel: Channel) -> None:
    """Tell live pages the channel's state changed (paused, resumed, circuit reset, edited)."""
    events.publish(channel.workspace_id, "channel", id=channel.id)
