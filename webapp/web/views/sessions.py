"""Sign up, sign in, sign out, and reset a forgotten password."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from webapp.core.errors import NotFound, ValidationFailed
from webapp.domain.accounts import accounts, password_reset, sign_ins, sign_ups
from webapp.infra import mail, ratelimit
from webapp.web.auth import sign_in_user
from webapp.web.forms import EmptyForm, ForgotPasswordForm, ResetPasswordForm, SignInForm, SignUpForm, attach_errors

bp = Blueprint("sessions", __name__)
log = logging.getLogger("herald.sessions")


def _safe_next(default: str) -> str:
    """Return the `next` path to go to after signing in, if it stays on this site; else default."""
    target = request.args.get("next", "")
    # Only same-site paths: an absolute or scheme-relative URL would be an open redirect. Browsers drop
    # tabs and newlines and read a backslash as a slash, so "/\t/evil.example" is "//evil.example".
    if any(ord(ch) < 32 or ch in "\\\x7f" for ch in target):
        return default
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return default
    return target


@bp.route("/signup", methods=["GET", "POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    mode = current_app.config["SIGNUP"]
    if not accounts.may_sign_up(mode):
        # Nothing is made; the page says how to get in instead (403 on a POST: the form was not offered).
        return render_template("sessions/sign_up.html", closed=mode), 403 if request.method == "POST" else 200
    form = SignUpForm()
    if form.validate_on_submit():
        config = current_app.config
        verdict = ratelimit.hit(f"signup-address:{request.remote_addr}", config["SIGNUP_ATTEMPTS_PER_ADDRESS"], 3600)
        if not verdict.allowed:
            form.email.errors = [
                _(
                    "too many sign-ups from your address; try again in %(minutes)d minutes",
                    minutes=verdict.retry_after // 60 + 1,
                )
            ]
            return render_template("sessions/sign_up.html", form=form), 429, {"Retry-After": str(verdict.retry_after)}
        if sign_ups.needs_confirmation(mode):
            return _confirm_by_email(form)
        try:
            user = accounts.create_user(form.email.data, form.password.data, form.timezone.data.strip())
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            sign_in_user(user)
            return redirect(url_for("dashboard.index"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("sessions/sign_up.html", form=form), status


def _confirm_by_email(form: SignUpForm):
    """Answer every address alike ("check your inbox"), and tell its owner privately what happens next."""
    email = accounts.normalise_email(form.email.data)
    try:
        token = sign_ups.request(email, form.password.data, form.timezone.data.strip())
    except ValidationFailed as exc:
        attach_errors(form, exc)
        return render_template("sessions/sign_up.html", form=form), 422
    if token is not None:
        link = mail.configured_url("sessions.finish_sign_up", token=token)
        body = render_template(
            "sessions/sign_up_email.txt", link=link, hours=int(sign_ups.LINK_TTL.total_seconds() // 3600)
        )
        mail.send_later(email, _("Finish creating your Herald account"), body)
    else:
        body = render_template(
            "sessions/sign_up_taken_email.txt",
            sign_in=mail.configured_url("sessions.sign_in"),
            reset=mail.configured_url("sessions.forgot_password"),
        )
        mail.send_later(email, _("You already have a Herald account"), body)
    return render_template("sessions/sign_up.html", sent=email)


@bp.route("/signup/finish/<token>", methods=["GET", "POST"])
def finish_sign_up(token: str):
    """Follow the emailed link: a page with one button (nothing changes on GET), which makes the account."""
    try:
        pending = sign_ups.find(token)
    except NotFound as exc:
        return render_template("sessions/finish_sign_up.html", invalid=exc.message), 404
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            user = sign_ups.finish(token)
        except NotFound as exc:
            return render_template("sessions/finish_sign_up.html", invalid=exc.message), 404
        sign_in_user(user)
        return redirect(url_for("dashboard.index"), 303)
    return render_template("sessions/finish_sign_up.html", email=pending.email, form=form)


@bp.route("/signin", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        config = current_app.config
        bucket = f"signin:{accounts.normalise_email(form.email.data)}:{request.remote_addr}"
        # Per email and address (one account guessed at), and per address alone (many accounts tried from one
        # machine): the looser second limit stops spraying without letting a stranger lock anyone else out.
        verdicts = [
            ratelimit.hit(bucket, config["LOGIN_ATTEMPTS"], config["LOGIN_WINDOW_S"]),
            ratelimit.hit(
                f"signin-address:{request.remote_addr}", config["LOGIN_ATTEMPTS_PER_ADDRESS"], config["LOGIN_WINDOW_S"]
            ),
        ]
        verdict = max(verdicts, key=lambda v: (not v.allowed, v.retry_after))
        if not verdict.allowed:
            form.password.errors = [
                _("too many attempts; try again in %(minutes)d minutes", minutes=verdict.retry_after // 60 + 1)
            ]
            return render_template("sessions/sign_in.html", form=form), 429, {"Retry-After": str(verdict.retry_after)}
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            ratelimit.reset(bucket, config["LOGIN_WINDOW_S"])
            sign_in_user(user, remember=form.remember.data)
            accounts.record_sign_in(user, request.remote_addr, ok=True)
            return redirect(_safe_next(url_for("dashboard.index")), 303)
        accounts.record_sign_in(None, request.remote_addr, ok=False, email=form.email.data)
        form.password.errors = [_("email or password is wrong")]
    return render_template("sessions/sign_in.html", form=form), status


@bp.post("/signout")
def sign_out():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            sign_ins.end(current_user)  # the cookies, wherever they were copied to, open nothing now
        logout_user()
    return redirect(url_for("sessions.sign_in"), 303)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("sessions/forgot.html", form=form), 422 if request.method == "POST" else 200
    config = current_app.config
    email = accounts.normalise_email(form.email.data)
    limit, window = config["PASSWORD_RESET_ATTEMPTS"], config["PASSWORD_RESET_WINDOW_S"]
    verdicts = [ratelimit.hit(f"reset:{bucket}", limit, window) for bucket in (email, request.remote_addr)]
    if not all(v.allowed for v in verdicts):
        retry_after = max(v.retry_after for v in verdicts)
        form.email.errors = [
            _("has had too many reset requests; try again in %(minutes)d minutes", minutes=retry_after // 60 + 1)
        ]
        return render_template("sessions/forgot.html", form=form), 429, {"Retry-After": str(retry_after)}
    issued = password_reset.request_reset(email, request.remote_addr)
    if issued is not None:
        user, token = issued
        link = mail.configured_url("sessions.reset_password", token=token)
        with force_locale(user.locale) if user.locale else nullcontext():  # their language, else this page's
            body = render_template("sessions/reset_email.txt", link=link, minutes=config["PASSWORD_RESET_TTL_MINUTES"])
            subject = _("Reset your Herald password")
        if not mail.send_later(user.email, subject, body):
            # No mail server: the operator hands the link on (docs/operations.md, "Email").
            note = "" if config["PUBLIC_URL"] else " (prefix it with Herald's address, or set PUBLIC_URL)"
            log.warning("password reset link for %s (not emailed): %s%s", user.email, link, note)
    # The same answer whether or not the email has an account, so the form reveals nothing.
    return render_template("sessions/forgot.html", form=form, sent=True)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        password_reset.find_reset(token)
    except NotFound as exc:
        return render_template("sessions/reset.html", invalid=exc.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data, request.remote_addr)
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            logout_user()  # whoever was signed in here, the next sign-in uses the new password
            flash(_("Your password is changed; sign in with it."), "ok")
            return redirect(url_for("sessions.sign_in"), 303)
    return render_template("sessions/reset.html", form=form), 422 if request.method == "POST" else 200
