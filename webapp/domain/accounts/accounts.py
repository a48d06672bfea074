"""Users, their workspaces and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import func, select

from webapp.core.errors import Forbidden, NotFound, ValidationFailed, lazy_gettext
from webapp.core.validation import timezone_problem
from webapp.domain.accounts import passwords
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import ApiKey, Membership, Role, User, Workspace, utcnow

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
API_KEY_PREFIX = "hrd_"


def password_problem(password: str) -> str | None:
    """Say why a password is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return lazy_gettext(
            "must be at least %(min_password_length)s characters", min_password_length=MIN_PASSWORD_LENGTH
        )
    if password.isalpha() or password.isdigit():
        return lazy_gettext("must mix letters with digits or symbols")
    return None


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _unique_slug(base: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:40] or "workspace"
    slug, n = stem, 1
    while db.session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        n += 1
        slug = f"{stem}-{n}"
    return slug


def sign_up_problems(email: str, password: str | None, timezone: str) -> dict[str, str]:
    """What is wrong with a sign-up's email (its form, not whether it is taken), password and timezone."""
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = lazy_gettext("must be an email address")
    if password is not None and (problem := password_problem(password or "")):
        errors["password"] = problem
    if problem := timezone_problem(timezone):
        errors["timezone"] = problem
    return errors


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(func.lower(User.email) == normalise_email(email))) is not None


def new_user(email: str, password: str | None, timezone: str = "UTC", *, password_hash: str | None = None) -> User:
    """Validate and add a user without a workspace (the caller adds a membership and commits).

    `password_hash` instead of `password`: a hash made when the sign-up was asked for (sign_ups.py).
    """
    email = normalise_email(email)
    errors = sign_up_problems(email, None if password_hash else password, timezone)
    if "email" not in errors and email_taken(email):
        errors["email"] = lazy_gettext("is already registered")
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, password_hash=password_hash or passwords.hash_password(password), timezone=timezone)
    db.session.add(user)
    db.session.flush()
    return user


def new_workspace(name: str, slug_base: str | None = None) -> Workspace:
    """Add a workspace with a unique slug (from its name unless told); the caller adds its owner and commits."""
    workspace = Workspace(name=name, slug=_unique_slug(slug_base or name))
    db.session.add(workspace)
    db.session.flush()
    return workspace


def create_user(
    email: str, password: str | None, timezone: str = "UTC", source: str = "ui", *, password_hash: str | None = None
) -> User:
    """Create a user with their own workspace, owned by them; commit."""
    user = new_user(email, password, timezone, password_hash=password_hash)
    local = user.email.split("@", 1)[0]
    workspace = new_workspace(f"{local}'s workspace", local)
    db.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=Role.OWNER.value))
    user.last_workspace_id = workspace.id
    audit.record(Actor(user.id, workspace.id, Role.OWNER.value, source), "user.created", "user", user.id)
    db.session.commit()
    return user


def may_sign_up(mode: str) -> bool:
    """Whether /signup may make an account under the install's SIGNUP mode (the first account always may)."""
    return mode == "open" or db.session.scalar(select(User.id).limit(1)) is None


def may_join_with_new_account(mode: str) -> bool:
    """Whether an invitation may make an account for its email (not when the operator closed sign-up)."""
    return mode != "closed" or db.session.scalar(select(User.id).limit(1)) is None


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose password matches, else None (same answer, and the same time, for unknown emails).

    An outdated hash (scrypt from before argon2) is replaced by an argon2id one; the caller commits.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        passwords.spend_a_check(password or "")
        return None
    ok, upgraded = passwords.verify(user.password_hash, password or "")
    if not ok:
        return None
    if upgraded is not None:
        user.password_hash = upgraded
    return user


def find_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(lazy_gettext("no user with email %(email)s", email=email))
    return user


def membership_for(user_id: int, workspace_id: int | None = None) -> Membership | None:
    """Return the user's membership in a workspace (their last or first one when none is named)."""
    query = select(Membership).where(Membership.user_id == user_id)
    if workspace_id is not None:
        return db.session.scalar(query.where(Membership.workspace_id == workspace_id))
    user = db.session.get(User, user_id)
    if user is not None and user.last_workspace_id is not None:
        found = db.session.scalar(query.where(Membership.workspace_id == user.last_workspace_id))
        if found is not None:
            return found
    return db.session.scalar(query.order_by(Membership.id))


def hash_token(token: str) -> str:
    # API keys and one-time links are 256-bit random strings, so a fast digest is as safe as a slow KDF here.
    return hashlib.sha256(token.encode()).hexdigest()


hash_api_key = hash_token


def new_token() -> tuple[str, str]:
    """Return a fresh 256-bit token for a one-time link and the digest to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def set_password(user: User, password: str) -> None:
    """Replace the user's password after checking its strength (the caller audits and commits)."""
    if problem := password_problem(password or ""):
        raise ValidationFailed({"password": problem})
    user.password_hash = passwords.hash_password(password)


def change_password(actor: Actor, user: User, current: str, new: str, confirmation: str) -> None:
    """Change a signed-in user's own password after checking the current one; audit and commit.

    Every other session and remember-me cookie ends with it (`User.get_id` carries a digest of the password hash);
    the caller signs the current browser in again under the new id. On any error nothing is changed.
    """
    errors: dict[str, str] = {}
    if not passwords.verify(user.password_hash, current or "")[0]:
        errors["current_password"] = lazy_gettext("is wrong")
    if problem := password_problem(new or ""):
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = lazy_gettext("must differ from the current password")
    if new != confirmation:
        errors["confirmation"] = lazy_gettext("does not match the new password")
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = passwords.hash_password(new)
    audit.record(actor, "password.changed", "user", user.id)
    db.session.commit()


def create_api_key(user: User, workspace_slug: str | None = None, name: str = "default", source: str = "cli"):
    """Create an API key for the user in one of their workspaces; return (record, plaintext key)."""
    if not (name or "").strip() or len(name) > 120:
        raise ValidationFailed({"name": lazy_gettext("is required (at most 120 characters)")})
    if workspace_slug:
        workspace = db.session.scalar(select(Workspace).where(Workspace.slug == workspace_slug))
        membership = membership_for(user.id, workspace.id) if workspace else None
    else:
        membership = membership_for(user.id)
    if membership is None:
        raise NotFound(
            lazy_gettext(
                "%(email)s is not a member of workspace %(workspace)s",
                email=user.email,
                workspace=workspace_slug or "(any)",
            )
        )
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        user_id=user.id,
        workspace_id=membership.workspace_id,
        name=name,
        prefix=plaintext[:10],
        key_hash=hash_api_key(plaintext),
    )
    db.session.add(record)
    db.session.flush()
    actor = Actor(user.id, membership.workspace_id, membership.role, source)
    audit.record(actor, "api_key.created", "api_key", record.id, name=name)
    db.session.commit()
    return record, plaintext


def resolve_api_key(plaintext: str) -> tuple[ApiKey, Membership] | None:
    """Find the live key and its owner's current membership, or None."""
    record = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(plaintext)))
    if record is None or record.revoked_at is not None:
        return None
    membership = membership_for(record.user_id, record.workspace_id)
    if membership is None:
        return None
    record.last_used_at = utcnow()
    return record, membership


def authenticate_api_key(plaintext: str) -> tuple[ApiKey, Membership] | None:
    """Resolve a Bearer key for one API request, saving when it was last used; None (nothing saved) if not valid."""
    found = resolve_api_key(plaintext)
    if found is None:
        db.session.rollback()
        return None
    db.session.commit()  # last_used_at
    return found


def email_has_account(email: str) -> bool:
    """Whether a user with exactly this email exists (an invitation's email: already normalised when stored)."""
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def record_sign_in(user: User | None, ip: str | None, *, ok: bool, email: str | None = None) -> None:
    """Audit a sign-in or a failed one (failed ones name the email tried, never the password)."""
    if user is not None:
        membership = membership_for(user.id)
        actor = Actor(user.id, membership.workspace_id if membership else None, "", "ui", ip)
        audit.record(actor, "user.signed_in" if ok else "user.sign_in_failed", "user", user.id)
    else:
        known = db.session.scalar(select(User).where(User.email == normalise_email(email or "")))
        if known is None:
            return  # nothing to attach it to; the rate limiter still counts it
        membership = membership_for(known.id)
        actor = Actor(None, membership.workspace_id if membership else None, "", "ui", ip)
        audit.record(actor, "user.sign_in_failed", "user", known.id)
    db.session.commit()


def set_timezone(actor: Actor, user: User, timezone: str) -> None:
    """Change the user's profile timezone (the default for forms and how times are shown)."""
    update_profile(actor, user, {"timezone": timezone})


# The languages the UI ships (webapp.web.i18n names them); a user without a choice gets the browser's language.
LOCALES = ("en", "de", "fr", "es")


def set_locale(actor: Actor, user: User, locale: str | None) -> None:
    """Set the user's UI language, one of LOCALES, or None (empty) for the browser's Accept-Language."""
    update_profile(actor, user, {"locale": locale})


def _profile_problems(data: dict) -> dict:
    errors = {}
    if "timezone" in data and (problem := timezone_problem(data["timezone"])):
        errors["timezone"] = problem
    locale = data.get("locale")
    if "locale" in data and not (locale is None or (isinstance(locale, str) and locale.strip() in ("", *LOCALES))):
        errors["locale"] = lazy_gettext(
            "must be one of %(locales)s, or empty for the browser's language", locales=", ".join(LOCALES)
        )
    return errors


def update_profile(actor: Actor, user: User, data: dict) -> User:
    """Change the user's `timezone` and/or `locale` (None or empty: the browser's language), all or none; commit."""
    if errors := _profile_problems(data):
        raise ValidationFailed(errors)
    if "timezone" in data:
        user.timezone = data["timezone"]
        audit.record(actor, "user.timezone_changed", "user", user.id, timezone=user.timezone)
    if "locale" in data:
        user.locale = (data["locale"] or "").strip() or None
        audit.record(actor, "user.locale_changed", "user", user.id, locale=user.locale)
    db.session.commit()
    return user


def api_keys_of(actor: Actor) -> list[ApiKey]:
    """Return the acting user's API keys in the current workspace, newest first."""
    return list(
        db.session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == actor.user_id, ApiKey.workspace_id == actor.workspace_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def workspace_api_keys(actor: Actor) -> list[ApiKey]:
    """Return every member's live API keys in the workspace (owners only), by user then age."""
    if actor.role != Role.OWNER.value:
        raise Forbidden(lazy_gettext("Only an owner can see other members' API keys."))
    return list(
        db.session.scalars(
            select(ApiKey)
            .where(ApiKey.workspace_id == actor.workspace_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.user_id, ApiKey.id)
        )
    )


def revoke_api_key(actor: Actor, key_id: int) -> ApiKey:
    """Revoke a key of the acting user (an owner: of any member); anyone else's key reads as not found."""
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == actor.workspace_id)
    if actor.role != Role.OWNER.value:
        query = query.where(ApiKey.user_id == actor.user_id)
    record = db.session.scalar(query)
    if record is None:
        raise NotFound(lazy_gettext("API key not found"))
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record(actor, "api_key.revoked", "api_key", record.id, name=record.name)
        db.session.commit()
    return record
