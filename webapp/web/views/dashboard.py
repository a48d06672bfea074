"""The overview: metrics and the upcoming-and-recent table, both live over SSE."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from webapp.domain.operations.metrics import attention, workspace_metrics
from webapp.domain.publishing.publications import upcoming_and_recent
from webapp.infra.liveness import system_status
from webapp.models import Publication
from webapp.web.auth import ui_actor
from webapp.web.htmx import render, wants_fragment

bp = Blueprint("dashboard", __name__)

ROWS = 25


def _rows() -> list[Publication]:
    # Upcoming first (soonest at the top), then the most recent past activity.
    return upcoming_and_recent(ui_actor(), ROWS)


def _metrics() -> dict:
    return workspace_metrics(ui_actor().workspace_id, current_user.timezone)


def _overview() -> dict:
    return {"attention": attention(ui_actor().workspace_id), "system": system_status()}


@bp.get("/")
def index():
    return render("dashboard/index.html", metrics=_metrics(), rows=_rows(), **_overview())


@bp.get("/dashboard/overview")
def overview():
    """Render the issues panel and the status strip (re-fetched on every change and liveness signal)."""
    if not wants_fragment():
        return index()
    return render("dashboard/index.html", block="overview", **_overview())


@bp.get("/dashboard/metrics")
def metrics():
    if not wants_fragment():
        return index()
    return render("dashboard/index.html", block="metrics", metrics=_metrics())


@bp.get("/dashboard/publications")
def publications():
    if not wants_fragment():
        return index()
    return render("dashboard/index.html", block="publications", rows=_rows())
