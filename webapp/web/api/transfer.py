"""Export and import endpoints: content and schedules as JSON or CSV, content with its images as a ZIP archive."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext

from webapp.domain.operations import transfer
from webapp.models import utcnow
from webapp.web.api.base import ApiError, actor, bp, json_document


@bp.get("/export")
def export_records():
    kind, fmt = request.args.get("kind", "contents"), request.args.get("format", "json")
    document = transfer.render_export(actor(), kind, fmt)
    return Response(
        document,
        mimetype=transfer.MEDIA_TYPES[fmt].split(";")[0],
        headers={"Content-Disposition": f'attachment; filename="{transfer.filename(kind, fmt, utcnow())}"'},
    )


@bp.post("/import")
def import_records():
    kind = request.args.get("kind", "")
    request.max_content_length = transfer.max_request_bytes()
    if request.mimetype in ("text/csv", "application/zip"):
        upload = transfer.parse("csv" if request.mimetype == "text/csv" else "zip", request.get_data())
    else:
        document = json_document()
        if document is None:
            raise ApiError(
                400,
                "bad_request",
                gettext('Send JSON (an array of rows, or {"items": [...]}), text/csv or application/zip.'),
            )
        upload = transfer.upload_of(document)
    ids = transfer.import_rows(actor(), kind, upload)
    return jsonify({"kind": kind, "imported": len(ids), "ids": ids}), 201
