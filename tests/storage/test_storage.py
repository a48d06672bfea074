"""The media stores: filesystem (default) and S3-compatible with SigV4, checked against AWS's vectors and a fake S3."""

import time
from datetime import UTC, datetime

import pytest
import requests

from webapp.config import ConfigError, load_config
from webapp.infra import sigv4
from webapp.infra.storage import FilesystemStorage, MissingObject, S3Storage, StorageError, from_config

from .fake_s3 import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, FakeS3, s3_fixture  # noqa: F401

AWS_EXAMPLE = sigv4.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
AWS_EXAMPLE_TIME = datetime(2013, 5, 24, tzinfo=UTC)


def test_signed_headers_match_awss_published_get_object_example():
    headers = sigv4.signed_headers(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        AWS_EXAMPLE,
        headers={"Range": "bytes=0-9"},
        now=AWS_EXAMPLE_TIME,
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_presigned_url_matches_awss_published_example():
    url = sigv4.presigned_url(
        "GET", "https://examplebucket.s3.amazonaws.com/test.txt", AWS_EXAMPLE, 86400, now=AWS_EXAMPLE_TIME
    )
    assert url.endswith(
        "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404&X-Amz-SignedHeaders=host"
    )


def s3_store(fake: FakeS3, secret: str = SECRET_KEY) -> S3Storage:
    return S3Storage(fake.url, BUCKET, sigv4.Credentials(ACCESS_KEY, secret, REGION), timeout=5)


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


def test_s3_store_with_a_wrong_secret_is_refused_with_s3s_message(s3):
    with pytest.raises(StorageError, match="403 SignatureDoesNotMatch"):
        s3_store(s3, secret="not-the-secret").put("w1/c2/abc.png", b"x", "image/png")
    assert s3.objects == {}


def test_s3_presigned_url_serves_the_object_to_anyone_until_it_expires(s3):
    store = s3_store(s3)
    store.put("w1/c2/abc.png", b"image", "image/png")

    fetched = requests.get(store.url("w1/c2/abc.png", 60), timeout=5)
    expired = requests.get(
        sigv4.presigned_url(
            "GET", store.object_url("w1/c2/abc.png"), store.credentials, 1, now=datetime(2020, 1, 1, tzinfo=UTC)
        ),
        timeout=5,
    )
    assert (fetched.status_code, fetched.content) == (200, b"image")
    assert expired.status_code == 403


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
        "S3_BUCKET": "b",
    }
    with pytest.raises(ConfigError, match="S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY"):
        load_config(str(tmp_path), environ)
    config = load_config(str(tmp_path), {**environ, "S3_ACCESS_KEY_ID": "id", "S3_SECRET_ACCESS_KEY": "secret"})
    store = from_config(config, str(tmp_path))
    assert isinstance(store, S3Storage) and store.object_url("w1/a.png") == "https://s3.example/b/w1/a.png"
    assert store.credentials.region == "us-east-1"
