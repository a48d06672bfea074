"""A publish's own rows as single statements: the attempt it opens and closes, the publication's start and end.

On the hottest path the ORM's unit of work (its dependency sort and per-relationship actions) cost more CPU
than the statements it wrote: about 0.7 ms an object flushed against 0.15 ms for its UPDATE or INSERT run
directly (SQLite, bench/execute_path.py). Each statement is followed by the same values set on the loaded
objects as committed: they read as the ORM would have left them, and a later ORM change to them (a failure's
outcome) flushes as before. No attribute event fires for a committed value, so the one write here that another
part of Herald listens to, the publication's status on a publish, tells alert_causes itself; a failure's
outcome, rarer and with more to write, stays an ORM write.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from webapp.domain.shared import alert_causes
from webapp.extensions import db
from webapp.models import Attempt, Publication, PublicationStatus

_UTC = Publication.__table__.c.updated_at.type
# Built once, as the claim is; parameter names are no column's (an UPDATE would SET a column a parameter names).
_STARTED = (
    update(Publication)
    .where(Publication.id == bindparam("start_id"))
    .values(
        started_at=bindparam("start_started", type_=_UTC),
        lateness_ms=bindparam("start_lateness"),
        hold_reason=None,  # a reason to wait is over once the attempt starts
        hold_reason_i18n=None,
        updated_at=bindparam("start_at", type_=_UTC),
    )
)
_OPENED = insert(Attempt).values(
    publication_id=bindparam("open_publication"),
    number=bindparam("open_number"),
    started_at=bindparam("open_at", type_=_UTC),
    outcome="running",
)
_CLOSED = (
    update(Attempt)
    .where(Attempt.id == bindparam("close_id"))
    .values(
        finished_at=bindparam("close_at", type_=_UTC),
        outcome=bindparam("close_outcome"),
        http_status=bindparam("close_status"),
        response_excerpt=bindparam("close_excerpt"),
    )
)

# What every publish sets the same way; an earlier attempt's error and next try are over.
_PUBLISHED_STATE = {
    "status": PublicationStatus.PUBLISHED.value,
    "last_error": None,
    "last_error_i18n": None,
    "next_attempt_at": None,
}
_PUBLISHED = (
    update(Publication)
    .where(Publication.id == bindparam("done_id"))
    .values(
        **_PUBLISHED_STATE,
        external_id=bindparam("done_external_id"),
        external_url=bindparam("done_external_url"),
        finished_at=bindparam("done_at", type_=_UTC),
        updated_at=bindparam("done_at", type_=_UTC),
    )
)


def open_attempt(publication: Publication, now: datetime) -> Attempt:
    """Stamp the publication's start (its first attempt's) and insert the attempt it begins (the caller commits)."""
    started, lateness = publication.started_at, publication.lateness_ms
    if started is None:
        started, lateness = now, int((now - publication.due_at) / timedelta(milliseconds=1))
    connection = db.session.connection()
    connection.execute(
        _STARTED, {"start_id": publication.id, "start_started": started, "start_lateness": lateness, "start_at": now}
    )
    _committed(publication, started_at=started, lateness_ms=lateness, hold_reason=None, hold_reason_i18n=None)
    set_committed_value(publication, "updated_at", now)
    number = publication.attempts_count
    opened = connection.execute(_OPENED, {"open_publication": publication.id, "open_number": number, "open_at": now})
    attempt = Attempt(
        id=opened.inserted_primary_key[0],
        publication_id=publication.id,
        number=number,
        started_at=now,
        finished_at=None,
        outcome="running",
        error_class=None,
        error_message=None,  # its validator sets error_message_i18n too: every column is given, none lazy-loads
        http_status=None,
        response_excerpt=None,
    )
    # The row exists: the object joins the session as if it had been loaded, with nothing to flush.
    make_transient_to_detached(attempt)
    db.session.add(attempt)
    return attempt


def close_published(attempt: Attempt, now: datetime, http_status: int | None, excerpt: str | None) -> None:
    """Record a published attempt's end (the caller commits)."""
    outcome = PublicationStatus.PUBLISHED.value
    params = {"close_id": attempt.id, "close_at": now, "close_outcome": outcome, "close_status": http_status}
    db.session.connection().execute(_CLOSED, {**params, "close_excerpt": excerpt})
    _committed(attempt, finished_at=now, outcome=outcome, http_status=http_status, response_excerpt=excerpt)


def mark_published(publication: Publication, now: datetime, external_id: str | None, external_url: str | None) -> None:
    """Record that the publication went out (the caller commits); its alerts resolve with the commit."""
    old_status = publication.status
    db.session.connection().execute(
        _PUBLISHED,
        {"done_id": publication.id, "done_at": now, "done_external_id": external_id, "done_external_url": external_url},
    )
    _committed(
        publication,
        **_PUBLISHED_STATE,
        external_id=external_id,
        external_url=external_url,
        finished_at=now,
        updated_at=now,
    )
    alert_causes.status_written(publication, old_status)


def _committed(record, **values) -> None:
    # What the statement wrote, as the loaded object's committed state: nothing is left for a flush.
    for name, value in values.items():
        set_committed_value(record, name, value)
