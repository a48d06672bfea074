"""JSON Schemas of the export document, and its two media types (JSON or CSV), for the OpenAPI description."""

from __future__ import annotations

from webapp.domain.publishing.schedules import MISSED_POLICIES
from webapp.models import CONTENT_TYPES, EditorialStatus, Priority, ScheduleStatus
from webapp.web.api.openapi_schemas import ID, INSTANT, array, enum, integer, nullable, record, ref, string

EXPORT_PATH = "/export"


def transfer_schemas() -> dict:
    """Return the components for export: the JSON document and its rows (the columns the import takes)."""
    content_row = {
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
    schedule_row = {
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
    }
    return {
        "ExportContentRow": record(content_row),
        "ExportScheduleRow": record(schedule_row),
        "Export": {
            "anyOf": [_document("contents", "ExportContentRow"), _document("schedules", "ExportScheduleRow")],
            "description": "The rows of `kind`, in id order; POST /import takes them back.",
        },
    }


def _document(kind: str, row: str) -> dict:
    return record({"kind": enum((kind,)), "exported_at": INSTANT, "items": array(ref(row))})


def use_export_media_types(paths: dict) -> None:
    """Describe the export's answer as JSON or CSV (as `format` asks), sent as an attachment."""
    ok = paths[EXPORT_PATH]["get"]["responses"]["200"]
    ok["content"] = {
        "application/json": {"schema": ref("Export")},
        "text/csv": {
            "schema": string(
                description="A header row naming the columns, then one row per record; list columns hold "
                "comma-separated values (format=csv)."
            )
        },
    }
    ok["headers"] = {
        "Content-Disposition": {
            "schema": string(pattern=r'^attachment; filename="herald-(contents|schedules)-\d{8}-\d{6}\.(json|csv)"$'),
            "description": "A file name such as herald-contents-20261201-090000.json.",
        }
    }
