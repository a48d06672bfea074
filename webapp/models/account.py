"""Workspaces, users, memberships and API keys."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.orm import UTCDateTime, utcnow
from webapp.extensions import db


class Role(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    require_approval: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    memberships: Mapped[list[Membership]] = relationship(back_populates="workspace")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    last_workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="SET NULL"))
    # None: the browser's Accept-Language decides (webapp.web.i18n).
    locale: Mapped[str | None] = mapped_column(String(16))
    # None: the default dashboard; else panels in order with their collapsed/hidden state.
    dashboard_layout: Mapped[list | None] = mapped_column(JSON)
    # Single-key shortcuts (g d, ?, ...) can be turned off: WCAG 2.1.4.
    shortcuts_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    # The browser session this instance was loaded for (not a column): set at sign-in and by the user
    # loader, so get_id names it in the session and the remember-me cookie.
    session_token = None  # str | None; not annotated: an annotation would ask the ORM to map it

    def password_digest(self) -> str:
        """Digest the password hash: it changes with every password change, and reveals nothing of it."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:24]

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember-me cookie: carrying the password digest, every
        # session and cookie made before a password change stops matching (auth.load_user), so a reset signs out
        # whoever else was signed in with the old password. The sign-in's token ties both to one
        # SignInSession row, which signing out ends: a copied cookie is worthless afterwards.
        return f"{self.id}.{self.password_digest()}.{self.session_token or ''}"

    def session_id_matches(self, digest: str) -> bool:
        return hmac.compare_digest(digest, self.password_digest())


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The key itself is never stored: a prefix to show and a SHA-256 digest to look it up by.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    workspace: Mapped[Workspace] = relationship()


class SignInSession(db.Model):
    """One browser's sign-in: its cookies carry the token, the database only its SHA-256; sign-out ends it."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
