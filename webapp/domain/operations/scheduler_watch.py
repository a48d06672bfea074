"""Tell people when the scheduler goes silent, and when it is back: the `scheduler_silent` alert.

A silent scheduler queues nothing: every due publication waits. Workers notice (their heartbeat runs
this at most every CHECK_EVERY_S): a scheduler silent for SCHEDULER_SILENT_ALERT_S raises one alert in
every workspace, which reaches the owners who asked to be told (and each workspace's own destination
that chose the kind); when its heartbeat returns, those alerts are marked resolved and the same people
get a short "the scheduler is back" message (signals.scheduler_back), so nobody is left wondering
whether to get up. A Redis flag makes one worker of many raise it, once per silence.

The heartbeat key expires when the scheduler stops, so "silent since" is measured from the last
heartbeat any watcher saw (`last_seen`): a fresh install, or a flushed Redis, that never saw one
raises nothing until a scheduler has ticked at least once.
"""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select

from webapp.core import signals
from webapp.core.phrases import Phrase
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra.liveness import last_heartbeat_age
from webapp.infra.queues import get_redis, key
from webapp.models import Alert

KIND = "scheduler_silent"
CHECK_EVERY_S = 10.0
_last_check = 0.0


def _keys() -> tuple[str, str]:
    return key("scheduler", "last_seen"), key("scheduler", "silent_alerted")


def check(now: float | None = None) -> str | None:
    """Raise or resolve the alert as the scheduler's heartbeat says; return "raised", "resolved" or None."""
    now = now or time.time()
    redis = get_redis()
    last_seen_key, alerted_key = _keys()
    age = last_heartbeat_age()
    if age is not None:
        redis.set(last_seen_key, f"{now - age:.3f}")
    seen = redis.get(last_seen_key)
    if seen is None:
        return None  # no scheduler has ticked since Redis started: nothing to compare with
    silent_for = now - float(seen)
    if silent_for > current_app.config["SCHEDULER_SILENT_ALERT_S"]:
        if not redis.set(alerted_key, "1", nx=True):
            return None  # raised already (by this worker or another) for this silence
        alerts.raise_everywhere(
            KIND,
            Phrase(
                "The scheduler has been silent for %(seconds)s s: no publication is being queued. "
                "Check the scheduler process (its log, or `systemctl status herald-scheduler`).",
                seconds=round(silent_for),
            ),
        )
        db.session.commit()
        return "raised"
    if redis.delete(alerted_key):
        told = sorted(
            set(db.session.scalars(select(Alert.workspace_id).where(Alert.kind == KIND, Alert.resolved_at.is_(None))))
        )
        alerts.resolve_everywhere(KIND)
        signals.scheduler_back.send(told)
        db.session.commit()
        return "resolved"
    return None


def check_now_and_then() -> None:
    """Run `check` at most every CHECK_EVERY_S in this process (workers call it at each heartbeat)."""
    global _last_check
    if time.monotonic() - _last_check < CHECK_EVERY_S:
        return
    _last_check = time.monotonic()
    try:
        check()
    except Exception:  # noqa: BLE001 - a watcher's trouble must never stop a worker
        db.session.rollback()
        current_app.logger.exception("scheduler watch failed")
