"""A content item's images: upload (multipart), list, show, delete."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext

from webapp.core.time import format_utc
from webapp.domain.content import media
from webapp.infra.storage import StorageError
from webapp.models import Media
from webapp.web.api.base import ApiError, actor, bp


def media_json(item: Media) -> dict:
    return {
        "id": item.id,
        "content_id": item.content_id,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": item.size_bytes,
        "width": item.width,
        "height": item.height,
        "sha256": item.sha256,
        "alt_text": item.alt_text,
        "created_at": format_utc(item.created_at),
    }


@bp.post("/contents/<int:content_id>/media")
def upload_media(content_id: int):
    request.max_content_length = media.max_request_bytes()
    # Not multipart (or no `file` part): the service answers 422 "file is required" after the content's 404 check.
    upload = request.files.get("file")
    data, filename = (upload.read(), upload.filename) if upload else (b"", None)
    try:
        item = media.add_media(actor(), content_id, data, filename, request.form.get("alt_text"))
    except StorageError as exc:
        raise ApiError(
            503, "storage_unavailable", gettext("The image could not be stored: %(reason)s", reason=exc)
        ) from exc
    return jsonify(media_json(item)), 201


@bp.get("/contents/<int:content_id>/media")
def list_media(content_id: int):
    items = media.list_media(actor(), content_id)
    return jsonify({"items": [media_json(m) for m in items], "total": len(items)})


@bp.get("/contents/<int:content_id>/media/<int:media_id>")
def get_media(content_id: int, media_id: int):
    return jsonify(media_json(media.get_media(actor(), content_id, media_id)))


@bp.delete("/contents/<int:content_id>/media/<int:media_id>")
def delete_media(content_id: int, media_id: int):
    media.delete_media(actor(), content_id, media_id)
    return "", 204
