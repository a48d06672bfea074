"""Sign-in plumbing: Flask-Login loading, the current workspace and member, role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, g, redirect, request, url_for
from flask_login import current_user, login_user

from webapp.core.errors import Forbidden
from webapp.domain.accounts import sign_ins
from webapp.domain.accounts.accounts import membership_for
from webapp.domain.shared.actor import Actor
from webapp.extensions import login_manager
from webapp.models import Membership, Role, User


def init_app(app: Flask) -> None:
    login_manager.login_view = "sessions.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"
    app.context_processor(lambda: {"membership": current_membership()})
    app.add_template_global(can, "can")
    app.before_request(require_login)


# Who may do what, for every page, API call and template: the one place a role is compared. The services
# check again (Actor.require_writer, workspaces.require_owner): this decides what is offered and refused first.
ABILITIES = {
    "edit": frozenset({Role.OWNER.value, Role.EDITOR.value}),  # change the workspace's records; read the audit log
    "own": frozenset({Role.OWNER.value}),  # the workspace itself: its settings, members and everyone's keys
}
REFUSALS = {
    "edit": "Your role in this workspace is read-only.",
    "own": "Only an owner of this workspace can do that.",
}


def role_can(role: str | None, ability: str) -> bool:
    """Whether a member with this role has the ability ("edit" or "own")."""
    return role in ABILITIES[ability]


def can(ability: str, actor: Actor | Membership | None = None) -> bool:
    """Whether the actor or member (by default the signed-in member: in templates `can('edit')`) has the ability."""
    if actor is not None:
        return role_can(actor.role, ability)
    membership = current_membership()
    return membership is not None and role_can(membership.role, ability)


def require_role(ability: str, actor: Actor | None = None, message: str | None = None) -> None:
    """Refuse (Forbidden: a 403 page, or the API's JSON 403) unless the actor or signed-in member has the ability."""
    if not can(ability, actor):
        raise Forbidden(message or REFUSALS[ability])


def requires_role(ability: str, message: str | None = None) -> Callable:
    """Decorate a page that only a member with the ability may call (the API calls require_role with its actor)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            require_role(ability, None, message)
            return view(*args, **kwargs)

        return guarded

    return decorate


# Everything else needs a signed-in member: a new page is private unless it is added here.
# `metrics.metrics` checks its own bearer token (or loopback) instead of a session.
PUBLIC_ENDPOINTS = {
    "sessions.sign_in",
    "sessions.sign_up",
    "health.livez",
    "health.readyz",
    "health.healthz",
    "metrics.metrics",
    "static",
}
# One-time links work signed out: password resets, and invitations (which can create the account).
PUBLIC_ENDPOINTS |= {"sessions.forgot_password", "sessions.reset_password", "members.accept"}
PUBLIC_ENDPOINTS |= {"sessions.finish_sign_up"}  # an emailed sign-up link (open sign-up with a mail server)
# Calendar apps cannot sign in: the feed's secret token is its credential (a wrong one is 404).
PUBLIC_ENDPOINTS |= {"integrations.calendar_feed"}
# Platforms (Shopify) and webhook receivers fetch an image by its signed, expiring URL (a wrong one is 404).
PUBLIC_ENDPOINTS |= {"media.signed_file"}
# The browser asks for the icon by itself, signed in or not.
PUBLIC_ENDPOINTS |= {"icon.favicon"}
# A signed-in account with no workspace left (every membership removed) may only make one or sign out.
MEMBERLESS_ENDPOINTS = {"workspaces.new", "workspaces.create", "sessions.sign_out"}
# A viewer changes nothing: any page route that is not a GET is refused to them unless it is named here,
# because it only touches the viewer's own account or saves nothing (the services check the role as well).
VIEWER_MAY_POST = {
    "sessions.sign_out": "ends the viewer's own session",
    "settings.set_timezone": "the viewer's own profile",
    "settings.set_shortcuts": "the viewer's own keyboard shortcuts setting",
    "dashboard.change_layout": "the viewer's own dashboard layout",
    "dashboard.reset_layout": "the viewer's own dashboard layout",
    "settings.change_password": "the viewer's own password",
    "settings.sign_out_elsewhere": "ends the viewer's own other sessions",
    "settings.create_api_key": "a key of the viewer's own, acting with the viewer's read-only role",
    "settings.revoke_api_key": "one of the viewer's own keys (any other reads as not found)",
    "workspaces.create": "a new workspace that the viewer owns, apart from this one",
    "workspaces.switch": "which of the viewer's own workspaces is current",
    "contents.editor.preview": "renders a preview and saves nothing",
    "integrations.regenerate_feed": "the viewer's own private calendar feed address",
    "integrations.revoke_feed": "the viewer's own private calendar feed address",
    "notifications.update": "the viewer's own notification settings",
    "notifications.send_test": "a test message to the viewer's own email or webhook",
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def require_login():
    # `g` outlives a request when an app context is already pushed (tests, CLI): never let a request
    # inherit the previous one's user; Flask-Login loads it afresh from this request's cookies.
    g.pop("_login_user", None)
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or request.path.startswith("/api/"):
        return None  # the API authenticates every request with its Bearer key instead
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    membership = current_membership()
    if membership is None:
        return None if endpoint in MEMBERLESS_ENDPOINTS else redirect(url_for("workspaces.new"))
    if request.method not in SAFE_METHODS and endpoint not in VIEWER_MAY_POST:
        require_role("edit")
    return None


def sign_in_user(user: User, remember: bool = False) -> None:
    """Start a fresh session for the user (a new session id, so a planted one is useless)."""
    from flask import session

    session.clear()
    sign_ins.start(user)  # a row this browser's cookies name: signing out ends it server-side
    login_user(user, remember=remember)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # A cookie made before the password last changed, or of a sign-in that was ended, no longer loads.
    return sign_ins.load(session_id)


def current_membership():
    """Return the signed-in user's membership in their current workspace (cached per request)."""
    if not current_user.is_authenticated:
        return None
    # `g` can outlive a request when an app context is already pushed (tests, CLI): key the cache by
    # user, so a different user on a later request never inherits another member's workspace.
    # Keyed by current workspace too, so a switch is seen at once.
    cached = g.get("membership")
    if cached is None or cached.user_id != current_user.id or cached.workspace_id != current_user.last_workspace_id:
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
