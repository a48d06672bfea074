"""A backup from a newer Herald, or a damaged one, is refused with the reason before anything is written."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.domain.operations.backups.archives import legacy, pack, restore, unpack, write
from webapp.domain.operations import backups
from webapp.extensions import db
from webapp.models import Channel, Invitation, Membership, Publication, Schedule, Workspace


def _footprint(app) -> dict:
    """What a restore could write: rows of every table it fills, and the stored image files."""
    counts = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Workspace, Membership, Invitation, Channel, Schedule, Publication)
    }
    counts["files"] = sorted(Path(app.config["MEDIA_ROOT"]).rglob("*"))
    return counts


def _flip_a_byte(data: bytes, entry: str) -> bytes:
    """Damage one stored entry's bytes in place (its CRC and checksum no longer match)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(entry)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    at = info.header_offset + 30 + name_length + extra_length + 10  # inside the entry's data
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _damaged(parts: dict, how: str) -> bytes:
    if how == "newer format":
        parts["manifest"]["version"] = backups.VERSION + 1
    elif how == "newer schema":
        parts["manifest"]["schema"] = ["0099_from_the_future"]
    elif how == "missing entry":
        del parts["schedules"]
    elif how == "missing image file":
        parts["files"].clear()
    elif how == "checksum mismatch":
        parts["publications"][0]["status"] = "published"
        return pack(parts, checksums=False)  # the manifest still lists the original entry's SHA-256
    return pack(parts)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("newer format", "made by a newer Herald (format version 4"),
        ("newer schema", "made by a newer Herald (database migration 0099_from_the_future"),
        ("missing entry", "the entry schedules.jsonl is missing"),
        ("missing image file", "the file of image #1 is missing"),
        ("checksum mismatch", "publications.jsonl does not match its checksum"),
    ],
)
def test_a_refused_archive_says_why_and_writes_nothing(workspace, app, how, reason):
    _, original = workspace
    data = _damaged(unpack(write(original.slug)), how)
    before = _footprint(app)

    with pytest.raises(backups.BackupError, match=re.escape(reason)):
        restore(data, "copy")

    assert _footprint(app) == before


def test_a_damaged_byte_in_an_entry_is_caught_by_its_checksum(workspace, app):
    _, original = workspace
    data = _flip_a_byte(write(original.slug), "media/1")
    before = _footprint(app)

    with pytest.raises(backups.BackupError, match="the backup is damaged: media/1"):
        restore(data, "copy")

    assert _footprint(app) == before


def test_a_line_that_is_not_json_is_refused(workspace, app):
    _, original = workspace
    parts = unpack(write(original.slug))
    with zipfile.ZipFile(io.BytesIO(pack(parts))) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["contents.jsonl"] += b"{not json\n"
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for name, value in entries.items():
            archive.writestr(name, value)

    with pytest.raises(backups.BackupError, match="contents.jsonl line 2 is not valid JSON"):
        restore(broken.getvalue(), "copy")

    assert db.session.query(Workspace).filter_by(slug="copy").count() == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "not a Herald backup, or it is damaged"),
        (b"\x00\x01binary", "not a Herald backup, or it is damaged"),
        (b'{"format": "herald-workspace-backup", ', "not valid JSON"),
        (b'{"hello": 1}', "not a Herald workspace backup"),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused(workspace, app, data, reason):
    before = _footprint(app)

    with pytest.raises(backups.BackupError, match=reason):
        restore(data, "copy")

    assert _footprint(app) == before


def test_a_zip_without_a_manifest_is_refused(workspace, app):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("channels.jsonl", b"")

    with pytest.raises(backups.BackupError, match="it has no manifest.json"):
        restore(data.getvalue(), "copy")


def test_a_damaged_image_in_a_version_2_archive_is_refused_before_anything_is_written(workspace, app):
    _, original = workspace
    parts = unpack(write(original.slug))
    parts["files"] = dict.fromkeys(parts["files"], b"not the image")
    before = _footprint(app)

    with pytest.raises(backups.BackupError, match="damaged"):
        restore(legacy(parts), "copy")

    assert _footprint(app) == before


def test_a_taken_slug_is_refused(workspace):
    _, original = workspace

    with pytest.raises(backups.BackupError, match="exists; choose another with --as-slug"):
        restore(write(original.slug))
