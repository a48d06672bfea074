"""The shared part of every import and export: kinds and formats, CSV cells, and finding records by id or name."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from webapp.core import spreadsheet
from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.core.validation import is_id
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Channel

KINDS = ("contents", "schedules")
# zip: the JSON document and the images' files in one archive (contents only; schedules have no files).
FORMATS = ("json", "csv", "zip")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "zip": "application/zip"}
# Columns holding lists: JSON arrays in JSON, comma-separated in a CSV cell (as the content form takes tags).
LIST_COLUMNS = {"tags", "channel_ids", "channel_names", "channels"}
INTEGER_COLUMNS = {"max_runs", "grace_minutes"}


def check_kind_and_format(kind, fmt) -> None:
    """Raise ValidationFailed naming `kind` and `format` when either is not one Herald knows."""
    errors = {}
    if kind not in KINDS:
        errors["kind"] = lazy_gettext("must be one of %(kinds)s", kinds=", ".join(KINDS))
    if fmt not in FORMATS:
        errors["format"] = lazy_gettext("must be one of %(formats)s", formats=", ".join(FORMATS))
    elif fmt == "zip" and kind == "schedules":
        errors["format"] = lazy_gettext("zip holds contents and their images; export schedules as json or csv")
    if errors:
        raise ValidationFailed(errors)


def write_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    """Return rows as CSV with a header: lists comma-joined, every text cell neutralised for spreadsheets."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        writer.writerow({k: spreadsheet.neutralise(v) for k, v in cells.items()})
    return out.getvalue()


def read_csv(text: str) -> list[dict]:
    """Read a CSV with a header row into import rows."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = [_csv_row(row) for row in reader]
    except csv.Error as exc:
        raise ValidationFailed({"file": lazy_gettext("is not valid CSV (%(exc)s)", exc=exc)}) from None
    if not reader.fieldnames:
        raise ValidationFailed({"file": lazy_gettext("needs a header row naming the columns")})
    return rows


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


def first(row: dict, *names: str):
    """Return the first of these fields the row gives (not blank)."""
    return next((row[n] for n in names if row.get(n) not in (None, "", [])), None)


def paired(actor: Actor, model, name_column, ident, name):
    """Pick from an export's (id, name) pair: the id while it names that record here, else the name.

    An export names each record twice; imported into another workspace its ids mean other records
    (or none), so an id is trusted only when the record it names here carries the name beside it.
    """
    if ident in (None, "") or name in (None, ""):
        return ident if ident not in (None, "") else name
    if isinstance(ident, str) and ident.isascii() and ident.isdigit():
        ident = int(ident)
    scoped = select(name_column).where(model.workspace_id == actor.workspace_id, model.id == ident)
    here = db.session.scalar(scoped) if is_id(ident) else None
    return ident if here == (name.strip() if isinstance(name, str) else name) else name


def resolve(actor: Actor, model, name_column, reference, field: str, errors: dict[str, str], *, live: bool = False):
    """Return the id a reference (an id, digits, or a name) names in the workspace; record a problem if none."""
    if reference is None:
        errors.setdefault(field, lazy_gettext("is required (an id or a name)"))
        return None
    scoped = select(model.id).where(model.workspace_id == actor.workspace_id)
    if live:  # a deleted (archived) channel reads as unknown, as it does for a new schedule
        scoped = scoped.where(model.archived_at.is_(None))
    if isinstance(reference, str) and reference.isascii() and reference.isdigit():
        reference = int(reference)
    if isinstance(reference, int) and not isinstance(reference, bool):
        found = db.session.scalar(scoped.where(model.id == reference)) if is_id(reference) else None
    elif isinstance(reference, str):
        matches = list(db.session.scalars(scoped.where(name_column == reference.strip()).limit(2)))
        if len(matches) > 1:
            errors[field] = lazy_gettext(
                "%(reference)s names more than one record; use its id", reference=repr(reference)
            )
            return None
        found = matches[0] if matches else None
    else:
        found = None
    if found is None:
        errors[field] = lazy_gettext(
            "no %(tablename)s %(reference)s in this workspace",
            tablename=model.__tablename__[:-1],
            reference=repr(reference),
        )
    return found


def channel(actor: Actor, reference, field: str, errors: dict[str, str]):
    """Return the id of the workspace's channel a reference (an id or a name) names; record a problem if none."""
    return resolve(actor, Channel, Channel.name, reference, field, errors, live=True)


def channel_names(actor: Actor) -> dict[int, str]:
    """Return the workspace's channel names by id (archived ones too: an export names what a record points at)."""
    rows = db.session.execute(select(Channel.id, Channel.name).where(Channel.workspace_id == actor.workspace_id))
    return dict(rows.all())
