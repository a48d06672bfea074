"""Images of content items: bytes verified by decoding, stored with their SHA-256, removed with their rows."""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from tests.adapters.fakes.ghost import FakeGhost
from tests.media_files import image_bytes
from webapp.core.errors import Forbidden, NotFound, ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import contents, media
from webapp.domain.publishing import publisher, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Media, MediaUpload, utcnow


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.instance_path, "media").rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def _own_media_folder(app, media_folder, tmp_path, monkeypatch):
    """Each test stores into its own empty folder, with an instance folder of its own too."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_each_accepted_format_is_stored_with_its_decoded_type_size_and_sha256(app, make, fmt, content_type, extension):
    actor = make.actor()
    content = make.content(actor)
    data = image_bytes(fmt, (30, 20))

    item = media.add_media(actor, content.id, data, "holiday photo", " A beach at dawn ")

    assert (item.content_type, item.width, item.height, item.size_bytes) == (content_type, 30, 20, len(data))
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.storage_key.endswith(f".{extension}") and item.alt_text == "A beach at dawn"
    assert media.read_bytes(item) == data
    assert db.session.query(AuditEvent).filter_by(action="media.uploaded", target_id=item.id).count() == 1


def test_the_bytes_decide_the_type_not_the_name(app, make):
    actor = make.actor()
    content = make.content(actor)

    item = media.add_media(actor, content.id, image_bytes("PNG"), "really-a-png.jpg", "alt")

    assert item.content_type == "image/png" and item.storage_key.endswith(".png")


def _refused(app, make, data: bytes, alt_text="alt", **config) -> dict:
    for name, value in config.items():
        app.config[name] = value
    actor = make.actor()
    content = make.content(actor)
    with pytest.raises(ValidationFailed) as error:
        media.add_media(actor, content.id, data, "x.png", alt_text)
    assert db.session.query(Media).count() == 0 and stored_files(app) == []  # nothing stored
    return error.value.fields


def test_a_text_file_named_like_an_image_is_refused(app, make):
    assert _refused(app, make, b"<?php echo 'hi'; ?>") == {
        "file": "is not an image Herald can read; upload JPEG, PNG, GIF or WebP"
    }


def test_another_image_format_is_refused_by_name(app, make):
    assert _refused(app, make, image_bytes("BMP")) == {"file": "is a BMP image; upload JPEG, PNG, GIF or WebP"}


def test_a_truncated_image_is_refused_as_damaged(app, make):
    data = image_bytes("PNG", (64, 64), (10, 20, 30))
    assert _refused(app, make, data[: len(data) - 30])["file"].startswith("is a damaged image")


def test_an_image_over_the_byte_limit_is_refused(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 100)
    data = image_bytes("PNG", (64, 64))
    assert _refused(app, make, data) == {"file": f"is {len(data):,} bytes; at most 100 are allowed"}


def test_an_image_over_the_dimension_limits_is_refused(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_WIDTH", 40)
    assert _refused(app, make, image_bytes("PNG", (41, 10))) == {"file": "is 41×10 pixels; at most 40×4096 are allowed"}


def test_alt_text_is_required(app, make):
    assert _refused(app, make, image_bytes(), alt_text="  ") == {"alt_text": "is required"}


def test_an_empty_upload_names_the_file(app, make):
    assert _refused(app, make, b"") == {"file": "is required"}


def test_a_viewer_cannot_upload_and_another_workspace_content_is_not_found(app, make):
    owner = make.actor()
    content = make.content(owner)
    viewer = make.actor(role="viewer")
    with pytest.raises(Forbidden):
        media.add_media(viewer, content.id, image_bytes(), "a.png", "alt")
    with pytest.raises(NotFound):
        media.add_media(make.actor(), content.id, image_bytes(), "a.png", "alt")
    assert stored_files(app) == []


def test_the_count_per_content_is_limited(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_PER_CONTENT", 1)
    actor = make.actor()
    content = make.content(actor)
    media.add_media(actor, content.id, image_bytes(), "a.png", "alt")

    with pytest.raises(ValidationFailed) as error:
        media.add_media(actor, content.id, image_bytes(), "b.png", "alt")
    assert error.value.fields == {"file": "cannot be added: this content already has 1 images, the most allowed"}


def test_deleting_an_image_removes_its_file_after_the_commit(app, make):
    actor = make.actor()
    content = make.content(actor)
    item = media.add_media(actor, content.id, image_bytes(), "a.png", "alt")
    assert len(stored_files(app)) == 1

    media.delete_media(actor, content.id, item.id)

    assert db.session.query(Media).count() == 0 and stored_files(app) == []


def test_deleting_the_content_removes_its_images_files(app, make):
    actor = make.actor()
    content = make.content(actor)
    media.add_media(actor, content.id, image_bytes(), "a.png", "alt")
    media.add_media(actor, content.id, image_bytes("GIF"), "b.gif", "alt")

    contents.delete_content(actor, content.id)

    assert db.session.query(Media).count() == 0 and stored_files(app) == []


def test_a_rolled_back_delete_keeps_the_file(app, make):
    actor = make.actor()
    content = make.content(actor)
    item = media.add_media(actor, content.id, image_bytes(), "a.png", "alt")

    db.session.delete(item)
    db.session.flush()
    db.session.rollback()

    assert len(stored_files(app)) == 1


def test_a_retried_publication_uploads_its_image_once_through_the_database_ledger(app, make):
    actor = make.actor()
    with FakeGhost() as ghost:
        channel = channels.create_channel(
            actor,
            name="blog",
            platform="ghost",
            settings={"url": ghost.url},
            credentials={"admin_api_key": ghost.admin_api_key},
        )
        content = make.content(actor, status="approved", title="With a picture")
        item = media.add_media(actor, content.id, image_bytes(), "a.png", "The picture")
        created = schedules.create_schedule(
            actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
        )
        [publication] = schedules.publications_of(created)
        ghost.fail_next(
            503, {"errors": [{"message": "down", "type": "InternalServerError"}]}, path="/ghost/api/admin/posts"
        )

        for expected in ("retrying", "published"):
            dispatch.unschedule_publication(publication)
            publisher.mark_queued([publication.id])
            assert publisher.execute(publication.id) == expected

        uploads = [r for r in ghost.requests if r.path == "/ghost/api/admin/images/upload/"]
        assert len(uploads) == 1 and len(ghost.posts) == 1
        [upload] = db.session.query(MediaUpload).filter_by(publication_id=publication.id).all()
        assert (upload.media_id, upload.remote_url) == (item.id, next(iter(ghost.posts.values()))["feature_image"])
