"""An unconfirmed publication that waits for a person: they checked the platform, and say it is published.

Herald re-sends an `unconfirmed` publication by itself only when it can ask the platform first and
the platform has nothing under the publication's marker (recovery.py). Otherwise it waits, with an
alert, for a person to look: then they retry it (lifecycle), cancel it (lifecycle), or, if the post
is there, mark it published with its address — which is this module.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from webapp.core import signals
from webapp.core.errors import Conflict, ValidationFailed, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.domain.publishing import schedules
from webapp.domain.publishing.lifecycle import Work
from webapp.domain.publishing.publications import get_publication
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Attempt, Publication, PublicationStatus

MAX_URL_LENGTH = 2000


def url_problem(url) -> str | None:
    """Say what is wrong with the address a person gives for a post they found, or None."""
    if not isinstance(url, str) or not url.strip():
        return lazy_gettext("is required: the address of the post on the platform")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL_LENGTH:
        return lazy_gettext("must be an http(s) address of at most 2,000 characters")
    return None


def mark_published(actor: Actor, publication_id: int, url) -> Publication:
    """Record that a person found the unconfirmed publication's post on the platform, at `url`; commit."""
    actor.require_writer()
    publication = get_publication(actor, publication_id)
    if publication.status != PublicationStatus.UNCONFIRMED.value:
        raise Conflict(
            lazy_gettext(
                "is %(status)s; only an unconfirmed publication can be marked published", status=publication.status
            )
        )
    if problem := url_problem(url):
        raise ValidationFailed({"url": problem})
    work = Work(actor=actor, action=Phrase("marked published"))
    publication.attempts_count += 1
    db.session.add(
        Attempt(
            publication_id=publication.id,
            number=publication.attempts_count,
            started_at=work.now,
            finished_at=work.now,
            outcome=PublicationStatus.PUBLISHED.value,
            error_message=Phrase("confirmed by a person who found the post on the platform"),
        )
    )
    publication.status, publication.finished_at = PublicationStatus.PUBLISHED.value, work.now
    publication.external_url = url.strip()
    publication.last_error = publication.hold_reason = None
    # Published is published, whoever confirmed it: outbound webhooks, notifications and chains react.
    signals.publication_published.send(publication)
    schedules.settle(publication.schedule)
    audit.record(actor, "publication.marked_published", "publication", publication.id, url=publication.external_url)
    work.touch(publication)
    work.commit()
    return publication
