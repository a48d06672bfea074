"""The overview: metrics and the upcoming-and-recent table, both live over SSE."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import select

from webapp.domain.operations.metrics import attention, workspace_metrics
from webapp.domain.publishing.publications import TABLE_RELATIONS
from webapp.extensions import db
from webapp.infra.liveness import system_status
from webapp.models import Publication, utcnow
from webapp.web.auth import ui_actor
from webapp.web.htmx import render, wants_fragment

bp = Blueprint("dashboard", __name__)

ROWS = 25


def _rows(workspace_id: int) -> list[Publication]:
    # Upcoming first (soonest at the top), then the most recent past activity.
    now = utcnow()
    base = select(Publication).where(Publication.workspace_id == workspace_id).options(*TABLE_RELATIONS)
    upcoming = list(db.session.scalars(base.where(Publication.due_at >= now).order_by(Publication.due_at).limit(ROWS)))
    recent = list(
        db.session.scalars(
            base.where(Publication.due_at < now, Publication.due_at >= now - timedelta(days=30))
            .order_by(Publication.due_at.desc())
            .limit(ROWS)
        )
    )
    return upcoming + recent


def _metrics() -> dict:
    return workspace_metrics(ui_actor().workspace_id, current_user.timezone)


def _overview() -> dict:
    return {"attention": attention(ui_actor().workspace_id), "system": system_status()}


@bp.get("/")
def index():
    return render("dashboard/index.html", metrics=_metrics(), rows=_rows(ui_actor().workspace_id), **_overview())


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
    return render("dashboard/index.html", block="publications", rows=_rows(ui_actor().workspace_id))
