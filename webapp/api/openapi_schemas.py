"""JSON Schemas of the API's records (components of the OpenAPI description), built from the code's own enums."""

from __future__ import annotations

from webapp.adapters import PLATFORMS
from webapp.models import CONTENT_TYPES, EditorialStatus, Priority, PublicationStatus, ScheduleStatus
from webapp.services.channels import RULE_KEYS
from webapp.services.schedules import MAX_GRACE_MINUTES, MISSED_POLICIES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema: dict) -> dict:
    """Let a schema also be null (OpenAPI 3.1 has JSON Schema's type lists instead of `nullable`)."""
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {**schema, "type": [*types, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def string(**extra) -> dict:
    return {"type": "string", **extra}


def integer(**extra) -> dict:
    return {"type": "integer", **extra}


def enum(values, **extra) -> dict:
    return string(enum=[str(v) for v in values], **extra)


def array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def obj(properties: dict, required=(), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def record(properties: dict, **extra) -> dict:
    """An object the API returns: every listed property is always present."""
    return obj(properties, required=properties, **extra)


def optional(schema: dict) -> dict:
    """The same object with nothing required: the body of a partial update (PATCH)."""
    return {k: v for k, v in schema.items() if k != "required"}


ID = integer(minimum=1)
INSTANT = string(format="date-time", description="UTC, YYYY-MM-DDTHH:MM:SSZ")
INSTANT_INPUT = string(
    description="ISO 8601 with an offset or Z; a naive value is read in the request's `timezone` (422 without one)",
    examples=["2026-12-01T09:00:00+01:00"],
)
TIMEZONE = string(description="IANA timezone name", examples=["Europe/Paris"])
ANY_OBJECT = {"type": "object"}

RULES = obj(
    {
        **{key: integer(minimum=0) for key in RULE_KEYS if key.endswith(("_limit", "_minutes"))},
        "weekdays": array(enum(WEEKDAYS)),
        "time_slots": array(string(pattern=r"^\d{2}:\d{2}$")),
    },
    description="Publishing rules; other keys are dropped.",
)
CHANNEL_WRITE = {
    "name": string(minLength=1, maxLength=120),
    "settings": obj({"url": string(format="uri")}, description="Per platform; webhook: {url} (http or https)."),
    "credentials": obj(
        {"secret": string(minLength=1)},
        description="Per platform; webhook: {secret}. Stored encrypted and never returned.",
        writeOnly=True,
    ),
    "timezone": {**TIMEZONE, "default": "UTC"},
    "rules": RULES,
}
CONTENT_WRITE = {
    "title": string(minLength=1, maxLength=300),
    "body": string(default=""),
    "body_format": enum(("markdown", "html"), default="markdown"),
    "excerpt": nullable(string(maxLength=2000)),
    "content_type": enum(CONTENT_TYPES, default="article"),
    "tags": array(string(minLength=1, maxLength=60)),
    "status": enum(EditorialStatus, default=EditorialStatus.DRAFT.value),
}
CONTENT_CREATE = obj(CONTENT_WRITE, required=["title"])
ATTEMPT = {
    "number": integer(minimum=1),
    "started_at": INSTANT,
    "finished_at": nullable(INSTANT),
    "outcome": string(description="running, published, or the error class of a failed attempt"),
    "error_class": nullable(string()),
    "error_message": nullable(string()),
    "http_status": nullable(integer()),
    "response_excerpt": nullable(string()),
}
PUBLICATION = {
    "id": ID,
    "schedule_id": ID,
    "channel_id": ID,
    "content_id": ID,
    "status": enum(PublicationStatus),
    "priority": enum(Priority),
    "occurrence": integer(minimum=1),
    "due_at": INSTANT,
    **{name: nullable(INSTANT) for name in ("enqueued_at", "started_at", "finished_at", "next_attempt_at")},
    "lateness_ms": nullable(integer()),
    "idempotency_key": string(),
    "external_id": nullable(string()),
    "external_url": nullable(string()),
    "attempts_count": integer(minimum=0),
    "last_error": nullable(string()),
    "hold_reason": nullable(string()),
}
SCHEDULE = {
    "id": ID,
    "content_id": ID,
    "channel_ids": array(ID),
    "status": enum(ScheduleStatus),
    "run_at": nullable(INSTANT),
    "cron": nullable(string()),
    "timezone": TIMEZONE,
    "starts_at": nullable(INSTANT),
    "ends_at": nullable(INSTANT),
    "max_runs": nullable(integer(minimum=1)),
    "priority": enum(Priority),
    "missed_policy": enum(MISSED_POLICIES),
    "grace_minutes": integer(minimum=0, maximum=MAX_GRACE_MINUTES),
    "next_run_at": nullable(INSTANT),
    "created_at": INSTANT,
}
METRIC_COUNTS = ("active_schedules", "pending", "published_today", "failed_today")


def listing(item: str) -> dict:
    return record(
        {"items": array(ref(item)), "page": integer(minimum=1), "per_page": integer(minimum=0), "total": integer()}
    )


def schemas() -> dict:
    """Return the `components.schemas` of the description."""
    return {
        "Error": record(
            {
                "error": obj(
                    {
                        "code": string(examples=["validation_failed"]),
                        "message": string(),
                        "fields": obj({}, additionalProperties=string(), description="Field name → what is wrong."),
                    },
                    required=["code", "message"],
                    additionalProperties=True,
                )
            }
        ),
        "Channel": record(
            {
                "id": ID,
                "name": string(),
                "platform": enum(PLATFORMS),
                "settings": ANY_OBJECT,
                "credentials": record({"set": {"type": "boolean"}}, description="Never the credentials themselves."),
                "timezone": TIMEZONE,
                "rules": RULES,
                "health": enum(("unknown", "healthy", "unhealthy")),
                "health_message": nullable(string()),
                "last_checked_at": nullable(INSTANT),
                "created_at": INSTANT,
            }
        ),
        "ChannelCreate": obj(
            {**CHANNEL_WRITE, "platform": enum(PLATFORMS)}, required=["name", "platform", "settings", "credentials"]
        ),
        "ChannelUpdate": obj(CHANNEL_WRITE, description="Credentials are replaced only when given."),
        "ChannelCheck": record({"ok": {"type": "boolean"}, "message": string(), "http_status": nullable(integer())}),
        "Content": record({"id": ID, **CONTENT_WRITE, "created_at": INSTANT, "updated_at": INSTANT}),
        "ContentCreate": CONTENT_CREATE,
        "ContentUpdate": optional(CONTENT_CREATE),
        "Schedule": obj(
            {**SCHEDULE, "publications": array(ref("Publication"), description="This occurrence's, one per channel")},
            required=SCHEDULE,
        ),
        "ScheduleCreate": obj(
            {
                "content_id": ID,
                "channel_ids": array(ID, minItems=1),
                "run_at": INSTANT_INPUT,
                "cron": string(examples=["30 9 * * mon-fri"]),
                "timezone": TIMEZONE,
                "starts_at": nullable(INSTANT_INPUT),
                "ends_at": nullable(INSTANT_INPUT),
                "max_runs": nullable(integer(minimum=1)),
                "priority": enum(Priority, default=Priority.NORMAL.value),
                "missed_policy": enum(MISSED_POLICIES, default="run_late"),
                "grace_minutes": integer(minimum=0, maximum=MAX_GRACE_MINUTES, default=60),
            },
            required=["content_id", "channel_ids"],
            oneOf=[{"required": ["run_at"]}, {"required": ["cron", "timezone"]}],
            description="One-time (run_at, in the future) or recurring (cron + timezone).",
        ),
        "Publication": obj(
            {**PUBLICATION, "attempts": array(ref("Attempt"), description="Only on GET /publications/{id}")},
            required=PUBLICATION,
        ),
        "Attempt": record(ATTEMPT),
        "Metrics": record(
            {
                **{name: integer(minimum=0) for name in METRIC_COUNTS},
                "success_rate_7d": nullable({"type": "number", "minimum": 0, "maximum": 1}),
                "lateness_ms_p50_7d": nullable(integer()),
                "lateness_ms_p95_7d": nullable(integer()),
            },
            additionalProperties=False,
        ),
        **{f"{name}List": listing(name) for name in ("Channel", "Content", "Schedule", "Publication")},
    }
