"""A fake Mastodon 4 instance: bearer tokens, statuses with Idempotency-Key, instance limits and rate-limit headers."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from .server import FakePlatform, Request, Response, json_response

VISIBILITIES = ("public", "unlisted", "private", "direct")
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DESCRIPTION_LIMIT = 1500
NOT_PROCESSED = "Cannot attach files that have not finished processing. Try again in a moment!"
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
        self.media: dict[str, dict[str, Any]] = {}  # uploaded attachments by id
        # 0: an upload is processed at once (200); n: it answers 202 and GET /api/v1/media/:id answers 206 n times.
        self.processing_polls = 0
        # Servers that speak Mastodon's API but keep no Idempotency-Key (GoToSocial, Takahē): a repeat posts again.
        self.ignores_idempotency_key = False

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
        if request.path == f"/api/v1/accounts/{self._account()['id']}/statuses" and request.method == "GET":
            limit = min(int((request.query.get("limit") or ["20"])[0]), 40)  # Mastodon's default 20, at most 40
            return json_response(200, list(reversed(self.statuses))[:limit])  # newest first
        if request.path == "/api/v1/statuses" and request.method == "POST":
            return self._post_status(request)
        if request.path == "/api/v2/media" and request.method == "POST":
            return self._upload_media(request)
        if request.path.startswith("/api/v1/media/") and request.method == "GET":
            return self._media_status(request.path.rsplit("/", 1)[-1])
        return json_response(404, {"error": "Record not found"})

    def _upload_media(self, request: Request) -> Response:
        fields, files = request.multipart()
        file = files.get("file")
        if file is None:
            return json_response(400, {"error": "param is missing or the value is empty: file"})
        if file.content_type not in MEDIA_TYPES or not file.data:
            return json_response(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        description = fields.get("description")
        if description and len(description) > DESCRIPTION_LIMIT:
            error = f"Validation failed: Description is too long (maximum is {DESCRIPTION_LIMIT} characters)"
            return json_response(422, {"error": error})
        media_id = str(114_000_000_000_000_000 + len(self.media))
        attachment = {
            "id": media_id,
            "type": "image",
            "url": f"{self.url}/system/media_attachments/files/{media_id}/original/{file.filename}",
            "preview_url": f"{self.url}/system/media_attachments/files/{media_id}/small/{file.filename}",
            "remote_url": None,
            "description": description,
            "blurhash": "UFBWY:8_0Jxv4nIUNGt7_3%MxuRj-;WBRjt7",
            "data": file.data,
            "polls_left": self.processing_polls,
        }
        self.media[media_id] = attachment
        if attachment["polls_left"] > 0:  # "202 Accepted": the full-size file is processed asynchronously
            return json_response(202, {**self._public(attachment), "url": None})
        return json_response(200, self._public(attachment))

    def _media_status(self, media_id: str) -> Response:
        attachment = self.media.get(media_id)
        if attachment is None:
            return json_response(404, {"error": "Record not found"})
        if attachment["polls_left"] > 0:  # "206 Partial content": still processing
            attachment["polls_left"] -= 1
            return json_response(206, {**self._public(attachment), "url": None})
        return json_response(200, self._public(attachment))

    def _public(self, attachment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in attachment.items() if k not in ("data", "polls_left")}

    def _post_status(self, request: Request) -> Response:
        key = None if self.ignores_idempotency_key else request.headers.get("Idempotency-Key")
        if key and key in self.idempotency:  # the same status again, as Mastodon answers a repeated key
            existing = next(s for s in self.statuses if s["id"] == self.idempotency[key])
            return json_response(200, existing, self._rate_headers())
        if self.posts_remaining <= 0:
            return json_response(429, {"error": "Too many requests"}, self._rate_headers())
        params = self._params(request)
        text, visibility = params.get("status", ""), params.get("visibility", "public")
        media_ids = [str(i) for i in params.get("media_ids") or []]
        if len(media_ids) > 4:
            return json_response(422, {"error": "Cannot attach more than 4 files."})
        attached = [self.media[i] for i in media_ids if i in self.media]
        if any(a["polls_left"] > 0 for a in attached):
            return json_response(422, {"error": NOT_PROCESSED})
        if not text.strip() and not attached:
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
            # As Mastodon renders a plain-text status: escaped, a paragraph per blank line, <br /> within one.
            "content": "".join(
                "<p>" + html.escape(paragraph).replace("\n", "<br />") + "</p>" for paragraph in text.split("\n\n")
            ),
            "text": text,
            "media_attachments": [self._public(a) for a in attached],
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
