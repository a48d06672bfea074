"""A content item's images in an export, and bringing them back on import, checked as an upload is.

An export names each image with its checksum (SHA-256) and either a file inside the ZIP archive
(`file`) or, in plain JSON, a URL it can be fetched from (`url`, signed for MEDIA_URL_TTL_S; null when
the store has no URL: export a ZIP then). An import reads the file, or fetches the URL through the
outbound target guard (a URL inside Herald's network is refused), then checks the bytes like an
upload (size, decoded type, the content item's image count, alt text) and against the checksum.
Files are stored only once every row is good, and removed again if the import cannot commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app

from webapp.adapters import targets
from webapp.adapters.base import AdapterError
from webapp.adapters.http import MAX_BODY_BYTES, send
from webapp.core.errors import ValidationFailed, lazy_gettext
from webapp.domain.content import media
from webapp.domain.shared.actor import Actor
from webapp.models import Content, Media

FIELDS = ("filename", "alt_text", "content_type", "size_bytes", "width", "height", "sha256", "url", "file")
FETCH_TIMEOUT_S = 10.0
# The upload check counts a content item's images; an imported one has none yet (the row's own are counted here).
_NEW_ITEM = SimpleNamespace(media=[])


def export_entry(image: Media, files: dict[str, bytes | None] | None) -> dict:
    """Describe one image: by a file of the archive when `files` collects them, else by URL."""
    entry = {f: getattr(image, f) for f in FIELDS[:7]}
    if files is None:
        entry["url"] = media.storage().url(image.storage_key, current_app.config["MEDIA_URL_TTL_S"])
        entry["file"] = None
    else:
        name = f"images/{image.sha256}.{image.storage_key.rsplit('.', 1)[-1]}"
        files[name] = media.read_bytes(image)
        entry["url"], entry["file"] = None, name
    return entry


@dataclass
class Pending:
    """An image checked and waiting to be stored with its content item."""

    content: Content | None
    data: bytes
    filename: str | None
    alt_text: str
    found: media.Inspected


def check(raw, files: dict[str, bytes | None], errors: dict[str, str]) -> list[Pending]:
    """Check a row's `images` and return them ready to store; record each problem as `images[i].field`.

    The caller sets each one's `content` once the row's content item exists.
    """
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        errors["images"] = lazy_gettext("must be a list of images")
        return []
    ready: list[Pending] = []
    limit = current_app.config["MEDIA_MAX_PER_CONTENT"]
    if len(raw) > limit:
        errors["images"] = lazy_gettext(
            "has %(count)s images; a content item takes at most %(limit)s", count=len(raw), limit=limit
        )
        return []
    for index, entry in enumerate(raw):
        where = f"images[{index}]"
        if not isinstance(entry, dict):
            errors[where] = lazy_gettext("must be an object")
            continue
        data = _bytes_of(entry, files, where, errors)
        if data is None:
            continue
        expected = entry.get("sha256")
        if not isinstance(expected, str) or hashlib.sha256(data).hexdigest() != expected.strip().lower():
            errors[f"{where}.sha256"] = lazy_gettext("does not match the image's bytes (a damaged or altered file)")
            continue
        try:
            found = media.verify(_NEW_ITEM, data, entry.get("alt_text"))
        except ValidationFailed as exc:
            errors.update({f"{where}.{field}": problem for field, problem in exc.fields.items()})
            continue
        ready.append(Pending(None, data, entry.get("filename"), entry["alt_text"], found))
    return ready


def _bytes_of(entry: dict, files: dict[str, bytes | None], where: str, errors: dict[str, str]) -> bytes | None:
    if entry.get("file"):
        name = entry["file"] if isinstance(entry["file"], str) else None
        data = files.get(name)
        if data is None:
            limit = current_app.config["MEDIA_MAX_BYTES"]
            too_big = name in files
            errors[f"{where}.file"] = (
                f"is larger than {limit:,} bytes" if too_big else lazy_gettext("is not in the archive")
            )
        return data
    url = entry.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        errors[f"{where}.url"] = lazy_gettext(
            "is required (an http or https URL), or export as a ZIP archive with the files"
        )
        return None
    if refusal := targets.url_refusal(url):
        errors[f"{where}.url"] = refusal
        return None
    try:
        response = send("GET", url, timeout=FETCH_TIMEOUT_S)
    except AdapterError as exc:
        errors[f"{where}.url"] = lazy_gettext("could not be fetched (%(message)s)", message=exc.message)
        return None
    if len(response.body) >= MAX_BODY_BYTES:
        errors[f"{where}.url"] = (
            f"answers more than {MAX_BODY_BYTES:,} bytes, the most fetched by URL; import a ZIP archive instead"
        )
        return None
    return response.body


def store(actor: Actor, pending: list[Pending], stored: list[str]) -> None:
    """Store every checked image and add its row (the caller commits); each key written is added to `stored`."""
    for image in pending:
        stored.append(
            media.stage(actor, image.content, image.data, image.filename, image.alt_text, image.found).storage_key
        )


def discard(keys: list[str]) -> None:
    """Remove files stored for an import that did not commit."""
    store_ = media.storage()
    for key in keys:
        store_.delete(key)
