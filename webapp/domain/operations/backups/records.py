"""Turn archive rows back into records of a new workspace: ids remapped, secrets re-encrypted, files stored.

Ids are the archive's own references and are remapped, including the ids kept inside JSON columns (a
schedule's chain, a template's channels and variants). Credentials, webhook secrets and Slack URLs stay
Fernet-encrypted in the archive: restoring needs the CREDENTIALS_KEY that made them (listed in
CREDENTIALS_KEY, newest first, if the install has moved on) and re-encrypts them under the newest key.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import func, inspect, select, update

from webapp.core.orm import UTCDateTime
from webapp.domain.content import media as media_service
from webapp.domain.operations.backups.sections import BackupError
from webapp.extensions import db
from webapp.infra.crypto import rotate_credentials
from webapp.infra.storage import StorageError
from webapp.models import ContentTemplate, Media, Publication, Schedule, User, schedule_channels


class Dangling(Exception):
    """A row refers to a record the archive does not hold: it is left out."""


def load(model, row: dict, workspace_id: int, maps: dict[str, dict[int, int]]):
    """Build a record from an archive row: ids remapped, unknown users dropped; Dangling for other unknowns."""
    values = {}
    for attr in inspect(model).column_attrs:
        column = attr.columns[0]
        if column.primary_key or attr.key not in row:
            continue  # a column the archive lacks takes its default
        value = row[attr.key]
        foreign = next(iter(column.foreign_keys), None)
        if foreign is not None and value is not None:
            target = foreign.column.table.name
            value = workspace_id if target == "workspaces" else maps.get(target, {}).get(value)
            if value is None and target != "users":
                raise Dangling(f"{model.__tablename__} #{row.get('id')}: {attr.key}")
        elif isinstance(column.type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(value)
        values[attr.key] = value
    return model(**values)


def users_by_email(users: list[dict]) -> dict[int, int]:
    """Map the archive's user ids to this install's users with the same email (others are dropped)."""
    emails = {user["email"].lower(): user["id"] for user in users}
    if not emails:
        return {}
    found = db.session.execute(select(User.id, func.lower(User.email)).where(func.lower(User.email).in_(emails)))
    return {emails[email]: user_id for user_id, email in found}


def reencrypt(record, column: str, row: dict) -> None:
    try:
        setattr(record, column, rotate_credentials(getattr(record, column)))
    except InvalidToken:
        label = row.get("name") or row.get("url") or f"#{row.get('id')}"
        raise BackupError(
            f"{label}: its secret cannot be decrypted with this install's CREDENTIALS_KEY; add the key that made "
            "the backup to CREDENTIALS_KEY (after the newest) and restore again"
        ) from None


def store_file(media: Media, row: dict, data: bytes, stored_keys: list[str]) -> None:
    """Write an image's bytes under a new key of the restored workspace, after checking them against its SHA-256."""
    label = f"image {row.get('filename')!r} (#{row.get('id')})"
    if hashlib.sha256(data).hexdigest() != row.get("sha256"):
        raise BackupError(f"{label}: its file in the archive is damaged (the SHA-256 differs)")
    extension = row["storage_key"].rsplit(".", 1)[-1] if "." in row["storage_key"] else "bin"
    media.storage_key = f"w{media.workspace_id}/c{media.content_id}/{secrets.token_hex(16)}.{extension}"
    try:
        media_service.storage().put(media.storage_key, data, media.content_type)
    except StorageError as exc:
        raise BackupError(f"{label}: cannot be stored: {exc}") from None
    stored_keys.append(media.storage_key)


def remap_json(record, maps: dict[str, dict[int, int]]) -> None:
    """Translate the channel ids kept inside JSON columns; links to channels the archive lacks are dropped."""
    channels = maps.get("channels", {})
    if isinstance(record, Schedule) and record.chain:
        links = [
            {"channel_id": channels[link["channel_id"]], "after_channel_id": channels[link["after_channel_id"]]}
            for link in record.chain
            if link.get("channel_id") in channels and link.get("after_channel_id") in channels
        ]
        record.chain = links or None
    elif isinstance(record, ContentTemplate):
        record.channel_ids = [channels[c] for c in record.channel_ids or [] if c in channels]
        record.variants = [
            {**v, "channel_id": channels[v["channel_id"]]} if v.get("channel_id") is not None else v
            for v in record.variants or []
            if v.get("channel_id") is None or v["channel_id"] in channels
        ]


def link_chain(row: dict, publications: dict[int, int]) -> None:
    """Point a restored publication at the restored one it waits for (a later id, possibly)."""
    child_id, parent_id = publications.get(row["id"]), publications.get(row.get("after_publication_id"))
    if child_id is not None and parent_id is not None:
        # A Core UPDATE naming updated_at keeps the archived value (the ORM would stamp now).
        db.session.execute(
            update(Publication)
            .where(Publication.id == child_id)
            .values(after_publication_id=parent_id, updated_at=Publication.updated_at)
            .execution_options(synchronize_session=False)  # the session's copies expire at the commit
        )


def link_channels(pairs, maps: dict[str, dict[int, int]], batch: int = 1000) -> None:
    """Give the restored schedules their restored channels, a batch of links at a time."""
    links = []
    for schedule_id, channel_id in pairs:
        if schedule_id in maps["schedules"] and channel_id in maps["channels"]:
            links.append({"schedule_id": maps["schedules"][schedule_id], "channel_id": maps["channels"][channel_id]})
        if len(links) >= batch:
            db.session.execute(schedule_channels.insert(), links)
            links = []
    if links:
        db.session.execute(schedule_channels.insert(), links)
