"""What a workspace backup holds, section by section, and how one record becomes an archive row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, select

from webapp.extensions import db
from webapp.models import (
    Alert,
    Attempt,
    Channel,
    Content,
    ContentTemplate,
    ContentVariant,
    Media,
    MediaUpload,
    Publication,
    ReviewDecision,
    Schedule,
    WebhookSubscription,
)

FORMAT = "herald-workspace-backup"
# Version 3: a zip archive, one JSON-lines entry per section and one entry per image file, a manifest
# with every entry's SHA-256. Versions 1 and 2 were one JSON document (images as base64); they are still
# read (version 1 as a version 2 archive whose later sections are empty).
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
MANIFEST = "manifest.json"
PAIRS = "schedule_channels"  # [schedule id, channel id] pairs: a schedule's channels
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
_BATCH = 500  # rows fetched from the database at a time while writing


class BackupError(RuntimeError):
    """The archive cannot be written or restored; nothing was changed."""


def entry_name(section: str) -> str:
    return f"{section}.jsonl"


def media_entry(row: dict) -> str:
    return f"media/{int(row['id'])}"


def dump(record) -> dict:
    """Return the record's columns as JSON-ready values (instants in ISO 8601)."""
    row = {}
    for attr in inspect(type(record)).column_attrs:
        value = getattr(record, attr.key)
        row[attr.key] = value.isoformat() if isinstance(value, datetime) else value
    return row


def rows(model, workspace_id: int) -> Iterator:
    """Yield the workspace's records of one section in id order, a batch at a time (never all at once)."""
    if model in _THROUGH_PUBLICATION:
        query = select(model).join(Publication).where(Publication.workspace_id == workspace_id)
    else:
        query = select(model).where(model.workspace_id == workspace_id)
    # The session's identity map holds its records weakly: one written and dropped is freed.
    yield from db.session.scalars(query.order_by(model.id).execution_options(yield_per=_BATCH))


def user_columns(model) -> list[str]:
    return [
        attr.key
        for attr in inspect(model).column_attrs
        if any(fk.column.table.name == "users" for fk in attr.columns[0].foreign_keys)
    ]


def schema_heads() -> list[str]:
    """The migration heads of this code: what an archive records as the schema it was made with."""
    return sorted(_script(current_app.extensions["migrate"].directory)[0])


def known_revision(revision: str) -> bool:
    """Say whether this code knows the migration revision (an unknown one is from a newer Herald)."""
    return revision in _script(current_app.extensions["migrate"].directory)[1]


@cache
def _script(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    # The code's migrations do not change while a process runs: read the scripts once.
    script = ScriptDirectory(directory)
    return frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions())
