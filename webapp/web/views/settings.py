"""Settings: the profile timezone, the user's password, their other sign-ins, and API keys (created, named, revoked)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user

from webapp.core.errors import ValidationFailed
from webapp.domain.accounts import accounts, preferences, sign_ins, workspaces
from webapp.domain.content import approvals
from webapp.infra import ratelimit
from webapp.web.auth import sign_in_user, ui_actor
from webapp.web.forms import ApiKeyForm, ChangePasswordForm, EmptyForm, LanguageForm, ProfileForm, attach_errors
from webapp.web.i18n import language_form, language_name

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _page(
    profile=None, key_form=None, language=None, password_form=None, new_key: str | None = None, status: int = 200
):
    return render_template(
        "settings/index.html",
        profile=profile or ProfileForm(timezone=current_user.timezone),
        language=language or language_form(LanguageForm(locale=current_user.locale or "")),
        password_form=password_form or ChangePasswordForm(),
        key_form=key_form or ApiKeyForm(),
        keys=accounts.api_keys_of(ui_actor()),
        signed_in_elsewhere=sign_ins.active_count(current_user) - 1,
        action_form=EmptyForm(),
        new_key=new_key,
    ), status


@bp.get("/")
def index():
    return _page()


@bp.post("/timezone")
def set_timezone():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            accounts.set_timezone(ui_actor(), current_user, (form.timezone.data or "").strip())
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            flash(_("Times now show in %(zone)s.", zone=current_user.timezone), "ok")
            return redirect(url_for("settings.index"), 303)
    return _page(profile=form, status=422)


@bp.post("/language")
def set_language():
    form = language_form(LanguageForm())
    if form.validate_on_submit():
        try:
            accounts.set_locale(ui_actor(), current_user, form.locale.data)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            refresh()  # this response already speaks the new language
            flash(_("Pages now show in %(language)s.", language=language_name(current_user.locale)), "ok")
            return redirect(url_for("settings.index"), 303)
    return _page(language=form, status=422)


@bp.post("/password")
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _page(password_form=form, status=422)
    config = current_app.config
    # Throttled like sign-in, per account: a borrowed or stolen session must not become a password-guessing oracle.
    bucket, window = f"password-change:{current_user.id}", config["LOGIN_WINDOW_S"]
    verdict = ratelimit.hit(bucket, config["LOGIN_ATTEMPTS"], window)
    if not verdict.allowed:
        form.current_password.errors = [
            f"has been tried too often; try again in {verdict.retry_after // 60 + 1} minutes"
        ]
        return (*_page(password_form=form, status=429), {"Retry-After": str(verdict.retry_after)})
    try:
        accounts.change_password(
            ui_actor(), current_user, form.current_password.data, form.new_password.data, form.confirmation.data
        )
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return _page(password_form=form, status=422)
    ratelimit.reset(bucket, window)
    # Every session id made with the old password is void now, this one included: sign this browser in again
    # under the new id, renewing its "keep me signed in" cookie if it had one.
    remembered = request.cookies.get(config.get("REMEMBER_COOKIE_NAME", "remember_token")) is not None
    sign_in_user(current_user._get_current_object(), remember=remembered)
    flash(_("Your password is changed; every other browser and device is signed out."), "ok")
    return redirect(url_for("settings.index"), 303)


@bp.post("/sessions/end-others")
def sign_out_elsewhere():
    """End every other browser's sign-in of this user (their cookies open nothing afterwards)."""
    if EmptyForm().validate_on_submit():
        ended = sign_ins.end_others(ui_actor(), current_user)
        flash(
            ngettext(
                "Signed out of %(num)d other browser or device; this one stays signed in.",
                "Signed out of %(num)d other browsers and devices; this one stays signed in.",
                ended,
            ),
            "ok",
        )
    return redirect(url_for("settings.index"), 303)


@bp.post("/approval")
def set_require_approval():
    """Owners only (the service refuses anyone else): must content be approved before it publishes?"""
    if EmptyForm().validate_on_submit():
        workspace = approvals.set_require_approval(ui_actor(), request.form.get("require_approval") == "on")
        if workspace.require_approval:
            flash(_("Content now needs an approval before it publishes."), "ok")
        else:
            flash(_("Content no longer needs an approval to publish."), "ok")
    return redirect(url_for("settings.index"), 303)


@bp.post("/api-keys")
def create_api_key():
    form = ApiKeyForm()
    if form.validate_on_submit():
        workspace = workspaces.current_workspace(ui_actor())
        try:
            _, plaintext = accounts.create_api_key(current_user, workspace.slug, (form.name.data or "").strip(), "ui")
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            # Shown once, in this response only: never put a key in the (signed, readable) session cookie.
            return _page(new_key=plaintext, status=201)
    return _page(key_form=form, status=422)


@bp.post("/api-keys/<int:key_id>/revoke")
def revoke_api_key(key_id: int):
    if EmptyForm().validate_on_submit():
        record = accounts.revoke_api_key(ui_actor(), key_id)
        flash(_("API key “%(name)s” revoked.", name=record.name), "ok")
    # An owner revokes other members' keys from the members page, and goes back there.
    back = "members.index" if request.form.get("back") == "members" else "settings.index"
    return redirect(url_for(back), 303)


@bp.post("/shortcuts")
def set_shortcuts():
    """Turn single-key keyboard shortcuts on or off for this user (WCAG 2.1.4)."""
    if EmptyForm().validate_on_submit():
        enabled = request.form.get("shortcuts_enabled") == "on"
        preferences.set_shortcuts_enabled(ui_actor(), enabled)
        flash(_("Single-key shortcuts are on.") if enabled else _("Single-key shortcuts are off."), "ok")
    return redirect(url_for("settings.index"), 303)
