"""Workspace backups: a versioned zip archive written and read as a stream, restored into a new workspace.

The parts: `sections` (what an archive holds, the format's version and schema), `writer` (the archive,
entry by entry, to any binary output), `reader` (open and check all of an archive before anything is
written: format, version, schema, every entry's checksum and JSON), `records` (rows back into records:
ids remapped, secrets re-encrypted, image files stored), `restore` (one transaction), `holds` (a restored
workspace sends nothing until resumed).

Images travel with their bytes (one entry each, checked against their SHA-256 on restore). Users are not
part of a backup: authors and reviewers are matched by email with the users of the install restored into;
of the members, only the owner the operator names joins, the others are invited (restore_members), and
nobody's notification settings change. Left out on purpose: API keys and calendar-feed tokens (secrets of
one install: make new ones), invitations, audit events, and the webhook-delivery and notification outboxes
(logs of messages already sent by the original install; restoring them could send them twice).
"""

from webapp.domain.operations.backups.holds import RESTORE_HOLD, RESTORED, resume_restored
from webapp.domain.operations.backups.reader import open_archive
from webapp.domain.operations.backups.restore import Restored, restore
from webapp.domain.operations.backups.sections import FORMAT, SECTIONS, VERSION, BackupError
from webapp.domain.operations.backups.writer import Summary, write


def redispatch_restored() -> dict:
    """Let the reconciler put restored pending publications back in rq-scheduler (missed policies apply)."""
    from webapp.domain.publishing.reconcile import reconcile

    return reconcile()


__all__ = [
    "FORMAT",
    "RESTORED",
    "RESTORE_HOLD",
    "SECTIONS",
    "VERSION",
    "BackupError",
    "Restored",
    "Summary",
    "open_archive",
    "redispatch_restored",
    "restore",
    "resume_restored",
    "write",
]
