"""Invitations: a one-time, expiring link that makes its holder a member with the role chosen at invite."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, lazy_gettext
from webapp.domain.accounts import accounts
from webapp.domain.accounts.workspaces import require_owner, role_problem
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.models import Invitation, Membership, User, utcnow

INVALID_LINK = "This invitation link is not valid: it was already used, revoked, or has expired."


def _pending():
    return (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow())


def create_invitation(actor: Actor, email: str, role: str) -> tuple[Invitation, str]:
    """Invite an email with a role (owners only); return the record and the link's token; commit.

    A newer invitation for the same email replaces the pending one, so only the latest link works.
    """
    invitation, token = add_invitation(actor, email, role)
    db.session.commit()
    return invitation, token


def add_invitation(actor: Actor, email: str, role: str) -> tuple[Invitation, str]:
    """Add an invitation as create_invitation does, inside the caller's transaction (the caller commits)."""
    require_owner(actor)
    email = accounts.normalise_email(email)
    errors = {}
    if not accounts.EMAIL_RE.match(email):
        errors["email"] = lazy_gettext("must be an email address")
    elif _member_email(actor.workspace_id, email):
        errors["email"] = lazy_gettext("is already a member of this workspace")
    if problem := role_problem(role):
        errors["role"] = problem
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.workspace_id == actor.workspace_id, Invitation.email == email, *_pending())
        .values(revoked_at=now)
    )
    token, digest = accounts.new_token()
    invitation = Invitation(
        workspace_id=actor.workspace_id,
        email=email,
        role=role,
        token_hash=digest,
        invited_by_user_id=actor.user_id,
        expires_at=now + timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "member.invited", "invitation", invitation.id, email=email, role=role)
    return invitation, token


def _member_email(workspace_id: int, email: str) -> bool:
    found = db.session.scalar(
        select(Membership.id).join(User).where(Membership.workspace_id == workspace_id, User.email == email)
    )
    return found is not None


def pending_invitations(actor: Actor) -> list[Invitation]:
    """Return the workspace's invitations that can still be accepted, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.workspace_id == actor.workspace_id, *_pending())
            .order_by(Invitation.id.desc())
        )
    )


def revoke_invitation(actor: Actor, invitation_id: int) -> Invitation:
    """Void a pending invitation's link (owners only); another workspace's reads as not found; commit."""
    require_owner(actor)
    invitation = get_in_workspace(actor, Invitation, invitation_id, "invitation")
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
        audit.record(actor, "invitation.revoked", "invitation", invitation.id, email=invitation.email)
        db.session.commit()
    return invitation


def find_invitation(token: str) -> Invitation:
    """Return the pending invitation behind a link, or raise NotFound for any other link."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == accounts.hash_token(token or ""), *_pending())
    )
    if invitation is None:
        raise NotFound(INVALID_LINK)
    return invitation


def _spend(invitation: Invitation, user: User) -> None:
    # A conditional UPDATE, so two requests racing with one link cannot both succeed.
    spent = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, *_pending())
        .values(accepted_at=utcnow(), accepted_by_user_id=user.id)
    ).rowcount
    if spent != 1:
        db.session.rollback()
        raise NotFound(INVALID_LINK)


def _join(invitation: Invitation, user: User, ip: str | None) -> Membership:
    _spend(invitation, user)
    membership = Membership(workspace_id=invitation.workspace_id, user_id=user.id, role=invitation.role)
    db.session.add(membership)
    user.last_workspace_id = invitation.workspace_id
    actor = Actor(user.id, invitation.workspace_id, invitation.role, "ui", ip)
    audit.record(actor, "member.joined", "invitation", invitation.id, email=user.email, role=invitation.role)
    db.session.commit()
    return membership


def accept(token: str, user: User, ip: str | None = None) -> Membership:
    """Make a signed-in user a member through an invitation addressed to their email; commit."""
    invitation = find_invitation(token)
    if invitation.email != user.email:
        raise Conflict(
            lazy_gettext(
                "This invitation is for %(email)s; sign in with that address to accept it.", email=invitation.email
            )
        )
    if _member_email(invitation.workspace_id, user.email):
        raise Conflict(lazy_gettext("You are already a member of this workspace."))
    return _join(invitation, user, ip)


def accept_with_new_account(token: str, password: str, timezone: str, ip: str | None = None) -> User:
    """Create the invited email's account, as a member of the inviting workspace only; commit.

    Refused (Forbidden) while the operator has closed sign-up (SIGNUP=closed): accounts come from the CLI then.
    """
    if not accounts.may_join_with_new_account(current_app.config["SIGNUP"]):
        raise Forbidden(
            lazy_gettext("this Herald makes no new accounts (sign-up is closed): ask the operator to create yours")
        )
    invitation = find_invitation(token)
    user = accounts.new_user(invitation.email, password, timezone)
    _join(invitation, user, ip)
    return user
