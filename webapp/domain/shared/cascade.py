"""Delete a channel or content item, with the publications the database deletes along with it."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import select

from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Channel, Content, Publication, PublicationStatus

log = logging.getLogger(__name__)

# The statuses whose publication may have an entry in rq-scheduler.
_DISPATCHED = [s.value for s in (PublicationStatus.SCHEDULED, PublicationStatus.QUEUED, PublicationStatus.RETRYING)]


def delete_record(actor: Actor, kind: str, record: Channel | Content, publication_column, **details) -> None:
    """Delete the record (its publications go by ON DELETE CASCADE), then remove their rq-scheduler entries."""
    pending = list(
        db.session.scalars(
            select(Publication).where(publication_column == record.id, Publication.status.in_(_DISPATCHED))
        )
    )
    audit.record(actor, f"{kind}.deleted", kind, record.id, **details)
    db.session.delete(record)
    for publication in pending:
        db.session.expunge(publication)  # keeps its job id readable once the row is gone
    db.session.commit()
    for publication in pending:
        try:
            dispatch.unschedule_publication(publication)
        except RedisError:
            # Harmless: the job finds no publication to claim and does nothing.
            log.warning("publication %s: entry not removed after delete, Redis unavailable", publication.id)
