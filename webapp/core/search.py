"""Search-box qualifiers: `status:failed channel:blog refund` becomes filters plus free text."""

from __future__ import annotations

import shlex

from sqlalchemy import func

QUALIFIERS = {
    "status": "status",
    "channel": "channel",
    "platform": "platform",
    "type": "content_type",
    "priority": "priority",
    "schedule": "schedule_id",
}


def parse_query(text: str | None) -> tuple[dict[str, str], str]:
    """Split a search string into known qualifiers and the remaining free text."""
    if not text:
        return {}, ""
    try:
        tokens = shlex.split(text)
    except ValueError:  # an unbalanced quote: read it as plain words
        tokens = text.split()
    filters: dict[str, str] = {}
    words: list[str] = []
    for token in tokens:
        name, sep, value = token.partition(":")
        if sep and value and name.lower() in QUALIFIERS:
            filters[QUALIFIERS[name.lower()]] = value
        else:
            words.append(token)
    return filters, " ".join(words)


def contains(column, text: str):
    """Case-insensitive "column contains text", with LIKE's own wildcards (% _ \\) taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
