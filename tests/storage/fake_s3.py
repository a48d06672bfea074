"""A local S3-compatible server that stores objects only for requests whose SigV4 signature it can verify.

The signature is recomputed here from the request as received (its path, query and headers), with
AWS's documented algorithm written out independently of webapp/infra/sigv4.py.
"""

import hashlib
import hmac
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from tests.adapters.fakes.server import FakePlatform, Request, Response

ACCESS_KEY, SECRET_KEY, REGION, BUCKET = "HERALDTESTKEY", "s3cr3t/test+key", "eu-west-3", "herald-media"
AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
    r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})"
)


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


class FakeS3(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, content type)
        self.rejected: list[str] = []

    def route(self, request: Request) -> Response:
        prefix = f"/{BUCKET}/"
        if not request.path.startswith(prefix):
            return _error(404, "NoSuchBucket", "The specified bucket does not exist")
        problem = self._authenticate(request)
        if problem:
            self.rejected.append(problem)
            return _error(403, "SignatureDoesNotMatch" if "signature" in problem else "AccessDenied", problem)
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

    def _authenticate(self, request: Request) -> str | None:
        query = {k: v[0] for k, v in request.query.items()}
        if "X-Amz-Signature" in query:  # a presigned URL
            day = query["X-Amz-Credential"].split("/")[1]
            amz_date = query["X-Amz-Date"]
            expires = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) + timedelta(
                seconds=int(query["X-Amz-Expires"])
            )
            if expires < datetime.now(UTC):
                return "Request has expired"
            signed = query["X-Amz-SignedHeaders"].split(";")
            given, payload = query.pop("X-Amz-Signature"), "UNSIGNED-PAYLOAD"
        else:
            match = AUTH.fullmatch(request.headers.get("Authorization") or "")
            if not match or match[1] != ACCESS_KEY or match[3] != REGION:
                return "missing or foreign credentials"
            day, signed, given = match[2], match[4].split(";"), match[5]
            amz_date, payload = request.headers.get("x-amz-date", ""), request.headers.get("x-amz-content-sha256")
            if payload != hashlib.sha256(request.body).hexdigest():
                return "XAmzContentSHA256Mismatch"
            if abs(datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) - datetime.now(UTC)) > timedelta(
                minutes=15
            ):
                return "RequestTimeTooSkewed"
        headers = "".join(f"{name}:{' '.join((request.headers.get(name) or '').split())}\n" for name in signed)
        canonical = "\n".join((request.method, request.path, _query(query), headers, ";".join(signed), payload))
        if not hmac.compare_digest(expected_signature(SECRET_KEY, day, amz_date, canonical), given):
            return "The request signature we calculated does not match the signature you provided."
        return None


@pytest.fixture(name="s3")
def s3_fixture() -> Iterator[FakeS3]:
    with FakeS3() as fake:
        yield fake
