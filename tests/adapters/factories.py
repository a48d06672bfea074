"""Small builders for adapter inputs: a test states only the fields it cares about."""

import socket
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from webapp.adapters.base import ContentPayload, PublishRequest
from webapp.adapters.webhook import WebhookAdapter

SECRET = "whsec-test-3f9a1c"


def content(**fields: Any) -> ContentPayload:
    """Return a content payload with plain defaults overridden by fields."""
    defaults = ContentPayload(
        id=7, title="Hello", body="Body text", excerpt=None, content_type="article", tags=("news",)
    )
    return replace(defaults, **fields)


def publish_request(**fields: Any) -> PublishRequest:
    """Return a publish request with plain defaults overridden by fields."""
    defaults = PublishRequest(
        publication_id=42,
        idempotency_key="pub-42-key",
        scheduled_for=datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
        channel_id=3,
        channel_name="Blog hook",
        content=content(),
    )
    return replace(defaults, **fields)


def webhook(url: str, *, secret: str = SECRET, timeout: float = 5.0) -> WebhookAdapter:
    """Return a webhook adapter posting to url."""
    return WebhookAdapter({"url": url}, {"secret": secret}, timeout=timeout)


def closed_port_url() -> str:
    """Return a URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
