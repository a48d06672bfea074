"""Small field checks shared by the services."""

from __future__ import annotations

import re
from datetime import date

from webapp.core.errors import lazy_gettext
from webapp.core.time import TimeInputError, validate_timezone

# PostgreSQL text cannot hold NUL, and no database can encode a lone surrogate (JSON's "\ud800" decodes to one).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def character_problem(value: str) -> str | None:
    """Say why a text cannot be stored as it is, or None."""
    if _UNSTORABLE.search(value):
        return lazy_gettext("must not contain NUL or unpaired surrogate characters")
    return None


def text_problem(value, *, required: bool, max_length: int) -> str | None:
    """Say what is wrong with a text field, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return lazy_gettext("is required") if required else None
    if not isinstance(value, str):
        return lazy_gettext("must be text")
    if len(value) > max_length:
        return lazy_gettext("must be at most %(max)s characters", max=max_length)
    return character_problem(value)


def timezone_problem(name) -> str | None:
    """Say what is wrong with an IANA timezone name, or None."""
    try:
        validate_timezone(name)
    except TimeInputError as exc:
        return exc.message
    return None


def choice_problem(value, choices) -> str | None:
    if value not in choices:
        return lazy_gettext("must be one of %(choices)s", choices=", ".join(choices))
    return None


# Ids are 32-bit integer columns on PostgreSQL: anything larger cannot name a record.
MAX_ID = 2**31 - 1


def is_id(value) -> bool:
    """True for a positive integer that can be a record id (booleans are not ids)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_list(value) -> list[int] | None:
    """Return a list of distinct record ids, or None if the value is not one."""
    if not isinstance(value, list) or not value or not all(is_id(v) for v in value):
        return None
    return list(dict.fromkeys(value))


MAX_TAG_LENGTH = 60
MAX_TAGS = 50  # more than any platform shows; 20,000 tags would be a denial of service, not a post


def tags_problem(value) -> str | None:
    """Say what is wrong with a list of tags, or None."""
    if isinstance(value, list) and len(value) > MAX_TAGS:
        return lazy_gettext("must be at most %(max)s tags", max=MAX_TAGS)
    if not isinstance(value, list) or not all(
        isinstance(t, str) and 0 < len(t.strip()) <= MAX_TAG_LENGTH and not character_problem(t) for t in value
    ):
        return lazy_gettext("must be a list of short texts")
    return None


def clean_tags(tags: list[str]) -> list[str]:
    """Trim the tags and drop blanks and repeats, keeping their order."""
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


# Days a filter may name: wide enough for any real history or plan, narrow enough that turning a day
# into an instant in any zone (and adding a day for an end) never leaves datetime's range.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


def parse_day(raw: str | None) -> date | None:
    """Read an optional YYYY-MM-DD day; ValueError (with a message for a person) if it is not one or out of range."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValueError(lazy_gettext("must be a date like 2026-05-31")) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(lazy_gettext("must be a date from %(first)s to %(last)s", first=FIRST_DAY, last=LAST_DAY))
    return day
