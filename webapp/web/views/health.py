"""Health: `/livez` and `/readyz` for load balancers, `/healthz` for the whole system (no login for these
three), and the `/health` page for signed-in members."""

from __future__ import annotations

from flask import Blueprint, jsonify

from webapp.domain.operations.diagnostics import database_problem, health_report, redis_problem
from webapp.infra.liveness import system_status
from webapp.web.auth import ui_actor
from webapp.web.htmx import render

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """This web process answers requests (restart it if not). Touches nothing else."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """This web process can serve: the database and Redis answer. A silent scheduler or no worker does not
    take a web node out of rotation (its pages still work, and `/healthz` says what is wrong)."""
    failing = {}
    if (problem := database_problem()) is not None:
        failing["database"] = problem
    if (problem := redis_problem()) is not None:
        failing["redis"] = problem
    if failing:
        return jsonify({"status": "failing", "failing": sorted(failing), "problems": failing}), 503
    return jsonify({"status": "ok"})


@bp.get("/healthz")
def healthz():
    checks: dict = {}
    failing: list[str] = []
    if (problem := database_problem()) is None:
        checks["database"] = "ok"
    else:
        checks["database"] = f"error: {problem}"
        failing.append("database")
    status = system_status()
    checks["redis"] = "ok" if status["redis"] else "error: unreachable"
    checks["scheduler"] = {"last_heartbeat_s": status.get("scheduler_heartbeat_age_s")}
    checks["workers"] = {"alive": status.get("workers_alive", 0)}
    checks["queues"] = status.get("queue_depths", {})
    if not status["redis"]:
        failing.append("redis")
    else:
        if any("scheduler" in p for p in status["problems"]):
            failing.append("scheduler")
        if status["workers_alive"] == 0:
            failing.append("workers")
    body = {"status": "ok" if not failing else "failing", "checks": checks}
    if failing:
        body["failing"] = failing
        body["problems"] = status["problems"]
    return jsonify(body), 200 if not failing else 503


@bp.get("/health")
def page():
    return render("health/index.html", block="report", **health_report(ui_actor()))
