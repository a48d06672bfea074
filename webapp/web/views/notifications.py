"""The notification settings page: a person's email and webhook, kinds, quiet hours, digest hour; and the
workspace's own destination (a team webhook and email, with its own kinds), which only an owner changes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.fields.choices import SelectChoice

from webapp.core.errors import ValidationFailed
from webapp.domain.integrations import notifications
from webapp.domain.integrations.notifications import sender
from webapp.infra import mail
from webapp.web.auth import can, requires_role, ui_actor
from webapp.web.forms import EmptyForm, MultiCheckboxField, NotificationsForm, attach_errors

bp = Blueprint("notifications", __name__, url_prefix="/settings/notifications")
MEDIA = {"email": lazy_gettext("email"), "slack": lazy_gettext("webhook")}


def kind_choices(kinds: dict[str, str]) -> list[SelectChoice]:
    """The kinds offered, each named in the request's language (a plain string: escaped like any other text)."""
    return [SelectChoice(kind, str(label)) for kind, label in kinds.items()]


class DestinationForm(FlaskForm):
    email_address = StringField(lazy_gettext("Team email address"))
    slack_url = StringField(lazy_gettext("Team Slack-compatible webhook URL"))
    remove_slack = BooleanField(lazy_gettext("Remove the stored team webhook URL"))
    kinds = MultiCheckboxField(lazy_gettext("Tell the team about"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Its fields post the same names as the personal form's, on the same page: ids of their own, so each
        # label names its field alone.
        for field in self:
            field.id = field.label.field_id = f"team-{field.id}"


def _destination_form(formdata=None) -> DestinationForm:
    if formdata is None:
        stored = notifications.read_destination(ui_actor())
        form = DestinationForm(email_address=stored.email_address or "", kinds=stored.kinds or [])
    else:
        form = DestinationForm(formdata=formdata)
    form.kinds.choices = kind_choices(notifications.WORKSPACE_KINDS)
    return form


def _form(formdata=None) -> NotificationsForm:
    if formdata is None:
        stored = notifications.settings_of(current_user.id)
        form = NotificationsForm(
            email_enabled=stored.email_enabled,
            kinds=stored.kinds or [],
            quiet_start=stored.quiet_start or "",
            quiet_end=stored.quiet_end or "",
            digest_hour=stored.digest_hour,
        )
    else:
        form = NotificationsForm(formdata=formdata)
    form.kinds.choices = kind_choices(notifications.KINDS)
    return form


def _page(form: NotificationsForm | None = None, destination_form: DestinationForm | None = None, status: int = 200):
    stored = notifications.settings_of(current_user.id)
    destination = notifications.read_destination(ui_actor())
    told = destination.kinds or []
    return render_template(
        "notifications/edit.html",
        form=form or _form(),
        slack_set=bool(stored.slack_url_encrypted),
        smtp_on=mail.is_configured(),
        test_form=EmptyForm(),
        destination=destination,
        destination_kinds=[str(label) for kind, label in notifications.WORKSPACE_KINDS.items() if kind in told],
        destination_form=(destination_form or _destination_form()) if can("own") else None,
    ), status


def _webhook(form) -> dict:
    """The webhook URL a form changes: removed when asked, replaced by a new one; a blank field keeps it."""
    if form.remove_slack.data:
        return {"slack_url": ""}
    url = (form.slack_url.data or "").strip()
    return {"slack_url": url} if url else {}


@bp.get("/")
def edit():
    return _page()


@bp.post("/")
def update():
    form = _form(request.form)
    if not form.validate_on_submit():
        return _page(form, status=422)
    data = {
        "email_enabled": form.email_enabled.data,
        "kinds": form.kinds.data or [],
        "quiet_start": (form.quiet_start.data or "").strip(),
        "quiet_end": (form.quiet_end.data or "").strip(),
        "digest_hour": form.digest_hour.data,
        **_webhook(form),
    }
    try:
        notifications.update_settings(ui_actor(), data)
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return _page(form, status=422)
    flash(_("Notification settings saved."), "ok")
    return redirect(url_for("notifications.edit"), 303)


@bp.post("/workspace")
@requires_role("own")
def update_destination():
    form = _destination_form(request.form)
    if not form.validate_on_submit():
        return _page(destination_form=form, status=422)
    data = {"email_address": (form.email_address.data or "").strip(), "kinds": form.kinds.data or [], **_webhook(form)}
    try:
        notifications.update_destination(ui_actor(), data)
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return _page(destination_form=form, status=422)
    flash(_("The workspace's notifications are saved."), "ok")
    return redirect(url_for("notifications.edit", _anchor="workspace"), 303)


@bp.post("/test")
def send_test():
    if not EmptyForm().validate_on_submit():
        abort(400)
    made = sender.send_test(current_user.id)
    if made:
        media = [MEDIA.get(n.medium, n.medium) for n in made]
        if len(media) == 1:
            flash(_("A test is on its way by %(medium)s.", medium=media[0]), "ok")
        else:
            flash(_("A test is on its way by %(first)s and %(second)s.", first=media[0], second=media[-1]), "ok")
    else:
        flash(_("Turn on email or set a webhook URL first."), "error")
    return redirect(url_for("notifications.edit"), 303)
