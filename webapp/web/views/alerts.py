"""The notification center and the header's unread badge."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from webapp.domain.shared import alerts
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm
from webapp.web.htmx import render

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.get("/")
def index():
    kind = request.args.get("kind") if request.args.get("kind") in alerts.KINDS else None
    unread_only = request.args.get("unread") == "1"
    actor = ui_actor()
    items = alerts.list_alerts(actor, kind, unread_only, limit=200)
    return render(
        "alerts/index.html",
        block="alert_list",
        items=items,
        deleted_channels=alerts.deleted_channel_ids(actor, items),
        kind=kind,
        unread_only=unread_only,
        kinds=alerts.KINDS,
        form=EmptyForm(),
    )


@bp.get("/badge")
def badge():
    return render("alerts/index.html", block="badge", unread=alerts.unread_count(ui_actor()))


@bp.post("/read")
def mark_read():
    if EmptyForm().validate_on_submit():
        ids = None if request.form.get("all") else [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        alerts.mark_read(ui_actor(), ids)
    return redirect(url_for("alerts.index", **request.args), 303)
