"""Where uploaded media bytes live: a small interface, a filesystem default and an S3-compatible store."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

# Keys are Herald's own ("w1/c2/<hex>.png"); anything else is refused before it reaches a path or URL.
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*(\.[a-z0-9]+)?$")
MAX_PRESIGN_S = 7 * 24 * 3600  # S3 refuses presigned URLs that live longer than a week
CONNECT_TIMEOUT_S = 3.0


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


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str
    region: str


class S3Storage(Storage):
    """An S3-compatible bucket (AWS S3, MinIO, R2, ...) through the minio client, which signs with SigV4.

    The region is given, so minio never asks the bucket for it (GetBucketLocation); presigned URLs are
    made locally. Objects are addressed path-style ({endpoint}/{bucket}/{key}), except on AWS's own
    hosts, where minio uses virtual-hosted style ({bucket}.{endpoint}/{key}).
    """

    def __init__(
        self,
        endpoint_url: str,
        bucket: str,
        credentials: S3Credentials,
        *,
        timeout: float = 15.0,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.bucket = bucket
        self.credentials = credentials
        self.timeout = timeout
        # minio's own default waits 5 minutes per attempt over 6 attempts; an unreachable store should
        # fail an upload or a publication attempt in seconds instead.
        self.http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(connect_timeout, timeout), read=timeout),
            retries=urllib3.Retry(
                total=2,
                connect=1,
                read=1,
                backoff_factor=0.2,
                status_forcelist=(500, 502, 503, 504),
                raise_on_status=False,  # the last answer goes back to minio, which reads S3's error from it
                retry_after_max=5,
            ),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        parts = urlsplit(self.endpoint_url)
        if parts.scheme not in ("http", "https"):
            raise StorageError(f"S3 endpoint {endpoint_url!r} must start with http:// or https://")
        try:
            self.client = Minio(
                parts.netloc + parts.path,  # a path is refused by minio, with its own message
                access_key=credentials.access_key_id,
                secret_key=credentials.secret_access_key,
                secure=parts.scheme == "https",
                region=credentials.region,
                http_client=self.http,
            )
        except ValueError as exc:
            raise StorageError(f"S3 endpoint {endpoint_url!r} cannot be used: {exc}") from None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        with self._errors("PUT", key):
            self.client.put_object(self.bucket, check_key(key), io.BytesIO(data), len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        with self._errors("GET", key):
            response = self.client.get_object(self.bucket, check_key(key))
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def delete(self, key: str) -> None:
        try:
            with self._errors("DELETE", key):
                self.client.remove_object(self.bucket, check_key(key))
        except MissingObject:
            pass  # S3 answers 204 for a missing key; a store that says NoSuchKey means the same

    def url(self, key: str, expires_in: int) -> str | None:
        seconds = max(1, min(int(expires_in), MAX_PRESIGN_S))
        with self._errors("presign GET", key):
            return self.client.presigned_get_object(self.bucket, check_key(key), expires=timedelta(seconds=seconds))

    @contextmanager
    def _errors(self, operation: str, key: str) -> Iterator[None]:
        """Turn minio's and urllib3's exceptions into MissingObject and StorageError."""
        try:
            yield
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise MissingObject(f"no media stored under {key!r}") from None
            status = getattr(exc.response, "status", "?")
            detail = " ".join(part for part in (exc.code, exc.message) if part)[:300]
            raise StorageError(f"S3 {operation} {key}: HTTP {status} {detail}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            # ServerError / InvalidResponseError (an answer that is not S3's XML); the network (refused,
            # timed out, TLS) after the retries above; or minio's ValueError for a bucket name S3 refuses.
            message = f"S3 {operation} {key} at {self.endpoint_url}: {type(exc).__name__}: {exc}"
            raise StorageError(message[:500]) from exc


def from_config(config: Mapping, instance_path: str) -> Storage:
    """Build the store MEDIA_STORAGE names from the app's configuration mapping."""
    if config["MEDIA_STORAGE"] == "s3":
        credentials = S3Credentials(config["S3_ACCESS_KEY_ID"], config["S3_SECRET_ACCESS_KEY"], config["S3_REGION"])
        return S3Storage(config["S3_ENDPOINT_URL"], config["S3_BUCKET"], credentials)
    root = config["MEDIA_ROOT"] or str(Path(instance_path) / "media")
    # Its own key, derived from SECRET_KEY, so a media URL's signature is good for nothing else.
    secret = hmac.new(config["SECRET_KEY"].encode(), b"herald media urls", hashlib.sha256).digest()
    return FilesystemStorage(root, public_url=config.get("PUBLIC_URL", ""), signing_secret=secret)
