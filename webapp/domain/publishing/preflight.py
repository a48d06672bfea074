"""Pre-flight: find publications due soon that would fail, and alert while there is time to fix them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from webapp.adapters.base import Adapter, AdapterError, PermanentError, PublishRequest
from webapp.core.phrases import At, Phrase, joined, of
from webapp.domain.channels.channels import adapter_for
from webapp.domain.publishing.publisher import approval_problem, build_request
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra.crypto import CredentialsError
from webapp.models import Channel, Publication, PublicationStatus, utcnow

log = logging.getLogger(__name__)

KIND = "preflight"
UNHEALTHY = ("unhealthy", "needs_intervention")
# Enough for any real backlog; the rest is looked at on the next run.
BATCH = 500


def due_soon(now: datetime) -> list[Publication]:
    """Return the publications that will be attempted between now and the pre-flight horizon."""
    horizon = now + timedelta(minutes=current_app.config["PREFLIGHT_MINUTES"])
    scheduled = and_(Publication.status == PublicationStatus.SCHEDULED.value, Publication.due_at.between(now, horizon))
    retrying = and_(
        Publication.status == PublicationStatus.RETRYING.value, Publication.next_attempt_at.between(now, horizon)
    )
    return list(
        db.session.scalars(
            select(Publication)
            .where(or_(scheduled, retrying))
            .order_by(Publication.due_at, Publication.id)
            .limit(BATCH)
        )
    )


def run(now: datetime | None = None) -> int:
    """Alert once per publication due soon that would fail; return how many alerts were raised."""
    now = now or utcnow()
    once_per_s = current_app.config["PREFLIGHT_MINUTES"] * 60
    channels: dict[int, tuple[Adapter | None, list[str]]] = {}
    raised = 0
    for publication in due_soon(now):
        found = problems(publication, channels)
        if not found:
            continue
        at = publication.next_attempt_at or publication.due_at
        message = Phrase(
            "Publication #%(id)s (%(title)s) on %(channel)s, due %(due)s, would fail: %(problems)s",
            id=publication.id,
            title=publication.content.title,
            channel=publication.channel.name,
            due=At(at, "minute"),
            problems=joined(found, "; "),
        )
        alert = alerts.raise_alert(
            publication.workspace_id,
            KIND,
            message,
            publication_id=publication.id,
            channel_id=publication.channel_id,
            once_per_s=once_per_s,
        )
        raised += alert is not None
    db.session.commit()
    return raised


def problems(publication: Publication, channels: dict | None = None) -> list[str]:
    """List what would make the publication fail, without sending anything or changing it."""
    channels = {} if channels is None else channels
    if publication.channel_id not in channels:  # channel checks once per run, however many posts share it
        channels[publication.channel_id] = check_channel(publication.channel)
    adapter, found = channels[publication.channel_id]
    found = list(found)
    if reason := approval_problem(publication):
        found.append(reason)
    if adapter is not None and (reason := content_problem(adapter, build_request(publication))):
        found.append(reason)
    return found


def check_channel(channel: Channel) -> tuple[Adapter | None, list[str]]:
    """Return the channel's adapter (None when unusable) and what is wrong with the channel."""
    found = []
    if channel.health in UNHEALTHY:
        health = Phrase(channel.health.replace("_", " "))  # a msgid already: the UI's TERMS name each health
        if channel.health_message:
            found.append(
                Phrase(
                    "channel %(channel)s is %(health)s: %(detail)s",
                    channel=channel.name,
                    health=health,
                    detail=of(channel, "health_message"),
                )
            )
        else:
            found.append(Phrase("channel %(channel)s is %(health)s", channel=channel.name, health=health))
    try:
        adapter = adapter_for(channel, timeout=current_app.config["PUBLISH_TIMEOUT_S"])
    except CredentialsError as exc:
        return None, [*found, str(exc)]
    if error := adapter.config_error():
        return None, [*found, error.message]
    return adapter, found


def content_problem(adapter: Adapter, request: PublishRequest) -> str | None:
    """Run the adapter's own content check (nothing is posted); return its complaint or None."""
    try:
        adapter.check_content(request)
    except PermanentError as exc:
        return exc.message
    except AdapterError as exc:
        # The platform could not say (down, slow): the publish will judge; an alert now would be a guess.
        log.info("pre-flight: content of publication %s not checked: %s", request.publication_id, exc.message)
    return None
