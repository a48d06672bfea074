"""Sign-in plumbing: Flask-Login loading, the current workspace and member, role checks."""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user, login_user

from webapp.extensions import db, login_manager
from webapp.models import User
from webapp.services.accounts import membership_for
from webapp.services.actor import Actor


def init_app(app: Flask) -> None:
    login_manager.login_view = "sessions.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"
    app.context_processor(lambda: {"membership": current_membership()})
    app.before_request(require_login)


# Everything else needs a signed-in member: a new page is private unless it is added here.
PUBLIC_ENDPOINTS = {"sessions.sign_in", "sessions.sign_up", "health.healthz", "static"}


def require_login():
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or request.path.startswith("/api/"):
        return None  # the API authenticates every request with its Bearer key instead
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_membership() is None:
        return login_manager.unauthorized()
    return None


def sign_in_user(user: User, remember: bool = False) -> None:
    """Start a fresh session for the user (a new session id, so a planted one is useless)."""
    from flask import session

    session.clear()
    login_user(user, remember=remember)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def current_membership():
    """Return the signed-in user's membership in their current workspace (cached per request)."""
    if not current_user.is_authenticated:
        return None
    # `g` can outlive a request when an app context is already pushed (tests, CLI): key the cache by
    # user, so a different user on a later request never inherits another member's workspace.
    cached = g.get("membership")
    if cached is None or cached.user_id != current_user.id:
        g.membership = membership_for(current_user.id)
    return g.membership


def ui_actor() -> Actor:
    """Build the Actor for a browser request by the signed-in member."""
    membership = current_membership()
    return Actor(
        user_id=current_user.id,
        workspace_id=membership.workspace_id,
        role=membership.role,
        source="ui",
        ip=request.remote_addr,
    )
