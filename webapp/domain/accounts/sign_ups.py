"""Open sign-up, confirmed by email: the form answers every address alike, so it tells nobody who has an account.

With `SIGNUP=open` and a mail server, a sign-up never makes the account at once: a new address gets a
one-time link that makes it (with the password given, hashed now), an address that has an account gets a
note saying so (sign in, or reset the password), and the page says "check your inbox" either way, after
the same work (a password hash). Without a mail server there is no private way to answer, so sign-up
makes the account at once and says when an address is taken (docs: use `invite`, or set SMTP).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from webapp.core.errors import NotFound, ValidationFailed
from webapp.domain.accounts import accounts, passwords
from webapp.extensions import db
from webapp.infra import mail
from webapp.models import PendingSignUp, User, utcnow

LINK_TTL = timedelta(hours=24)
INVALID_LINK = "This sign-up link is not valid: it was already used, replaced, or has expired."


def needs_confirmation(mode: str) -> bool:
    """Whether /signup confirms addresses by email: open sign-up, a mail server, and accounts already made."""
    return mode == "open" and mail.is_configured() and db.session.scalar(select(User.id).limit(1)) is not None


def request(email: str, password: str, timezone: str) -> str | None:
    """Check the form; return a one-time token for a new address, None for one that has an account; commit.

    Both cases cost one password hash, so the time taken does not tell them apart either.
    """
    email = accounts.normalise_email(email)
    if errors := accounts.sign_up_problems(email, password, timezone):
        raise ValidationFailed(errors)
    password_hash = passwords.hash_password(password)
    if accounts.email_taken(email):
        return None
    now = utcnow()
    # Only the newest link works: an older one in the mailbox is void.
    db.session.execute(
        update(PendingSignUp).where(PendingSignUp.email == email, PendingSignUp.used_at.is_(None)).values(used_at=now)
    )
    token, digest = accounts.new_token()
    db.session.add(
        PendingSignUp(
            email=email, password_hash=password_hash, timezone=timezone, token_hash=digest, expires_at=now + LINK_TTL
        )
    )
    db.session.commit()
    return token


def find(token: str) -> PendingSignUp:
    """Return the live sign-up behind a link, or raise NotFound (used, replaced or expired)."""
    pending = db.session.scalar(select(PendingSignUp).where(PendingSignUp.token_hash == accounts.hash_token(token)))
    if pending is None or pending.used_at is not None or pending.expires_at <= utcnow():
        raise NotFound(INVALID_LINK)
    return pending


def finish(token: str) -> User:
    """Make the account the link stands for (its own workspace, as any sign-up); the link is spent; commit."""
    pending = find(token)
    spent = db.session.execute(
        update(PendingSignUp)
        .where(PendingSignUp.id == pending.id, PendingSignUp.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if not spent or accounts.email_taken(pending.email):  # a race with a second click, or an invitation
        db.session.rollback()
        raise NotFound(INVALID_LINK)
    return accounts.create_user(pending.email, None, pending.timezone, password_hash=pending.password_hash)
