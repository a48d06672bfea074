"""Export and import content and schedules as JSON or CSV; an import writes every row or none.

Each row goes through the same service that creates one record (contents.add_content,
schedules.add_schedule), all inside one transaction: every row is checked, the problems are
reported per row (row number, field, message), and one bad row rolls the whole import back.
"""

from __future__ import annotations

import csv
import io
import json

from flask import current_app
from sqlalchemy import select

from webapp.core import spreadsheet
from webapp.core.errors import ValidationFailed
from webapp.core.time import format_utc
from webapp.core.validation import is_id
from webapp.domain.content import contents
from webapp.domain.publishing import schedules
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Channel, Content, Schedule, utcnow

KINDS = ("contents", "schedules")
FORMATS = ("json", "csv")
CONTENT_COLUMNS = ("id", *contents.FIELDS)
# When and how a schedule runs, named as the API names them: exported, and set again by an import row.
TIMING_FIELDS = (
    "run_at",
    "cron",
    "timezone",
    "starts_at",
    "ends_at",
    "max_runs",
    "priority",
    "missed_policy",
    "grace_minutes",
)
_TIMING_INSTANTS = {"run_at", "starts_at", "ends_at"}
SCHEDULE_COLUMNS = (
    "id",
    "content_id",
    "content_title",
    "channel_ids",
    "channel_names",
    *TIMING_FIELDS,
    "status",
    "next_run_at",
)
# What an import row may set on a schedule, beside the content and channels it names.
SCHEDULE_FIELDS = (*TIMING_FIELDS, "allow_conflicts")
# Columns holding lists: JSON arrays in JSON, comma-separated in a CSV cell (as the content form takes tags).
LIST_COLUMNS = {"tags", "channel_ids", "channel_names", "channels"}
INTEGER_COLUMNS = {"max_runs", "grace_minutes"}
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


# --- export -------------------------------------------------------------------------------------


def export_rows(actor: Actor, kind: str) -> list[dict]:
    """Return the workspace's contents or schedules as plain rows (lists and UTC instants as text)."""
    if kind == "contents":
        query = select(Content).where(Content.workspace_id == actor.workspace_id).order_by(Content.id)
        return [{c: getattr(item, c) for c in CONTENT_COLUMNS} for item in db.session.scalars(query)]
    query = select(Schedule).where(Schedule.workspace_id == actor.workspace_id).order_by(Schedule.id)
    return [_schedule_row(item) for item in db.session.scalars(query)]


def _schedule_row(schedule: Schedule) -> dict:
    return {
        "id": schedule.id,
        "content_id": schedule.content_id,
        "content_title": schedule.content.title,
        "channel_ids": [c.id for c in schedule.channels],
        "channel_names": [c.name for c in schedule.channels],
        **schedule_timing(schedule),
        "status": schedule.status,
        "next_run_at": format_utc(schedule.next_run_at),
    }


def schedule_timing(schedule: Schedule) -> dict:
    """Return the schedule's TIMING_FIELDS, instants as UTC text: the export's and the API's shape alike."""
    return {
        field: format_utc(getattr(schedule, field)) if field in _TIMING_INSTANTS else getattr(schedule, field)
        for field in TIMING_FIELDS
    }


def render_export(actor: Actor, kind: str, fmt: str) -> str:
    """Return the export document in the format asked for."""
    _check_kind_and_format(kind, fmt)
    rows = export_rows(actor, kind)
    if fmt == "json":
        document = {"kind": kind, "exported_at": format_utc(utcnow()), "items": rows}
        return json.dumps(document, ensure_ascii=False, indent=2)
    columns = CONTENT_COLUMNS if kind == "contents" else SCHEDULE_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        cells = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        writer.writerow({k: spreadsheet.neutralise(v) for k, v in cells.items()})
    return out.getvalue()


def _check_kind_and_format(kind, fmt) -> None:
    errors = {}
    if kind not in KINDS:
        errors["kind"] = "must be one of " + ", ".join(KINDS)
    if fmt not in FORMATS:
        errors["format"] = "must be one of " + ", ".join(FORMATS)
    if errors:
        raise ValidationFailed(errors)


# --- import -------------------------------------------------------------------------------------


def parse(fmt: str, data: bytes | str) -> list:
    """Read an uploaded document into rows: a JSON array or {"items": [...]}, or a CSV file with a header."""
    _check_kind_and_format("contents", fmt)
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ValidationFailed({"file": "must be UTF-8 text"}) from None
    if fmt == "json":
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ValidationFailed({"file": f"is not valid JSON ({exc})"}) from None
        return rows_of(document)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [_csv_row(row) for row in reader]
    except csv.Error as exc:
        raise ValidationFailed({"file": f"is not valid CSV ({exc})"}) from None
    if not reader.fieldnames:
        raise ValidationFailed({"file": "needs a header row naming the columns"})
    return rows


def rows_of(document) -> list:
    """Return the rows of a parsed JSON document: an array, or an object with an "items" array (an export)."""
    rows = document.get("items") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise ValidationFailed({"file": 'must be a JSON array of rows or an object with an "items" array'})
    return rows


def filename(kind: str, fmt: str, now) -> str:
    return f"herald-{kind}-{now:%Y%m%d-%H%M%S}.{fmt}"


def _csv_row(row: dict) -> dict:
    # A blank cell means "not given"; list columns hold comma-separated values; numbers are text in CSV.
    values: dict = {}
    for column, cell in row.items():
        if column is None or cell is None or not cell.strip():
            continue  # extra cells past the header, or an empty cell
        cell = spreadsheet.restore(cell.strip())
        if column in LIST_COLUMNS:
            values[column] = [part.strip() for part in cell.split(",") if part.strip()]
        elif column in INTEGER_COLUMNS and cell.isascii() and cell.lstrip("-").isdigit():
            values[column] = int(cell)
        elif column == "allow_conflicts":
            values[column] = cell.lower() in ("1", "true", "yes")
        else:
            values[column] = cell
    return values


def import_rows(actor: Actor, kind: str, rows: list) -> list[int]:
    """Check every row, then store all of them in one transaction and return their ids, or store none.

    Raises ValidationFailed with `rows` = [{"row", "field", "message"}] (rows count from 1) when any is wrong.
    """
    actor.require_writer()
    _check_kind_and_format(kind, "json")
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if not rows:
        raise ValidationFailed({"file": "has no rows"})
    if len(rows) > limit:
        raise ValidationFailed({"file": f"has {len(rows)} rows; an import takes at most {limit}"})
    problems: list[dict] = []
    ids: list[int] = []
    publications = []
    for number, row in enumerate(rows, start=1):
        try:
            if not isinstance(row, dict):
                raise ValidationFailed({"row": "must be an object of named fields"})
            if kind == "contents":
                ids.append(contents.add_content(actor, **{k: row[k] for k in contents.FIELDS if k in row}).id)
            else:
                schedule, added = schedules.add_schedule(actor, _schedule_data(actor, row))
                ids.append(schedule.id)
                publications.extend(added)
        except ValidationFailed as exc:
            problems.extend({"row": number, "field": f, "message": m} for f, m in exc.fields.items())
    if problems:
        db.session.rollback()
        bad_rows = len({p["row"] for p in problems})
        message = f"{bad_rows} of {len(rows)} rows have errors; nothing was imported."
        raise ValidationFailed({}, message, rows=problems)
    audit.record(actor, f"{kind}.imported", None, None, count=len(ids))
    db.session.commit()
    schedules.enqueue_all(publications)
    return ids


def _schedule_data(actor: Actor, row: dict) -> dict:
    """Turn an import row into add_schedule's input, finding content and channels by id or by name."""
    errors: dict[str, str] = {}
    data = {k: row[k] for k in SCHEDULE_FIELDS if row.get(k) is not None}
    reference = _first(row, "content_id", "content", "content_title")
    data["content_id"] = _resolve(actor, Content, Content.title, reference, "content_id", errors)
    channel_refs = _first(row, "channel_ids", "channels", "channel_names")
    if channel_refs is not None and not isinstance(channel_refs, list):
        channel_refs = [channel_refs]
    data["channel_ids"] = [
        _resolve(actor, Channel, Channel.name, ref, "channel_ids", errors) for ref in channel_refs or []
    ]
    if errors:
        raise ValidationFailed(errors)
    return data


def _first(row: dict, *names: str):
    return next((row[n] for n in names if row.get(n) not in (None, "", [])), None)


def _resolve(actor: Actor, model, name_column, reference, field: str, errors: dict[str, str]):
    """Return the id a reference (an id, digits, or a name) names in the workspace; record a problem if none."""
    if reference is None:
        errors.setdefault(field, "is required (an id or a name)")
        return None
    scoped = select(model.id).where(model.workspace_id == actor.workspace_id)
    if isinstance(reference, str) and reference.isascii() and reference.isdigit():
        reference = int(reference)
    if isinstance(reference, int) and not isinstance(reference, bool):
        found = db.session.scalar(scoped.where(model.id == reference)) if is_id(reference) else None
    elif isinstance(reference, str):
        matches = list(db.session.scalars(scoped.where(name_column == reference.strip()).limit(2)))
        if len(matches) > 1:
            errors[field] = f"{reference!r} names more than one record; use its id"
            return None
        found = matches[0] if matches else None
    else:
        found = None
    if found is None:
        errors[field] = f"no {model.__tablename__[:-1]} {reference!r} in this workspace"
    return found
