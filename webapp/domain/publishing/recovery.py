"""Settle publications whose outcome is unknown, without ever sending one twice blindly."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from webapp.adapters.base import AdapterError
from webapp.core import signals
from webapp.core.phrases import Phrase
from webapp.domain.channels.channels import adapter_for
from webapp.domain.content import media
from webapp.domain.publishing import publisher, schedules, throttle
from webapp.domain.publishing.publisher import build_request
from webapp.domain.publishing.redaction import redact
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.models import Attempt, Publication, PublicationStatus, utcnow

log = logging.getLogger(__name__)


def free_orphaned_slots() -> int:
    """Free the channel slots of worker processes that died mid-call, and queue who waited for them; return how many."""
    freed, woken = throttle.release_orphans()
    for job_id in woken:
        publisher.hand_over(job_id)
    return freed


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
        media.forget_uploads_after_unknown_outcome(publication)
        publication.status = PublicationStatus.UNCONFIRMED.value
        publication.last_error = Phrase(
            "%(error_class)s: the worker stopped during the platform call", error_class="unknown_outcome"
        )
        for attempt in publication.attempts:
            if attempt.finished_at is None:
                attempt.finished_at, attempt.outcome = now, "unknown_outcome"
                attempt.error_class, attempt.error_message = "unknown_outcome", Phrase("worker stopped during the call")
    db.session.commit()
    for publication in orphans:
        events.publication_changed(publication)
    return len(orphans)


# The mark of an unconfirmed publication Herald will not decide alone: it waits for a person.
WAITING_FOR_A_PERSON = "waiting for you: "


def resolve_unconfirmed(limit: int = 100) -> dict[str, int]:
    """Ask each platform about unconfirmed publications: publish the found; re-send the rest only when the
    platform said it has nothing and attempts are left; otherwise hold them for a person, with an alert."""
    report = {"confirmed": 0, "resent": 0, "undecided": 0, "held": 0}
    pending = list(
        db.session.scalars(
            select(Publication)
            .where(
                Publication.status == PublicationStatus.UNCONFIRMED.value,
                # Those already waiting for a person stay as they are until someone acts.
                or_(Publication.hold_reason.is_(None), ~Publication.hold_reason.startswith(WAITING_FOR_A_PERSON)),
            )
            .limit(limit)
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


def lookup_request(publication: Publication):
    """The publish request, with when its first attempt began: platforms looked up by content need it."""
    started = [a.started_at for a in publication.attempts if a.started_at is not None]
    return replace(build_request(publication), sent_since=min(started) if started else None)


def _resolve(publication: Publication) -> str:
    adapter = adapter_for(publication.channel, timeout=current_app.config["PUBLISH_TIMEOUT_S"])
    if adapter.supports_lookup:
        try:
            found = adapter.find_existing(lookup_request(publication))
        except AdapterError as exc:
            # The platform cannot answer now: stay unconfirmed and ask again next round.
            publication.last_error = Phrase("unconfirmed; lookup failed: %(message)s", message=redact(exc.message))
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
                    error_message=Phrase("confirmed on the platform by idempotency key"),
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
        if publication.attempts_count >= current_app.config["PUBLISH_MAX_ATTEMPTS"]:
            return _hold(
                publication, Phrase("%(count)s attempts made, none confirmed", count=publication.attempts_count)
            )
        # The platform says it has nothing under this publication's marker: sending again is safe.
        publication.status = PublicationStatus.SCHEDULED.value
        dispatch.redispatch(publication)
        return "resent"
    # The platform cannot be asked (a webhook receiver): a re-send would lean on it deduplicating the
    # Idempotency-Key, which many servers do not (or only for an hour). Never re-send blindly.
    return _hold(
        publication,
        Phrase("%(platform)s cannot be asked whether the post arrived", platform=publication.channel.platform),
    )


def _hold(publication: Publication, why: Phrase) -> str:
    """Leave the publication unconfirmed for a person to decide, with an alert (raised once)."""
    reason = Phrase(
        "waiting for you: %(why)s. Check the platform, then retry it, mark it published, or cancel it.", why=why
    )  # starts with WAITING_FOR_A_PERSON
    publication.hold_reason = reason
    alerts.publication_alert(
        publication,
        "unconfirmed",
        Phrase("Publication #%(id)s's outcome is unknown: %(reason)s", id=publication.id, reason=reason),
    )
    return "held"
