"""A local S3-compatible server that stores objects only for requests whose SigV4 signature it can verify.

The signature is recomputed here from the request as received (its path, query and headers), with
AWS's documented algorithm written out independently of the client (minio) that made it. As S3 does,
it insists that Host and every x-amz-* header sent are signed, that x-amz-content-sha256 is the
body's SHA-256 (or UNSIGNED-PAYLOAD, which minio sends only over TLS, with a Content-MD5), and that a
Content-MD5 matches the body.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from tests.adapters.fakes.server import FakePlatform, Request, Response

ACCESS_KEY, SECRET_KEY, REGION, BUCKET = "HERALDTESTKEY", "s3cr3t/test+key", "eu-west-3", "herald-media"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, ?"
    r"SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})"
)
SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(status, body.encode(), {"Content-Type": "application/xml"})


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(secret: str, day: str, amz_date: str, canonical_request: str) -> str:
    scope = f"{day}/{REGION}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), day), REGION), "s3"), "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))


def _instant(amz_date: str) -> datetime:
    try:
        return datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Rejected(403, "AccessDenied", "X-Amz-Date is missing or malformed") from None


class FakeS3(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, content type)
        self.rejected: list[str] = []  # "Code: message" of each request refused for its authentication

    def route(self, request: Request) -> Response:
        prefix = f"/{BUCKET}/"
        if not request.path.startswith(prefix):
            return _error(404, "NoSuchBucket", "The specified bucket does not exist")
        try:
            self._authenticate(request)
        except Rejected as refusal:
            self.rejected.append(str(refusal))
            return _error(refusal.status, refusal.code, refusal.message)
        key = request.path[len(prefix) :]
        if request.method == "PUT":
            self.objects[key] = (request.body, request.headers.get("Content-Type", "binary/octet-stream"))
            return Response(200, b"", {"ETag": f'"{hashlib.md5(request.body).hexdigest()}"'})  # noqa: S324
        if request.method == "DELETE":
            self.objects.pop(key, None)
            return Response(204)
        if key not in self.objects:
            return _error(404, "NoSuchKey", "The specified key does not exist.")
        data, content_type = self.objects[key]
        return Response(200, data, {"Content-Type": content_type})

    def _authenticate(self, request: Request) -> None:
        query = {k: v[0] for k, v in request.query.items()}
        if "X-Amz-Signature" in query:  # a presigned URL
            access_key, day, region = (query.get("X-Amz-Credential", "").split("/") + ["", "", ""])[:3]
            if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or access_key != ACCESS_KEY or region != REGION:
                raise Rejected(403, "AccessDenied", "missing or foreign credentials")
            amz_date = query.get("X-Amz-Date", "")
            lifetime = int(query.get("X-Amz-Expires") or 0)
            if not 1 <= lifetime <= 7 * 24 * 3600:
                raise Rejected(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1s to a week")
            if _instant(amz_date) + timedelta(seconds=lifetime) < datetime.now(UTC):
                raise Rejected(403, "AccessDenied", "Request has expired")
            signed = query["X-Amz-SignedHeaders"].split(";")
            given, payload = query.pop("X-Amz-Signature"), UNSIGNED_PAYLOAD
        else:
            match = AUTH.fullmatch(request.headers.get("Authorization") or "")
            if not match or match[1] != ACCESS_KEY or match[3] != REGION:
                raise Rejected(403, "AccessDenied", "missing or foreign credentials")
            day, signed, given = match[2], match[4].split(";"), match[5]
            amz_date, payload = request.headers.get("x-amz-date", ""), request.headers.get("x-amz-content-sha256")
            if payload != UNSIGNED_PAYLOAD and payload != hashlib.sha256(request.body).hexdigest():
                raise Rejected(400, "XAmzContentSHA256Mismatch", "x-amz-content-sha256 is not the body's SHA-256")
            if abs(_instant(amz_date) - datetime.now(UTC)) > timedelta(minutes=15):
                raise Rejected(403, "RequestTimeTooSkewed", "x-amz-date is more than 15 minutes away")
            unsigned = {name.lower() for name in request.headers if name.lower().startswith("x-amz-")} - set(signed)
            if unsigned:
                raise Rejected(403, "AccessDenied", f"headers not signed: {', '.join(sorted(unsigned))}")
        if "host" not in signed or day != amz_date[:8]:
            raise Rejected(403, "AccessDenied", "host is not signed, or the scope's day is not X-Amz-Date's")
        content_md5 = request.headers.get("Content-MD5")
        if content_md5 and content_md5 != base64.b64encode(hashlib.md5(request.body).digest()).decode():  # noqa: S324
            raise Rejected(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
        headers = "".join(f"{name}:{' '.join((request.headers.get(name) or '').split())}\n" for name in signed)
        canonical = "\n".join((request.method, request.path, _query(query), headers, ";".join(signed), payload))
        if not hmac.compare_digest(expected_signature(SECRET_KEY, day, amz_date, canonical), given):
            raise Rejected(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH)


@pytest.fixture(name="s3")
def s3_fixture() -> Iterator[FakeS3]:
    with FakeS3() as fake:
        yield fake
