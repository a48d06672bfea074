"""Play a recurring series as the scheduler tick and the worker would, at each run's due time."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from webapp.domain.publishing import publisher
from webapp.extensions import db
from webapp.models import Publication


def ok_result():
    from webapp.adapters.base import PublishResult

    return PublishResult(external_id="1", external_url=None, http_status=200, response_excerpt=None)


def play(schedule_id: int, monkeypatch, limit: int = 5) -> list[Publication]:
    """Tick and publish the series' waiting runs in due order; return the publications that went out."""
    monkeypatch.setattr("webapp.domain.publishing.publisher._call_platform", lambda publication: ok_result())
    for _ in range(limit):
        waiting = (
            db.session.query(Publication)
            .filter_by(schedule_id=schedule_id, status="scheduled")
            .order_by(Publication.due_at)
            .all()
        )
        if not waiting:
            break
        publication = waiting[0]
        publication_id, tick_at = publication.id, publication.due_at + timedelta(seconds=1)
        with time_machine.travel(tick_at, tick=False):
            publisher.mark_queued([publication_id], at=tick_at)
            db.session.remove()
            publisher.execute(publication_id)
            db.session.remove()
    return (
        db.session.query(Publication)
        .filter_by(schedule_id=schedule_id, status="published")
        .order_by(Publication.due_at)
        .all()
    )
