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
    """Tick and publish the series' waiting runs in due order (each on all its channels); return what went out."""
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
        due = waiting[0].due_at
        ids, tick_at = [p.id for p in waiting if p.due_at == due], due + timedelta(seconds=1)
        with time_machine.travel(tick_at, tick=False):
            publisher.mark_queued(ids, at=tick_at)
            db.session.remove()
            for publication_id in ids:
                publisher.execute(publication_id)
                db.session.remove()
    return (
        db.session.query(Publication)
        .filter_by(schedule_id=schedule_id, status="published")
        .order_by(Publication.due_at)
        .all()
    )
