"""Settle publications whose outcome is unknown, without ever sending one twice blindly."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from webapp.adapters.base import AdapterError
from webapp.core import signals
from webapp.domain.channels.channels import adapter_for
from webapp.domain.publishing import schedules
from webapp.domain.publishing.publisher import build_request, redact
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.models import Attempt, Publication, PublicationStatus, utcnow

log = logging.getLogger(__name__)


def mark_orphans(now: datetime | None = None, limit: int = 500) -> int:
    """Turn `publishing` rows whose worker died mid-call into `unconfirmed`; return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["ORPHAN_AFTER_S"])
    orphans = list(
        db.session.scalars(
            select(Publication)
            .where(Publication.status == PublicationStatus.PUBLISHING.value, Publication.updated_at < cutoff)
            .limit(limit)
        )
    )
    for publication in orphans:
        publication.status = PublicationStatus.UNCONFIRMED.value
        publication.last_error = "unknown_outcome: the worker stopped during the platform call"
        for attempt in publication.attempts:
            if attempt.finished_at is None:
                attempt.finished_at, attempt.outcome = now, "unknown_outcome"
                attempt.error_class, attempt.error_message = "unknown_outcome", "worker stopped during the call"
    db.session.commit()
    for publication in orphans:
        events.publication_changed(publication)
    return len(orphans)


def resolve_unconfirmed(limit: int = 100) -> dict[str, int]:
    """Ask each platform about unconfirmed publications; publish the found, re-queue the rest under the same key."""
    report = {"confirmed": 0, "resent": 0, "undecided": 0}
    pending = list(
        db.session.scalars(
            select(Publication).where(Publication.status == PublicationStatus.UNCONFIRMED.value).limit(limit)
        )
    )
    for publication in pending:
        outcome = _resolve(publication)
        report[outcome] += 1
        db.session.commit()
        if outcome == "resent":
            dispatch.enqueue_publication(publication, when=utcnow())
        events.publication_changed(publication)
    return report


def _resolve(publication: Publication) -> str:
    adapter = adapter_for(publication.channel, timeout=current_app.config["PUBLISH_TIMEOUT_S"])
    if adapter.supports_lookup:
        try:
            found = adapter.find_existing(build_request(publication))
        except AdapterError as exc:
            # The platform cannot answer now: stay unconfirmed and ask again next round.
            publication.last_error = f"unconfirmed; lookup failed: {redact(exc.message)}"
            return "undecided"
        if found is not None:
            now = utcnow()
            publication.attempts_count += 1
            db.session.add(
                Attempt(
                    publication_id=publication.id,
                    number=publication.attempts_count,
                    started_at=now,
                    finished_at=now,
                    outcome=PublicationStatus.PUBLISHED.value,
                    error_message="confirmed on the platform by idempotency key",
                    http_status=found.http_status,
                )
            )
            publication.status, publication.finished_at = PublicationStatus.PUBLISHED.value, now
            publication.external_id, publication.external_url = found.external_id, found.external_url
            publication.last_error = None
            # Confirmed is published: outbound webhooks, notifications and chained publications react.
            signals.publication_published.send(publication)
            schedules.settle(publication.schedule)
            return "confirmed"
    # Either the platform says it has nothing under this key, or it cannot be asked but dedupes on
    # the Idempotency-Key we send (webhook receivers, Mastodon): sending again is safe.
    publication.status = PublicationStatus.SCHEDULED.value
    dispatch.redispatch(publication)
    return "resent"
