"""Channel pages: list (with each channel's live state), add one for any platform, test the connection, resume.

A channel's own page (edit, pause, circuit reset, delete) is `channel_page`.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.errors import ValidationFailed
from webapp.core.phrases import said
from webapp.domain.channels import channels
from webapp.domain.publishing import channel_control
from webapp.web.auth import ui_actor
from webapp.web.forms import ChannelForm, EmptyForm, attach_errors
from webapp.web.htmx import render, wants_fragment
from webapp.web.i18n import term
from webapp.web.views import channel_page
from webapp.web.views.channel_fields import PLATFORM_FIELDS, read

bp = Blueprint("channels", __name__, url_prefix="/channels")
bp.register_blueprint(channel_page.bp)


def _page(form: ChannelForm, status: int = 200, field_errors: dict | None = None, values: dict | None = None):
    platform = form.platform.data if form.platform.data in PLATFORM_FIELDS else "webhook"
    return render(
        "channels/index.html",
        block="channel_list",
        status=status,
        form=form,
        states=channel_control.states(ui_actor()),
        action_form=EmptyForm(),
        fields=PLATFORM_FIELDS[platform],
        field_errors=field_errors or {},
        values=values or {},
    )


@bp.get("/")
def index():
    """The list, or only its rows for the live refresh (SSE or the 30 s poll)."""
    return _page(ChannelForm(timezone=current_user.timezone))


@bp.get("/fields")
def fields():
    """Render the settings and credentials inputs of the chosen platform."""
    if not wants_fragment():
        return redirect(url_for("channels.index"))
    platform = request.args.get("platform", "webhook")
    return render(
        "channels/index.html",
        block="platform_fields",
        fields=PLATFORM_FIELDS.get(platform, PLATFORM_FIELDS["webhook"]),
        field_errors={},
        values={},
    )


@bp.post("/")
def create():
    form = ChannelForm()
    # Only settings come back into the form after an error: secrets are never echoed.
    values = {k: v for k, v in request.form.items() if k.startswith("settings.")}
    if form.validate_on_submit():
        settings, credentials = read(form.platform.data, request.form)
        try:
            channel = channels.create_channel(
                ui_actor(),
                name=form.name.data,
                platform=form.platform.data,
                settings=settings,
                credentials=credentials,
                timezone=(form.timezone.data or "UTC").strip(),
                rules=form.rules(),
            )
        except ValidationFailed as exc:
            attach_errors(form, exc)
            return _page(form, 422, exc.fields, values)
        flash(_("Channel '%(name)s' added.", name=channel.name), "ok")
        return redirect(url_for("channels.index"), 303)
    return _page(form, 422, {}, values)


@bp.post("/<int:channel_id>/check")
def check(channel_id: int):
    if EmptyForm().validate_on_submit():
        result = channels.check_channel(ui_actor(), channel_id)
        outcome = _("ok") if result.ok else term("failed")
        flash(
            _("Connection check: %(outcome)s — %(message)s", outcome=outcome, message=said(result.message)),
            "ok" if result.ok else "error",
        )
    return channel_page.back(channel_id)


@bp.post("/<int:channel_id>/resume")
def resume(channel_id: int):
    """The list's resume button: the same as the channel page's."""
    return channel_page.resume(channel_id)
