"""Schedule pages: list and create (one-time, in the author's timezone)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from webapp.core.errors import Conflict, ValidationFailed
from webapp.core.time import TimeInputError, parse_instant, validate_cron, validate_timezone
from webapp.core.time import preview as schedule_preview
from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.domain.publishing import lifecycle, rescheduling, schedules
from webapp.models import Schedule, ScheduleStatus
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm, ScheduleForm, attach_errors
from webapp.web.htmx import render, wants_fragment
from webapp.web.views.filters import local_time
from webapp.web.views.listing import Sort, list_page

bp = Blueprint("schedules", __name__, url_prefix="/schedules")

STATUSES = tuple(s.value for s in ScheduleStatus)
# The list's sort keys (`?sort=`): newest first by default; "next" puts schedules with no next run last.
SORTS = {"id": Sort(Schedule.id), "next": Sort(Schedule.next_run_at, nulls_last=True), "status": Sort(Schedule.status)}


def _form(formdata=None) -> ScheduleForm:
    actor = ui_actor()
    if formdata is not None:
        form = ScheduleForm(formdata=formdata)
    else:  # a new form starts from the profile's zone and the install's grace window
        form = ScheduleForm(timezone=current_user.timezone, grace_minutes=current_app.config["DEFAULT_GRACE_MINUTES"])
    form.content_id.choices = [SelectChoice(c.id, c.title) for c in contents.recent_contents(actor, limit=200)]
    form.channel_ids.choices = [SelectChoice(c.id, f"{c.name} ({c.platform})") for c in channels.list_channels(actor)]
    # The same channels, for the optional chain link ("then publish on B once A has published").
    chain_choices = [SelectChoice("", "—"), *form.channel_ids.choices]
    form.chain_channel_id.choices = form.chain_after_channel_id.choices = chain_choices
    return form


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
    return _page(_form())


@bp.post("/")
def create():
    form = _form(request.form)
    if form.validate_on_submit():
        recurring = form.kind.data == "recurring"
        chosen_slot = request.form.get("use_slot")
        data = {
            "content_id": form.content_id.data,
            "channel_ids": form.channel_ids.data or [],
            # The form's wall-clock time is read in the zone shown beside it, never in server time.
            "run_at": form.run_at.data.isoformat() if form.run_at.data and not recurring else None,
            "cron": ((form.cron.data or "").strip() or None) if recurring else None,
            "timezone": (form.timezone.data or current_user.timezone).strip(),
            "priority": form.priority.data,
            "max_runs": form.max_runs.data if recurring else None,
            "missed_policy": form.missed_policy.data,
            "allow_conflicts": form.allow_conflicts.data,
        }
        if form.grace_minutes.data is not None:  # blank: the install's DEFAULT_GRACE_MINUTES
            data["grace_minutes"] = form.grace_minutes.data
        if form.chain_channel_id.data or form.chain_after_channel_id.data:
            link = {"channel_id": form.chain_channel_id.data, "after_channel_id": form.chain_after_channel_id.data}
            data["chain"] = [link]
        if chosen_slot and not recurring:
            data["run_at"] = chosen_slot  # an offered free slot, an exact UTC instant
        if not recurring and data["run_at"] is None:
            form.run_at.errors = ["is required"]
        elif recurring and data["cron"] is None:
            form.cron.errors = ["is required"]
        else:
            try:
                schedule = schedules.create_schedule(ui_actor(), data)
            except ValidationFailed as exc:
                attach_errors(form, exc, {"chain": "chain_channel_id"})
                return _page(form, 422, _slot_choices(exc))
            else:
                flash(f"Scheduled: next run {local_time(schedule.next_run_at)}.", "ok")
                return redirect(url_for("dashboard.index"), 303)
    elif form.run_at.raw_data and form.run_at.raw_data[0] and not form.run_at.data:
        form.run_at.errors = ["is not a valid date and time"]
    return _page(form, 422)


@bp.get("/preview")
def preview():
    """Render the plain-language reading and next occurrences of a cron rule (saves nothing)."""
    if not wants_fragment():
        return redirect(url_for("schedules.index"))
    cron = (request.args.get("cron") or "").strip()
    tz_name = (request.args.get("timezone") or current_user.timezone).strip()
    max_runs = request.args.get("max_runs", type=int)
    result, problem = None, None
    if cron:
        try:
            result = schedule_preview(
                validate_cron(cron),
                validate_timezone(tz_name).key,
                max_runs=max_runs if max_runs and max_runs > 0 else None,
            )
        except TimeInputError as exc:
            problem = f"{exc.field} {exc.message}"
    return render("schedules/index.html", block="preview", preview=result, preview_error=problem)


SCHEDULE_ACTIONS = {
    "pause": (lifecycle.pause_schedule, "paused"),
    "resume": (lifecycle.resume_schedule, "resumed"),
    "cancel": (lifecycle.cancel_schedule, "cancelled"),
    "delete": (lifecycle.delete_schedule, "deleted"),
}


def _act(schedule_id: int, action: str):
    """Apply one lifecycle action from the schedule list; refusals come back as a message."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if action == "clone":
            clone = rescheduling.clone_schedule(ui_actor(), schedule_id)
            flash(f"Schedule #{schedule_id} cloned as #{clone.id}.", "ok")
        else:
            run, done = SCHEDULE_ACTIONS[action]
            run(ui_actor(), schedule_id)
            flash(f"Schedule #{schedule_id} {done}.", "ok")
    except (Conflict, ValidationFailed) as exc:
        detail = "; ".join(f"{k} {v}" for k, v in exc.fields.items()) or exc.message
        flash(f"Schedule #{schedule_id} was not changed: {detail}", "error")
    return redirect(url_for("schedules.index"), 303)


# One endpoint per action (schedules.pause, schedules.clone, ...), so each URL has only its id.
for _action in (*SCHEDULE_ACTIONS, "clone"):
    bp.add_url_rule(
        f"/<int:schedule_id>/{_action}",
        endpoint=_action,
        view_func=lambda schedule_id, _action=_action: _act(schedule_id, _action),
        methods=["POST"],
    )
