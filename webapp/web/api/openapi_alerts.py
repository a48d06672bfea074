"""The OpenAPI part of alerts (a work list: resolve, reopen), the audit log and analytics: operations, parameters
and schemas, merged into the description by openapi.py."""

from __future__ import annotations

from webapp.domain.shared.alerts import KINDS, STATUSES
from webapp.web.api.openapi_schemas import (
    COUNT,
    ID,
    INSTANT,
    INSTANT_INPUT,
    TIMEZONE,
    array,
    enum,
    integer,
    listing,
    nullable,
    record,
    string,
)

ALERT_PATH_IDS = ("alert_id",)
# Query parameters answered 422 when malformed (their component names).
ALERT_VALIDATED_QUERY = {"alert_status", "alert_kind", "since", "until", "audit_actor", "audit_target"}
ALERT_VALIDATED_QUERY |= {"day_from", "day_to", "report_timezone"}
RATE = nullable({"type": "number", "minimum": 0, "maximum": 1})
MS = nullable(integer(minimum=0))
DAY = string(format="date", pattern=r"^\d{4}-\d{2}-\d{2}$")


def alert_operations(op) -> tuple:
    """Return the operations, built with openapi.py's `op`."""
    alert = "/alerts/{alert_id}"
    return (
        op("GET /alerts", "list_alerts", "The workspace's alerts, newest first: open ones by default", 200,
           "AlertList", query=("page", "per_page", "alert_status", "alert_kind", "since", "timezone")),
        op(f"POST {alert}/resolve", "resolve_alert", "Resolve an open alert (it records who and when)", 200,
           "Alert", conflict=True),
        op(f"POST {alert}/reopen", "reopen_alert", "Put a resolved alert back on the work list", 200, "Alert",
           conflict=True),
        op("GET /audit", "list_audit_events", "The audit log, newest first (owners and editors)", 200,
           "AuditEventList", query=("page", "per_page", "audit_action", "audit_actor", "audit_target", "since",
                                    "until", "timezone"), owner_only=True),
        op("GET /analytics", "get_analytics", "The analytics page's figures for a range of days", 200,
           "Analytics", query=("day_from", "day_to", "report_timezone")),
    )  # fmt: skip


def alert_parameters(query) -> dict:
    """Return the query parameters, built with openapi.py's `_query`."""
    return {
        "alert_status": query("status", enum(STATUSES, default="open"), "Open, resolved, or all alerts."),
        "alert_kind": query("kind", enum(KINDS), "Only alerts of this kind."),
        "since": query("since", INSTANT_INPUT, "Raised (or done) at or after this instant."),
        "until": query("until", INSTANT_INPUT, "Done before this instant."),
        "audit_action": query("action", string(), "Only this action, e.g. `alert.resolved`."),
        "audit_actor": query("actor", string(pattern=r"^(\d+|system)$"), "A user id, or `system` (no user)."),
        "audit_target": query("target", string(pattern=r"^\w+(:\d+)?$"), "A record type, or `type:id`."),
        "day_from": query("from", DAY, "First day, in `timezone` (default: 29 days before `to`)."),
        "day_to": query("to", DAY, "Last day, inclusive (default: today); at most 366 days after `from`."),
        "report_timezone": query("timezone", TIMEZONE, "The days' zone (default: the key's user's timezone)."),
    }


def _counts(name_key: str) -> dict:
    return array(record({name_key: string(), "count": COUNT, "published": COUNT}))


def alert_schemas() -> dict:
    """Return the components for alerts, audit events and analytics."""
    since = {
        "publication": nullable(
            record({"id": ID, "status": string(), "attempts": COUNT, "finished_at": nullable(INSTANT)})
        ),
        "channel": nullable(
            record(
                {
                    "id": ID,
                    "name": string(),
                    "health": string(),
                    "paused": {"type": "boolean"},
                    "deleted": {"type": "boolean"},
                }
            )
        ),
    }
    slot = record(
        {
            "weekday": string(),
            "hour": integer(minimum=0, maximum=23),
            "finished": COUNT,
            "good": COUNT,
            "rate": {"type": "number"},
        }
    )
    return {
        "Alert": record(
            {
                "id": ID,
                "kind": enum(KINDS),
                "message": string(),
                "status": enum(("open", "resolved")),
                "publication_id": nullable(ID),
                "channel_id": nullable(ID),
                "created_at": INSTANT,
                "read_at": nullable(INSTANT),
                "resolved_at": nullable(INSTANT),
                "resolved_by_id": nullable(ID),
                "resolved_by_itself": {"type": "boolean", "description": "Resolved because its cause went away."},
                "since": record(since, description="What happened since: the publication's or channel's state now."),
            },
            additionalProperties=False,
        ),
        "AlertList": listing("Alert"),
        "AuditEvent": record(
            {
                "id": ID,
                "action": string(),
                "actor": nullable(record({"id": ID, "email": nullable(string())})),
                "source": enum(("ui", "api", "cli", "system")),
                "ip": nullable(string()),
                "target_type": nullable(string()),
                "target_id": nullable(integer()),
                "details": {"type": "object"},
                "created_at": INSTANT,
            },
            additionalProperties=False,
            description="`actor` is null for the system's own steps.",
        ),
        "AuditEventList": listing("AuditEvent"),
        "Analytics": record(
            {
                "range": record({"from": DAY, "to": DAY, "timezone": TIMEZONE, "days": integer(minimum=1)}),
                "totals": record({"due": COUNT, "published": COUNT, "failed": COUNT, "missed": COUNT,
                                  "cancelled": COUNT, "success_rate": RATE}),
                "granularity": enum(("day", "week")),
                "success": array(record({"start": DAY, "published": COUNT, "failed": COUNT, "rate": RATE})),
                "heatmap": array(array(COUNT, minItems=24, maxItems=24), minItems=7, maxItems=7,
                                 description="Publications due per weekday (Monday first) and local hour."),
                "best": record({"enough": {"type": "boolean"}, "finished": COUNT, "slots": array(slot)}),
                "execution": record({"attempts": COUNT, "avg_ms": MS, "p95_ms": MS}),
                "lateness": array(record({"channel": string(), "platform": string(), "count": COUNT, "p50_ms": MS,
                                          "p95_ms": MS, "on_time_rate": RATE})),
                "errors": array(record({"error_class": string(), "count": COUNT})),
                "platforms": _counts("name"),
                "content_types": _counts("name"),
                "weekdays": array(string(), minItems=7, maxItems=7),
                "on_time_ms": COUNT,
            },
            additionalProperties=False,
            description="Publications count by due time in the range's days; attempts by start time.",
        ),
    }  # fmt: skip
