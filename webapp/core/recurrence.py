"""Herald's cron dialect: check and normalise rules, describe them, walk their wall-clock times.

The dialect is classic five-field cron (minute hour day-of-month month day-of-week) with numbers,
`*`, lists, ranges, `*/n` and `a-b/n` steps, English month and day names, 7 as another Sunday,
and the aliases @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly (expanded to
their five fields). When neither day field is `*`, a day matching either one runs (Vixie cron).
Seconds, years, @reboot, `a/n`, wrap-around ranges and the Quartz/Jenkins extensions (L W # ? H R)
are rejected: they are either non-standard, non-deterministic or read differently by each tool.

This module knows nothing about timezones; `webapp.core.time` turns wall times into instants.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import get_day_names, get_month_names
from cron_descriptor import ExpressionDescriptor, Options
from croniter import CroniterBadDateError, CroniterError, croniter

from webapp.core.errors import lazy_gettext

# A leap-day rule waits 8 years across a skipped century leap year (2096 -> 2104); a rule that
# finds nothing for longer than that never fires, so the search stops instead of looping.
MAX_YEARS_BETWEEN_RUNS = 8

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NUMBER = re.compile(r"[0-9]+", re.ASCII)

# Fixed locale and clock: the server's locale must not change what users read.
# The languages a rule is described in (the UI's), by cron-descriptor's locale; anything else reads English.
DESCRIBE_LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
_ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_NAMES = re.compile(r"\b(" + "|".join(_ENGLISH_DAYS + _ENGLISH_MONTHS) + r")\b")


class RuleError(ValueError):
    """A cron rule outside Herald's dialect, with a message naming the part that is wrong."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] = field(default_factory=dict)
    noun: str = ""


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}, "month"),
    _Field("day-of-week", 0, 7, {name: number for number, name in enumerate(_DAYS)}, "day"),
)


def normalise(expr: str) -> str:
    """Return the rule lower-cased, single-spaced and with aliases expanded, or raise RuleError."""
    if not isinstance(expr, str) or not expr.strip():
        raise RuleError(lazy_gettext("is required"))
    # Messages quote the user's own spelling; the normalised rule is lower case.
    text = " ".join(expr.split())
    if text.startswith("@"):
        if text.lower() not in ALIASES:
            raise RuleError(
                lazy_gettext(
                    "'%(text)s' is not supported; use 5 fields or one of %(aliases)s",
                    text=text,
                    aliases=", ".join(ALIASES),
                )
            )
        return ALIASES[text.lower()]
    parts = text.split(" ")
    if len(parts) != len(_FIELDS):
        extra = "; seconds and years are not supported" if len(parts) > len(_FIELDS) else ""
        raise RuleError(
            lazy_gettext(
                "must have 5 fields (minute hour day-of-month month day-of-week), not %(count)s%(extra)s",
                count=len(parts),
                extra=extra,
            )
        )
    rule = " ".join(_normalise_field(spec, part) for spec, part in zip(_FIELDS, parts, strict=True))
    try:
        croniter.expand(rule)
    except CroniterError as exc:  # a safety net: the checks above should have said why already
        raise RuleError(lazy_gettext("'%(text)s' is not a valid cron rule", text=text)) from exc
    return rule


def _normalise_field(spec: _Field, part: str) -> str:
    items = []
    for item in part.split(","):
        if not item:
            raise RuleError(lazy_gettext("%(name)s '%(part)s' has an empty list item", name=spec.name, part=part))
        base, slash, step = item.partition("/")
        if slash:
            if not _NUMBER.fullmatch(step) or int(step) < 1:
                raise RuleError(
                    lazy_gettext(
                        "%(name)s step '%(step)s' must be a whole number of at least 1", name=spec.name, step=step
                    )
                )
            if base != "*" and "-" not in base:
                raise RuleError(
                    lazy_gettext(
                        "%(name)s step '%(item)s' needs '*' or a range before the '/'", name=spec.name, item=item
                    )
                )
        if base != "*":
            low, dash, high = base.partition("-")
            if not low or (dash and not high):
                raise RuleError(
                    lazy_gettext("%(name)s '%(base)s' is not a number or a range", name=spec.name, base=base)
                )
            first = _value(spec, low)
            last = _value(spec, high) if dash else first
            if first > last:
                raise RuleError(lazy_gettext("%(name)s range '%(base)s' runs backwards", name=spec.name, base=base))
            if dash and first == last:
                # croniter reads an equal range ("5-5", "mon-mon") as the whole cycle; cron means one value.
                item = low
        items.append(item.lower())
    return ",".join(items)


def _value(spec: _Field, token: str) -> int:
    if token.lower() in spec.names:
        return spec.names[token.lower()]
    if not _NUMBER.fullmatch(token):
        kind = f"a number or a {spec.noun} name" if spec.names else "a number"
        raise RuleError(lazy_gettext("%(name)s '%(token)s' is not %(kind)s", name=spec.name, token=token, kind=kind))
    number = int(token)
    if not spec.low <= number <= spec.high:
        raise RuleError(
            lazy_gettext(
                "%(name)s '%(token)s' is out of range %(low)s-%(high)s",
                name=spec.name,
                token=token,
                low=spec.low,
                high=spec.high,
            )
        )
    return number


def describe(rule: str, locale: str = "en") -> str:
    """Describe a normalised rule in the language `locale` ("en", "de", "fr", "es") with a 24-hour clock.

    cron-descriptor translates its sentences but names days and months from the process's C locale (English):
    those names are swapped for Babel's in the same language.
    """
    options = Options(locale_code=DESCRIBE_LOCALES.get(locale, "en_US"), use_24hour_time_format=True)
    description = ExpressionDescriptor(rule, options).get_description()
    if locale not in DESCRIBE_LOCALES or locale == "en":
        return description
    names = dict(
        zip(_ENGLISH_DAYS, (get_day_names("wide", locale=locale)[day] for day in range(7)), strict=True)
    ) | dict(zip(_ENGLISH_MONTHS, (get_month_names("wide", locale=locale)[m] for m in range(1, 13)), strict=True))
    return _NAMES.sub(lambda match: names[match.group(1)], description)


def wall_times(rule: str, start: datetime) -> Iterator[datetime]:
    """Yield the naive wall-clock times matching a normalised rule strictly after `start`, ascending."""
    # Naive in, naive out: croniter then does plain calendar arithmetic with no DST handling.
    walker = croniter(
        rule, start.replace(tzinfo=None), ret_type=datetime, max_years_between_matches=MAX_YEARS_BETWEEN_RUNS
    )
    while True:
        try:
            wall = walker.get_next(datetime)
        except (CroniterBadDateError, OverflowError):  # nothing within the bound, or past year 9999
            return
        yield wall
