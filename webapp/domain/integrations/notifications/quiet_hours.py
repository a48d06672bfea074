"""Quiet hours: when a user may be told something, in their own timezone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from webapp.core.time import localize
from webapp.models import NotificationSettings, User

HHMM = "%H:%M"


def zone_of(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(settings: NotificationSettings, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Return when the user's quiet hours around `now` end (UTC), or None when `now` is not inside them."""
    if not settings.quiet_start or not settings.quiet_end:
        return None
    start = datetime.strptime(settings.quiet_start, HHMM).time()
    end = datetime.strptime(settings.quiet_end, HHMM).time()
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside, end_day = start <= clock < end, local.date()
    else:  # spans midnight, e.g. 22:00–07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return localize(datetime.combine(end_day, end), tz).astimezone(now.tzinfo)
