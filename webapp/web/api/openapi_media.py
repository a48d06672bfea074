"""JSON Schemas of a content item's images and the multipart body of an upload, for the OpenAPI description."""

from __future__ import annotations

from webapp.domain.content.media import FORMATS, MAX_ALT_TEXT
from webapp.web.api.openapi_schemas import ID, INSTANT, enum, integer, record, ref, string

UPLOAD_PATH = "/contents/{content_id}/media"


def media_schemas() -> dict:
    """Return the components for media."""
    return {
        "Media": record(
            {
                "id": ID,
                "content_id": ID,
                "filename": string(description="The uploader's file name, for people; never used for the type."),
                "content_type": enum([t for t, _ in FORMATS.values()], description="Decoded from the bytes."),
                "size": integer(minimum=1, description="Bytes."),
                "width": integer(minimum=1),
                "height": integer(minimum=1),
                "sha256": string(pattern="^[0-9a-f]{64}$", description="SHA-256 of the stored bytes."),
                "alt_text": string(maxLength=MAX_ALT_TEXT),
                "created_at": INSTANT,
            }
        ),
        "MediaList": record(
            {"items": {"type": "array", "items": ref("Media")}, "total": integer(minimum=0)},
            description="In order: the first image is the featured one.",
        ),
        "MediaUpload": {
            "type": "object",
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream",
                         "description": "JPEG, PNG, GIF or WebP within MEDIA_MAX_BYTES and the pixel limits."},
                "alt_text": string(minLength=1, maxLength=MAX_ALT_TEXT),
            },
            "required": ["file", "alt_text"],
        },
    }  # fmt: skip


def use_multipart(paths: dict) -> None:
    """Describe the upload's body as multipart/form-data (the table of operations assumes JSON bodies)."""
    body = paths[UPLOAD_PATH]["post"]["requestBody"]
    body["content"] = {"multipart/form-data": {"schema": ref("MediaUpload")}}
