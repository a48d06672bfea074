"""Platform-safe markers derived from an idempotency key, for platforms that cannot take the key itself."""

import hashlib

SLUG_PREFIX = "herald-"
SLUG_HASH_CHARS = 20  # 80 bits: collisions are out of reach for any one site's post count


def slug_for(idempotency_key: str) -> str:
    """Return the slug (WordPress, Ghost) or handle (Shopify) that marks the post made for this key.

    Derived from the key alone, never from the title: content edited between an attempt and its
    retry must still find the first attempt's post. Lowercase hex keeps it valid on every platform.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return f"{SLUG_PREFIX}{digest[:SLUG_HASH_CHARS]}"
