"""Create, read, update and delete publishing channels; credentials are encrypted at rest."""

from __future__ import annotations

from sqlalchemy import select

from webapp.adapters import PLATFORMS, adapter_class, get_adapter
from webapp.core.errors import ValidationFailed
from webapp.core.validation import choice_problem, text_problem, timezone_problem
from webapp.domain.channels.rules import validate as validate_rules
from webapp.domain.shared import audit, cascade
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra.crypto import decrypt_credentials, encrypt_credentials
from webapp.models import Channel, Publication, utcnow


def _validate(name, platform, settings, credentials, timezone, channel_rules=None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := text_problem(name, required=True, max_length=120):
        errors["name"] = problem
    if problem := choice_problem(platform, PLATFORMS):
        errors["platform"] = problem
    if problem := timezone_problem(timezone):
        errors["timezone"] = problem
    if not isinstance(settings, dict):
        errors["settings"] = "must be an object"
    if not isinstance(credentials, dict):
        errors["credentials"] = "must be an object"
    if "platform" not in errors and "settings" not in errors and "credentials" not in errors:
        errors.update(adapter_class(platform).validate_config(settings, credentials))
    errors.update(validate_rules(channel_rules))
    return errors


def create_channel(
    actor: Actor, *, name, platform, settings, credentials, timezone: str = "UTC", rules: dict | None = None
) -> Channel:
    """Validate and store a channel in the actor's workspace; commit."""
    actor.require_writer()
    errors = _validate(name, platform, settings, credentials, timezone, rules)
    if not errors and _name_taken(actor.workspace_id, name.strip()):
        errors["name"] = "is already used by another channel"
    if errors:
        raise ValidationFailed(errors)
    channel = Channel(
        workspace_id=actor.workspace_id,
        name=name.strip(),
        platform=platform,
        settings=settings,
        credentials_encrypted=encrypt_credentials(credentials),
        timezone=timezone,
        rules=rules or {},
    )
    db.session.add(channel)
    db.session.flush()
    audit.record(actor, "channel.created", "channel", channel.id, platform=platform)
    db.session.commit()
    return channel


def _name_taken(workspace_id: int, name: str, except_id: int | None = None) -> bool:
    query = select(Channel.id).where(Channel.workspace_id == workspace_id, Channel.name == name)
    if except_id is not None:
        query = query.where(Channel.id != except_id)
    return db.session.scalar(query) is not None


def get_channel(actor: Actor, channel_id: int) -> Channel:
    """Return a channel of the actor's workspace, or raise NotFound (for others' too)."""
    return get_in_workspace(actor, Channel, channel_id, "channel")


def channel_query(actor: Actor):
    """Build the query of the workspace's channels, by name."""
    return select(Channel).where(Channel.workspace_id == actor.workspace_id).order_by(Channel.name, Channel.id)


def list_channels(actor: Actor) -> list[Channel]:
    return list(db.session.scalars(channel_query(actor)))


def channel_choices(actor: Actor) -> list:
    """Return (id, name) rows of the workspace's channels, by name: a menu needs no settings or keys."""
    return list(db.session.execute(channel_query(actor).with_only_columns(Channel.id, Channel.name)))


def update_channel(actor: Actor, channel_id: int, changes: dict) -> Channel:
    """Apply a partial update; credentials are replaced only when given."""
    actor.require_writer()
    channel = get_channel(actor, channel_id)
    name = changes.get("name", channel.name)
    settings = changes.get("settings", channel.settings)
    timezone = changes.get("timezone", channel.timezone)
    credentials = changes.get("credentials")
    check_credentials = credentials if credentials is not None else decrypt_credentials(channel.credentials_encrypted)
    new_rules = changes.get("rules", channel.rules)
    errors = _validate(name, channel.platform, settings, check_credentials, timezone, new_rules)
    if "platform" in changes and changes["platform"] != channel.platform:
        errors["platform"] = "cannot be changed; create a new channel instead"
    if not errors and _name_taken(actor.workspace_id, name.strip(), channel.id):
        errors["name"] = "is already used by another channel"
    if errors:
        raise ValidationFailed(errors)
    channel.name, channel.settings, channel.timezone = name.strip(), settings, timezone
    if credentials is not None:
        channel.credentials_encrypted = encrypt_credentials(credentials)
    channel.rules = new_rules or {}
    audit.record(actor, "channel.updated", "channel", channel.id, fields=sorted(changes))
    db.session.commit()
    return channel


def delete_channel(actor: Actor, channel_id: int) -> None:
    """Delete a channel with its publications and their pending rq-scheduler entries."""
    actor.require_writer()
    channel = get_channel(actor, channel_id)
    cascade.delete_record(actor, "channel", channel, Publication.channel_id, name=channel.name)


def adapter_for(channel: Channel, timeout: float = 10.0):
    """Build the platform adapter for a channel with its decrypted credentials."""
    return get_adapter(
        channel.platform,
        channel.settings,
        decrypt_credentials(channel.credentials_encrypted),
        timeout=timeout,
    )


def check_channel(actor: Actor, channel_id: int):
    """Run a live connection check and store the channel's health; return the HealthResult."""
    actor.require_writer()  # it contacts the platform and records the channel's health
    channel = get_channel(actor, channel_id)
    result = adapter_for(channel).check()
    channel.health = "healthy" if result.ok else "unhealthy"
    channel.health_message = result.message
    channel.last_checked_at = utcnow()
    audit.record(actor, "channel.checked", "channel", channel.id, ok=result.ok)
    db.session.commit()
    return result
