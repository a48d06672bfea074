"""Images through the API: multipart upload, list, show, delete; 422 naming the field; isolation by workspace."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from PIL import Image

from tests.media_files import image_bytes

pytestmark = pytest.mark.usefixtures("media_folder")


def _upload(api, content_id, data: bytes, alt_text="A red square", name="photo.png", **kwargs):
    form = {"file": (io.BytesIO(data), name), "alt_text": alt_text}
    return api("POST", f"/contents/{content_id}/media", data=form, content_type="multipart/form-data", **kwargs)


@pytest.fixture
def content(api):
    return api("POST", "/contents", json={"title": "Launch", "body": "Hello"}).json


def test_an_uploaded_image_is_answered_with_its_verified_metadata(api, content, assert_schema):
    data = image_bytes("JPEG", (40, 30))

    response = _upload(api, content["id"], data, name="claims-to-be.gif")

    assert response.status_code == 201
    assert_schema(response.json, "Media")
    assert {k: response.json[k] for k in ("content_type", "width", "height", "size", "sha256", "alt_text")} == {
        "content_type": "image/jpeg",
        "width": 40,
        "height": 30,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "alt_text": "A red square",
    }


def test_images_are_listed_in_order_shown_and_deleted(api, content, assert_schema):
    first = _upload(api, content["id"], image_bytes("PNG")).json
    second = _upload(api, content["id"], image_bytes("GIF")).json

    listed = api("GET", f"/contents/{content['id']}/media")
    assert listed.status_code == 200
    assert_schema(listed.json, "MediaList")
    assert [m["id"] for m in listed.json["items"]] == [first["id"], second["id"]]
    assert api("GET", f"/contents/{content['id']}/media/{second['id']}").json == second

    assert api("DELETE", f"/contents/{content['id']}/media/{first['id']}").status_code == 204
    assert [m["id"] for m in api("GET", f"/contents/{content['id']}/media").json["items"]] == [second["id"]]
    assert api("GET", f"/contents/{content['id']}/media/{first['id']}").status_code == 404


def test_a_bad_upload_is_a_422_naming_each_field_and_stores_nothing(api, content):
    response = _upload(api, content["id"], b"GIF89a but not really", alt_text="")

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "alt_text": "is required",
        "file": "is not an image Herald can read; upload JPEG, PNG, GIF or WebP",
    }
    assert api("GET", f"/contents/{content['id']}/media").json["total"] == 0


def test_a_json_body_is_told_the_file_and_alt_text_are_required(api, content):
    response = api("POST", f"/contents/{content['id']}/media", json={"alt_text": "x"})

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"file": "is required", "alt_text": "is required"}


def test_an_image_over_the_app_wide_body_limit_but_within_media_max_bytes_is_accepted(app, api, content, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    noisy = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))  # noise does not compress below 1000 bytes
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 1000

    assert _upload(api, content["id"], buffer.getvalue()).status_code == 201
    assert api("POST", "/contents", json={"title": "x" * 2000}).status_code == 413  # the app-wide limit still holds


def test_another_workspaces_content_is_not_found_and_a_viewer_cannot_upload(api, content, outsider, viewer_key):
    key, _ = outsider
    assert _upload(api, content["id"], image_bytes(), key_override=key).status_code == 404
    refused = _upload(api, content["id"], image_bytes(), key_override=viewer_key)
    assert refused.status_code == 403
    assert api("GET", f"/contents/{content['id']}/media").json["total"] == 0


def test_uploads_past_the_hourly_share_are_429_with_retry_after_and_store_nothing(app, api, content, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_UPLOADS_PER_HOUR", 2)
    for _ in range(2):
        assert _upload(api, content["id"], image_bytes("PNG", (8, 8))).status_code == 201

    refused = _upload(api, content["id"], image_bytes("PNG", (8, 8)))

    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.json["error"]["code"] == "rate_limited"
    assert refused.json["error"]["fields"]["file"].startswith("too many uploads this hour; try again in")
    assert api("GET", f"/contents/{content['id']}/media").json["total"] == 2
