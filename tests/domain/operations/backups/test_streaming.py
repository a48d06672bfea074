"""Backups stream: the archive goes out entry by entry in small writes and is read back in small reads."""

from __future__ import annotations

import io
import random
import string

from tests.domain.operations.backups.archives import rows_in
from tests.web.api_actions.support import insert_publications, one_time
from webapp.domain.operations import backups
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Publication, Workspace

PUBLICATIONS = 300
CONTENTS, BODY = 120, 8000  # text that compresses little: an archive of about a megabyte
LARGEST_IO = 64 * 1024 + 512  # a chunk of an entry, and a zip header with it


class Pipe:
    """A write-only output that cannot seek (like standard output or a response) and records its writes."""

    def __init__(self):
        self.data = bytearray()
        self.largest = 0

    def write(self, chunk) -> int:
        self.largest = max(self.largest, len(chunk))
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        pass


class RecordingFile(io.BytesIO):
    """A seekable archive file that records the largest single read made of it."""

    largest = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.largest = max(self.largest, len(chunk))
        return chunk


def _big_workspace(make) -> str:
    """A workspace whose archive is far larger than any one read or write may be; return its slug."""
    schedule, _ = one_time(make)
    insert_publications(schedule, PUBLICATIONS)
    actor = Actor(None, schedule.workspace_id, "owner", "cli")
    letters = random.Random(7)
    for _ in range(CONTENTS):
        make.content(actor, body="".join(letters.choices(string.ascii_letters + " ", k=BODY)))
    return db.session.get(Workspace, schedule.workspace_id).slug


def test_a_backup_is_written_in_small_pieces_to_an_output_that_cannot_seek(make):
    slug = _big_workspace(make)
    out = Pipe()

    summary = backups.write(slug, out)

    assert summary.counts["publications"] == PUBLICATIONS + 1
    assert len(out.data) > 8 * LARGEST_IO  # the archive is far larger than any one write
    assert out.largest <= LARGEST_IO, (out.largest, len(out.data))


def test_a_restore_reads_the_archive_in_small_pieces(make):
    slug = _big_workspace(make)
    out = Pipe()
    backups.write(slug, out)
    archive = RecordingFile(bytes(out.data))

    source = backups.open_archive(archive)
    restored = backups.restore(source, "copy", owner_email=source.header["members"][0]["email"]).workspace

    assert len(rows_in(Publication, restored)) == PUBLICATIONS + 1
    assert len(out.data) > 8 * LARGEST_IO and archive.largest <= LARGEST_IO
