"""Rows Herald sends once with retries (webhook deliveries, notifications): claim, retry or fail, sweep.

Such a row is `pending` until its next_attempt_at, `sending` while one worker holds it, then a final
status (or `pending` again, later, for a retry). The model needs the columns id, status, attempts,
next_attempt_at, last_attempt_at and last_error.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from webapp.core.backoff import backoff_seconds
from webapp.extensions import db


def claim(model, record_id: int, now: datetime) -> bool:
    """Move a due `pending` row to `sending` and commit; True only for the one caller that won it."""
    claimed = db.session.execute(
        update(model)
        .where(model.id == record_id, model.status == "pending", model.next_attempt_at <= now)
        .values(status="sending", last_attempt_at=now)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def fail(record, error: str) -> None:
    """Mark the row `failed` for good, with the reason."""
    record.status, record.last_error, record.next_attempt_at = "failed", error, None


def retry_or_fail(record, error: str, now: datetime, *, retry_after: float | None, max_attempts: int) -> None:
    """Put the row back to `pending` after a backoff (not sooner than retry_after), or fail it after its last try."""
    if record.attempts >= max_attempts:
        fail(record, error)
        return
    config = current_app.config
    wait = backoff_seconds(record.attempts, config["RETRY_BASE_S"], config["RETRY_CAP_S"], retry_after)
    record.status, record.last_error = "pending", error
    record.next_attempt_at = now + timedelta(seconds=wait)


def reset_stuck(model, stuck_since: datetime, retry_at: datetime) -> int:
    """Put rows claimed before stuck_since (their worker died mid-send) back to `pending`; return how many."""
    return db.session.execute(
        update(model)
        .where(model.status == "sending", model.last_attempt_at < stuck_since)
        .values(status="pending", next_attempt_at=retry_at)
    ).rowcount


def due_ids(model, due_by: datetime, batch: int) -> list[int]:
    """Return the ids of up to batch `pending` rows due by due_by, the longest waiting first."""
    return list(
        db.session.scalars(
            select(model.id)
            .where(model.status == "pending", model.next_attempt_at <= due_by)
            .order_by(model.next_attempt_at)
            .limit(batch)
        )
    )
