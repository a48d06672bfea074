"""Restore a checked backup into a new workspace, in one transaction, holding its pending work (holds)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webapp.domain.content import media as media_service
from webapp.domain.operations import restore_members
from webapp.domain.operations.backups import records, sections
from webapp.domain.operations.backups.holds import Holds
from webapp.domain.operations.backups.reader import JsonSource, ZipSource
from webapp.domain.operations.backups.sections import BackupError
from webapp.domain.operations.restore_members import OnInvite
from webapp.domain.publishing.schedules import idempotency_key
from webapp.extensions import db
from webapp.models import Media, Publication, Schedule, Workspace


@dataclass(frozen=True)
class Restored:
    workspace: Workspace
    holds: Holds


def restore(
    source: ZipSource | JsonSource,
    slug: str | None = None,
    owner_email: str | None = None,
    on_invite: OnInvite | None = None,
    *,
    resume: bool = False,
) -> Restored:
    """Restore a checked source into a new workspace (the caller has run `source.check()`).

    Pending publications come back paused with their schedules (holds), unless `resume`: then the
    reconciler dispatches them (`redispatch_restored`). `owner_email` names the owner; the archive's
    other members are invited (restore_members), each invitation handed to `on_invite` with its token.
    On any error nothing is kept: the transaction is rolled back and the image files it stored removed.
    """
    slug = slug or source.header["workspace"].get("slug")
    if db.session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise BackupError(f"a workspace with slug {slug!r} exists; choose another with --as-slug")
    stored_keys: list[str] = []
    holds = Holds(resume)
    try:
        workspace = _restore_rows(source, slug, owner_email, on_invite, holds, stored_keys)
        db.session.commit()
    except Exception:
        db.session.rollback()
        store = media_service.storage()
        for key in stored_keys:  # no row points at them
            store.delete(key)
        raise
    return Restored(workspace, holds)


def _restore_rows(
    source, slug: str, owner_email: str | None, on_invite: OnInvite | None, holds: Holds, stored_keys: list[str]
) -> Workspace:
    header = source.header
    workspace = records.load(Workspace, {**header["workspace"], "slug": slug}, 0, {})
    db.session.add(workspace)
    db.session.flush()
    maps: dict[str, dict[int, int]] = {"users": records.users_by_email(header.get("users", []))}
    try:
        actor = restore_members.add(workspace, header.get("members", []), owner_email, on_invite)
    except restore_members.MissingOwner as exc:
        raise BackupError(str(exc)) from None
    for name, model in sections.SECTIONS:
        table = model.__tablename__
        maps[table] = {}
        for row in source.rows(name):
            if model is Publication and row.get("after_publication_id") is not None:
                row = {**row, "after_publication_id": None}  # set below, once every publication exists
            try:
                record = records.load(model, row, workspace.id, maps)
            except records.Dangling:
                continue
            if name in sections.ENCRYPTED:
                records.reencrypt(record, sections.ENCRYPTED[name], row)
            if model is Publication:
                _prepare_publication(record, row, holds)
            elif model is Schedule:
                holds.schedule(record)
            elif model is Media:
                records.store_file(record, row, source.media_bytes(row), stored_keys)
            records.remap_json(record, maps)
            db.session.add(record)
            db.session.flush()
            maps[table][row["id"]] = record.id
        if model is Schedule:
            records.link_channels(source.rows(sections.PAIRS), maps)
        if model is Publication:
            for row in source.rows(name):
                records.link_chain(row, maps[table])
    holds.record(actor, workspace, header.get("created_at"))
    return workspace


def _prepare_publication(publication: Publication, row: dict, holds: Holds) -> None:
    publication.dispatch_seq = (publication.dispatch_seq or 0) + 1
    holds.publication(publication)
    # Keys are unique per install: keep the original (platforms dedupe by it) unless it is taken here.
    taken = db.session.scalar(select(Publication.id).where(Publication.idempotency_key == row["idempotency_key"]))
    if taken is not None:
        schedule = db.session.get(Schedule, publication.schedule_id)
        publication.idempotency_key = idempotency_key(schedule, publication.channel_id, publication.occurrence)
