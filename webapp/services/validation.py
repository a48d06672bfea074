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


def id_list(value) -> list[int] | None:
    """Return a list of distinct positive ints, or None if the value is not one."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        return None
    return list(dict.fromkeys(value))
