"""A fake Mastodon 4 instance: bearer tokens, statuses with Idempotency-Key, instance limits and rate-limit headers."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from .server import FakePlatform, Request, Response, json_response

VISIBILITIES = ("public", "unlisted", "private", "direct")
URL = re.compile(r"https?://\S+")


class FakeMastodon(FakePlatform):
    def __init__(self, *, max_characters: int = 500, has_v2_instance: bool = True) -> None:
        super().__init__()
        self.access_token = "tok-" + "a1b2c3d4" * 5
        self.username = "herald"
        self.max_characters = max_characters
        self.has_v2_instance = has_v2_instance
        self.statuses: list[dict[str, Any]] = []
        self.idempotency: dict[str, str] = {}  # key -> status id (Mastodon keeps them for an hour)
        self.posts_remaining = 300  # statuses left in the current 3-hour window

    def route(self, request: Request) -> Response:
        if request.path == "/api/v2/instance" and request.method == "GET":
            if not self.has_v2_instance:  # Mastodon before 4.0
                return json_response(404, {"error": "Record not found"})
            return json_response(200, self._instance(domain_key="domain"))
        if request.path == "/api/v1/instance" and request.method == "GET":
            return json_response(200, self._instance(domain_key="uri"))
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme != "Bearer" or token != self.access_token:
            return json_response(401, {"error": "The access token is invalid"})
        if request.path == "/api/v1/accounts/verify_credentials" and request.method == "GET":
            return json_response(200, self._account())
        if request.path == "/api/v1/statuses" and request.method == "POST":
            return self._post_status(request)
        return json_response(404, {"error": "Record not found"})

    def _post_status(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key and key in self.idempotency:  # the same status again, as Mastodon answers a repeated key
            existing = next(s for s in self.statuses if s["id"] == self.idempotency[key])
            return json_response(200, existing, self._rate_headers())
        if self.posts_remaining <= 0:
            return json_response(429, {"error": "Too many requests"}, self._rate_headers())
        params = self._params(request)
        text, visibility = params.get("status", ""), params.get("visibility", "public")
        if not text.strip():
            return json_response(422, {"error": "Validation failed: Text can't be blank"})
        if len(URL.sub("x" * 23, text)) > self.max_characters:
            error = f"Validation failed: Text character limit of {self.max_characters} exceeded"
            return json_response(422, {"error": error})
        if visibility not in VISIBILITIES:
            return json_response(422, {"error": "Validation failed: Visibility is not included in the list"})
        self.posts_remaining -= 1
        status_id = str(113_000_000_000_000_000 + len(self.statuses))
        status = {
            "id": status_id,
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "visibility": visibility,
            "uri": f"{self.url}/users/{self.username}/statuses/{status_id}",
            "url": f"{self.url}/@{self.username}/{status_id}",
            "content": "<p>" + text.replace("\n", "<br />") + "</p>",
            "text": text,
            "account": self._account(),
        }
        self.statuses.append(status)
        if key:
            self.idempotency[key] = status_id
        return json_response(200, status, self._rate_headers())

    def _params(self, request: Request) -> dict[str, Any]:
        # Mastodon takes form data or JSON alike.
        if (request.headers.get("Content-Type") or "").startswith("application/json"):
            body = request.json()
            return body if isinstance(body, dict) else {}
        return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}

    def _rate_headers(self) -> dict[str, str]:
        reset = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=90)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(max(self.posts_remaining, 0)),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def _account(self) -> dict[str, Any]:
        return {"id": "1", "username": self.username, "acct": self.username, "display_name": "Herald"}

    def _instance(self, *, domain_key: str) -> dict[str, Any]:
        statuses = {"max_characters": self.max_characters, "max_media_attachments": 4}
        statuses["characters_reserved_per_url"] = 23
        configuration = {"statuses": statuses}
        return {domain_key: "127.0.0.1", "title": "Fake Mastodon", "version": "4.3.2", "configuration": configuration}


@pytest.fixture(name="mastodon")
def mastodon_fixture() -> Iterator[FakeMastodon]:
    """Yield a started FakeMastodon and stop it after the test."""
    with FakeMastodon() as fake:
        yield fake
