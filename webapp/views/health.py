"""Health check for load balancers and operators; no login."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.queues import get_redis
from webapp.scheduling.runner import last_heartbeat_age

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks: dict = {}
    failing: list[str] = []
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        failing.append("database")
    try:
        get_redis().ping()
        checks["redis"] = "ok"
        age = last_heartbeat_age()
        alive = sum(1 for w in Worker.all(connection=get_redis()) if w.state != "suspended")
    except RedisError as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
        failing.append("redis")
        age, alive = None, 0
    stale_after = current_app.config["HEARTBEAT_STALE_S"]
    checks["scheduler"] = {"last_heartbeat_s": None if age is None else round(age, 1)}
    if age is None or age > stale_after:
        failing.append("scheduler")
    checks["workers"] = {"alive": alive}
    if alive == 0:
        failing.append("workers")
    body = {"status": "ok" if not failing else "failing", "checks": checks}
    if failing:
        body["failing"] = failing
    return jsonify(body), 200 if not failing else 503
