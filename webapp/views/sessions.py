"""Sign up, sign in, sign out."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from webapp import ratelimit
from webapp.auth import sign_in_user
from webapp.forms import EmptyForm, SignInForm, SignUpForm, attach_errors
from webapp.services import accounts
from webapp.services.errors import ValidationFailed

bp = Blueprint("sessions", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    # Only same-site paths: an absolute or scheme-relative URL would be an open redirect.
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/signup", methods=["GET", "POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.password.data, form.timezone.data.strip())
        except ValidationFailed as exc:
            attach_errors(form, exc)
        else:
            sign_in_user(user)
            return redirect(url_for("dashboard.index"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("sessions/sign_up.html", form=form), status


@bp.route("/signin", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        config = current_app.config
        bucket = f"signin:{accounts.normalise_email(form.email.data)}:{request.remote_addr}"
        verdict = ratelimit.hit(bucket, config["LOGIN_ATTEMPTS"], config["LOGIN_WINDOW_S"])
        if not verdict.allowed:
            form.password.errors = [f"too many attempts; try again in {verdict.retry_after // 60 + 1} minutes"]
            return render_template("sessions/sign_in.html", form=form), 429, {"Retry-After": str(verdict.retry_after)}
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            ratelimit.reset(bucket, config["LOGIN_WINDOW_S"])
            sign_in_user(user, remember=form.remember.data)
            accounts.record_sign_in(user, request.remote_addr, ok=True)
            return redirect(_safe_next(url_for("dashboard.index")), 303)
        accounts.record_sign_in(None, request.remote_addr, ok=False, email=form.email.data)
        form.password.errors = ["email or password is wrong"]
    return render_template("sessions/sign_in.html", form=form), status


@bp.post("/signout")
def sign_out():
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("sessions.sign_in"), 303)
