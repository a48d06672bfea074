"""Open a backup and check all of it before anything is restored: format, version, schema, every entry.

A version 3 archive (zip) is read entry by entry, a line or a chunk at a time, never whole: the check
reads every entry once (its SHA-256 and size against the manifest, every line as JSON, zip's own CRC),
and the restore reads them again. A version 1 or 2 archive is one JSON document and is read whole.
Every refusal is a BackupError that says why, raised before the restore writes anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from collections.abc import Iterator
from typing import IO

from webapp.domain.operations.backups import sections
from webapp.domain.operations.backups.sections import BackupError

CHUNK = 64 * 1024
_HEADER = ("workspace", "members", "users", "warnings")


def open_archive(file: IO[bytes]) -> ZipSource | JsonSource:
    """Return a checked source for the backup in `file` (seekable, binary); BackupError says what is wrong."""
    start = file.read(1)
    file.seek(0)
    if start in (b"{", b" ", b"\n", b"\r", b"\t"):  # before version 3: one JSON document
        try:
            document = json.load(file)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"the backup is damaged: it is not valid JSON ({exc})") from None
        source = JsonSource(document)
    else:
        source = ZipSource(file)
    source.check()
    return source


def check_header(header) -> None:
    """Refuse what is not a Herald backup, or one from a newer Herald (format version or schema)."""
    if not isinstance(header, dict) or header.get("format") != sections.FORMAT:
        raise BackupError("this file is not a Herald workspace backup")
    version = header.get("version")
    readable = ", ".join(map(str, sections.READABLE_VERSIONS))
    if isinstance(version, int) and version > sections.VERSION:
        raise BackupError(
            f"this backup was made by a newer Herald (format version {version}; this Herald reads {readable}): "
            "upgrade Herald, then restore"
        )
    if version not in sections.READABLE_VERSIONS:
        raise BackupError(f"backup version {version!r} is not supported (this Herald reads {readable})")
    unknown = [revision for revision in header.get("schema") or [] if not sections.known_revision(str(revision))]
    if unknown:
        raise BackupError(
            f"this backup was made by a newer Herald (database migration {', '.join(map(str, unknown))} is not "
            "known here): upgrade Herald, then restore"
        )
    if not isinstance(header.get("workspace"), dict) or not isinstance(header.get("members", []), list):
        raise BackupError("the backup is damaged: it has no workspace record")


def _check_row(row, where: str) -> None:
    if not isinstance(row, dict) or not isinstance(row.get("id"), int):
        raise BackupError(f"the backup is damaged: {where} holds a row that is not a record")


def _check_pair(pair, where: str) -> None:
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(i, int) for i in pair)):
        raise BackupError(f"the backup is damaged: {where} holds a line that is not a pair of ids")


class ZipSource:
    """A version 3 archive: the manifest read at once, every other entry streamed."""

    def __init__(self, file: IO[bytes]):
        try:
            self.zip = zipfile.ZipFile(file)
            raw = self.zip.read(sections.MANIFEST)
        except KeyError:
            raise BackupError(f"the backup is damaged: it has no {sections.MANIFEST}") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BackupError(f"this file is not a Herald backup, or it is damaged: {exc}") from None
        try:
            self.header = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackupError(f"the backup is damaged: {sections.MANIFEST} is not valid JSON ({exc})") from None

    def check(self) -> None:
        """Read every entry once: all listed, none extra, each intact and parseable, each image where its row says."""
        check_header(self.header)
        entries = self.header.get("entries")
        if not isinstance(entries, dict):
            raise BackupError(f"the backup is damaged: {sections.MANIFEST} lists no entries")
        needed = [sections.entry_name(name) for name, _ in sections.SECTIONS] + [sections.entry_name(sections.PAIRS)]
        present = set(self.zip.namelist()) - {sections.MANIFEST}
        for name in needed:
            if name not in entries or name not in present:
                raise BackupError(f"the backup is damaged: the entry {name} is missing")
        if extra := sorted(present - set(entries)) or sorted(set(entries) - present):
            raise BackupError(f"the backup is damaged: entry {extra[0]} is not what its manifest lists")
        files = {name for name in entries if name.startswith("media/")}
        for name in entries:
            if name.endswith(".jsonl"):
                self._check_lines(name, entries[name])
        for row in self.rows("media"):
            name = sections.media_entry(row)
            if name not in files or entries[name].get("sha256") != row.get("sha256"):
                raise BackupError(f"the backup is damaged: the file of image #{row['id']} is missing or not its own")
            self._digest(name, entries[name])

    def _check_lines(self, name: str, expected: dict) -> None:
        digest, size = hashlib.sha256(), 0
        check = _check_pair if name == sections.entry_name(sections.PAIRS) else _check_row
        for number, line in enumerate(self._lines(name), 1):
            digest.update(line)
            size += len(line)
            try:
                value = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                raise BackupError(f"the backup is damaged: {name} line {number} is not valid JSON") from None
            check(value, f"{name} line {number}")
        _compare(name, expected, digest.hexdigest(), size)

    def _digest(self, name: str, expected: dict) -> None:
        digest, size = hashlib.sha256(), 0
        for chunk in self._chunks(name):
            digest.update(chunk)
            size += len(chunk)
        _compare(name, expected, digest.hexdigest(), size)

    def _lines(self, name: str) -> Iterator[bytes]:
        try:
            with self.zip.open(name) as entry:
                yield from entry
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # zip's CRC-32 check fails at the entry's end
            raise BackupError(f"the backup is damaged: {name}: {exc}") from None

    def _chunks(self, name: str) -> Iterator[bytes]:
        try:
            with self.zip.open(name) as entry:
                while chunk := entry.read(CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BackupError(f"the backup is damaged: {name}: {exc}") from None

    def rows(self, section: str) -> Iterator:
        """Yield one section's rows (or the schedule-channel pairs), a line at a time."""
        for line in self._lines(sections.entry_name(section)):
            yield json.loads(line)

    def media_bytes(self, row: dict) -> bytes:
        """Return one image's bytes from its entry (checked again against the row's SHA-256 when stored)."""
        return b"".join(self._chunks(sections.media_entry(row)))


class JsonSource:
    """A version 1 or 2 archive: one JSON document, images as base64 inside their rows."""

    def __init__(self, document):
        self.document = document
        self.header = document if isinstance(document, dict) else None

    def check(self) -> None:
        check_header(self.header)
        for name in [name for name, _ in sections.SECTIONS]:
            if not isinstance(self.document.get(name, []), list):
                raise BackupError(f"the backup is damaged: {name} is not a list of records")
            for row in self.document.get(name, []):
                _check_row(row, name)
        for pair in self.document.get(sections.PAIRS, []):
            _check_pair(pair, sections.PAIRS)
        for row in self.document.get("media", []):
            data = self.media_bytes(row)
            if hashlib.sha256(data).hexdigest() != row.get("sha256"):
                label = f"image {row.get('filename')!r} (#{row.get('id')})"
                raise BackupError(f"{label}: its file in the archive is damaged (the SHA-256 differs)")

    def rows(self, section: str) -> Iterator:
        return iter(self.document.get(section, []))

    def media_bytes(self, row: dict) -> bytes:
        try:
            return base64.b64decode(row["data"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise BackupError(
                f"image {row.get('filename')!r} (#{row.get('id')}): the archive does not hold its file"
            ) from None


def _compare(name: str, expected: dict, sha256: str, size: int) -> None:
    if not isinstance(expected, dict) or expected.get("sha256") != sha256 or expected.get("size") != size:
        raise BackupError(f"the backup is damaged: {name} does not match its checksum in {sections.MANIFEST}")
