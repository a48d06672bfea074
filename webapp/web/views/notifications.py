"""The notification settings page: email and Slack-compatible webhook, event kinds, quiet hours, digest hour."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from webapp.core.errors import ValidationFailed
from webapp.domain.integrations import notifications
from webapp.domain.integrations.notifications import sender
from webapp.infra import mail
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm, NotificationsForm, attach_errors

bp = Blueprint("notifications", __name__, url_prefix="/settings/notifications")


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
    form.kinds.choices = [SelectChoice(kind, label) for kind, label in notifications.KINDS.items()]
    return form


def _page(form: NotificationsForm, status: int = 200):
    stored = notifications.settings_of(current_user.id)
    return render_template(
        "notifications/edit.html",
        form=form,
        slack_set=bool(stored.slack_url_encrypted),
        smtp_on=mail.is_configured(),
        test_form=EmptyForm(),
    ), status


@bp.get("/")
def edit():
    return _page(_form())


@bp.post("/")
def update():
    form = _form(request.form)
    if not form.validate_on_submit():
        return _page(form, 422)
    data = {
        "email_enabled": form.email_enabled.data,
        "kinds": form.kinds.data or [],
        "quiet_start": (form.quiet_start.data or "").strip(),
        "quiet_end": (form.quiet_end.data or "").strip(),
        "digest_hour": form.digest_hour.data,
    }
    if form.remove_slack.data:
        data["slack_url"] = ""
    elif (form.slack_url.data or "").strip():
        data["slack_url"] = form.slack_url.data.strip()  # blank keeps the stored URL
    try:
        notifications.update_settings(ui_actor(), data)
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return _page(form, 422)
    flash("Notification settings saved.", "ok")
    return redirect(url_for("notifications.edit"), 303)


@bp.post("/test")
def send_test():
    if not EmptyForm().validate_on_submit():
        abort(400)
    made = sender.send_test(current_user.id)
    if made:
        flash(f"A test is on its way by {' and '.join(n.medium for n in made)}.", "ok")
    else:
        flash("Turn on email or set a webhook URL first.", "error")
    return redirect(url_for("notifications.edit"), 303)
