"""The schedule form shared by create, edit and clone: its choices, its values from a schedule, and back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.models import Schedule
from webapp.web.auth import ui_actor
from webapp.web.forms import ScheduleForm

DATE_FIELDS = ("run_at", "starts_at", "ends_at")
INVALID_DATE = "is not a valid date and time"


def schedule_form(formdata=None, schedule: Schedule | None = None) -> ScheduleForm:
    """Build the form with the workspace's choices: posted, filled from a schedule, or new."""
    actor = ui_actor()
    if formdata is not None:
        form = ScheduleForm(formdata=formdata)
    elif schedule is not None:
        form = ScheduleForm(formdata=None, data=values_of(schedule))
    else:  # a new form starts from the profile's zone and the install's grace window
        form = ScheduleForm(timezone=current_user.timezone, grace_minutes=current_app.config["DEFAULT_GRACE_MINUTES"])
    form.content_id.choices = [SelectChoice(c.id, c.title) for c in contents.recent_contents(actor, limit=200)]
    form.channel_ids.choices = [SelectChoice(c.id, f"{c.name} ({c.platform})") for c in channels.list_channels(actor)]
    # The same channels, for the optional chain link ("then publish on B once A has published").
    chain_choices = [SelectChoice("", "—"), *form.channel_ids.choices]
    form.chain_channel_id.choices = form.chain_after_channel_id.choices = chain_choices
    return form


def _wall_clock(instant: datetime | None, tz_name: str) -> datetime | None:
    """An instant as the form shows it: the wall-clock time in the schedule's zone, to the second."""
    if instant is None:
        return None
    return instant.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None, microsecond=0)


def values_of(schedule: Schedule) -> dict:
    """The form's values for a schedule (times as wall clock in its zone)."""
    link = (schedule.chain or [{}])[0]
    return {
        "content_id": schedule.content_id,
        "channel_ids": [c.id for c in schedule.channels],
        "kind": "recurring" if schedule.is_recurring else "once",
        "cron": schedule.cron or "",
        "timezone": schedule.timezone,
        **{name: _wall_clock(getattr(schedule, name), schedule.timezone) for name in DATE_FIELDS},
        "max_runs": schedule.max_runs,
        "clash_policy": schedule.clash_policy,
        "priority": schedule.priority,
        "missed_policy": schedule.missed_policy,
        "grace_minutes": schedule.grace_minutes,
        "chain_channel_id": link.get("channel_id"),
        "chain_after_channel_id": link.get("after_channel_id"),
    }


def _local_text(value: datetime | None) -> str | None:
    # The form's wall-clock time is read in the zone shown beside it, never in server time.
    return value.isoformat() if value else None


def timing_data(form: ScheduleForm, recurring: bool) -> dict:
    """What the form says about when and how a schedule runs, as the schedule services take it."""
    data = {
        "channel_ids": form.channel_ids.data or [],
        "timezone": (form.timezone.data or current_user.timezone).strip(),
        "priority": form.priority.data,
        "missed_policy": form.missed_policy.data,
        "allow_conflicts": form.allow_conflicts.data,
    }
    if form.grace_minutes.data is not None:  # blank: the install's default (create), or unchanged (edit)
        data["grace_minutes"] = form.grace_minutes.data
    if recurring:
        data["cron"] = (form.cron.data or "").strip() or None
        data["starts_at"], data["ends_at"] = _local_text(form.starts_at.data), _local_text(form.ends_at.data)
        data["max_runs"], data["clash_policy"] = form.max_runs.data, form.clash_policy.data
    else:
        # An offered free slot is an exact UTC instant; otherwise the wall-clock time typed.
        data["run_at"] = request.form.get("use_slot") or _local_text(form.run_at.data)
    return data


def new_schedule_data(form: ScheduleForm) -> dict:
    """The whole schedule a create (or clone) form describes: content, chain, and both kinds' keys."""
    recurring = form.kind.data == "recurring"
    data = {"content_id": form.content_id.data, "run_at": None, "cron": None, **timing_data(form, recurring)}
    if form.chain_channel_id.data or form.chain_after_channel_id.data:
        data["chain"] = [
            {"channel_id": form.chain_channel_id.data, "after_channel_id": form.chain_after_channel_id.data}
        ]
    else:
        data["chain"] = None
    return data


def missing_time(form: ScheduleForm, data: dict) -> bool:
    """Mark the time a new schedule needs (run_at or cron) as required beside its field; True if one is missing."""
    if data.get("cron") is None and data.get("run_at") is None:
        field = form.cron if form.kind.data == "recurring" else form.run_at
        field.errors = [*field.errors, "is required"]
        return True
    return False


def mark_unreadable_dates(form: ScheduleForm) -> None:
    """Say plainly which typed date and time could not be read (WTForms' own words are vaguer)."""
    for name in DATE_FIELDS:
        field = getattr(form, name)
        if field.raw_data and field.raw_data[0] and field.data is None:
            field.errors = [INVALID_DATE]
