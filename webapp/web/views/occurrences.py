"""A recurring schedule's next occurrences, each with skip, move and restore buttons (the rule is unchanged)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.errors import Conflict, ValidationFailed
from webapp.domain.publishing import occurrence_list, occurrences
from webapp.domain.shared import unit_of_work
from webapp.web.auth import can, ui_actor
from webapp.web.forms import EmptyForm
from webapp.web.htmx import render
from webapp.web.views.filters import local_time

bp = Blueprint("occurrences", __name__, url_prefix="/schedules")

TEMPLATE = "schedules/occurrences.html"
COUNT = 10


def _page(schedule_id: int, *, status: int = 200, problem: dict | None = None):
    actor = ui_actor()
    schedule, listed = occurrence_list.upcoming(actor, schedule_id, COUNT)
    names = {c.id: c.name for c in schedule.channels}
    return render(
        TEMPLATE,
        status=status,
        schedule=schedule,
        listed=listed,
        names=names,
        can_change=can("edit", actor) and schedule.status not in ("cancelled", "completed"),
        form=EmptyForm(),
        zone=ZoneInfo(current_user.timezone),
        problem=problem or {},
    )


@bp.get("/<int:schedule_id>/occurrences")
def index(schedule_id: int):
    return _page(schedule_id)


def _change(schedule_id: int, action: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    form = request.form
    # The form's wall-clock time is read in the zone shown beside it; `at` is an exact UTC instant.
    data = {"at": form.get("at"), "to": form.get("to") or None, "timezone": current_user.timezone}
    try:
        run = ACTIONS[action](ui_actor(), schedule_id, data)
    except (ValidationFailed, Conflict) as exc:
        unit_of_work.rollback()
        detail = {"at": form.get("at"), "message": exc.message, "fields": exc.fields}
        return _page(schedule_id, status=409 if isinstance(exc, Conflict) else 422, problem=detail)
    when = local_time(run.original_at, "weekday_time")
    done = {
        "skip": lambda: _("Skipped the occurrence of %(when)s.", when=when),
        "move": lambda: _(
            "Moved the occurrence of %(when)s to %(to)s.", when=when, to=local_time(run.at, "weekday_time")
        ),
        "restore": lambda: _("Restored the occurrence of %(when)s.", when=when),
    }[action]()
    flash(done, "ok")
    return redirect(url_for("occurrences.index", schedule_id=schedule_id), 303)


ACTIONS = {"skip": occurrences.skip, "move": occurrences.move, "restore": occurrences.restore}

for _action in ACTIONS:
    bp.add_url_rule(
        f"/<int:schedule_id>/occurrences/{_action}",
        endpoint=_action,
        view_func=lambda schedule_id, _action=_action: _change(schedule_id, _action),
        methods=["POST"],
    )
