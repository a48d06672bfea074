"""Bulk actions from the job monitor: select, confirm with counts, run (inline or in the background)."""

from __future__ import annotations

from urllib.parse import parse_qs

from flask import Blueprint, abort, request
from werkzeug.datastructures import MultiDict

from webapp.auth import ui_actor
from webapp.extensions import db
from webapp.forms import EmptyForm
from webapp.htmx import render
from webapp.models import Publication
from webapp.services import bulk
from webapp.services.publications import publication_query
from webapp.views.publications import monitor_filters

bp = Blueprint("bulk", __name__, url_prefix="/publications/bulk")

# "Everything matching the filter" is resolved on the server, up to this many publications.
SELECT_ALL_CAP = 10_000
LABELS = {"pause": "Pause", "resume": "Resume", "retry": "Retry", "cancel": "Cancel", "delete": "Delete"}


def _selected_ids() -> list[int]:
    """Return the ids the form names: ticked rows, or every match of the monitor's filter."""
    if request.form.get("scope") == "all":
        filters = monitor_filters(MultiDict(parse_qs(request.form.get("filter", ""))))
        query = publication_query(ui_actor(), **filters).with_only_columns(Publication.id).order_by(None)
        return list(db.session.scalars(query.order_by(Publication.id).limit(SELECT_ALL_CAP)))
    return sorted({int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit()})


@bp.post("/confirm")
def confirm():
    action = request.form.get("action", "")
    if action not in LABELS or not EmptyForm().validate_on_submit():
        abort(400)
    ids = _selected_ids()
    return render(
        "publications/_bulk.html",
        block="bulk",
        stage="confirm",
        action=action,
        label=LABELS[action],
        ids=ids,
        capped=len(ids) >= SELECT_ALL_CAP,
        cap=SELECT_ALL_CAP,
        form=EmptyForm(),
    )


@bp.post("/run")
def run():
    action = request.form.get("action", "")
    if action not in LABELS or not EmptyForm().validate_on_submit():
        abort(400)
    ids = _selected_ids()
    result = bulk.run_bulk(ui_actor(), action, ids=ids) if ids else {"matched": 0, "changed": 0, "skipped": []}
    return render("publications/_bulk.html", block="bulk", stage="done", label=LABELS[action], result=result)


@bp.get("/<int:bulk_id>")
def progress(bulk_id: int):
    """Render a background bulk action's progress (re-fetched on its SSE events)."""
    result = bulk.get_bulk(ui_actor(), bulk_id)
    return render("publications/_bulk.html", block="bulk", stage="done", label=LABELS[result["action"]], result=result)
