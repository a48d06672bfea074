"""JSON Schemas of the export document and the import body, and their media types (JSON, CSV or ZIP)."""

from __future__ import annotations

from webapp.adapters import PLATFORMS
from webapp.domain.publishing.schedules import CLASH_POLICIES, MISSED_POLICIES
from webapp.models import CONTENT_TYPES, EditorialStatus, OccurrenceChange, Priority, ScheduleStatus
from webapp.web.api.openapi_schemas import (
    COUNT,
    ID,
    INSTANT,
    array,
    enum,
    integer,
    nullable,
    obj,
    record,
    ref,
    string,
)
from webapp.web.api.openapi_variants import DEFAULT_SCHEDULE, VARIANT_TEXT

EXPORT_PATH = "/export"
IMPORT_PATH = "/import"
CONTENT_COLUMNS = {
    "id": ID,
    "title": string(),
    "body": string(),
    "excerpt": nullable(string()),
    "content_type": enum(CONTENT_TYPES),
    "tags": array(string()),
    "status": enum(EditorialStatus),
    "body_format": enum(("markdown", "html")),
    "slug": nullable(string()),
}
EXPORT_VARIANT = {
    "anyOf": [
        record({"platform": enum(PLATFORMS), **VARIANT_TEXT}),
        record({"channel": string(description="The channel's name"), **VARIANT_TEXT}),
    ],
    "description": "An override for a platform, or for one channel named by `channel` (an import also takes "
    "`channel_id`); null fields are inherited.",
}
EXPORT_IMAGE = record(
    {
        "filename": string(),
        "alt_text": string(),
        "content_type": enum(("image/jpeg", "image/png", "image/gif", "image/webp")),
        "size_bytes": integer(minimum=1),
        "width": integer(minimum=1),
        "height": integer(minimum=1),
        "sha256": string(pattern="^[0-9a-f]{64}$"),
        "url": nullable(string(format="uri", description="JSON: a signed URL the image can be fetched from.")),
        "file": nullable(string(description="ZIP: the image's file in the archive, images/<sha256>.<ext>.")),
    },
    description="An import fetches `url` (through the outbound target guard) or reads `file`, then checks the bytes "
    "like an upload and against `sha256`.",
)
SCHEDULE_COLUMNS = {
    "id": ID,
    "content_id": ID,
    "content_title": string(),
    "channel_ids": array(ID),
    "channel_names": array(string()),
    "run_at": nullable(INSTANT),
    "cron": nullable(string()),
    "timezone": string(),
    "starts_at": nullable(INSTANT),
    "ends_at": nullable(INSTANT),
    "max_runs": nullable(integer(minimum=1)),
    "priority": enum(Priority),
    "missed_policy": enum(MISSED_POLICIES),
    "grace_minutes": integer(minimum=0),
    "status": enum(ScheduleStatus),
    "next_run_at": nullable(INSTANT),
    "clash_policy": enum(CLASH_POLICIES),
}


def transfer_schemas() -> dict:
    """Return the components for export and import: the JSON document, its rows, the import body and answer."""
    content_row = {
        **CONTENT_COLUMNS,
        "variants": array(EXPORT_VARIANT),
        "images": array(EXPORT_IMAGE),
    }
    schedule_row = {
        **SCHEDULE_COLUMNS,
        "chain": array(
            record({"channel": string(), "after_channel": string()}),
            description="Chained publications, channels by name (an import also takes channel_id/after_channel_id).",
        ),
        "exceptions": array(
            record({"original_at": INSTANT, "change": enum(OccurrenceChange), "moved_to": nullable(INSTANT)}),
            description="Occurrences people skipped or moved.",
        ),
    }
    template = record(
        {
            "name": string(),
            **{f: CONTENT_COLUMNS[f] for f in ("title", "body", "body_format", "excerpt", "content_type", "tags")},
            "variants": array(EXPORT_VARIANT),
            "channels": array(string(), description="The template's channels by name."),
            "schedule": DEFAULT_SCHEDULE,
        }
    )
    contents = record(
        {
            "kind": enum(("contents",)),
            "exported_at": INSTANT,
            "items": array(ref("ExportContentRow")),
            "templates": array(ref("ExportTemplate")),
        }
    )
    return {
        "ExportContentRow": record(content_row),
        "ExportScheduleRow": record(schedule_row),
        "ExportTemplate": template,
        "Export": {
            "anyOf": [contents, _document("schedules", "ExportScheduleRow")],
            "description": "The rows of `kind`, in id order (contents with the workspace's templates); POST /import "
            "takes them back. Not carried: ids (records get new ones), exported_at, status and next_run_at of "
            "schedules (computed again), images' url (signed anew).",
        },
        "ImportRows": {
            "anyOf": [
                array({"type": "object"}),
                obj({"items": array({"type": "object"}), "templates": array({"type": "object"})}, required=["items"]),
            ],
            "description": "Rows as an export writes them; or send text/csv with a header row, or application/zip "
            "(a format=zip export). A 422 lists every problem in error.rows: [{row, field, message}], rows counted "
            'from 1 (a template\'s problem has row null and a field such as "templates[0].name").',
        },
        "ImportResult": record({"kind": enum(("contents", "schedules")), "imported": COUNT, "ids": array(ID)}),
    }


def _document(kind: str, row: str) -> dict:
    return record({"kind": enum((kind,)), "exported_at": INSTANT, "items": array(ref(row))})


def use_export_media_types(paths: dict) -> None:
    """Describe the export's answer as JSON, CSV or ZIP (as `format` asks), and the import's three bodies."""
    ok = paths[EXPORT_PATH]["get"]["responses"]["200"]
    ok["content"] = {
        "application/json": {"schema": ref("Export")},
        "text/csv": {
            "schema": string(
                description="A header row naming the columns, then one row per record (format=csv): the flat "
                "columns only (contents: no variants or images; schedules: no chain or exceptions); list columns hold "
                "comma-separated values; a cell starting with = + - @ tab or CR is prefixed with '."
            )
        },
        "application/zip": {
            "schema": string(
                contentMediaType="application/zip",
                description="format=zip (contents): herald.json (the JSON export, images by `file`) and the images.",
            )
        },
    }
    ok["headers"] = {
        "Content-Disposition": {
            "schema": string(
                pattern=r'^attachment; filename="herald-(contents|schedules)-\d{8}-\d{6}\.(json|csv|zip)"$'
            ),
            "description": "A file name such as herald-contents-20261201-090000.json.",
        }
    }
    body = paths[IMPORT_PATH]["post"]["requestBody"]
    body["content"] = {
        "application/json": {"schema": ref("ImportRows")},
        "text/csv": {"schema": string(description="A header row naming the columns, then one row per record.")},
        "application/zip": {"schema": string(contentMediaType="application/zip", description="A format=zip export.")},
    }
