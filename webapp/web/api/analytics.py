"""Publishing analytics: GET /analytics, the analytics page's figures for a range of days, as JSON."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request

from webapp.core.time import TimeInputError, validate_timezone
from webapp.domain.operations import analytics
from webapp.models import utcnow
from webapp.web.api.base import actor, bp, invalid


def _plain(value):
    """Make a report JSON-ready: days as YYYY-MM-DD, containers walked."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def report_json(figures: dict) -> dict:
    rng = figures["range"]
    best = figures["best"]
    slots = [{**slot, "weekday": analytics.WEEKDAYS[slot["weekday"]]} for slot in best["slots"]]
    return {
        **_plain({key: value for key, value in figures.items() if key != "range"}),
        "range": {"from": rng.first.isoformat(), "to": rng.last.isoformat(), "timezone": rng.tz.key, "days": rng.days},
        "best": {**best, "slots": _plain(slots)},
        "weekdays": list(analytics.WEEKDAYS),
        "on_time_ms": analytics.ON_TIME_MS,
    }


@bp.get("/analytics")
def get_analytics():
    args = request.args
    tz_name = args.get("timezone") or g.api_user.timezone
    try:
        zone = validate_timezone(tz_name)
    except TimeInputError as exc:
        raise invalid({"timezone": str(exc.message)}) from None
    today = utcnow().astimezone(zone).date()
    rng = analytics.parse_range(args.get("from"), args.get("to"), zone.key, today)  # ValidationFailed: a 422
    return jsonify(report_json(analytics.report(actor().workspace_id, rng)))
