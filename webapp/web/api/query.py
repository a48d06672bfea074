"""Query-string arguments the list endpoints share beyond paging: instants (`from`, `to`, `since`, `until`)."""

from __future__ import annotations

from flask import request

from webapp.core.time import TimeInputError, parse_instant
from webapp.web.api.base import invalid


def instant_arg(name: str):
    """Read an ISO 8601 instant from the query string (a naive one in `?timezone=`), or None; 422 when malformed."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_instant(raw, request.args.get("timezone"), field=name)
    except TimeInputError as exc:
        raise invalid({name: str(exc.message)}) from None
