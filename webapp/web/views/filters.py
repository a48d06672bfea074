"""Template filters: every time shown says its zone; only web addresses become links."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from flask import Flask
from flask_login import current_user


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Show an instant in the signed-in user's timezone, with the zone's abbreviation."""
    if value is None:
        return "—"
    tz_name = current_user.timezone if current_user.is_authenticated else "UTC"
    local = value.astimezone(ZoneInfo(tz_name))
    return f"{local.strftime(fmt)} {local.tzname()}"


def duration_ms(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value} ms" if abs(value) < 10_000 else f"{value / 1000:.1f} s"


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
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(duration_ms, "duration_ms")
    app.add_template_filter(web_link, "web_link")
    app.add_template_global(timezone_names, "timezone_names")
