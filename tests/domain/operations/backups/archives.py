"""Backups as tests handle them: written to bytes, unpacked into plain parts, packed again (damaged or not)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile

from webapp.domain.operations import backups
from webapp.extensions import db

MANIFEST = "manifest.json"


def write(slug: str) -> bytes:
    out = io.BytesIO()
    backups.write(slug, out)
    return out.getvalue()


def unpack(data: bytes) -> dict:
    """The archive as {"manifest": {...}, "<section>": [rows], "files": {entry: bytes}}."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {"manifest": json.loads(archive.read(MANIFEST)), "files": {}}
        for name in archive.namelist():
            if name.endswith(".jsonl"):
                parts[name.removesuffix(".jsonl")] = [json.loads(line) for line in archive.read(name).splitlines()]
            elif name != MANIFEST:
                parts["files"][name] = archive.read(name)
    return parts


def pack(parts: dict, *, checksums: bool = True) -> bytes:
    """Zip the parts again; with `checksums`, the manifest lists what was packed (a consistent archive)."""
    entries = {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, value in parts.items():
            if name in ("manifest", "files"):
                continue
            data = b"".join(_line(row) for row in value)
            archive.writestr(f"{name}.jsonl", data)
            entries[f"{name}.jsonl"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in parts["files"].items():
            archive.writestr(name, data)
            entries[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        manifest = dict(parts["manifest"])
        if checksums:
            manifest["entries"] = entries
        archive.writestr(MANIFEST, json.dumps(manifest))
    return out.getvalue()


def _line(row) -> bytes:
    # As the writer spells a row, so an entry packed unchanged has the checksum the manifest lists.
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def legacy(parts: dict, version: int = 2) -> bytes:
    """The same backup as Herald wrote it before version 3: one JSON document, images in base64."""
    manifest = parts["manifest"]
    document = {key: manifest[key] for key in ("format", "created_at", "workspace", "members", "users", "warnings")}
    document["version"] = version
    for name, _ in backups.SECTIONS:
        document[name] = parts[name]
    document["media"] = [
        {**row, "data": base64.b64encode(parts["files"][f"media/{row['id']}"]).decode()} for row in parts["media"]
    ]
    document["schedule_channels"] = parts["schedule_channels"]
    return json.dumps(document).encode()


def restore(data: bytes, slug: str | None = None, **kwargs):
    """Check and restore as the operator does, naming the archive's (first) owner unless told; return the workspace."""
    source = backups.open_archive(io.BytesIO(data))
    owners = [m["email"] for m in source.header.get("members", []) if m.get("role") == "owner"]
    kwargs.setdefault("owner_email", owners[0] if owners else None)
    return backups.restore(source, slug, **kwargs).workspace


def rows_in(model, workspace) -> list:
    """The workspace's records of a model, in id order."""
    return db.session.query(model).filter_by(workspace_id=workspace.id).order_by(model.id).all()
