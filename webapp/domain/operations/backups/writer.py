"""Write a workspace backup as a zip archive, entry by entry, straight to the output (file, pipe or response).

Nothing is built in memory first: each section's rows are fetched a batch at a time and written one
JSON line at a time; each image file is copied in chunks. The manifest comes last, with the SHA-256 and
size of every entry, so a reader can check the whole archive before restoring any of it. The output
need not be seekable (zipfile writes data descriptors then), so standard output works.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select

from webapp.core.orm import utcnow
from webapp.core.time import format_utc
from webapp.domain.content import media as media_service
from webapp.domain.operations.backups import sections
from webapp.extensions import db
from webapp.infra.storage import StorageError
from webapp.models import Media, MediaUpload, Membership, NotificationSettings, Schedule, User, Workspace
from webapp.models import schedule_channels as pairs_table

CHUNK = 64 * 1024


@dataclass
class Summary:
    """What a backup wrote: rows per section, image files, and what it had to leave out."""

    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0
    warnings: list[str] = field(default_factory=list)


class _Entry:
    """One archive entry open for writing, hashing what goes through it."""

    def __init__(self, archive: zipfile.ZipFile, name: str, entries: dict, compress: bool = True):
        info = zipfile.ZipInfo(name, date_time=utcnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.name, self.entries = name, entries
        self.handle = archive.open(info, "w", force_zip64=True)
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        for start in range(0, len(data), CHUNK):
            piece = data[start : start + CHUNK]
            self.digest.update(piece)
            self.size += len(piece)
            self.handle.write(piece)

    def line(self, value) -> None:
        self.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")

    def close(self) -> None:
        self.handle.close()
        self.entries[self.name] = {"sha256": self.digest.hexdigest(), "size": self.size}


def write(slug: str, out: IO[bytes]) -> Summary:
    """Write the archive of the workspace with this slug to `out` (a binary file object); return what it holds.

    An image whose file is missing from storage is left out (with its upload records) and named in
    the manifest's `warnings`, so a damaged store still gets the rest backed up.
    """
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise sections.BackupError(f"no workspace with slug {slug!r}")
    summary, entries = Summary(), {}
    memberships = db.session.execute(
        select(User.id, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace.id)
        .order_by(Membership.id)
    ).all()
    user_ids = {user_id for user_id, _, _ in memberships}
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        # Image files first: one entry is written at a time, and the media rows list only the files kept.
        kept_media = {
            media.id for media in sections.rows(Media, workspace.id) if _copy_file(archive, media, entries, summary)
        }
        for name, model in sections.SECTIONS:
            entry, count = _Entry(archive, sections.entry_name(name), entries), 0
            users = sections.user_columns(model)
            for record in sections.rows(model, workspace.id):
                if (model is Media and record.id not in kept_media) or (
                    model is MediaUpload and record.media_id not in kept_media
                ):
                    continue
                row = sections.dump(record)
                entry.line(row)
                count += 1
                user_ids.update(row[key] for key in users if row[key] is not None)
            entry.close()
            summary.counts[name] = count
        _write_pairs(archive, workspace.id, entries)
        manifest = {
            "format": sections.FORMAT,
            "version": sections.VERSION,
            "schema": sections.schema_heads(),
            "created_at": format_utc(utcnow()),
            "workspace": sections.dump(workspace),
            "members": [_member(user_id, email, role) for user_id, email, role in memberships],
            "users": _users(user_ids),
            "warnings": summary.warnings,
            "counts": summary.counts,
            "entries": entries,
        }
        archive.writestr(sections.MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return summary


def _copy_file(archive: zipfile.ZipFile, media: Media, entries: dict, summary: Summary) -> bool:
    """Copy one image's bytes into the archive (stored: images are compressed already); False if it is missing."""
    try:
        data = media_service.storage().get(media.storage_key)
    except StorageError as exc:
        summary.warnings.append(
            f"image {media.filename!r} (#{media.id}) of content #{media.content_id} left out: {exc}"
        )
        return False
    entry = _Entry(archive, sections.media_entry({"id": media.id}), entries, compress=False)
    entry.write(data)
    entry.close()
    summary.files += 1
    return True


def _write_pairs(archive: zipfile.ZipFile, workspace_id: int, entries: dict) -> None:
    entry = _Entry(archive, sections.entry_name(sections.PAIRS), entries)
    query = (
        select(pairs_table.c.schedule_id, pairs_table.c.channel_id)
        .join(Schedule, Schedule.id == pairs_table.c.schedule_id)
        .where(Schedule.workspace_id == workspace_id)
        .order_by(pairs_table.c.schedule_id, pairs_table.c.channel_id)
    )
    for schedule_id, channel_id in db.session.execute(query.execution_options(yield_per=1000)):
        entry.line([schedule_id, channel_id])
    entry.close()


def _member(user_id: int, email: str, role: str) -> dict:
    member = {"email": email, "role": role}
    settings = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    if settings is not None:
        member["notification_settings"] = sections.dump(settings)
    return member


def _users(user_ids: set[int]) -> list[dict]:
    query = select(User.id, User.email).where(User.id.in_(user_ids)).order_by(User.id)
    return [{"id": user_id, "email": email} for user_id, email in db.session.execute(query)]
