"""Password resets: a single-use, expiring link, void once used or once the password changes."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from webapp.core.errors import NotFound
from webapp.domain.accounts import accounts
from webapp.domain.accounts.accounts import membership_for
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import PasswordReset, User, utcnow

INVALID_LINK = "This password reset link is not valid: it was already used, replaced, or has expired."


def fingerprint(user: User) -> str:
    """Digest the current password hash: a link made before any password change no longer matches."""
    return accounts.hash_token(user.password_hash)


def _audit(user: User, action: str, ip: str | None) -> None:
    # Filed under the user's current workspace, like sign-ins (none for an account without one).
    membership = membership_for(user.id)
    actor = Actor(user.id, membership.workspace_id if membership else None, "", "ui", ip)
    audit.record(actor, action, "user", user.id)


def request_reset(email: str, ip: str | None = None) -> tuple[User, str] | None:
    """Issue a reset link for a registered email: return (user, token), or None for an unknown email; commit.

    The caller answers both cases alike, so the form never reveals which emails have accounts.
    """
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        return None
    now = utcnow()
    # Only the newest link works: an older one lying in a mailbox is void.
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token, digest = accounts.new_token()
    ttl = timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])
    db.session.add(
        PasswordReset(user_id=user.id, token_hash=digest, password_fingerprint=fingerprint(user), expires_at=now + ttl)
    )
    _audit(user, "user.password_reset_requested", ip)
    db.session.commit()
    return user, token


def find_reset(token: str) -> PasswordReset:
    """Return the live reset behind a link, or raise NotFound (used, replaced, expired or stale)."""
    reset = db.session.scalar(
        select(PasswordReset).where(
            PasswordReset.token_hash == accounts.hash_token(token or ""),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
    )
    if reset is None or reset.password_fingerprint != fingerprint(reset.user):
        raise NotFound(INVALID_LINK)
    return reset


def reset_password(token: str, password: str, ip: str | None = None) -> User:
    """Set a new password through a live link and spend the link; commit."""
    reset = find_reset(token)
    user = reset.user
    accounts.set_password(user, password)
    # A conditional UPDATE, so two requests racing with one link cannot both succeed.
    spent = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if spent != 1:
        db.session.rollback()
        raise NotFound(INVALID_LINK)
    _audit(user, "user.password_reset", ip)
    db.session.commit()
    return user
