"""A workspace's own destination: a shared Slack/Mattermost-compatible webhook and/or a team email address.

An owner sets it, with its own alert kinds; every member may see that it is set (and the team address),
never the webhook URL, which is itself a credential. A message for it is a Notification with no user:
it has no quiet hours (a team channel is read by whoever is on duty) and no digest (a digest is
each person's, at their own hour). It speaks the language of the owner who last set it (else English).
"""

from __future__ import annotations

from sqlalchemy import select

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.domain.accounts.accounts import EMAIL_RE
from webapp.domain.accounts.workspaces import require_owner
from webapp.domain.integrations.notifications.messages import Message, add
from webapp.domain.integrations.notifications.preferences import ALERT_KINDS, KINDS, decrypted_url
from webapp.domain.integrations.subscriptions import url_problem
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra.crypto import encrypt_credentials
from webapp.models import Notification, User, WorkspaceNotificationSettings, utcnow

# The kinds a workspace's destination may take: every alert kind, in the order people see them.
WORKSPACE_KINDS = {kind: label for kind, label in KINDS.items() if kind in ALERT_KINDS}
MAX_EMAIL = 320


def destination_of(workspace_id: int) -> WorkspaceNotificationSettings:
    """Return the workspace's destination, unsaved and empty when none is stored."""
    found = db.session.scalar(
        select(WorkspaceNotificationSettings).where(WorkspaceNotificationSettings.workspace_id == workspace_id)
    )
    return found or WorkspaceNotificationSettings(workspace_id=workspace_id, email_address=None, kinds=[])


def read_destination(actor: Actor) -> WorkspaceNotificationSettings:
    """Return the acting member's workspace destination (any member may see what is set)."""
    return destination_of(actor.workspace_id)


def slack_url(settings: WorkspaceNotificationSettings) -> str | None:
    """Decrypt the workspace's webhook URL, or None when there is none."""
    return decrypted_url(settings.slack_url_encrypted)


def _problems(data: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    email = data.get("email_address")
    if email not in (None, "") and (
        not isinstance(email, str) or len(email) > MAX_EMAIL or not EMAIL_RE.match(email.strip())
    ):
        errors["email_address"] = lazy_gettext("must be an email address")
    kinds = data.get("kinds", [])
    if not isinstance(kinds, list) or any(k not in WORKSPACE_KINDS for k in kinds):
        errors["kinds"] = lazy_gettext(
            "must be a list of: %(workspace_kinds)s", workspace_kinds=", ".join(WORKSPACE_KINDS)
        )
    url = data.get("slack_url")
    if url not in (None, "") and (problem := url_problem(url)):
        errors["slack_url"] = problem
    return errors


def update_destination(actor: Actor, data: dict) -> WorkspaceNotificationSettings:
    """Validate and store the workspace's destination (owners only); commit.

    `email_address` and `kinds` replace the stored ones (absent: none); `slack_url`: a new URL replaces
    the stored one, "" or None removes it, absent keeps it (it can never be read back to be resent).
    """
    actor.require_writer()
    require_owner(actor)
    if errors := _problems(data):
        raise ValidationFailed(errors)
    settings = destination_of(actor.workspace_id)
    settings.email_address = (data.get("email_address") or "").strip() or None
    settings.kinds = [k for k in WORKSPACE_KINDS if k in data.get("kinds", [])]
    settings.updated_by_id = actor.user_id
    if "slack_url" in data and not data["slack_url"]:
        settings.slack_url_encrypted = None
    elif data.get("slack_url"):
        settings.slack_url_encrypted = encrypt_credentials({"url": data["slack_url"]})
    db.session.add(settings)
    # Never the URL: it is a credential. Whether one is set, and the address, are not.
    audit.record(
        actor,
        "workspace.notifications_updated",
        "workspace",
        actor.workspace_id,
        kinds=settings.kinds,
        email_address=settings.email_address,
        webhook_set=bool(settings.slack_url_encrypted),
    )
    db.session.commit()
    return settings


def media_of(settings: WorkspaceNotificationSettings) -> list[str]:
    return (["email"] if settings.email_address else []) + (["slack"] if settings.slack_url_encrypted else [])


def record_for_workspace(message: Message) -> list[Notification]:
    """Add one message per medium of the workspace's destination, if it chose this kind (the caller commits)."""
    with db.session.no_autoflush:  # called from signals, inside the caller's half-made transaction
        settings = destination_of(message.workspace_id)
    if settings.id is None or message.kind not in (settings.kinds or []):
        return []
    setter = db.session.get(User, settings.updated_by_id) if settings.updated_by_id else None
    return add(message, media_of(settings), user_id=None, when=utcnow(), locale=setter and setter.locale)
