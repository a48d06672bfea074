"""Back up a workspace to a versioned JSON archive, and restore one into a new workspace.

Rows are written column by column from the models, so a column added later travels without
changes here; ids are the archive's own references and are remapped on restore. Credentials and
webhook secrets stay Fernet-encrypted in the archive: restoring needs the CREDENTIALS_KEY that made
them (listed in CREDENTIALS_KEY, newest first, if the install has moved on) and re-encrypts them
under the newest key. Users are not part of a backup: members are matched by email.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import func, inspect, select

from webapp.crypto import rotate_credentials
from webapp.extensions import db
from webapp.models import (
    Alert,
    Attempt,
    Channel,
    Content,
    Membership,
    Publication,
    PublicationStatus,
    Schedule,
    User,
    WebhookSubscription,
    Workspace,
    schedule_channels,
)
from webapp.orm import UTCDateTime, utcnow
from webapp.scheduling.time import format_utc
from webapp.services.schedules import idempotency_key

FORMAT = "herald-workspace-backup"
VERSION = 1
# Restore order: every section refers only to sections before it.
SECTIONS = (
    ("channels", Channel),
    ("contents", Content),
    ("schedules", Schedule),
    ("publications", Publication),
    ("attempts", Attempt),
    ("alerts", Alert),
    ("webhook_subscriptions", WebhookSubscription),
)
ENCRYPTED = {"channels": "credentials_encrypted", "webhook_subscriptions": "secret_encrypted"}


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
    if model is Attempt:  # attempts belong to a workspace through their publication
        query = select(Attempt).join(Publication).where(Publication.workspace_id == workspace_id)
    else:
        query = select(model).where(model.workspace_id == workspace_id)
    return list(db.session.scalars(query.order_by(model.id)))


def backup(slug: str) -> dict:
    """Return the archive of the workspace with this slug."""
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise BackupError(f"no workspace with slug {slug!r}")
    members = db.session.execute(
        select(User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id)
        .order_by(Membership.id)
    ).all()
    archive = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": format_utc(utcnow()),
        "workspace": _dump(workspace),
        "members": [{"email": email, "role": role} for email, role in members],
    }
    for name, model in SECTIONS:
        archive[name] = [_dump(record) for record in _rows(model, workspace.id)]
    channel_ids = db.session.execute(
        select(schedule_channels.c.schedule_id, schedule_channels.c.channel_id)
        .join(Schedule, Schedule.id == schedule_channels.c.schedule_id)
        .where(Schedule.workspace_id == workspace.id)
        .order_by(schedule_channels.c.schedule_id, schedule_channels.c.channel_id)
    ).all()
    archive["schedule_channels"] = [[schedule_id, channel_id] for schedule_id, channel_id in channel_ids]
    return archive


# --- restore ------------------------------------------------------------------------------------


def _load(model, row: dict, workspace_id: int, maps: dict[str, dict[int, int]]):
    """Build a record from an archive row: ids remapped, users and unknown references dropped."""
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
        elif isinstance(column.type, UTCDateTime) and value is not None:
            value = datetime.fromisoformat(value)
        values[attr.key] = value
    return model(**values)


def _check(archive) -> None:
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise BackupError("this file is not a Herald workspace backup")
    if archive.get("version") != VERSION:
        raise BackupError(f"backup version {archive.get('version')!r} is not supported (this Herald reads {VERSION})")


def restore(archive: dict, slug: str | None = None, owner_email: str | None = None) -> Workspace:
    """Restore an archive into a new workspace in one transaction; return it (pending work is re-dispatched)."""
    _check(archive)
    slug = slug or archive["workspace"]["slug"]
    if db.session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise BackupError(f"a workspace with slug {slug!r} exists; choose another with --as-slug")
    try:
        workspace = _restore_rows(archive, slug, owner_email)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return workspace


def _restore_rows(archive: dict, slug: str, owner_email: str | None) -> Workspace:
    workspace = _load(Workspace, {**archive["workspace"], "slug": slug}, 0, {})
    db.session.add(workspace)
    db.session.flush()
    _add_members(workspace, archive.get("members", []), owner_email)
    maps: dict[str, dict[int, int]] = {}
    for name, model in SECTIONS:
        table = model.__tablename__
        maps[table] = {}
        for row in archive.get(name, []):
            record = _load(model, row, workspace.id, maps)
            if name in ENCRYPTED:
                _reencrypt(record, ENCRYPTED[name], row)
            if model is Publication:
                _prepare_publication(record, row, maps)
            db.session.add(record)
            db.session.flush()
            maps[table][row["id"]] = record.id
        if model is Schedule:
            _link_channels(archive.get("schedule_channels", []), maps)
    return workspace


def _add_members(workspace: Workspace, members: list[dict], owner_email: str | None) -> None:
    roles = {m["email"].lower(): m["role"] for m in members}
    if owner_email:
        roles[owner_email.strip().lower()] = "owner"
    for email, role in roles.items():
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None:
            db.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role))
        elif email == (owner_email or "").strip().lower():
            raise BackupError(f"no user {owner_email!r} on this install")


def _reencrypt(record, column: str, row: dict) -> None:
    try:
        setattr(record, column, rotate_credentials(getattr(record, column)))
    except InvalidToken:
        label = row.get("name") or row.get("url") or f"#{row.get('id')}"
        raise BackupError(
            f"{label}: its secret cannot be decrypted with this install's CREDENTIALS_KEY; add the key that made "
            "the backup to CREDENTIALS_KEY (after the newest) and restore again"
        ) from None


def _prepare_publication(publication: Publication, row: dict, maps: dict[str, dict[int, int]]) -> None:
    # A queued job lived in the old Redis: put it back on schedule, and the reconciler re-dispatches it.
    if publication.status == PublicationStatus.QUEUED.value:
        publication.status = PublicationStatus.SCHEDULED.value
    publication.dispatch_seq = (publication.dispatch_seq or 0) + 1
    # Keys are unique per install: keep the original (platforms dedupe by it) unless it is taken here.
    taken = db.session.scalar(select(Publication.id).where(Publication.idempotency_key == row["idempotency_key"]))
    if taken is not None:
        schedule = db.session.get(Schedule, publication.schedule_id)
        publication.idempotency_key = idempotency_key(schedule, publication.channel_id, publication.occurrence)


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
    from webapp.scheduling.reconcile import reconcile

    return reconcile()
