"""Where uploaded media bytes live: a small interface, a filesystem default and an S3-compatible store."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

import requests

from webapp.infra import sigv4

# Keys are Herald's own ("w1/c2/<hex>.png"); anything else is refused before it reaches a path or URL.
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*(\.[a-z0-9]+)?$")
BACKENDS = ("filesystem", "s3")


class StorageError(Exception):
    """The store could not do what was asked (unreachable, refused, misconfigured)."""


class MissingObject(StorageError):
    """No object under that key."""


def check_key(key: str) -> str:
    """Return key when it is one Herald could have made, else raise StorageError."""
    if not isinstance(key, str) or not KEY.match(key) or len(key) > 200:
        raise StorageError(f"not a storage key: {key!r}")
    return key


class Storage(ABC):
    """Bytes by key: put, get, delete, and a time-limited URL others can fetch."""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key, replacing what was there."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the bytes under key, raising MissingObject when there are none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object under key; a missing one is not an error."""

    @abstractmethod
    def url(self, key: str, expires_in: int) -> str | None:
        """Return a URL that serves the object for expires_in seconds, or None when this store has none."""


class FilesystemStorage(Storage):
    """Files under one folder; URLs point at Herald's own signed /media/<key> route when PUBLIC_URL is set."""

    def __init__(self, root: str | Path, *, public_url: str = "", signing_secret: bytes = b"") -> None:
        self.root = Path(root)
        self.public_url = public_url.rstrip("/")
        self.signing_secret = signing_secret

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed, so a reader never sees half a file.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise MissingObject(f"no media stored under {key!r}") from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str, expires_in: int) -> str | None:
        if not self.public_url or not self.signing_secret:
            return None
        expires = int(time.time()) + int(expires_in)
        query = urlencode({"expires": expires, "signature": self.signature(check_key(key), expires)})
        return f"{self.public_url}/media/{key}?{query}"

    def signature(self, key: str, expires: int) -> str:
        return hmac.new(self.signing_secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def verify(self, key: str, expires: str, signature: str, now: float | None = None) -> bool:
        """Return True when the URL's signature is this store's and it has not expired."""
        if not (expires.isascii() and expires.isdigit()) or not self.signing_secret:
            return False
        if int(expires) < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self.signature(key, int(expires)), signature)


class S3Storage(Storage):
    """An S3-compatible bucket (AWS S3, MinIO, R2, ...) over plain HTTPS with SigV4, path-style addressing."""

    def __init__(
        self, endpoint_url: str, bucket: str, credentials: sigv4.Credentials, *, timeout: float = 15.0
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.bucket = bucket
        self.credentials = credentials
        self.timeout = timeout

    def object_url(self, key: str) -> str:
        return f"{self.endpoint_url}/{self.bucket}/{check_key(key)}"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        headers = {"content-type": content_type, "content-length": str(len(data))}
        self._send("PUT", key, headers=headers, body=data)

    def get(self, key: str) -> bytes:
        return self._send("GET", key).content

    def delete(self, key: str) -> None:
        self._send("DELETE", key, missing_ok=True)

    def url(self, key: str, expires_in: int) -> str | None:
        return sigv4.presigned_url("GET", self.object_url(key), self.credentials, expires_in)

    def _send(
        self, method: str, key: str, *, headers: Mapping[str, str] | None = None, body: bytes = b"", missing_ok=False
    ) -> requests.Response:
        url = self.object_url(key)
        payload_hash = hashlib.sha256(body).hexdigest()
        signed = sigv4.signed_headers(method, url, self.credentials, headers=headers, payload_hash=payload_hash)
        try:
            response = requests.request(method, url, data=body or None, headers=signed, timeout=self.timeout)
        except requests.RequestException as exc:
            raise StorageError(f"S3 {method} {key}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            if missing_ok:
                return response
            raise MissingObject(f"no media stored under {key!r}")
        if not 200 <= response.status_code < 300:
            raise StorageError(f"S3 {method} {key}: HTTP {response.status_code} {_s3_error(response.text)}")
        return response


def _s3_error(body: str) -> str:
    # S3 answers errors as XML: <Error><Code>SignatureDoesNotMatch</Code><Message>...</Message></Error>
    code, message = re.search(r"<Code>(.*?)</Code>", body), re.search(r"<Message>(.*?)</Message>", body)
    return " ".join(part[1] for part in (code, message) if part)[:300]


def from_config(config: Mapping, instance_path: str) -> Storage:
    """Build the store MEDIA_STORAGE names from the app's configuration mapping."""
    if config["MEDIA_STORAGE"] == "s3":
        credentials = sigv4.Credentials(config["S3_ACCESS_KEY_ID"], config["S3_SECRET_ACCESS_KEY"], config["S3_REGION"])
        return S3Storage(config["S3_ENDPOINT_URL"], config["S3_BUCKET"], credentials)
    root = config["MEDIA_ROOT"] or str(Path(instance_path) / "media")
    # Its own key, derived from SECRET_KEY, so a media URL's signature is good for nothing else.
    secret = hmac.new(config["SECRET_KEY"].encode(), b"herald media urls", hashlib.sha256).digest()
    return FilesystemStorage(root, public_url=config.get("PUBLIC_URL", ""), signing_secret=secret)
