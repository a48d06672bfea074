"""AWS Signature Version 4 for S3-compatible storage: signed headers for a request, or a presigned URL."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_PRESIGN_S = 7 * 24 * 3600  # S3 refuses presigned URLs that live longer than a week


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    region: str
    service: str = "s3"


def _encode(value: str, safe: str = "-_.~") -> str:
    return quote(value, safe=safe)


def _canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))


def _scope(credentials: Credentials, day: str) -> str:
    return f"{day}/{credentials.region}/{credentials.service}/aws4_request"


def _signature(credentials: Credentials, when: datetime, canonical_request: str) -> str:
    amz_date, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    string_to_sign = "\n".join(
        (ALGORITHM, amz_date, _scope(credentials, day), hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = ("AWS4" + credentials.secret_access_key).encode()
    for part in (day, credentials.region, credentials.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    lowered = {name.lower(): " ".join(str(value).split()) for name, value in headers.items()}
    signed = ";".join(sorted(lowered))
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in sorted(lowered))
    request = "\n".join(
        (method, _encode(path or "/", safe="/-_.~"), _canonical_query(query), canonical_headers, signed, payload_hash)
    )
    return request, signed


def _host(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.hostname if parts.port in (None, default) else f"{parts.hostname}:{parts.port}"


def signed_headers(
    method: str,
    url: str,
    credentials: Credentials,
    *,
    headers: Mapping[str, str] | None = None,
    payload_hash: str = EMPTY_SHA256,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the request's headers plus x-amz-date, x-amz-content-sha256 and the Authorization header.

    url carries no query string here: Herald's S3 calls address one object by its path.
    """
    when = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    all_headers = {
        "host": _host(url),
        **(headers or {}),
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
    }
    canonical, signed = _canonical_request(method, urlsplit(url).path, {}, all_headers, payload_hash)
    credential = f"{credentials.access_key_id}/{_scope(credentials, when.strftime('%Y%m%d'))}"
    authorization = (
        f"{ALGORITHM} Credential={credential}, SignedHeaders={signed}, "
        f"Signature={_signature(credentials, when, canonical)}"
    )
    return {**{k: v for k, v in all_headers.items() if k != "host"}, "Authorization": authorization}


def presigned_url(
    method: str, url: str, credentials: Credentials, expires_in: int, *, now: datetime | None = None
) -> str:
    """Return url with query-string authentication, usable by anyone for expires_in seconds (at most a week)."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    params = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key_id}/{_scope(credentials, when.strftime('%Y%m%d'))}",
        "X-Amz-Date": when.strftime("%Y%m%dT%H%M%SZ"),
        "X-Amz-Expires": str(max(1, min(int(expires_in), MAX_PRESIGN_S))),
        "X-Amz-SignedHeaders": "host",
    }
    canonical, _ = _canonical_request(method, urlsplit(url).path, params, {"host": _host(url)}, UNSIGNED_PAYLOAD)
    params["X-Amz-Signature"] = _signature(credentials, when, canonical)
    return f"{url}?{_canonical_query(params)}"
