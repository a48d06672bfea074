"""A content item's images on its edit page: upload with alt text, delete, and the files themselves."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from webapp.core.errors import RateLimited, ValidationFailed
from webapp.domain.content import contents, media
from webapp.domain.shared import unit_of_work
from webapp.infra.storage import FilesystemStorage, StorageError, check_key
from webapp.models import Media
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm
from webapp.web.htmx import render, wants_fragment

bp = Blueprint("media", __name__)


def _panel(content, errors: dict | None = None, alt_text: str | None = None, status: int = 200):
    """The images panel: the whole page, or only its block for htmx (the edit page includes the same block)."""
    return render("media/index.html", "panel", status, content=content, media_errors=errors or {}, media_alt=alt_text)


def _done(content_id: int, message: str):
    if wants_fragment():
        response = make_response(_panel(contents.get_content(ui_actor(), content_id)))
        response.headers["HX-Trigger"] = "media-changed"  # the editor's previews redraw with the new images
        return response
    flash(message, "ok")
    return redirect(url_for("contents.editor.edit", content_id=content_id) + "#media", 303)


@bp.get("/contents/<int:content_id>/media")
def index(content_id: int):
    return _panel(contents.get_content(ui_actor(), content_id))


@bp.post("/contents/<int:content_id>/media")
def upload(content_id: int):
    request.max_content_length = media.max_request_bytes()  # before anything reads the form
    actor = ui_actor()
    content = contents.get_content(actor, content_id)  # another workspace's id is a 404 before anything else
    if not EmptyForm().validate_on_submit():
        abort(400)
    file = request.files.get("file")
    alt_text = request.form.get("alt_text", "")
    try:
        media.add_media(actor, content_id, file.read() if file else b"", file.filename if file else None, alt_text)
    except RateLimited as exc:
        unit_of_work.rollback()
        return _panel(content, exc.fields, alt_text, 429)
    except ValidationFailed as exc:
        unit_of_work.rollback()
        return _panel(content, exc.fields, alt_text, 422)
    except StorageError:
        unit_of_work.rollback()
        return _panel(content, {"file": "could not be stored right now; try again"}, alt_text, 503)
    return _done(content_id, _("Image uploaded."))


@bp.post("/contents/<int:content_id>/media/<int:media_id>/delete")
def delete(content_id: int, media_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    media.delete_media(ui_actor(), content_id, media_id)
    return _done(content_id, _("Image deleted."))


@bp.get("/contents/<int:content_id>/media/<int:media_id>/file")
def file(content_id: int, media_id: int):
    """The image's bytes for a signed-in member of its workspace (the panel's thumbnails)."""
    item = media.get_media(ui_actor(), content_id, media_id)
    return _image_response(item, "private, max-age=300")


@bp.get("/media/<path:key>")
def signed_file(key: str):
    """The image's bytes for anyone holding an unexpired signed URL (platforms and webhook receivers fetch these)."""
    store = media.storage()
    try:
        check_key(key)
    except StorageError:
        abort(404)
    signature, expires = request.args.get("signature", ""), request.args.get("expires", "")
    if not isinstance(store, FilesystemStorage) or not store.verify(key, expires, signature):
        abort(404)  # a wrong or expired signature says nothing about whether the file exists
    item = media.by_storage_key(key)
    if item is None:
        abort(404)
    return _image_response(item, "public, max-age=3600")


# An image opened by itself is shown in the browser's own image document, which styles it inline: the pages' strict
# policy refuses that (a console error per view). This one allows only that style, and no script or other request.
IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _image_response(item: Media, cache_control: str):
    try:
        data = media.read_bytes(item)
    except StorageError:
        abort(404)
    response = make_response(data)
    response.mimetype = item.content_type  # decoded from the bytes at upload, never the uploader's claim
    response.headers["Cache-Control"] = cache_control
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = IMAGE_CSP  # before the site's (security.py sets only a missing one)
    return response
