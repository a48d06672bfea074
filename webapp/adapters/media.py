"""Sending a request's images the same way on every platform: once per publication, whatever the retries."""

from collections.abc import Callable
from html import escape

from .base import MediaAttachment, PublishRequest, RemoteMedia
from .keys import marker_for


def media_slug(request: PublishRequest, attachment: MediaAttachment) -> str:
    """Return the marker of this image's upload for this publication (a WordPress slug, a file name's stem).

    Derived from the idempotency key and the image's id, so a retry can look for the upload an
    earlier attempt made even when that attempt never heard the answer.
    """
    return marker_for(f"{request.idempotency_key}#media-{attachment.id}")


def media_filename(request: PublishRequest, attachment: MediaAttachment) -> str:
    """Return the file name the image is uploaded under: the marker plus the verified type's extension."""
    return f"{media_slug(request, attachment)}.{attachment.extension}"


def upload_once(
    request: PublishRequest,
    attachment: MediaAttachment,
    upload: Callable[[], RemoteMedia],
    find: Callable[[], RemoteMedia | None] | None = None,
) -> RemoteMedia:
    """Return this publication's upload of the image: from the ledger, found on the platform, or made now.

    A new upload (or one found) is recorded before the caller uses it: if the post that refers to it
    then fails, the retry reuses the image instead of uploading it again.
    """
    known = request.uploads.get(attachment.id)
    if known is not None:
        return known
    remote = find() if find is not None else None
    if remote is None:
        remote = upload()
    request.uploads.record(attachment.id, remote)
    return remote


def body_figures(request: PublishRequest, uploads: list[RemoteMedia]) -> str:
    """Return HTML figures for every image after the first (the featured one), at the platform's own URLs."""
    pairs = [(u.remote_url, a.alt_text) for a, u in zip(request.media, uploads, strict=True)][1:]
    return "".join(f'\n<figure><img src="{escape(url)}" alt="{escape(alt)}"></figure>' for url, alt in pairs if url)
