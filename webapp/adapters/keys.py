"""Markers derived from an idempotency key, and the readable slugs posts go out at.

The marker finds a post again after a lost answer; it is kept where the platform hides it (a comment
in the WordPress body, an internal Ghost tag, a Shopify tag), so the URL can carry a slug people read.
"""

import hashlib

from slugify import slugify

from .base import PublishRequest

MARKER_PREFIX = "herald-"
MARKER_HASH_CHARS = 20  # 80 bits: collisions are out of reach for any one site's post count
MAX_SLUG = 80  # a title-derived slug stops at a word boundary before this many characters
# Apostrophes join their word ("don't" -> "dont"); an ampersand is read out.
REPLACEMENTS = [["'", ""], ["\u2019", ""], ["&", " and "]]


def marker_for(idempotency_key: str) -> str:
    """Return the marker of the post made for this key (before readable slugs, it was the post's slug).

    Derived from the key alone, never from the title: content edited between an attempt and its
    retry must still find the first attempt's post. Lowercase hex keeps it valid on every platform.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return f"{MARKER_PREFIX}{digest[:MARKER_HASH_CHARS]}"


def title_slug(title: str) -> str:
    """Return the slug of a title: transliterated to ASCII, lowercase words joined by hyphens ("" if none)."""
    return slugify(title, max_length=MAX_SLUG, word_boundary=True, replacements=REPLACEMENTS)


def post_slug(request: PublishRequest) -> str | None:
    """Return the slug to ask for: the author's (content or variant), else the title's; None lets the platform pick."""
    return request.content.slug or title_slug(request.content.title) or None
