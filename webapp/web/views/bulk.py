"""Bulk actions from the list pages (publications, schedules, content): select, confirm with counts, run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from flask import Blueprint, abort, request
from werkzeug.datastructures import MultiDict

from webapp.core.validation import MAX_ID
from webapp.domain.operations import bulk
from webapp.domain.operations.bulk_kinds import KINDS
from webapp.domain.publishing.publications import publication_query
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm
from webapp.web.htmx import render
from webapp.web.views import contents, publications, schedules

bp = Blueprint("bulk", __name__)

# "Everything matching the filter" is resolved on the server, up to this many records.
SELECT_ALL_CAP = 10_000
LABELS = {
    "pause": "Pause",
    "resume": "Resume",
    "retry": "Retry",
    "cancel": "Cancel",
    "delete": "Delete",
    "approve": "Approve",
    "archive": "Archive",
}
KIND = f"<any({', '.join(KINDS)}):kind>"


@dataclass(frozen=True)
class ListPage:
    noun: str
    nouns: str
    matching: Callable[[MultiDict], object]  # the page's URL arguments -> a query of the records it lists


PAGES = {
    "publications": ListPage(
        "publication",
        "publications",
        lambda args: publication_query(ui_actor(), **publications.monitor_filters(args)),
    ),
    "schedules": ListPage("schedule", "schedules", schedules.listed),
    "contents": ListPage("content item", "content items", contents.listed),
}


def _selected_ids(kind: str) -> list[int]:
    """Return the ids the form names: ticked rows, or every match of the list page's filter (capped)."""
    if request.form.get("scope") == "all":
        args = MultiDict(parse_qs(request.form.get("filter", "")))
        return bulk.matching_ids(kind, PAGES[kind].matching(args), SELECT_ALL_CAP)
    ticked = {int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit()}
    return sorted(i for i in ticked if 0 < i <= MAX_ID)


def _checked_action(kind: str) -> str:
    action = request.form.get("action", "")
    if action not in KINDS[kind].actions or not EmptyForm().validate_on_submit():
        abort(400)
    return action


def _panel(kind: str, label: str, **context):
    page = PAGES[kind]
    return render("_bulk.html", block="bulk", kind=kind, label=label, noun=page.noun, nouns=page.nouns, **context)


@bp.post(f"/{KIND}/bulk/confirm")
def confirm(kind: str):
    action = _checked_action(kind)
    ids = _selected_ids(kind)
    return _panel(
        kind,
        LABELS[action],
        stage="confirm",
        action=action,
        ids=ids,
        capped=len(ids) >= SELECT_ALL_CAP,
        cap=SELECT_ALL_CAP,
        form=EmptyForm(),
    )


@bp.post(f"/{KIND}/bulk/run")
def run(kind: str):
    action = _checked_action(kind)
    ids = _selected_ids(kind)
    nothing = {"matched": 0, "changed": 0, "skipped": []}
    result = bulk.run_bulk(ui_actor(), action, ids=ids, kind=kind) if ids else nothing
    return _panel(kind, LABELS[action], stage="done", result=result)


@bp.get("/bulk/<int:bulk_id>")  # bulk ids are one sequence across kinds
def progress(bulk_id: int):
    """Render a background bulk action's progress (re-fetched on its SSE events)."""
    result = bulk.get_bulk(ui_actor(), bulk_id)
    return _panel(result["kind"], LABELS[result["action"]], stage="done", result=result)
