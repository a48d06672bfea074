"""Small field checks shared by the services."""

from __future__ import annotations

from webapp.scheduling.time import TimeInputError, validate_timezone


def text_problem(value, *, required: bool, max_length: int) -> str | None:
    """Say what is wrong with a text field, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "is required" if required else None
    if not isinstance(value, str):
        return "must be text"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    return None


def timezone_problem(name) -> str | None:
    """Say what is wrong with an IANA timezone name, or None."""
    try:
        validate_timezone(name)
    except TimeInputError as exc:
        return exc.message
    return None


def choice_problem(value, choices) -> str | None:
    if value not in choices:
        return "must be one of " + ", ".join(choices)
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
