"""The media stores: filesystem (default) and S3-compatible through minio, against a fake S3 that checks SigV4."""

import hashlib
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from webapp.config import ConfigError, load_config
from webapp.infra.storage import (
    FilesystemStorage,
    MissingObject,
    S3Credentials,
    S3Storage,
    StorageError,
    from_config,
)

from .fake_s3 import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, FakeS3, s3_fixture  # noqa: F401


def s3_store(fake: FakeS3, secret: str = SECRET_KEY, bucket: str = BUCKET) -> S3Storage:
    return S3Storage(fake.url, bucket, S3Credentials(ACCESS_KEY, secret, REGION), timeout=5)


def test_s3_store_puts_gets_and_deletes_with_signed_requests(s3):
    store = s3_store(s3)

    store.put("w1/c2/abc.png", b"\x89PNG bytes", "image/png")
    assert s3.objects["w1/c2/abc.png"] == (b"\x89PNG bytes", "image/png")
    assert store.get("w1/c2/abc.png") == b"\x89PNG bytes"
    store.delete("w1/c2/abc.png")
    store.delete("w1/c2/abc.png")  # already gone: not an error
    with pytest.raises(MissingObject):
        store.get("w1/c2/abc.png")
    assert s3.rejected == []
    # The region is configured, so minio never asked the bucket for it (no ?location request).
    assert [(r.method, r.path, r.query) for r in s3.requests] == [
        ("PUT", f"/{BUCKET}/w1/c2/abc.png", {}),
        ("GET", f"/{BUCKET}/w1/c2/abc.png", {}),
        ("DELETE", f"/{BUCKET}/w1/c2/abc.png", {}),
        ("DELETE", f"/{BUCKET}/w1/c2/abc.png", {}),
        ("GET", f"/{BUCKET}/w1/c2/abc.png", {}),
    ]


def test_over_plain_http_every_request_signs_the_bodys_sha256(s3):
    s3_store(s3).put("w1/c2/abc.png", b"image", "image/png")

    (put,) = s3.requests
    assert put.headers["x-amz-content-sha256"] == hashlib.sha256(b"image").hexdigest()
    assert "x-amz-content-sha256" in put.headers["Authorization"]  # among SignedHeaders


def test_s3_store_with_a_wrong_secret_is_refused_with_s3s_message(s3):
    with pytest.raises(StorageError, match="403 SignatureDoesNotMatch"):
        s3_store(s3, secret="not-the-secret").put("w1/c2/abc.png", b"x", "image/png")
    assert s3.objects == {}


def test_the_fake_refuses_a_body_changed_after_signing(s3, monkeypatch):
    store = s3_store(s3)
    send = store.http.urlopen

    def tampered(method, url, body=None, **kwargs):  # same length: the signed Content-Length still fits
        return send(method, url, body=b"IMAGE", **kwargs)

    monkeypatch.setattr(store.http, "urlopen", tampered)
    with pytest.raises(StorageError, match="400 XAmzContentSHA256Mismatch"):
        store.put("w1/c2/abc.png", b"image", "image/png")
    assert s3.objects == {}


def test_the_fake_refuses_a_body_whose_sha256_header_was_changed_to_match(s3, monkeypatch):
    store = s3_store(s3)
    send = store.http.urlopen

    def tampered(method, url, body=None, headers=None, **kwargs):
        headers["x-amz-content-sha256"] = hashlib.sha256(b"IMAGE").hexdigest()
        return send(method, url, body=b"IMAGE", headers=headers, **kwargs)

    monkeypatch.setattr(store.http, "urlopen", tampered)
    with pytest.raises(StorageError, match="403 SignatureDoesNotMatch"):
        store.put("w1/c2/abc.png", b"image", "image/png")
    assert s3.objects == {}


def test_a_missing_bucket_is_a_storage_error_not_a_missing_object(s3):
    with pytest.raises(StorageError, match="404 NoSuchBucket") as caught:
        s3_store(s3, bucket="no-such-bucket").get("w1/c2/abc.png")
    assert not isinstance(caught.value, MissingObject)


def test_a_server_error_is_retried_then_reported(s3):
    store = s3_store(s3)
    s3.fail_next(503, method="PUT")

    store.put("w1/c2/abc.png", b"image", "image/png")  # the retry succeeds
    assert s3.objects["w1/c2/abc.png"] == (b"image", "image/png")

    s3.fail_next(500, b"boom", method="GET", times=10)
    with pytest.raises(StorageError, match="S3 GET w1/c2/abc.png"):
        store.get("w1/c2/abc.png")
    assert [r.method for r in s3.requests].count("GET") == 3  # the first try and two retries


def test_an_unreachable_endpoint_fails_in_seconds():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = S3Storage(f"http://127.0.0.1:{port}", BUCKET, S3Credentials(ACCESS_KEY, SECRET_KEY, REGION))

    started = time.monotonic()
    with pytest.raises(StorageError, match="S3 PUT w1/a.png at http://127.0.0.1"):
        store.put("w1/a.png", b"x", "image/png")
    assert time.monotonic() - started < 5


def test_an_endpoint_that_never_answers_fails_after_the_read_timeout_and_one_retry():
    with socket.socket() as silent:  # the kernel takes the connection; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = S3Storage(endpoint, BUCKET, S3Credentials(ACCESS_KEY, SECRET_KEY, REGION), timeout=0.5)

        started = time.monotonic()
        with pytest.raises(StorageError, match="S3 GET w1/a.png .*(timed out|ReadTimeout)"):
            store.get("w1/a.png")
        assert 1.0 <= time.monotonic() - started < 3


def test_an_endpoint_with_a_path_is_refused_with_a_clear_message():
    with pytest.raises(StorageError, match="path in endpoint is not allowed"):
        S3Storage("https://s3.example/prefix", BUCKET, S3Credentials(ACCESS_KEY, SECRET_KEY, REGION))


def test_s3_presigned_url_serves_the_object_to_anyone_until_it_expires(s3):
    store = s3_store(s3)
    store.put("w1/c2/abc.png", b"image", "image/png")

    url = store.url("w1/c2/abc.png", 60)
    fetched = requests.get(url, timeout=5)
    expired = requests.get(
        store.client.presigned_get_object(
            BUCKET, "w1/c2/abc.png", expires=timedelta(seconds=1), request_date=datetime(2020, 1, 1, tzinfo=UTC)
        ),
        timeout=5,
    )
    forged = requests.get(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"), timeout=5)
    assert url.startswith(f"{s3.url}/{BUCKET}/w1/c2/abc.png?") and "X-Amz-Expires=60&" in url
    assert (fetched.status_code, fetched.content) == (200, b"image")
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content


def test_s3_presigned_urls_live_a_week_at_most(s3):
    assert "X-Amz-Expires=604800&" in s3_store(s3).url("w1/a.png", 30 * 24 * 3600)
    assert "X-Amz-Expires=1&" in s3_store(s3).url("w1/a.png", 0)
    assert s3.requests == []  # presigning is local


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs.png", "w1/../x.png", "W1/X.PNG", "a b.png", ""])
def test_keys_herald_could_not_have_made_are_refused(tmp_path, key):
    with pytest.raises(StorageError):
        FilesystemStorage(tmp_path).put(key, b"x", "image/png")
    assert list(tmp_path.iterdir()) == []


def test_filesystem_store_keeps_bytes_under_its_root(tmp_path):
    store = FilesystemStorage(tmp_path)

    store.put("w1/c2/abc.png", b"bytes", "image/png")
    assert (tmp_path / "w1" / "c2" / "abc.png").read_bytes() == b"bytes"
    assert store.get("w1/c2/abc.png") == b"bytes"
    store.delete("w1/c2/abc.png")
    with pytest.raises(MissingObject):
        store.get("w1/c2/abc.png")


def test_filesystem_urls_are_signed_expire_and_need_a_public_url(tmp_path):
    assert FilesystemStorage(tmp_path, signing_secret=b"k").url("w1/a.png", 60) is None
    store = FilesystemStorage(tmp_path, public_url="https://herald.example/", signing_secret=b"k")

    url = store.url("w1/a.png", 60)

    assert url.startswith("https://herald.example/media/w1/a.png?expires=")
    expires, signature = (part.split("=", 1)[1] for part in url.split("?", 1)[1].split("&"))
    assert store.verify("w1/a.png", expires, signature)
    assert not store.verify("w1/b.png", expires, signature)
    assert not store.verify("w1/a.png", expires, signature, now=time.time() + 120)
    assert not FilesystemStorage(tmp_path, signing_secret=b"other").verify("w1/a.png", expires, signature)


def test_the_default_store_is_the_filesystem_under_the_instance_folder(tmp_path):
    store = from_config(load_config(str(tmp_path), {"HERALD_ENV": "testing"}), str(tmp_path))

    assert isinstance(store, FilesystemStorage) and store.root == tmp_path / "media"


def test_s3_settings_build_an_s3_store_and_missing_ones_are_named(tmp_path):
    environ = {
        "HERALD_ENV": "testing",
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": "https://s3.example",
        "S3_BUCKET": "media",
    }
    with pytest.raises(ConfigError, match="S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY"):
        load_config(str(tmp_path), environ)
    config = load_config(str(tmp_path), {**environ, "S3_ACCESS_KEY_ID": "id", "S3_SECRET_ACCESS_KEY": "secret"})
    store = from_config(config, str(tmp_path))
    assert isinstance(store, S3Storage) and store.url("w1/a.png", 60).startswith("https://s3.example/media/w1/a.png?")
    assert store.credentials.region == "us-east-1" and "%2Fus-east-1%2Fs3%2F" in store.url("w1/a.png", 60)


def test_on_aws_hosts_minio_addresses_the_bucket_virtual_hosted_style():
    store = S3Storage("https://s3.eu-west-3.amazonaws.com", "media", S3Credentials("id", "secret", "eu-west-3"))

    assert store.url("w1/a.png", 60).startswith("https://media.s3.eu-west-3.amazonaws.com/w1/a.png?")


def test_a_bucket_name_s3_would_refuse_is_a_storage_error(s3):
    with pytest.raises(StorageError, match="invalid bucket name b"):
        s3_store(s3, bucket="b").put("w1/a.png", b"x", "image/png")
    assert s3.requests == []


def test_the_media_service_keeps_images_in_the_bucket_with_s3_settings(app, make, s3, monkeypatch):
    from tests.media_files import image_bytes
    from webapp.domain.content import media

    settings = {
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": s3.url,
        "S3_BUCKET": BUCKET,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_REGION": REGION,
    }
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    # The app's store, built from those settings as it would be at start; forgotten after the test.
    monkeypatch.setitem(app.extensions, media.EXTENSION, from_config(app.config, app.instance_path))
    actor = make.actor()
    content = make.content(actor)
    data = image_bytes("PNG")

    stored = media.add_media(actor, content.id, data, "red.png", "A red square")
    (attached,) = media.attachments(content)

    assert s3.objects[stored.storage_key] == (data, "image/png")
    assert media.read_bytes(stored) == attached.read() == data
    assert requests.get(attached.url, timeout=5).content == data  # a presigned URL, as a platform fetches it
    media.delete_media(actor, content.id, stored.id)
    assert s3.objects == {} and s3.rejected == []
