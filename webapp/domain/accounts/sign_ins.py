"""Signed-in browsers, server side: each sign-in is a row its cookies name, so signing out really ends it.

Flask's session cookie is signed, not stored: without a row to end, a cookie copied before sign-out (or
a copied remember-me cookie) would go on working for its whole life. The cookie carries a random token;
the database keeps its SHA-256, like API keys and one-time links.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select, update

from webapp.domain.accounts.accounts import hash_token
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import SignInSession, User, utcnow


def start(user: User) -> str:
    """Record a new sign-in for the user; return its token (set on the user, so get_id names it). Commits."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignInSession(user_id=user.id, token_hash=hash_token(token)))
    db.session.commit()
    user.session_token = token
    return token


def load(session_id: str) -> User | None:
    """Load the user a session or remember-me cookie names ("<id>.<password digest>.<token>"), if it still holds.

    Nobody loads when the password changed since (the digest), or that sign-in was ended (signed out, or
    "sign out everywhere else"), or the cookie is from before sign-ins were recorded.
    """
    user_id, digest, token = (session_id.split(".") + ["", ""])[:3]
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.session_id_matches(digest):
        return None
    row = db.session.scalar(select(SignInSession).where(SignInSession.token_hash == hash_token(token)))
    if row is None or row.user_id != user.id or row.ended_at is not None:
        return None
    user.session_token = token
    return user


def end(user: User) -> None:
    """End the sign-in the user was loaded for (signing out). Commits."""
    if user.session_token:
        db.session.execute(
            update(SignInSession)
            .where(SignInSession.token_hash == hash_token(user.session_token), SignInSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        db.session.commit()


def end_others(actor: Actor, user: User) -> int:
    """End every sign-in of the user but this browser's; audit and commit; return how many ended."""
    keep = hash_token(user.session_token or "")
    rows = db.session.scalars(
        select(SignInSession).where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
    ).all()
    ended = [row for row in rows if not hmac.compare_digest(row.token_hash, keep)]
    for row in ended:
        row.ended_at = utcnow()
    audit.record(actor, "user.signed_out_elsewhere", "user", user.id, sessions=len(ended))
    db.session.commit()
    return len(ended)


def active_count(user: User) -> int:
    """How many sign-ins of the user are open (this browser's included)."""
    return len(
        db.session.scalars(
            select(SignInSession.id).where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
        ).all()
    )
