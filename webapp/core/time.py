"""Herald's time layer: instants, IANA timezones, DST rules and cron occurrences, as pure functions.

Instants are aware UTC datetimes. A schedule's rule is read in wall-clock time in its timezone,
and each wall time becomes an instant through `localize`, which applies Herald's DST rules: a
time skipped by spring-forward runs when the gap ends, a time repeated by fall-back runs once, at
its first occurrence. The cron dialect itself lives in `recurrence`.
"""

import functools
import math
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from webapp.core import recurrence
from webapp.core.errors import lazy_gettext

# Zone names that exist on a server but are not a place a user can mean.
_NOT_USER_ZONES = frozenset({"localtime", "Factory"})
_ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.ASCII
)
# Makes "strictly after starts_at minus a tick" include a run at exactly starts_at.
_TICK = timedelta(microseconds=1)


class TimeInputError(ValueError):
    """A user-supplied time value that Herald cannot accept, tied to the input field it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_USER_ZONES


def validate_timezone(name: str | None, field: str = "timezone") -> zoneinfo.ZoneInfo:
    """Return the ZoneInfo for an IANA timezone name, or raise TimeInputError for `field`."""
    if not name:
        raise TimeInputError(field, lazy_gettext("is required"))
    if not isinstance(name, str) or name not in _known_zones():
        raise TimeInputError(field, lazy_gettext("unknown timezone '%(name)s'", name=name))
    return zoneinfo.ZoneInfo(name)


def parse_instant(value: str, tz_name: str | None, field: str = "run_at") -> datetime:
    """Parse an ISO 8601 date and time into aware UTC, reading a naive one in `tz_name`."""
    text = value.strip().upper() if isinstance(value, str) else ""
    if not _ISO_INSTANT.fullmatch(text):
        raise TimeInputError(field, lazy_gettext("is not an ISO 8601 date and time"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeInputError(field, lazy_gettext("is not an ISO 8601 date and time")) from None
    try:
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        if not tz_name:
            raise TimeInputError(field, lazy_gettext("has no timezone offset; add one or give a timezone"))
        return localize(parsed, validate_timezone(tz_name))
    except OverflowError:
        raise TimeInputError(field, lazy_gettext("is out of range")) from None


def localize(naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """Turn a wall time in `tz` into aware UTC, moving gap times to the gap end and folds to the first."""
    if naive.tzinfo is not None:
        raise ValueError("localize() takes a naive wall-clock time")
    # fold=0 is the first of two repeated wall times; it only fails to round-trip inside a gap.
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _gap_end(naive, tz)


def _gap_end(naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    # In a gap, fold=1 reads the time with the offset after the jump (an instant before the
    # transition) and fold=0 with the one before it (at or after): bisect between them for the
    # first whole second whose wall clock is past `naive`, which is the transition itself.
    low = math.floor(naive.replace(tzinfo=tz, fold=1).timestamp())
    high = math.ceil(naive.replace(tzinfo=tz, fold=0).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) > naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def ceil_to_second(dt: datetime) -> datetime:
    """Round up to a whole second, because rq-scheduler drops fractions and must never run early."""
    if dt.microsecond == 0:
        return dt
    return dt.replace(microsecond=0) + timedelta(seconds=1)


def format_utc(dt: datetime | None) -> str | None:
    """Format an aware instant as YYYY-MM-DDTHH:MM:SSZ, passing None through."""
    if dt is None:
        return None
    _require_aware(dt, "format_utc")
    return dt.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def validate_cron(expr: str) -> str:
    """Return the normalised five-field rule, or raise TimeInputError for "cron" saying what is wrong."""
    try:
        return recurrence.normalise(expr)
    except recurrence.RuleError as exc:
        raise TimeInputError("cron", str(exc)) from None


def describe_cron(expr: str, locale: str = "en") -> str:
    """Describe a cron rule in a language: "At 09:30, Monday through Friday" (en), "Um 09:30, Montag bis Freitag"."""
    return recurrence.describe(validate_cron(expr), locale)


def occurrences(
    expr: str,
    tz_name: str,
    after: datetime,
    count: int,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> list[datetime]:
    """Return up to `count` ascending UTC runs after `after`, within `starts_at`..`ends_at` inclusive."""
    rule = validate_cron(expr)
    tz = validate_timezone(tz_name)
    floor = _require_aware(after, "after")
    if starts_at is not None and _require_aware(starts_at, "starts_at") - _TICK > floor:
        floor = starts_at - _TICK
    if ends_at is not None:
        _require_aware(ends_at, "ends_at")
    found: list[datetime] = []
    if count < 1:
        return found
    # localize() never decreases as wall time advances and maps floor's own wall time to at most
    # floor, so no earlier wall time can yield a later run: walking from there misses nothing.
    # Wall times that fall before floor are the second pass of a fall-back hour, already run.
    for wall in recurrence.wall_times(rule, floor.astimezone(tz)):
        instant = localize(wall, tz)
        if instant <= floor or (found and instant == found[-1]):  # equal: several times in one gap
            continue
        if ends_at is not None and instant > ends_at:
            break
        found.append(instant)
        if len(found) == count:
            break
    return found


def preview(
    expr: str,
    tz_name: str,
    *,
    after: datetime | None = None,
    count: int = 10,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_runs: int | None = None,
    locale: str = "en",
) -> dict[str, Any]:
    """Describe a rule (in `locale`'s language) and list its next runs in UTC and local time, as the preview answers.

    Never more than the series has left: `max_runs` caps the list as it caps the schedule.
    """
    tz = validate_timezone(tz_name)
    description = describe_cron(expr, locale)
    if max_runs is not None:
        count = min(count, max_runs)
    runs = occurrences(expr, tz_name, utcnow() if after is None else after, count, starts_at=starts_at, ends_at=ends_at)
    return {
        "description": description,
        "timezone": tz.key,
        "occurrences": [
            {"utc": format_utc(run), "local": run.astimezone(tz).isoformat(timespec="seconds")} for run in runs
        ],
    }


def _require_aware(dt: datetime, name: str) -> datetime:
    # A naive instant would be read in the server's zone: a programming error, not user input.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return dt
