"""One channel's page: its live state, the edit form, pause and resume, a circuit reset, and delete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from webapp.core.errors import Conflict, ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.publishing import channel_control, failures
from webapp.domain.shared import unit_of_work
from webapp.web.auth import ui_actor
from webapp.web.forms import ChannelForm, EmptyForm, attach_errors
from webapp.web.htmx import render
from webapp.web.views.channel_fields import PLATFORM_FIELDS, edited_settings, read, setting_values

bp = Blueprint("page", __name__)


def back(channel_id: int):
    """After a channel action: back to the list when the button was on it, else to the channel's page."""
    if request.args.get("back") == "list":
        return redirect(url_for("channels.index"), 303)
    return redirect(url_for("channels.page.show", channel_id=channel_id), 303)


def _form_for(channel) -> ChannelForm:
    rules = channel.rules or {}
    return ChannelForm(
        name=channel.name,
        platform=channel.platform,
        timezone=channel.timezone,
        weekdays=rules.get("weekdays"),
        time_slots=", ".join(rules.get("time_slots") or []),
        **{k: rules.get(k) for k in ("min_spacing_minutes", "daily_limit", "weekly_limit", "monthly_limit")},
        rate_per_minute=rules.get("rate_per_minute"),
        max_in_flight=rules.get("max_in_flight"),
    )


def _page(channel, form: ChannelForm, status: int = 200, *, field_errors=None, values=None, delete_error=None):
    return render(
        "channels/show.html",
        block="channel_state_block",
        status=status,
        channel=channel,
        state=channel_control.state(channel),
        form=form,
        action_form=EmptyForm(),
        fields=PLATFORM_FIELDS[channel.platform],
        field_errors=field_errors or {},
        values=setting_values(channel.platform, channel.settings) if values is None else values,
        editing=True,
        delete_error=delete_error,
        open_rules=bool(channel.rules),
    )


@bp.get("/<int:channel_id>")
def show(channel_id: int):
    """The channel's page, or only its state block for the live refresh."""
    channel = channels.get_channel(ui_actor(), channel_id)
    return _page(channel, _form_for(channel))


@bp.post("/<int:channel_id>")
def update(channel_id: int):
    """Save the edit form through the API's PATCH path; a blank credential keeps the stored one."""
    actor = ui_actor()
    channel = channels.get_channel(actor, channel_id)
    form = ChannelForm(platform=channel.platform)
    # Only settings come back into the form after an error: secrets are never echoed.
    values = {k: v for k, v in request.form.items() if k.startswith("settings.")}
    if not form.validate_on_submit():
        return _page(channel, form, 422, values=values)
    settings, credentials = read(channel.platform, request.form)
    changes = {
        "name": form.name.data,
        "settings": edited_settings(channel.platform, channel.settings, settings),
        "timezone": (form.timezone.data or "UTC").strip(),
        "rules": form.rules(),
    }
    if credentials:
        changes["credentials"] = credentials
    try:
        channel = channels.update_channel(actor, channel_id, changes, merge_credentials=True)
    except ValidationFailed as exc:
        unit_of_work.rollback()
        attach_errors(form, exc)
        return _page(channels.get_channel(actor, channel_id), form, 422, field_errors=exc.fields, values=values)
    held = failures.held_count(channel)
    note = _("%(n)s held publication(s) wait: resume them below when the channel is ready.", n=held) if held else ""
    flash(" ".join(filter(None, [_("Channel '%(name)s' saved.", name=channel.name), note])), "ok")
    return redirect(url_for("channels.page.show", channel_id=channel.id), 303)


def _act(channel_id: int, action, done):
    """Run a channel action (a domain function answering a count) and say what it did, or why it could not."""
    actor = ui_actor()
    channels.get_channel(actor, channel_id)  # another workspace's (or a deleted) channel is 404
    if EmptyForm().validate_on_submit():
        try:
            flash(str(done) % {"n": action(actor, channel_id)}, "ok")
        except (Conflict, channel_control.RedisUnavailable) as exc:
            unit_of_work.rollback()
            flash(exc.message, "error")
    return back(channel_id)


@bp.post("/<int:channel_id>/pause")
def pause(channel_id: int):
    return _act(
        channel_id,
        channel_control.pause_channel,
        lazy_gettext("Channel paused; %(n)s waiting publication(s) held until resumed."),
    )


@bp.post("/<int:channel_id>/resume")
def resume(channel_id: int):
    return _act(
        channel_id,
        channel_control.resume_channel,
        lazy_gettext("Channel resumed; %(n)s held publication(s) back on schedule."),
    )


@bp.post("/<int:channel_id>/breaker/reset")
def reset_breaker(channel_id: int):
    return _act(
        channel_id,
        channel_control.reset_breaker,
        lazy_gettext("Circuit breaker reset; %(n)s waiting publication(s) due now."),
    )


@bp.post("/<int:channel_id>/delete")
def delete(channel_id: int):
    """Delete (archive) the channel; with pending publications only when the person chose to cancel them."""
    actor = ui_actor()
    channel = channels.get_channel(actor, channel_id)
    if not EmptyForm().validate_on_submit():
        return back(channel_id)
    name = channel.name
    try:
        cancelled = channel_control.delete_channel(
            actor, channel_id, cancel_pending=request.form.get("pending") == "cancel"
        )
    except Conflict as exc:
        unit_of_work.rollback()
        channel = channels.get_channel(actor, channel_id)
        return _page(channel, _form_for(channel), 409, delete_error=exc.message)
    flash(_("Channel '%(name)s' deleted; %(n)s pending publication(s) cancelled.", name=name, n=cancelled), "ok")
    return redirect(url_for("channels.index"), 303)
