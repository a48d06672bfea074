"""htmx request/response helpers: one place decides full page versus fragment."""

from __future__ import annotations

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """True for a targeted htmx request that is neither boosted nor a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render the whole page, or only `block` of it for an htmx fragment request."""
    if block is not None and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    # Caches must not hand a fragment to a full-page request or the reverse.
    response.vary.add("HX-Request")
    return response
