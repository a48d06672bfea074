"""The webhook platform: a signed JSON POST to a URL the user controls."""

import json
import time
from typing import Any

from . import targets
from .base import Adapter, AdapterError, HealthResult, PublishRequest, PublishResult
from .html import to_html, to_text
from .http import HttpResponse, send
from .sentence import Sentence
from .signing import sign
from .support import is_http_url


class WebhookAdapter(Adapter):
    platform = "webhook"
    # A generic receiver offers no way to ask whether it has seen an idempotency key.
    supports_lookup = False

    @classmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors for the URL and secret, or {} when both are usable."""
        errors: dict[str, str] = {}
        if not is_http_url(settings.get("url")):
            errors["settings.url"] = Sentence("must be an http(s) URL")
        elif refusal := targets.url_refusal(settings["url"]):
            errors["settings.url"] = refusal
        secret = credentials.get("secret")
        if not isinstance(secret, str) or not secret.strip():
            errors["credentials.secret"] = Sentence("is required")
        return errors

    def publish(self, request: PublishRequest) -> PublishResult:
        """POST the signed publication to the receiver and return what it answered."""
        if error := self.config_error():
            raise error
        response = self._post(encode(publication_payload(request)), {"Idempotency-Key": request.idempotency_key})
        reply = response.json_object() or {}
        return PublishResult(
            external_id=_external_id(reply.get("id")),
            external_url=_external_url(reply.get("url")),
            http_status=response.status,
            response_excerpt=response.excerpt,
        )

    def check(self) -> HealthResult:
        """Send a signed ping and report the receiver's real answer."""
        if error := self.config_error():
            return HealthResult(ok=False, message=error.message)
        try:
            response = self._post(encode({"event": "ping"}), {})
        except AdapterError as exc:
            message = exc.message
            if exc.response_excerpt:
                message = Sentence("%(message)s: %(answer)s", message=exc.message, answer=exc.response_excerpt)
            return HealthResult(ok=False, message=message, http_status=exc.http_status)
        message = Sentence("receiver answered HTTP %(status)s", status=response.status)
        if response.excerpt:
            message = Sentence("%(message)s: %(answer)s", message=message, answer=response.excerpt)
        return HealthResult(ok=True, message=message, http_status=response.status)

    def _post(self, body: bytes, extra_headers: dict[str, str]) -> HttpResponse:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Herald-Timestamp": timestamp,
            "X-Herald-Signature": sign(self.credentials["secret"], timestamp, body),
            **extra_headers,
        }
        return send(
            "POST",
            self.settings["url"],
            data=body,
            headers=headers,
            timeout=self.timeout,
            secrets=self.secrets,
        )


def publication_payload(request: PublishRequest) -> dict[str, Any]:
    """Return the JSON document a receiver gets for one publication."""
    content = request.content
    return {
        "event": "publication",
        "publication_id": request.publication_id,
        "idempotency_key": request.idempotency_key,
        "scheduled_for": request.scheduled_for.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": {"id": request.channel_id, "name": request.channel_name},
        "content": {
            "id": content.id,
            "title": content.title,
            "body": content.body,  # as written, in body_format
            "body_format": content.body_format,
            "html": to_html(content.body, content.body_format),  # what the blog platforms receive
            "text": to_text(content.body, content.body_format),  # what Mastodon receives (before hashtags)
            "excerpt": content.excerpt,
            "content_type": content.content_type,
            "tags": list(content.tags),
        },
        # Images in order; each url is time-limited (MEDIA_URL_TTL_S) or null when storage offers none.
        "media": [
            {
                "id": item.id,
                "url": item.url,
                "alt_text": item.alt_text,
                "content_type": item.content_type,
                "width": item.width,
                "height": item.height,
                "size": item.size,
                "sha256": item.sha256,
            }
            for item in request.media
        ],
    }


def encode(document: dict[str, Any]) -> bytes:
    """Serialise a document once, so the bytes signed are exactly the bytes sent."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _external_id(value: object) -> str | None:
    # bool is an int subclass; "True" is no one's id.
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value) or None


def _external_url(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
