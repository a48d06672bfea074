"""Create, read, update and delete publishing channels; credentials are encrypted at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from webapp.adapters import PLATFORMS, adapter_class, get_adapter
from webapp.core.errors import Conflict, ValidationFailed, lazy_gettext
from webapp.core.phrases import said
from webapp.core.validation import choice_problem, text_problem, timezone_problem
from webapp.domain.channels.rules import validate as validate_rules
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra.crypto import decrypt_credentials, encrypt_credentials
from webapp.infra.live import events
from webapp.models import Channel, ContentVariant, Publication, PublicationStatus, utcnow

# An archived channel keeps its row (its publications' history names it) under a name that frees
# the original one for a new channel: "<name> (deleted #<id>)".
ARCHIVED_SUFFIX = " (deleted #{id})"
# Publications that would still go out (or may: unconfirmed ones are re-sent), and those going out now.
PENDING = tuple(
    s.value
    for s in (
        PublicationStatus.SCHEDULED,
        PublicationStatus.QUEUED,
        PublicationStatus.RETRYING,
        PublicationStatus.PAUSED,
        PublicationStatus.UNCONFIRMED,
        PublicationStatus.PUBLISHING,
    )
)


def pending_conflict(pending: int, publishing: int = 0) -> Conflict:
    """The refusal to delete a channel with pending publications (409 in the API, with both counts)."""
    if publishing:
        message = f"{publishing} publication(s) on this channel are being sent right now; try again when they finish."
    else:
        message = (
            f"This channel has {pending} pending publication(s); cancel them and delete "
            "(API: ?pending=cancel), or wait until they are sent."
        )
    conflict = Conflict(message, {"pending": message})
    conflict.extra = {"pending": pending, "publishing": publishing}
    return conflict


def _validate(name, platform, settings, credentials, timezone, channel_rules=None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if problem := text_problem(name, required=True, max_length=120):
        errors["name"] = problem
    if problem := choice_problem(platform, PLATFORMS):
        errors["platform"] = problem
    if problem := timezone_problem(timezone):
        errors["timezone"] = problem
    if not isinstance(settings, dict):
        errors["settings"] = lazy_gettext("must be an object")
    if not isinstance(credentials, dict):
        errors["credentials"] = lazy_gettext("must be an object")
    if "platform" not in errors and "settings" not in errors and "credentials" not in errors:
        problems = adapter_class(platform).validate_config(settings, credentials)
        errors.update({field: said(problem) for field, problem in problems.items()})  # the adapter's Sentences
    errors.update(validate_rules(channel_rules))
    return errors


def create_channel(
    actor: Actor, *, name, platform, settings, credentials, timezone: str = "UTC", rules: dict | None = None
) -> Channel:
    """Validate and store a channel in the actor's workspace; commit."""
    actor.require_writer()
    errors = _validate(name, platform, settings, credentials, timezone, rules)
    if not errors and _name_taken(actor.workspace_id, name.strip()):
        errors["name"] = lazy_gettext("is already used by another channel")
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
    """Return a live channel of the actor's workspace, or raise NotFound (for others' and deleted ones too)."""
    return get_in_workspace(actor, Channel, channel_id, "channel", Channel.archived_at.is_(None))


def channel_query(actor: Actor):
    """Build the query of the workspace's channels (not the deleted ones), by name."""
    return (
        select(Channel)
        .where(Channel.workspace_id == actor.workspace_id, Channel.archived_at.is_(None))
        .order_by(Channel.name, Channel.id)
    )


def list_channels(actor: Actor) -> list[Channel]:
    return list(db.session.scalars(channel_query(actor)))


def channel_choices(actor: Actor) -> list:
    """Return (id, name) rows of the workspace's channels, by name: a menu needs no settings or keys."""
    return list(db.session.execute(channel_query(actor).with_only_columns(Channel.id, Channel.name)))


def update_channel(actor: Actor, channel_id: int, changes: dict, *, merge_credentials: bool = False) -> Channel:
    """Apply a partial update; credentials are replaced only when given.

    With `merge_credentials` (the edit form, where a blank field keeps the stored value) the given
    credentials replace only their own keys of the stored ones.
    """
    actor.require_writer()
    channel = get_channel(actor, channel_id)
    name = changes.get("name", channel.name)
    settings = changes.get("settings", channel.settings)
    timezone = changes.get("timezone", channel.timezone)
    credentials = changes.get("credentials")
    stored = decrypt_credentials(channel.credentials_encrypted) if credentials is None or merge_credentials else {}
    if credentials is not None and merge_credentials and isinstance(credentials, dict):
        credentials = {**stored, **credentials}
    check_credentials = credentials if credentials is not None else stored
    new_rules = changes.get("rules", channel.rules)
    errors = _validate(name, channel.platform, settings, check_credentials, timezone, new_rules)
    if "platform" in changes and changes["platform"] != channel.platform:
        errors["platform"] = lazy_gettext("cannot be changed; create a new channel instead")
    if not errors and _name_taken(actor.workspace_id, name.strip(), channel.id):
        errors["name"] = lazy_gettext("is already used by another channel")
    if errors:
        raise ValidationFailed(errors)
    channel.name, channel.settings, channel.timezone = name.strip(), settings, timezone
    if credentials is not None:
        channel.credentials_encrypted = encrypt_credentials(credentials)
    channel.rules = new_rules or {}
    audit.record(actor, "channel.updated", "channel", channel.id, fields=sorted(changes))
    db.session.commit()
    events.publish(channel.workspace_id, "channel", id=channel.id)
    return channel


def archive(actor: Actor, channel: Channel, now: datetime) -> None:
    """Mark a channel deleted (the caller has dealt with its pending publications, and commits).

    The row stays so its publications' history still names it; its name is freed for a new
    channel, and its content variants go (there is nothing left to vary).
    """
    actor.require_writer()
    name = channel.name
    suffix = ARCHIVED_SUFFIX.format(id=channel.id)
    channel.name = name[: 120 - len(suffix)] + suffix
    # Paused for good as well: should a publication still reach it (a schedule made with its id from
    # a stale form), the worker holds it rather than send it to a channel its owner deleted.
    channel.archived_at, channel.paused_at = now, channel.paused_at or now
    channel.health, channel.health_message = "unknown", None  # no longer a channel that needs attention
    db.session.execute(delete(ContentVariant).where(ContentVariant.channel_id == channel.id))
    audit.record(actor, "channel.deleted", "channel", channel.id, name=name)


def pending_counts(channel: Channel) -> dict[str, int]:
    """Count the channel's pending publications by status (only the statuses that have some)."""
    rows = db.session.execute(
        select(Publication.status, func.count(Publication.id))
        .where(Publication.channel_id == channel.id, Publication.status.in_(PENDING))
        .group_by(Publication.status)
    )
    return dict(rows.all())


def delete_channel(actor: Actor, channel_id: int, now: datetime | None = None) -> None:
    """Delete (archive) a channel that has no publication left to send, or raise a Conflict; commit.

    `publishing.channel_control.delete_channel` can cancel the pending ones first.
    """
    actor.require_writer()
    channel = get_channel(actor, channel_id)
    if counts := pending_counts(channel):
        raise pending_conflict(sum(counts.values()), counts.get(PublicationStatus.PUBLISHING.value, 0))
    archive(actor, channel, now or utcnow())
    db.session.commit()


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
    channel.health_message = result.message  # an adapter's Sentence: stored as its Phrase (its validator)
    channel.last_checked_at = utcnow()
    audit.record(actor, "channel.checked", "channel", channel.id, ok=result.ok)
    db.session.commit()
    return result
