"""The URL slug an author may set on a content item or a variant, for WordPress, Ghost and Shopify posts."""

from __future__ import annotations

import re

from webapp.core.errors import lazy_gettext

MAX_SLUG = 200  # WordPress keeps 200 characters of a post's slug
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_PROBLEM = "must use lowercase letters, digits and single hyphens between them (like spring-sale-2027)"


def slug_problem(value) -> str | None:
    """Say what is wrong with an optional slug, or None (blank means "from the title")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return lazy_gettext("must be text")
    if len(value.strip()) > MAX_SLUG:
        return lazy_gettext("must be at most %(max_slug)s characters", max_slug=MAX_SLUG)
    if not _SLUG.fullmatch(value.strip()):
        return SLUG_PROBLEM
    return None


def clean_slug(value) -> str | None:
    """Return the slug trimmed, or None for a blank one."""
    return value.strip() or None if isinstance(value, str) else None
