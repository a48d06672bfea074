"""Small real images for media tests, and the adapter-side description of one."""

import hashlib
import io
from functools import partial

from PIL import Image

from webapp.adapters.base import MediaAttachment

TYPES = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """Return a real, decodable image of that format and size."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def attachment(
    media_id: int = 1, *, fmt: str = "PNG", alt_text: str = "A red square", url: str | None = None, **fields
) -> MediaAttachment:
    """Return a MediaAttachment whose bytes are a real image (read() returns them)."""
    data = fields.pop("data", None) or image_bytes(fmt)
    content_type, extension = TYPES[fmt]
    values = {
        "id": media_id,
        "filename": f"photo-{media_id}.{extension}",
        "content_type": content_type,
        "extension": extension,
        "alt_text": alt_text,
        "size": len(data),
        "width": 8,
        "height": 6,
        "sha256": hashlib.sha256(data).hexdigest(),
        "url": url,
        "read": partial(bytes, data),
    }
    return MediaAttachment(**(values | fields))
