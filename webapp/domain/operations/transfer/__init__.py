"""Export and import content and schedules as JSON, CSV or a ZIP archive; an import writes every row or none.

The parts: `rows` (kinds, formats, CSV cells, finding records by id or name), `contents_io` (content
items with variants and images, and templates), `schedules_io` (schedules with chains and exceptions),
`images` (an image's file or URL, checked like an upload), `archive` (the ZIP's document and files).

Each row goes through the same service that creates one record (contents.add_content,
schedules.add_schedule, content_templates.add_template), all inside one transaction: every row is
checked, the problems are reported per row (row number, field, message), and one bad row rolls the
whole import back (and removes any image file it stored).
"""

from __future__ import annotations

import json

from flask import current_app

from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.core.time import format_utc
from webapp.domain.operations.transfer import archive, images
from webapp.domain.operations.transfer.contents_io import (
    CONTENT_COLUMNS,
    CONTENT_FIELDS,
    TEMPLATE_FIELDS,
    export_contents,
    export_templates,
    import_content,
    import_templates,
)
from webapp.domain.operations.transfer.rows import (
    FORMATS,
    KINDS,
    MEDIA_TYPES,
    check_kind_and_format,
    read_csv,
    write_csv,
)
from webapp.domain.operations.transfer.schedules_io import (
    SCHEDULE_COLUMNS,
    SCHEDULE_FIELDS_JSON,
    TIMING_FIELDS,
    export_schedules,
    import_schedule,
    schedule_timing,
)
from webapp.domain.publishing import schedules
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import utcnow

__all__ = [
    "CONTENT_COLUMNS",
    "CONTENT_FIELDS",
    "FORMATS",
    "KINDS",
    "MEDIA_TYPES",
    "SCHEDULE_COLUMNS",
    "SCHEDULE_FIELDS_JSON",
    "TEMPLATE_FIELDS",
    "TIMING_FIELDS",
    "Upload",
    "filename",
    "upload_of",
    "import_rows",
    "max_request_bytes",
    "parse",
    "render_export",
    "rows_of",
    "schedule_timing",
]


class Upload:
    """What an import file holds: its rows, the templates beside them, and an archive's files."""

    def __init__(self, rows: list, templates=None, files: dict[str, bytes] | None = None) -> None:
        self.rows, self.templates, self.files = rows, templates, files or {}


# --- export -------------------------------------------------------------------------------------


def export_document(actor: Actor, kind: str, files: dict[str, bytes] | None = None) -> dict:
    """Return the export document of a kind: {"kind", "exported_at", "items"} (+ "templates" for contents)."""
    document = {"kind": kind, "exported_at": format_utc(utcnow())}
    if kind == "contents":
        return document | {"items": export_contents(actor, files), "templates": export_templates(actor)}
    return document | {"items": export_schedules(actor)}


def render_export(actor: Actor, kind: str, fmt: str) -> str | bytes:
    """Return the export in the format asked for: JSON text, CSV text (the flat columns) or ZIP bytes."""
    check_kind_and_format(kind, fmt)
    if fmt == "csv":
        rows = export_contents(actor) if kind == "contents" else export_schedules(actor)
        return write_csv(CONTENT_COLUMNS if kind == "contents" else SCHEDULE_COLUMNS, rows)
    files: dict[str, bytes] | None = {} if fmt == "zip" else None
    text = json.dumps(export_document(actor, kind, files), ensure_ascii=False, indent=2)
    return archive.pack(text, files) if files is not None else text


def filename(kind: str, fmt: str, now) -> str:
    return f"herald-{kind}-{now:%Y%m%d-%H%M%S}.{fmt}"


# --- import -------------------------------------------------------------------------------------


def max_request_bytes() -> int:
    """Return the largest import a request may send: a ZIP archive of ten images' worth, or the app's own limit."""
    config = current_app.config
    return max(config["MAX_CONTENT_LENGTH"] or 0, 10 * config["MEDIA_MAX_BYTES"])


def parse(fmt: str, data: bytes | str) -> Upload:
    """Read an uploaded file: a JSON array or document ({"items": [...]}), a CSV with a header, or a ZIP export."""
    check_kind_and_format("contents", fmt)
    if fmt == "zip":
        text, files = archive.unpack(data if isinstance(data, bytes) else data.encode())
        return _json_upload(text, files)
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ValidationFailed({"file": lazy_gettext("must be UTF-8 text")}) from None
    return _json_upload(text) if fmt == "json" else Upload(read_csv(text))


def _json_upload(text: str, files: dict[str, bytes] | None = None) -> Upload:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed({"file": lazy_gettext("is not valid JSON (%(exc)s)", exc=exc)}) from None
    return upload_of(document, files)


def upload_of(document, files: dict[str, bytes] | None = None) -> Upload:
    """Return what a parsed JSON document holds: an array of rows, or an export's items and templates."""
    templates = document.get("templates") if isinstance(document, dict) else None
    return Upload(rows_of(document), templates, files)


def rows_of(document) -> list:
    """Return the rows of a parsed JSON document: an array, or an object with an "items" array (an export)."""
    rows = document.get("items") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise ValidationFailed(
            {"file": lazy_gettext('must be a JSON array of rows or an object with an "items" array')}
        )
    return rows


def import_rows(actor: Actor, kind: str, upload: Upload | list, *, now=None) -> list[int]:
    """Check every row, then store all of them in one transaction and return their ids, or store none.

    Raises ValidationFailed with `rows` = [{"row", "field", "message"}] (rows count from 1) when any is wrong.
    """
    actor.require_writer()
    check_kind_and_format(kind, "json")
    upload = upload if isinstance(upload, Upload) else Upload(upload)
    rows, limit = upload.rows, current_app.config["IMPORT_MAX_ROWS"]
    if not rows:
        raise ValidationFailed({"file": lazy_gettext("has no rows")})
    if len(rows) > limit:
        raise ValidationFailed(
            {
                "file": lazy_gettext(
                    "has %(count)s rows; an import takes at most %(limit)s", count=len(rows), limit=limit
                )
            }
        )
    problems: list[dict] = []
    ids: list[int] = []
    publications, pending = [], []
    for number, row in enumerate(rows, start=1):
        try:
            if not isinstance(row, dict):
                raise ValidationFailed({"row": lazy_gettext("must be an object of named fields")})
            if kind == "contents":
                content, checked = import_content(actor, row, upload.files)
                ids.append(content.id)
                pending.extend(checked)
            else:
                schedule, added = import_schedule(actor, row, now)
                ids.append(schedule.id)
                publications.extend(added)
        except ValidationFailed as exc:
            problems.extend({"row": number, "field": f, "message": m} for f, m in exc.fields.items())
    if kind == "contents":
        problems.extend(import_templates(actor, upload.templates))
    if problems:
        db.session.rollback()
        bad_rows = len({p["row"] for p in problems if p["row"] is not None})
        message = f"{bad_rows} of {len(rows)} rows have errors; nothing was imported."
        if bad_rows == 0:
            message = "Some templates have errors; nothing was imported."
        raise ValidationFailed({}, message, rows=problems)
    stored: list[str] = []
    try:
        images.store(actor, pending, stored)
        audit.record(actor, f"{kind}.imported", None, None, count=len(ids), images=len(stored))
        db.session.commit()
    except Exception:
        db.session.rollback()
        images.discard(stored)
        raise
    schedules.enqueue_all(publications)
    return ids
