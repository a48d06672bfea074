"""Channel publishing rules: weekdays, time slots, spacing and limits, judged in the channel's timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from webapp.core.errors import lazy_gettext
from webapp.core.time import localize

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
LIMITS = ("daily_limit", "weekly_limit", "monthly_limit")
PERIOD_NAMES = {"daily_limit": "day", "weekly_limit": "week", "monthly_limit": "month"}
QUARTER_HOURS = tuple(time(h, m) for h in range(24) for m in (0, 15, 30, 45))
# How far ahead the free-slot search looks before giving up (a rule set may be very narrow).
SEARCH_DAYS = 120
# Upper bounds of the numeric rules: past any real channel's needs, and inside every database's integers.
MAXIMUM = {
    "min_spacing_minutes": 31 * 24 * 60,
    "daily_limit": 10_000,
    "weekly_limit": 70_000,
    "monthly_limit": 310_000,
    "rate_per_minute": 10_000,
    "max_in_flight": 1_000,
}
MAX_TIME_SLOTS = 24 * 60


@dataclass(frozen=True)
class Rules:
    weekdays: frozenset[int] | None = None
    time_slots: tuple[time, ...] = ()
    min_spacing: timedelta | None = None
    daily_limit: int | None = None
    weekly_limit: int | None = None
    monthly_limit: int | None = None

    @property
    def empty(self) -> bool:
        return self == Rules()


@dataclass(frozen=True)
class Clash:
    rule: str  # weekday | time_slot | min_spacing | daily_limit | weekly_limit | monthly_limit
    message: str
    publication_ids: tuple[int, ...] = ()


def validate(raw) -> dict[str, str]:
    """Return field errors (keyed `rules.x`) for a rules mapping from a form or the API."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        return {"rules": "must be an object"}
    errors: dict[str, str] = {}
    unknown = set(raw) - {"weekdays", "time_slots", "min_spacing_minutes", "rate_per_minute", "max_in_flight", *LIMITS}
    if unknown:
        errors["rules"] = lazy_gettext("unknown rule(s): %(unknown)s", unknown=", ".join(sorted(unknown)))
    days = raw.get("weekdays")
    if days is not None and (not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days)):
        errors["rules.weekdays"] = lazy_gettext(
            "must be a non-empty list of %(weekdays)s", weekdays=", ".join(WEEKDAYS)
        )
    slots = raw.get("time_slots")
    if slots is not None and (
        not isinstance(slots, list) or len(slots) > MAX_TIME_SLOTS or any(not _SLOT.match(str(s)) for s in slots)
    ):
        errors["rules.time_slots"] = lazy_gettext("must be a list of HH:MM times")
    numeric = (("rate_per_minute", 0), ("max_in_flight", 0), ("min_spacing_minutes", 1), *((n, 1) for n in LIMITS))
    for name, lowest in numeric:
        value = raw.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= MAXIMUM[name]
        ):
            no_limit = " (0: no limit)" if lowest == 0 else ""
            errors[f"rules.{name}"] = f"must be a whole number from {lowest} to {MAXIMUM[name]:,}{no_limit}"
    return errors


def parse(raw: dict | None) -> Rules:
    """Build Rules from a validated mapping (absent keys mean no rule)."""
    raw = raw or {}
    days = raw.get("weekdays")
    spacing = raw.get("min_spacing_minutes")
    return Rules(
        weekdays=frozenset(WEEKDAYS.index(d) for d in days) if days else None,
        time_slots=tuple(sorted(time(int(s[:2]), int(s[3:])) for s in raw.get("time_slots") or ())),
        min_spacing=timedelta(minutes=spacing) if spacing else None,
        daily_limit=raw.get("daily_limit"),
        weekly_limit=raw.get("weekly_limit"),
        monthly_limit=raw.get("monthly_limit"),
    )


def _period_start(local: datetime, rule: str) -> datetime:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if rule == "daily_limit":
        return day
    if rule == "weekly_limit":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def clashes(rules: Rules, tz_name: str, when: datetime, others: list[tuple[int, datetime]]) -> list[Clash]:
    """List how publishing at `when` breaks the rules, given the channel's other (id, due) publications."""
    tz = ZoneInfo(tz_name)
    local = when.astimezone(tz)
    found: list[Clash] = []
    if rules.weekdays is not None and local.weekday() not in rules.weekdays:
        found.append(Clash("weekday", f"{WEEKDAYS[local.weekday()]} is not an allowed day on this channel"))
    if rules.time_slots and local.time().replace(second=0, microsecond=0) not in rules.time_slots:
        slots = ", ".join(s.strftime("%H:%M") for s in rules.time_slots)
        found.append(Clash("time_slot", f"{local:%H:%M} is not one of the channel's time slots ({slots})"))
    if rules.min_spacing is not None:
        near = tuple(i for i, due in others if abs(due - when) < rules.min_spacing)
        if near:
            minutes = int(rules.min_spacing.total_seconds() // 60)
            found.append(Clash("min_spacing", f"closer than {minutes} minutes to another publication", near))
    for rule in LIMITS:
        limit = getattr(rules, rule)
        if limit is None:
            continue
        start = _period_start(local, rule)
        end = _period_end(start, rule)
        same = tuple(i for i, due in others if start <= due.astimezone(tz) < end)
        if len(same) >= limit:
            found.append(Clash(rule, f"the {PERIOD_NAMES[rule]}'s limit of {limit} is reached", same))
    return found


def _period_end(start: datetime, rule: str) -> datetime:
    if rule == "daily_limit":
        return start + timedelta(days=1)
    if rule == "weekly_limit":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def free_slots(
    rules: Rules,
    tz_name: str,
    after: datetime,
    others: list[tuple[int, datetime]],
    count: int = 3,
    exclusive: bool = False,
    before: datetime | None = None,
) -> list[datetime]:
    """Return the next `count` instants after `after` (and before `before`) that break no rule (UTC, whole minutes).

    `exclusive` also skips instants another publication already holds (a queue's slots hold one post each).
    """
    tz = ZoneInfo(tz_name)
    taken = {due.replace(second=0, microsecond=0) for _, due in others} if exclusive else set()
    found: list[datetime] = []
    for candidate in _candidates(rules, tz, after):
        if before is not None and candidate >= before:
            break
        if candidate not in taken and not clashes(rules, tz_name, candidate, others):
            found.append(candidate)
            if len(found) == count:
                break
    return found


def _candidates(rules: Rules, tz: ZoneInfo, after: datetime):
    local_day = after.astimezone(tz).date()
    for offset in range(SEARCH_DAYS):
        day = local_day + timedelta(days=offset)
        if rules.weekdays is not None and day.weekday() not in rules.weekdays:
            continue
        # Without slots, offer quarter hours: precise enough to pick from, few enough to scan.
        for t in rules.time_slots or QUARTER_HOURS:
            instant = localize(datetime.combine(day, t), tz)
            if instant > after:
                yield instant
