"""Template filters: every time shown says its zone; only web addresses become links."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import Flask

# Times, days and durations are shown in the request's language and zone (webapp.web.i18n registers the filters).
from webapp.web.i18n import format_instant as local_time  # noqa: F401  (the views' name for it)


def web_link(value: str | None) -> str | None:
    """Return value if it is an http(s) URL a page may link to, else None (a platform's `javascript:` stays text)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


@cache
def timezone_names() -> list[str]:
    return sorted(available_timezones())


def register(app: Flask) -> None:
    app.add_template_filter(web_link, "web_link")
    app.add_template_global(timezone_names, "timezone_names")
