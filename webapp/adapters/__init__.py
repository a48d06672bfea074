"""Publishing adapters: one module per platform, found by name through the ADAPTERS registry."""

from typing import Any

from .base import (
    Adapter,
    AdapterError,
    AuthError,
    ContentPayload,
    ErrorClass,
    HealthResult,
    PermanentError,
    PublishRequest,
    PublishResult,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from .ghost import GhostAdapter
from .mastodon import MastodonAdapter
from .shopify import ShopifyAdapter
from .webhook import WebhookAdapter
from .wordpress import WordPressAdapter

__all__ = [
    "ADAPTERS",
    "PLATFORMS",
    "Adapter",
    "AdapterError",
    "AuthError",
    "ContentPayload",
    "ErrorClass",
    "HealthResult",
    "PermanentError",
    "PublishRequest",
    "PublishResult",
    "RateLimited",
    "TransientError",
    "UnknownOutcome",
    "UnknownPlatform",
    "adapter_class",
    "get_adapter",
]

# A new platform is one module defining an Adapter subclass, plus one entry here.
ADAPTERS: dict[str, type[Adapter]] = {
    cls.platform: cls for cls in (WebhookAdapter, WordPressAdapter, GhostAdapter, ShopifyAdapter, MastodonAdapter)
}
PLATFORMS: tuple[str, ...] = tuple(ADAPTERS)


class UnknownPlatform(ValueError):
    pass


def adapter_class(platform: str) -> type[Adapter]:
    """Return the adapter class registered for platform, raising UnknownPlatform if there is none."""
    try:
        return ADAPTERS[platform]
    except (KeyError, TypeError):
        raise UnknownPlatform(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}") from None


def get_adapter(
    platform: str, settings: dict[str, Any], credentials: dict[str, Any], *, timeout: float = 10.0
) -> Adapter:
    """Build the adapter for platform with a channel's settings and credentials."""
    return adapter_class(platform)(settings, credentials, timeout=timeout)
