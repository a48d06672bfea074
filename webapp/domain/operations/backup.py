"""Back up a workspace to a versioned JSON archive, and restore one into a new workspace.

Rows are written column by column from the models, so a column added later travels without
changes here; ids are the archive's own references and are remapped on restore, including the ids
kept inside JSON columns (a schedule's chain, a template's channels and variants). Credentials,
webhook secrets and Slack URLs stay Fernet-encrypted in the archive: restoring needs the
CREDENTIALS_KEY that made them (listed in CREDENTIALS_KEY, newest first, if the install has moved
on) and re-encrypts them under the newest key. Images travel with their bytes (base64, checked
against their SHA-256 on restore). Users are not part of a backup: authors and reviewers are matched
by email with the users of the install restored into; of the members, only the owner the operator
names joins, the others are invited (restore_members), and nobody's notification settings change.

Left out on purpose: API keys and calendar-feed tokens (secrets of one install: make new ones),
invitations, audit events, and the webhook-delivery and notification outboxes (logs of messages
already sent by the original install; restoring them could send them twice).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import func, inspect, select, update

from webapp.core.orm import UTCDateTime, utcnow
from webapp.core.time import format_utc
from webapp.domain.content import media as media_service
from webapp.domain.operations import restore_members
from webapp.domain.operations.restore_members import OnInvite
from webapp.domain.publishing.schedules import idempotency_key
from webapp.extensions import db
from webapp.infra.crypto import rotate_credentials
from webapp.infra.storage import StorageError
from webapp.models import (
    Alert,
    Attempt,
    Channel,
    Content,
    ContentTemplate,
    ContentVariant,
    Media,
    MediaUpload,
    Membership,
    NotificationSettings,
    Publication,
    PublicationStatus,
    ReviewDecision,
    Schedule,
    User,
    WebhookSubscription,
    Workspace,
    schedule_channels,
)

FORMAT = "herald-workspace-backup"
VERSION = 2
# Version 1 (before variants, templates, reviews, images, notification settings and user references)
# is read as a version 2 archive whose new sections are empty.
READABLE_VERSIONS = (1, 2)
# Restore order: every section refers only to sections before it (publications' own chain links are
# set once they all exist).
SECTIONS = (
    ("channels", Channel),
    ("contents", Content),
    ("content_variants", ContentVariant),
    ("content_templates", ContentTemplate),
    ("review_decisions", ReviewDecision),
    ("media", Media),
    ("schedules", Schedule),
    ("publications", Publication),
    ("attempts", Attempt),
    ("media_uploads", MediaUpload),
    ("alerts", Alert),
    ("webhook_subscriptions", WebhookSubscription),
)
ENCRYPTED = {"channels": "credentials_encrypted", "webhook_subscriptions": "secret_encrypted"}
# A member's Slack URL in their archived notification settings: encrypted in the archive, never restored.
SETTINGS_ENCRYPTED = "slack_url_encrypted"
# Rows that belong to the workspace through their publication rather than a workspace_id of their own.
_THROUGH_PUBLICATION = (Attempt, MediaUpload)


class BackupError(RuntimeError):
    """The archive cannot be written or restored; nothing was changed."""


# --- backup -------------------------------------------------------------------------------------


def _dump(record) -> dict:
    row = {}
    for attr in inspect(type(record)).column_attrs:
        value = getattr(record, attr.key)
        row[attr.key] = value.isoformat() if isinstance(value, datetime) else value
    return row


def _rows(model, workspace_id: int) -> list:
    if model in _THROUGH_PUBLICATION:
        query = select(model).join(Publication).where(Publication.workspace_id == workspace_id)
    else:
        query = select(model).where(model.workspace_id == workspace_id)
    return list(db.session.scalars(query.order_by(model.id)))


def _user_columns(model) -> list[str]:
    return [
        attr.key
        for attr in inspect(model).column_attrs
        if any(fk.column.table.name == "users" for fk in attr.columns[0].foreign_keys)
    ]


def backup(slug: str) -> dict:
    """Return the archive of the workspace with this slug.

    An image whose file is missing from storage is left out (with its upload records) and named in
    the archive's `warnings`, so a damaged store still gets the rest backed up.
    """
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise BackupError(f"no workspace with slug {slug!r}")
    memberships = db.session.execute(
        select(User.id, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id)
        .order_by(Membership.id)
    ).all()
    archive = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": format_utc(utcnow()),
        "workspace": _dump(workspace),
        "members": [_member(user_id, email, role) for user_id, email, role in memberships],
        "warnings": [],
    }
    user_ids = {user_id for user_id, _, _ in memberships}
    for name, model in SECTIONS:
        rows = [_dump(record) for record in _rows(model, workspace.id)]
        if model is Media:
            rows = _with_files(rows, archive["warnings"])
        elif model is MediaUpload:
            kept = {row["id"] for row in archive["media"]}
            rows = [row for row in rows if row["media_id"] in kept]
        archive[name] = rows
        user_ids.update(row[key] for row in rows for key in _user_columns(model) if row[key] is not None)
    archive["users"] = [
        {"id": user_id, "email": email}
        for user_id, email in db.session.execute(
            select(User.id, User.email).where(User.id.in_(user_ids)).order_by(User.id)
        )
    ]
    channel_ids = db.session.execute(
        select(schedule_channels.c.schedule_id, schedule_channels.c.channel_id)
        .join(Schedule, Schedule.id == schedule_channels.c.schedule_id)
        .where(Schedule.workspace_id == workspace.id)
        .order_by(schedule_channels.c.schedule_id, schedule_channels.c.channel_id)
    ).all()
    archive["schedule_channels"] = [[schedule_id, channel_id] for schedule_id, channel_id in channel_ids]
    return archive


def _member(user_id: int, email: str, role: str) -> dict:
    member = {"email": email, "role": role}
    settings = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    if settings is not None:
        member["notification_settings"] = _dump(settings)
    return member


def _with_files(rows: list[dict], warnings: list[str]) -> list[dict]:
    store, kept = media_service.storage(), []
    for row in rows:
        try:
            data = store.get(row["storage_key"])
        except StorageError as exc:
            warnings.append(f"image {row['filename']!r} (#{row['id']}) of content #{row['content_id']} left out: {exc}")
            continue
        kept.append({**row, "data": base64.b64encode(data).decode("ascii")})
    return kept


# --- restore ------------------------------------------------------------------------------------


class _Dangling(Exception):
    """A row refers to a record the archive does not hold: it is left out."""


def _load(model, row: dict, workspace_id: int, maps: dict[str, dict[int, int]]):
    """Build a record from an archive row: ids remapped, unknown users dropped; _Dangling for other unknowns."""
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
                raise _Dangling(f"{model.__tablename__} #{row.get('id')}: {attr.key}")
        elif isinstance(column.type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(value)
        values[attr.key] = value
    return model(**values)


def _check(archive) -> None:
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise BackupError("this file is not a Herald workspace backup")
    if archive.get("version") not in READABLE_VERSIONS:
        readable = ", ".join(map(str, READABLE_VERSIONS))
        raise BackupError(f"backup version {archive.get('version')!r} is not supported (this Herald reads {readable})")


def restore(
    archive: dict, slug: str | None = None, owner_email: str | None = None, on_invite: OnInvite | None = None
) -> Workspace:
    """Restore an archive into a new workspace in one transaction; return it (pending work is re-dispatched).

    `owner_email` names its owner; the archive's other members are invited (restore_members), each
    invitation handed to `on_invite` with its one-time token.
    """
    _check(archive)
    slug = slug or archive["workspace"]["slug"]
    if db.session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise BackupError(f"a workspace with slug {slug!r} exists; choose another with --as-slug")
    stored_keys: list[str] = []
    try:
        workspace = _restore_rows(archive, slug, owner_email, stored_keys, on_invite)
        db.session.commit()
    except Exception:
        db.session.rollback()
        store = media_service.storage()
        for key in stored_keys:  # no row points at them
            store.delete(key)
        raise
    return workspace


def _restore_rows(
    archive: dict, slug: str, owner_email: str | None, stored_keys: list[str], on_invite: OnInvite | None
) -> Workspace:
    workspace = _load(Workspace, {**archive["workspace"], "slug": slug}, 0, {})
    db.session.add(workspace)
    db.session.flush()
    maps: dict[str, dict[int, int]] = {"users": _users_by_email(archive.get("users", []))}
    try:
        restore_members.add(workspace, archive.get("members", []), owner_email, on_invite)
    except restore_members.MissingOwner as exc:
        raise BackupError(str(exc)) from None
    for name, model in SECTIONS:
        table = model.__tablename__
        maps[table] = {}
        for row in archive.get(name, []):
            if model is Publication and row.get("after_publication_id") is not None:
                row = {**row, "after_publication_id": None}  # set below, once every publication exists
            try:
                record = _load(model, row, workspace.id, maps)
            except _Dangling:
                continue
            if name in ENCRYPTED:
                _reencrypt(record, ENCRYPTED[name], row)
            if model is Publication:
                _prepare_publication(record, row)
            elif model is Media:
                _store_file(record, row, stored_keys)
            _remap_json(record, maps)
            db.session.add(record)
            db.session.flush()
            maps[table][row["id"]] = record.id
        if model is Schedule:
            _link_channels(archive.get("schedule_channels", []), maps)
        if model is Publication:
            _link_chains(archive.get(name, []), maps[table])
    return workspace


def _users_by_email(users: list[dict]) -> dict[int, int]:
    """Map the archive's user ids to this install's users with the same email (others are dropped)."""
    emails = {user["email"].lower(): user["id"] for user in users}
    if not emails:
        return {}
    found = db.session.execute(select(User.id, func.lower(User.email)).where(func.lower(User.email).in_(emails)))
    return {emails[email]: user_id for user_id, email in found}


def _reencrypt(record, column: str, row: dict) -> None:
    try:
        setattr(record, column, rotate_credentials(getattr(record, column)))
    except InvalidToken:
        label = row.get("name") or row.get("url") or f"#{row.get('id')}"
        raise BackupError(
            f"{label}: its secret cannot be decrypted with this install's CREDENTIALS_KEY; add the key that made "
            "the backup to CREDENTIALS_KEY (after the newest) and restore again"
        ) from None


def _prepare_publication(publication: Publication, row: dict) -> None:
    # A queued job lived in the old Redis: put it back on schedule, and the reconciler re-dispatches it.
    if publication.status == PublicationStatus.QUEUED.value:
        publication.status = PublicationStatus.SCHEDULED.value
    publication.dispatch_seq = (publication.dispatch_seq or 0) + 1
    # Keys are unique per install: keep the original (platforms dedupe by it) unless it is taken here.
    taken = db.session.scalar(select(Publication.id).where(Publication.idempotency_key == row["idempotency_key"]))
    if taken is not None:
        schedule = db.session.get(Schedule, publication.schedule_id)
        publication.idempotency_key = idempotency_key(schedule, publication.channel_id, publication.occurrence)


def _store_file(media: Media, row: dict, stored_keys: list[str]) -> None:
    """Write an image's bytes under a new key of the restored workspace, after checking them against its SHA-256."""
    label = f"image {row.get('filename')!r} (#{row.get('id')})"
    try:
        data = base64.b64decode(row["data"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise BackupError(f"{label}: the archive does not hold its file") from None
    if hashlib.sha256(data).hexdigest() != row.get("sha256"):
        raise BackupError(f"{label}: its file in the archive is damaged (the SHA-256 differs)")
    extension = row["storage_key"].rsplit(".", 1)[-1] if "." in row["storage_key"] else "bin"
    media.storage_key = f"w{media.workspace_id}/c{media.content_id}/{secrets.token_hex(16)}.{extension}"
    try:
        media_service.storage().put(media.storage_key, data, media.content_type)
    except StorageError as exc:
        raise BackupError(f"{label}: cannot be stored: {exc}") from None
    stored_keys.append(media.storage_key)


def _remap_json(record, maps: dict[str, dict[int, int]]) -> None:
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


def _link_chains(rows: list[dict], publications: dict[int, int]) -> None:
    """Point each restored publication at the restored one it waits for (a later id, possibly)."""
    for row in rows:
        child_id, parent_id = publications.get(row["id"]), publications.get(row.get("after_publication_id"))
        if child_id is not None and parent_id is not None:
            # A Core UPDATE naming updated_at keeps the archived value (the ORM would stamp now).
            db.session.execute(
                update(Publication)
                .where(Publication.id == child_id)
                .values(after_publication_id=parent_id, updated_at=Publication.updated_at)
                .execution_options(synchronize_session=False)  # the session's copies expire at the commit
            )


def _link_channels(pairs: list, maps: dict[str, dict[int, int]]) -> None:
    links = [
        {"schedule_id": maps["schedules"][s], "channel_id": maps["channels"][c]}
        for s, c in pairs
        if s in maps["schedules"] and c in maps["channels"]
    ]
    if links:
        db.session.execute(schedule_channels.insert(), links)


def redispatch_restored() -> dict:
    """Let the reconciler put restored pending publications back in rq-scheduler (missed policies apply)."""
    from webapp.domain.publishing.reconcile import reconcile

    return reconcile()
