"""The overview: panels the user arranges (metrics, what needs attention, upcoming and recent), live over SSE."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from webapp.core.errors import ValidationFailed
from webapp.domain.accounts import preferences
from webapp.domain.operations.metrics import attention, workspace_metrics
from webapp.domain.publishing.publications import upcoming_and_recent
from webapp.infra.liveness import system_status
from webapp.models import Publication
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm
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


def _page(block: str | None = None, status: int = 200, error: str | None = None):
    """Render the dashboard (or its panels alone), every panel's data included: any of them may be shown."""
    return render(
        "dashboard/index.html",
        block=block,
        status=status,
        metrics=_metrics(),
        rows=_rows(),
        layout=preferences.dashboard_layout(current_user),
        default_layout=preferences.is_default(current_user),
        layout_form=EmptyForm(),
        layout_error=error,
        **_overview(),
    )


@bp.get("/")
def index():
    return _page()


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


def _changed(change):
    """Apply a layout change posted by a panel's buttons (or a drag and drop) and show the result."""
    if not EmptyForm().validate_on_submit():
        return _page(block="panels", status=400, error="The form expired; reload the page and try again.")
    try:
        change()
    except ValidationFailed as exc:
        return _page(block="panels", status=422, error="; ".join(f"{k} {v}" for k, v in exc.fields.items()))
    if wants_fragment():
        return _page(block="panels")
    return redirect(url_for("dashboard.index", _anchor=f"panel-{request.form.get('panel', '')}".rstrip("-")), 303)


@bp.post("/dashboard/layout")
def change_layout():
    """Collapse, expand, hide, show or move one panel; or, with `order`, put the panels in that order."""
    form = request.form
    if "order" in form:
        order = [panel.strip() for panel in form["order"].split(",") if panel.strip()]
        return _changed(lambda: preferences.order_panels(ui_actor(), order))
    return _changed(lambda: preferences.change_panel(ui_actor(), form.get("panel", ""), form.get("action", "")))


@bp.post("/dashboard/layout/reset")
def reset_layout():
    return _changed(lambda: preferences.reset_dashboard_layout(ui_actor()))
