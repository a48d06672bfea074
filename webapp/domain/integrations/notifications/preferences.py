"""Each user's notification preferences: media, event kinds, quiet hours and digest hour, validated and stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.domain.integrations.notifications.quiet_hours import HHMM
from webapp.domain.integrations.subscriptions import url_problem
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra.crypto import CredentialsError, decrypt_credentials, encrypt_credentials
from webapp.models import NotificationSettings

# Every alert kind a person must act on, and the daily digest. `channel_unhealthy` is raised for one
# cause only, a platform rejecting the channel's credentials (publishing/failures.on_auth_error).
KINDS = {
    "failure": lazy_gettext("a publication failed"),
    "needs_intervention": lazy_gettext("a channel or schedule needs intervention"),
    "missed": lazy_gettext("a run was missed"),
    "unconfirmed": lazy_gettext("a publication's outcome is unknown and waits for you"),
    "scheduler_silent": lazy_gettext("the scheduler went silent, and when it is back (owners only)"),
    "channel_unhealthy": lazy_gettext("a channel's credentials were rejected (its posts are held)"),
    "channel_held": lazy_gettext("a channel holds its due posts (paused, or its circuit open)"),
    "preflight": lazy_gettext("a pre-flight check found that a post due soon would fail"),
    "review_requested": lazy_gettext("content waits for a review you may give (owners and editors)"),
    "digest": lazy_gettext("a daily digest"),
}
ALERT_KINDS = frozenset(KINDS) - {"digest"}


def settings_of(user_id: int) -> NotificationSettings:
    """Return the user's settings, unsaved defaults when none are stored (everything off: opt in)."""
    found = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    return found or NotificationSettings(user_id=user_id, email_enabled=False, kinds=[], digest_hour=8)


def decrypted_url(token: str | None) -> str | None:
    """Decrypt a stored Slack-compatible webhook URL (a user's or a workspace's), or None when there is none."""
    return decrypt_credentials(token)["url"] if token else None


def slack_url(settings: NotificationSettings) -> str | None:
    """Decrypt the user's stored Slack-compatible webhook URL, or None when there is none."""
    return decrypted_url(settings.slack_url_encrypted)


def slack_url_or_problem(settings) -> tuple[str | None, str | None]:
    """Return (URL, None), or (None, why it cannot be read) for a stored URL the keys no longer open.

    `settings` is a user's NotificationSettings or a WorkspaceNotificationSettings: both keep the URL alike.
    """
    try:
        return decrypted_url(settings.slack_url_encrypted), None
    except CredentialsError as exc:
        return None, str(exc)


def _clock(value, field: str, errors: dict[str, str]) -> str | None:
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value), HHMM).strftime(HHMM)
    except ValueError:
        errors[field] = lazy_gettext("must be a time as HH:MM")
        return None


def update_settings(actor: Actor, data: dict) -> NotificationSettings:
    """Validate and store the acting user's notification settings; commit.

    `slack_url`: a new URL replaces the stored one, "" removes it, absent keeps it. Any member may set
    their own notifications, viewers too: it changes nothing in the workspace.
    """
    errors: dict[str, str] = {}
    if not isinstance(data.get("email_enabled", False), bool):
        errors["email_enabled"] = lazy_gettext("must be true or false")
    kinds = data.get("kinds", [])
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        errors["kinds"] = lazy_gettext("must be a list of: %(kinds)s", kinds=", ".join(KINDS))
    start = _clock(data.get("quiet_start"), "quiet_start", errors)
    end = _clock(data.get("quiet_end"), "quiet_end", errors)
    if (start is None) != (end is None) and not errors.keys() & {"quiet_start", "quiet_end"}:
        errors["quiet_end" if start else "quiet_start"] = lazy_gettext("give both ends of the quiet hours, or neither")
    elif start is not None and start == end:
        errors["quiet_end"] = lazy_gettext("must differ from the start")
    hour = data.get("digest_hour", 8)
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        errors["digest_hour"] = lazy_gettext("must be an hour from 0 to 23")
    url = data.get("slack_url")
    if url not in (None, "") and (problem := url_problem(url)):
        errors["slack_url"] = problem
    if errors:
        raise ValidationFailed(errors)
    settings = settings_of(actor.user_id)
    settings.email_enabled = bool(data.get("email_enabled"))
    settings.kinds = [k for k in KINDS if k in kinds]
    settings.quiet_start, settings.quiet_end, settings.digest_hour = start, end, hour
    if url == "":
        settings.slack_url_encrypted = None
    elif url is not None:
        settings.slack_url_encrypted = encrypt_credentials({"url": url})
    db.session.add(settings)
    # Never the URL itself: it is a credential.
    audit.record(actor, "notifications.updated", "user", actor.user_id, kinds=settings.kinds)
    db.session.commit()
    return settings
