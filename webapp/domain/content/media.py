"""Images of content items: verify and store them, list and delete them, and hand them to a publication."""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import warnings
from dataclasses import dataclass
from functools import partial

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from webapp.adapters import adapter_class
from webapp.adapters.base import MediaAttachment, RemoteMedia
from webapp.core.errors import RateLimited, ValidationFailed, lazy_gettext
from webapp.core.validation import text_problem
from webapp.domain.content import approvals, contents
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra import ratelimit
from webapp.infra.storage import Storage, StorageError, from_config
from webapp.models import Content, Media, MediaUpload

log = logging.getLogger(__name__)

# Pillow's format name -> (content type, file extension). Only these are accepted, whatever the name says.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
MAX_ALT_TEXT = 500  # within every platform's limit (Shopify's altText: 512, Ghost's feature_image_alt is cut at 191)
MAX_FILENAME = 200
EXTENSION = "herald.storage"
_DELETED_KEYS = "herald.media_deleted_keys"


def max_request_bytes() -> int:
    """Return the largest request body an upload may send: one image of MEDIA_MAX_BYTES and its form fields.

    Callers set it as the request's own limit, so an app-wide MAX_CONTENT_LENGTH smaller than
    MEDIA_MAX_BYTES does not turn a valid image into a 413.
    """
    return current_app.config["MEDIA_MAX_BYTES"] + 64 * 1024


def storage() -> Storage:
    """Return the app's media store, built once from MEDIA_STORAGE and its settings."""
    app = current_app._get_current_object()
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = from_config(app.config, app.instance_path)
    return app.extensions[EXTENSION]


@dataclass(frozen=True)
class Inspected:
    content_type: str
    extension: str
    width: int
    height: int


def inspect_image(data: bytes, max_width: int, max_height: int) -> Inspected:
    """Decode the bytes and return what they are, or raise ValidationFailed naming the problem with `file`."""

    def refuse(problem: str) -> ValidationFailed:
        return ValidationFailed({"file": problem})

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in FORMATS:
                raise refuse(f"is a {image.format or 'unknown'} image; upload JPEG, PNG, GIF or WebP")
            width, height = image.size
            if width > max_width or height > max_height:
                raise refuse(f"is {width}×{height} pixels; at most {max_width}×{max_height} are allowed")
            image.load()  # decodes every pixel: a truncated or corrupt file fails here, not on the platform
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise refuse("is not an image Herald can read; upload JPEG, PNG, GIF or WebP") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise refuse(f"is a damaged image ({exc})") from None
    content_type, extension = FORMATS[image.format]
    return Inspected(content_type, extension, width, height)


def _problems(content: Content, data: bytes, alt_text) -> dict[str, str]:
    config = current_app.config
    errors: dict[str, str] = {}
    if problem := text_problem(alt_text, required=True, max_length=MAX_ALT_TEXT):
        errors["alt_text"] = problem
    limit = config["MEDIA_MAX_BYTES"]
    if not data:
        errors["file"] = lazy_gettext("is required")
    elif len(data) > limit:
        errors["file"] = f"is {len(data):,} bytes; at most {limit:,} are allowed"
    elif len(content.media) >= config["MEDIA_MAX_PER_CONTENT"]:
        errors["file"] = lazy_gettext(
            "cannot be added: this content already has %(count)s images, the most allowed", count=len(content.media)
        )
    return errors


def verify(content: Content, data: bytes, alt_text) -> Inspected:
    """Check an image for a content item as an upload is (size, count, alt text, type); raise ValidationFailed."""
    config = current_app.config
    errors = _problems(content, data, alt_text)
    found = None
    if "file" not in errors:  # every problem at once: the alt text's and the image's
        try:
            found = inspect_image(data, config["MEDIA_MAX_WIDTH"], config["MEDIA_MAX_HEIGHT"])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors or found is None:
        raise ValidationFailed(errors)
    return found


def stage(actor: Actor, content: Content, data: bytes, filename: str | None, alt_text: str, found: Inspected) -> Media:
    """Store verified bytes and add their row to the session; the caller commits, or deletes the file if it cannot."""
    key = f"w{actor.workspace_id}/c{content.id}/{secrets.token_hex(16)}.{found.extension}"
    storage().put(key, data, found.content_type)
    media = Media(
        workspace_id=actor.workspace_id,
        content=content,
        storage_key=key,
        filename=(filename or f"image.{found.extension}").strip()[:MAX_FILENAME] or f"image.{found.extension}",
        content_type=found.content_type,
        size_bytes=len(data),
        width=found.width,
        height=found.height,
        sha256=hashlib.sha256(data).hexdigest(),
        alt_text=alt_text.strip(),
        created_by_id=actor.user_id,
    )
    db.session.add(media)
    return media


def add_media(actor: Actor, content_id: int, data: bytes, filename: str | None, alt_text) -> Media:
    """Verify an uploaded image, store its bytes and attach it to the content item; commit.

    The bytes decide the type (never the name or the request's Content-Type); nothing is stored
    when anything is wrong. StorageError means the store could not take it.
    """
    actor.require_writer()
    content = contents.get_content(actor, content_id)
    config = current_app.config
    # Each upload costs decoding and storage: a person (or a leaked key) gets a generous hourly share.
    verdict = ratelimit.hit(f"uploads:{actor.user_id}", config["MEDIA_UPLOADS_PER_HOUR"], 3600)
    if not verdict.allowed:
        minutes = verdict.retry_after // 60 + 1
        raise RateLimited(
            lazy_gettext("too many uploads this hour; try again in %(minutes)s minutes", minutes=minutes),
            verdict.retry_after,
            "file",
        )
    media = stage(actor, content, data, filename, alt_text, verify(content, data, alt_text))
    key = media.storage_key
    try:
        db.session.flush()
        audit.record(actor, "media.uploaded", "media", media.id, content_id=content.id, filename=media.filename)
        approvals.reopen_after_edit(actor, content, content.status, ["media"])  # a new image is unapproved
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage().delete(key)  # no row points at it
        raise
    return media


def list_media(actor: Actor, content_id: int) -> list[Media]:
    """Return the content item's images in order (the first is the featured one)."""
    return list(contents.get_content(actor, content_id).media)


def get_media(actor: Actor, content_id: int, media_id: int) -> Media:
    """Return one image of a content item of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, Media, media_id, "media", Media.content_id == content_id)


def by_storage_key(key: str) -> Media | None:
    """Return the image stored under `key`, whichever workspace it is in (a signed URL has already vouched for it)."""
    return db.session.scalar(select(Media).where(Media.storage_key == key))


def delete_media(actor: Actor, content_id: int, media_id: int) -> None:
    """Remove an image from its content item and its bytes from storage; commit."""
    actor.require_writer()
    media = get_media(actor, content_id, media_id)
    audit.record(actor, "media.deleted", "media", media.id, content_id=content_id, filename=media.filename)
    approvals.reopen_after_edit(actor, media.content, media.content.status, ["media"])
    db.session.delete(media)
    db.session.commit()  # the file goes after the commit (see _collect_deleted_keys)


def read_bytes(media: Media) -> bytes:
    """Return the stored bytes of an image."""
    return storage().get(media.storage_key)


def attachments(content: Content) -> tuple[MediaAttachment, ...]:
    """Describe the content's images for an adapter: verified metadata, a fetchable URL, bytes read on demand."""
    return attachments_of(content.media)


def attachments_of(images: list[Media]) -> tuple[MediaAttachment, ...]:
    """Describe these images (in order) as an adapter gets them; nothing is read until an adapter asks."""
    store, ttl = storage(), current_app.config["MEDIA_URL_TTL_S"]
    return tuple(
        MediaAttachment(
            id=m.id,
            filename=m.filename,
            content_type=m.content_type,
            extension=m.storage_key.rsplit(".", 1)[-1],
            alt_text=m.alt_text,
            size=m.size_bytes,
            width=m.width,
            height=m.height,
            sha256=m.sha256,
            url=store.url(m.storage_key, ttl),
            read=partial(store.get, m.storage_key),
        )
        for m in images
    )


def forget_uploads_after_unknown_outcome(publication) -> int:
    """Drop the publication's upload records when its platform binds an image to one post (Mastodon).

    The post the last attempt sent may exist: attaching its images to the next attempt's post would move
    them off it (Takahē does). So the next attempt uploads its own. The caller commits; returns how many.
    """
    if not adapter_class(publication.channel.platform).uploads_bind_to_one_post:
        return 0
    return db.session.execute(delete(MediaUpload).where(MediaUpload.publication_id == publication.id)).rowcount


class UploadLedger:
    """The database's record of a publication's image uploads (media_uploads), one row per image."""

    def __init__(self, publication_id: int) -> None:
        self.publication_id = publication_id

    def get(self, media_id: int) -> RemoteMedia | None:
        row = db.session.execute(
            select(MediaUpload.remote_id, MediaUpload.remote_url).where(
                MediaUpload.publication_id == self.publication_id, MediaUpload.media_id == media_id
            )
        ).first()
        return RemoteMedia(row.remote_id, row.remote_url) if row else None

    def record(self, media_id: int, remote: RemoteMedia) -> None:
        # Its own transaction, committed at once: the upload happened whatever becomes of this attempt.
        with db.engine.begin() as connection:
            connection.execute(
                insert(MediaUpload).values(
                    publication_id=self.publication_id,
                    media_id=media_id,
                    remote_id=remote.remote_id,
                    remote_url=remote.remote_url,
                )
            )


# Stored files follow their rows: removed after the commit that deleted the rows (an image, or a
# content item whose images the database deletes by cascade), never before, so a rollback keeps them.


@event.listens_for(Session, "before_flush")
def _collect_deleted_keys(session: Session, flush_context, instances) -> None:
    keys = session.info.setdefault(_DELETED_KEYS, [])
    for record in session.deleted:
        if isinstance(record, Media):
            keys.append(record.storage_key)
        elif isinstance(record, Content) and record.id is not None:
            keys.extend(session.scalars(select(Media.storage_key).where(Media.content_id == record.id)))


@event.listens_for(Session, "after_commit")
def _delete_files(session: Session) -> None:
    keys = session.info.pop(_DELETED_KEYS, [])
    if not keys:
        return
    store = storage()
    for key in dict.fromkeys(keys):
        try:
            store.delete(key)
        except StorageError:
            log.warning("media file %s not deleted; it is no longer referenced", key)


@event.listens_for(Session, "after_rollback")
def _forget_keys(session: Session) -> None:
    session.info.pop(_DELETED_KEYS, None)
