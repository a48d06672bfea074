"""What the health page shows beyond /healthz: Redis and database round trips, migrations, channel checks."""

from __future__ import annotations

import time
from functools import cache

from alembic.script import ScriptDirectory
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra.liveness import supervisor_report, system_status
from webapp.infra.queues import get_redis
from webapp.models import Channel


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def redis_report() -> dict:
    """Ping Redis and read its version, memory and client count; say why when it does not answer."""
    redis = get_redis()
    try:
        started = time.perf_counter()
        redis.ping()
        latency = _elapsed_ms(started)
        info = redis.info()
    except RedisError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "ok": True,
        "latency_ms": latency,
        "version": info.get("redis_version"),
        "used_memory": info.get("used_memory_human"),
        "max_memory": info.get("maxmemory_human") if info.get("maxmemory") else "no limit",
        "clients": info.get("connected_clients"),
    }


@cache
def _migration_heads(directory: str) -> tuple[str, ...]:
    # The code's migrations do not change while a process runs: read the scripts once.
    return tuple(ScriptDirectory(directory).get_heads())


def database_problem() -> str | None:
    """Ping the database: None when it answers, else the error's class name (for a load balancer's health check)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return type(exc).__name__
    return None


def redis_problem() -> str | None:
    """Ping Redis: None when it answers, else the error's class name."""
    try:
        get_redis().ping()
    except RedisError as exc:
        return type(exc).__name__
    return None


def database_report() -> dict:
    """Ping the database and compare its migration revision with the code's head."""
    try:
        started = time.perf_counter()
        db.session.execute(text("SELECT 1"))
        latency = _elapsed_ms(started)
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    heads = _migration_heads(current_app.extensions["migrate"].directory)
    return {
        "ok": revision in heads,
        "latency_ms": latency,
        "dialect": db.engine.dialect.name,
        "revision": revision,
        "head": ", ".join(heads),
    }


def channel_reports(actor: Actor) -> list[dict]:
    """Return each of the workspace's channels with its stored health and what pre-flight finds wrong now."""
    from webapp.domain.publishing.preflight import check_channel

    rows = db.session.scalars(
        select(Channel)
        .where(Channel.workspace_id == actor.workspace_id, Channel.archived_at.is_(None))
        .order_by(Channel.name, Channel.id)
    )
    # check_channel is local (decrypts the credentials, validates settings): nothing is sent to a platform.
    return [{"channel": channel, "problems": check_channel(channel)[1]} for channel in rows]


def _supervisor() -> dict | None:
    """The launcher's restart record (`make run`), or None when it runs elsewhere or Redis does not answer."""
    try:
        return supervisor_report()
    except RedisError:
        return None


def health_report(actor: Actor) -> dict:
    """Gather the machinery's state (shared by every workspace) and the actor's channels for the health page."""
    return {
        "system": system_status(),
        "redis": redis_report(),
        "database": database_report(),
        "channels": channel_reports(actor),
        "supervisor": _supervisor(),
        "stale_after_s": current_app.config["HEARTBEAT_STALE_S"],
    }
