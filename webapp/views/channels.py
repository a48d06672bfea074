"""Channel pages: list, add a webhook, test the connection."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from webapp.auth import ui_actor
from webapp.forms import EmptyForm, WebhookChannelForm, attach_errors
from webapp.services import channels
from webapp.services.errors import ValidationFailed

bp = Blueprint("channels", __name__, url_prefix="/channels")

FIELD_ALIASES = {"settings.url": "url", "credentials.secret": "secret"}


def _page(form: WebhookChannelForm, status: int = 200):
    return render_template(
        "channels/index.html", form=form, channels=channels.list_channels(ui_actor()), action_form=EmptyForm()
    ), status


@bp.get("/")
def index():
    from flask_login import current_user

    return _page(WebhookChannelForm(timezone=current_user.timezone))


@bp.post("/")
def create():
    form = WebhookChannelForm()
    if form.validate_on_submit():
        try:
            channel = channels.create_channel(
                ui_actor(),
                name=form.name.data,
                platform="webhook",
                settings={"url": (form.url.data or "").strip()},
                credentials={"secret": form.secret.data or ""},
                timezone=(form.timezone.data or "UTC").strip(),
                rules=form.rules(),
            )
        except ValidationFailed as exc:
            attach_errors(form, exc, FIELD_ALIASES)
        else:
            flash(f"Channel '{channel.name}' added.", "ok")
            return redirect(url_for("channels.index"), 303)
    return _page(form, 422)


@bp.post("/<int:channel_id>/check")
def check(channel_id: int):
    if EmptyForm().validate_on_submit():
        result = channels.check_channel(ui_actor(), channel_id)
        flash(
            f"Connection check: {'ok' if result.ok else 'failed'} — {result.message}",
            "ok" if result.ok else "error",
        )
    return redirect(url_for("channels.index"), 303)
