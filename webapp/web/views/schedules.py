"""Schedule pages: list, create, edit and clone (times in the schedule's timezone), and publish now."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from webapp.core.errors import Conflict, ValidationFailed
from webapp.core.time import parse_instant
from webapp.domain.channels import channels
from webapp.domain.publishing import lifecycle, rescheduling, schedules
from webapp.models import Schedule, ScheduleStatus, utcnow
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm, ScheduleForm, attach_errors
from webapp.web.htmx import wants_fragment
from webapp.web.views.filters import local_time
from webapp.web.views.listing import Sort, list_page
from webapp.web.views.publish_now import chosen, published_now
from webapp.web.views.schedule_form import (
    mark_unreadable_dates,
    missing_time,
    new_schedule_data,
    schedule_form,
    timing_data,
)
from webapp.web.views.schedule_preview import render_preview

bp = Blueprint("schedules", __name__, url_prefix="/schedules")

STATUSES = tuple(s.value for s in ScheduleStatus)
# The list's sort keys (`?sort=`): newest first by default; "next" puts schedules with no next run last.
SORTS = {"id": Sort(Schedule.id), "next": Sort(Schedule.next_run_at, nulls_last=True), "status": Sort(Schedule.status)}


def _status(args) -> str | None:
    status = args.get("status")
    return status if status in STATUSES else None


def listed(args):
    """Return the query of the schedules the list shows for its URL arguments (`status`), newest first."""
    return schedules.schedule_query(ui_actor(), status=_status(args))


def _page(form: ScheduleForm, status: int = 200, free_slots: list | None = None):
    # Each row names its content and channels: they are loaded with the page, not one query per row.
    query = schedules.schedule_rows_query(ui_actor(), status=_status(request.args))
    listing = list_page(query, request.args, SORTS, "id", Schedule.id)
    return render_template(
        "schedules/index.html",
        form=form,
        schedules=listing.items,
        listing=listing,
        args=request.args,
        statuses=STATUSES,
        # What each row offers: exactly what the schedule's status allows (lifecycle.SCHEDULE_ALLOWED_FROM).
        actions_of={s.id: lifecycle.schedule_actions_for(s.status) for s in listing.items},
        free_slots=free_slots or [],
        action_form=EmptyForm(),
    ), status


def _slot_choices(error: ValidationFailed) -> list:
    """Turn a rule conflict's free slots into instants for the form to offer (all channels agree on none)."""
    offered = error.extra.get("next_free_slots", {})
    instants = sorted({parse_instant(s, None) for slots in offered.values() for s in slots})
    return instants[:6]


@bp.get("/")
def index():
    return _page(schedule_form())


@bp.post("/")
def create():
    form = schedule_form(request.form)
    if form.validate_on_submit():
        data = new_schedule_data(form)
        if not missing_time(form, data):
            try:
                schedule = schedules.create_schedule(ui_actor(), data)
            except ValidationFailed as exc:
                attach_errors(form, exc, {"chain": "chain_channel_id"})
                return _page(form, 422, _slot_choices(exc))
            else:
                flash(_("Scheduled: next run %(when)s.", when=local_time(schedule.next_run_at)), "ok")
                return redirect(url_for("dashboard.index"), 303)
    mark_unreadable_dates(form)
    return _page(form, 422)


# Editing one schedule: the same form, its time or rule, window, channels and policies (rescheduling.reschedule).


def _edit_page(schedule, form, status: int = 200, free_slots=None, publish_errors=None):
    actor = ui_actor()
    return render_template(
        "schedules/edit.html",
        schedule=schedule,
        form=form,
        free_slots=free_slots or [],
        actions=lifecycle.schedule_actions_for(schedule.status),
        action_form=EmptyForm(),
        publications=schedules.publications_of(schedule),
        workspace_channels=channels.list_channels(actor),
        publish_errors=publish_errors or {},
        editable=schedule.status not in lifecycle.CLOSED,
    ), status


@bp.get("/<int:schedule_id>/edit")
def edit(schedule_id: int):
    schedule = schedules.get_schedule(ui_actor(), schedule_id)
    return _edit_page(schedule, schedule_form(schedule=schedule))


@bp.post("/<int:schedule_id>/edit")
def update(schedule_id: int):
    actor = ui_actor()
    schedule = schedules.get_schedule(actor, schedule_id)  # another workspace's id is a 404 before anything else
    form = schedule_form(request.form)
    if not form.validate_on_submit():
        mark_unreadable_dates(form)
        return _edit_page(schedule, form, 422)
    try:
        rescheduling.reschedule(actor, schedule_id, timing_data(form, schedule.is_recurring))
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return _edit_page(schedules.get_schedule(actor, schedule_id), form, 422, _slot_choices(exc))
    except Conflict as exc:
        form.form_errors.append(_("Not saved: %(reason)s", reason=exc.message))
        return _edit_page(schedules.get_schedule(actor, schedule_id), form, 409)
    flash(_("Schedule #%(id)s saved: next run %(when)s.", id=schedule_id, when=local_time(schedule.next_run_at)), "ok")
    return redirect(url_for("schedules.edit", schedule_id=schedule_id), 303)


def _time_passed(original) -> bool:
    return not original.is_recurring and original.run_at is not None and original.run_at <= utcnow()


def _clone_page(original, form, status: int = 200, free_slots=None):
    passed = _time_passed(original)
    return render_template(
        "schedules/clone.html", original=original, form=form, free_slots=free_slots or [], time_passed=passed
    ), status


@bp.get("/<int:schedule_id>/clone")
def clone_form(schedule_id: int):
    """Show the create form filled from the schedule; a one-time time that has passed is left to set."""
    original = schedules.get_schedule(ui_actor(), schedule_id)
    form = schedule_form(schedule=original)
    if _time_passed(original):
        form.run_at.data = None
    return _clone_page(original, form)


@bp.post("/<int:schedule_id>/clone")
def clone(schedule_id: int):
    """Create a copy: from the filled form, or (a bare POST) exactly as the original."""
    actor = ui_actor()
    original = schedules.get_schedule(actor, schedule_id)
    if "kind" not in request.form:
        return _act(schedule_id, "clone")
    form = schedule_form(request.form)
    if form.validate_on_submit():
        data = new_schedule_data(form)
        if not missing_time(form, data):
            try:
                copy = rescheduling.clone_schedule(actor, schedule_id, data)
            except ValidationFailed as exc:
                attach_errors(form, exc, {"chain": "chain_channel_id"})
                return _clone_page(original, form, 422, _slot_choices(exc))
            flash(
                _(
                    "Schedule #%(id)s cloned as #%(copy)s: next run %(when)s.",
                    id=schedule_id,
                    copy=copy.id,
                    when=local_time(copy.next_run_at),
                ),
                "ok",
            )
            return redirect(url_for("schedules.edit", schedule_id=copy.id), 303)
    mark_unreadable_dates(form)
    return _clone_page(original, form, 422)


@bp.post("/<int:schedule_id>/publish-now")
def publish_now(schedule_id: int):
    """Publish the schedule's content now on the chosen channels (a new one-time schedule)."""
    actor = ui_actor()
    schedule = schedules.get_schedule(actor, schedule_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        made = rescheduling.publish_now(actor, schedule.content_id, **chosen(request.form))
    except ValidationFailed as exc:
        return _edit_page(schedule, schedule_form(schedule=schedule), 422, publish_errors=exc.fields)
    return published_now(made)


@bp.get("/preview")
def preview():
    """Render the plain-language reading and next occurrences of a cron rule (saves nothing).

    Optional arguments make it say what each run will do (schedule_preview.render_preview).
    """
    if not wants_fragment():
        return redirect(url_for("schedules.index"))
    return render_preview(request.args)


SCHEDULE_ACTIONS = {
    "pause": (lifecycle.pause_schedule, lazy_gettext("Schedule #%(id)s paused.")),
    "resume": (lifecycle.resume_schedule, lazy_gettext("Schedule #%(id)s resumed.")),
    "cancel": (lifecycle.cancel_schedule, lazy_gettext("Schedule #%(id)s cancelled.")),
    "delete": (lifecycle.delete_schedule, lazy_gettext("Schedule #%(id)s deleted.")),
}


def _act(schedule_id: int, action: str):
    """Apply one lifecycle action from the schedule list; refusals come back as a message."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if action == "clone":
            clone = rescheduling.clone_schedule(ui_actor(), schedule_id)
            flash(_("Schedule #%(id)s cloned as #%(copy)s.", id=schedule_id, copy=clone.id), "ok")
        else:
            run, done = SCHEDULE_ACTIONS[action]
            run(ui_actor(), schedule_id)
            flash(str(done) % {"id": schedule_id}, "ok")
    except (Conflict, ValidationFailed) as exc:
        detail = "; ".join(f"{k} {v}" for k, v in exc.fields.items()) or exc.message
        flash(_("Schedule #%(id)s was not changed: %(reason)s", id=schedule_id, reason=detail), "error")
    return redirect(url_for("schedules.index"), 303)


# One endpoint per action (schedules.pause, ...), so each URL has only its id; clone has its own views above.
for _action in SCHEDULE_ACTIONS:
    bp.add_url_rule(
        f"/<int:schedule_id>/{_action}",
        endpoint=_action,
        view_func=lambda schedule_id, _action=_action: _act(schedule_id, _action),
        methods=["POST"],
    )
