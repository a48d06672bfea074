"""JSON Schemas of the API's records (components of the OpenAPI description), built from the code's own enums."""

from __future__ import annotations

from webapp.adapters import PLATFORMS
from webapp.core.validation import MAX_ID
from webapp.domain.publishing.schedules import CLASH_POLICIES, MAX_GRACE_MINUTES, MISSED_POLICIES
from webapp.models import CONTENT_TYPES, Decision, EditorialStatus, Priority, PublicationStatus, ScheduleStatus

# API.md's names: the contract fixes them, so they are spelled out here rather than imported.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_NUMBERS = ("min_spacing_minutes", "daily_limit", "weekly_limit", "monthly_limit")
URL = {"type": "string", "format": "uri", "description": "http(s)"}
PLATFORM_FIELDS = {  # platform: (settings, credentials)
    "webhook": ({"url": URL}, ("secret",)),
    "wordpress": ({"url": URL}, ("username", "app_password")),
    "ghost": ({"url": URL}, ("admin_api_key",)),
    "shopify": ({"shop_domain": {"type": "string"}, "blog_id": {"type": ["integer", "string"]}}, ("access_token",)),
    "mastodon": ({"url": URL}, ("access_token",)),
}
BULK_ACTIONS = ("pause", "resume", "retry", "cancel", "delete")
SCHEDULE_BULK_ACTIONS = ("pause", "resume", "cancel", "delete")
CONTENT_BULK_ACTIONS = ("approve", "archive")


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


ID = integer(minimum=1, maximum=MAX_ID)
COUNT = integer(minimum=0)
INSTANT = string(
    format="date-time", pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", description="UTC, whole seconds"
)
INSTANT_INPUT = string(
    description="ISO 8601 with an offset or Z; a naive value is read in the request's `timezone` (422 without one)",
    examples=["2026-12-01T09:00:00+01:00"],
)
TIMEZONE = string(description="IANA timezone name", examples=["Europe/Paris"])

RULES = obj(
    {
        **{name: integer(minimum=1) for name in RULE_NUMBERS},
        "weekdays": array(enum(WEEKDAYS), minItems=1),
        "time_slots": array(string(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")),
        "rate_per_minute": integer(minimum=0, description="Posts per minute (0: no limit); else the platform's."),
        "max_in_flight": integer(
            minimum=0, maximum=1000, description="Calls at once over every worker (0: no cap); else the platform's."
        ),
    },
    additionalProperties=False,
    description="Publishing rules, judged in the channel's timezone.",
)


def platform_variant(platform: str) -> dict:
    settings, credentials = PLATFORM_FIELDS.get(platform, ({}, ()))
    return obj(
        {
            "platform": {"const": platform},
            "settings": obj(settings, required=settings),
            "credentials": obj({k: string(minLength=1) for k in credentials}, required=credentials, writeOnly=True),
        }
    )


CHANNEL_WRITE = {
    "name": string(minLength=1, maxLength=120),
    "settings": {"type": "object", "description": "Per platform (see oneOf)."},
    "credentials": {"type": "object", "writeOnly": True, "description": "Stored encrypted; never returned."},
    "timezone": {**TIMEZONE, "default": "UTC"},
    "rules": RULES,
}
SLUG = string(
    maxLength=200,
    pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
    description="The post's URL slug on WordPress, Ghost and Shopify; null: made from the title when published.",
)
CONTENT_WRITE = {
    "title": string(minLength=1, maxLength=300),
    "body": string(default=""),
    "body_format": enum(("markdown", "html"), default="markdown"),
    "excerpt": nullable(string(maxLength=2000)),
    "content_type": enum(CONTENT_TYPES, default="article"),
    "tags": array(string(minLength=1, maxLength=60)),
    "slug": nullable(SLUG),
    "status": enum(EditorialStatus, default=EditorialStatus.DRAFT.value),
    "variants": array(ref("ContentVariant"), description="Per-platform and per-channel overrides; PATCH replaces all"),
}
TIMING = {
    "run_at": INSTANT_INPUT,
    "cron": string(examples=["30 9 * * mon-fri"]),
    "timezone": TIMEZONE,
    "starts_at": nullable(INSTANT_INPUT),
    "ends_at": nullable(INSTANT_INPUT),
}
ONE_TIME_OR_RECURRING = [{"required": ["run_at"]}, {"required": ["cron", "timezone"]}]
SCHEDULE_OPTIONS = {
    "max_runs": nullable(integer(minimum=1)),
    "priority": enum(Priority, default=Priority.NORMAL.value),
    "missed_policy": enum(MISSED_POLICIES, default="run_late"),
    "grace_minutes": integer(minimum=0, maximum=MAX_GRACE_MINUTES, default=60),
    "clash_policy": enum(CLASH_POLICIES, default="move", description="A recurring run breaking a channel rule"),
}
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
CHAIN = array(
    record({"channel_id": ID, "after_channel_id": ID}),
    description="Chained publications: each occurrence on channel_id goes out once the same occurrence has "
    "published on after_channel_id, whose URL and title fill {{ published.url }} and {{ published.title }}.",
)
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
    "attempts_count": COUNT,
    "last_error": nullable(string()),
    "hold_reason": nullable(string()),
    "after_publication_id": nullable(ID),
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
    "clash_policy": enum(CLASH_POLICIES),
    "next_run_at": nullable(INSTANT),
    "created_at": INSTANT,
    "chain": CHAIN,
}
SKIPPED = array(record({"id": ID, "reason": string()}))
BULK_COUNTS = {"matched": COUNT, "changed": COUNT, "skipped": SKIPPED}
FILTER = obj(
    {
        "status": {"anyOf": [string(), array(enum(PublicationStatus))]},
        "channel_id": ID,
        "schedule_id": ID,
        "content_type": enum(CONTENT_TYPES),
        "q": string(),
        "from": INSTANT_INPUT,
        "to": INSTANT_INPUT,
        "timezone": TIMEZONE,
    },
    additionalProperties=False,
    minProperties=1,
)
SCHEDULE_FILTER = obj(
    {"status": {"anyOf": [string(), array(enum(ScheduleStatus))]}, "channel_id": ID},
    additionalProperties=False,
    minProperties=1,
)
CONTENT_FILTER = obj(
    {"status": {"anyOf": [string(), array(enum(EditorialStatus))]}, "content_type": enum(CONTENT_TYPES), "q": string()},
    additionalProperties=False,
    minProperties=1,
)


def bulk_request(actions: tuple[str, ...], filter: dict) -> dict:
    """A bulk action's body: the action, and either ids or a filter (a comma-separated or list `status`)."""
    return obj(
        {"action": enum(actions), "ids": array(ID, minItems=1), "filter": filter},
        required=["action"],
        oneOf=[{"required": ["ids"]}, {"required": ["filter"]}],
    )


def listing(item: str) -> dict:
    return record({"items": array(ref(item)), "page": integer(minimum=1), "per_page": COUNT, "total": COUNT})


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
                        "conflicts": array(ID, description="Publications that clash with channel rules."),
                    },
                    required=["code", "message"],
                )
            }
        ),
        "Channel": record(
            {
                "id": ID,
                "name": string(),
                "platform": enum(PLATFORMS),
                "settings": {"type": "object"},
                "credentials": record({"set": {"type": "boolean"}}, description="Never the credentials themselves."),
                "timezone": TIMEZONE,
                "rules": RULES,
                "health": enum(("unknown", "healthy", "unhealthy", "needs_intervention")),
                "health_message": nullable(string()),
                "last_checked_at": nullable(INSTANT),
                "paused_at": nullable(INSTANT),
                "created_at": INSTANT,
            }
        ),
        "ChannelCreate": obj(
            {**CHANNEL_WRITE, "platform": enum(PLATFORMS)},
            required=["name", "platform", "settings", "credentials"],
            oneOf=[platform_variant(p) for p in PLATFORMS],
        ),
        "ChannelUpdate": obj(CHANNEL_WRITE, description="The platform cannot change; credentials change when given."),
        "ChannelCheck": record({"ok": {"type": "boolean"}, "message": string(), "http_status": nullable(integer())}),
        "ChannelResumed": record({"resumed": COUNT, "channel": ref("Channel")}),
        "QueueRequest": obj({"content_id": ID, "priority": enum(Priority)}, required=["content_id"]),
        "Content": record({"id": ID, **CONTENT_WRITE, "created_at": INSTANT, "updated_at": INSTANT}),
        "ContentCreate": obj(CONTENT_WRITE, required=["title"]),
        "ContentUpdate": obj(CONTENT_WRITE),
        # ImportRows and ImportResult: openapi_transfer.py, with the export.
        "ReviewComment": obj({"comment": nullable(string(maxLength=2000))}),
        "RejectRequest": obj({"comment": string(minLength=1, maxLength=2000, pattern=r"\S")}, required=["comment"]),
        "ReviewDecision": record(
            {
                "id": ID,
                "decision": enum(Decision),
                "from_status": enum(EditorialStatus),
                "comment": nullable(string()),
                "reviewer_id": nullable(ID),
                "reviewer": nullable(string(description="The reviewer's email")),
                "created_at": INSTANT,
            }
        ),
        "ReviewList": record({"items": array(ref("ReviewDecision"))}),
        "Schedule": obj(
            {**SCHEDULE, "publications": array(ref("Publication"), description="The latest occurrence's")},
            required=SCHEDULE,
        ),
        "ScheduleCreate": obj(
            {
                "content_id": ID,
                "channel_ids": array(ID, minItems=1),
                **TIMING,
                **SCHEDULE_OPTIONS,
                "chain": CHAIN,
                "allow_conflicts": {"type": "boolean", "default": False},
            },
            required=["content_id", "channel_ids"],
            oneOf=ONE_TIME_OR_RECURRING,
            description="One-time (run_at, in the future) or recurring (cron + timezone).",
        ),
        "ScheduleUpdate": obj(
            {
                **TIMING,
                **SCHEDULE_OPTIONS,
                "channel_ids": array(ID, minItems=1),
                "allow_conflicts": {"type": "boolean"},
            },
            description="Waiting publications move with it (an added channel gets the waiting run, a removed one's are "
            "cancelled), checked against the channels' rules; unchanged fields change nothing; 409 while publishing.",
        ),
        "MarkPublished": obj(
            {"url": string(format="uri", maxLength=2000, description="The post's http(s) address on the platform.")},
            required=["url"],
            description="For an unconfirmed publication a person found on the platform; 409 in any other status.",
        ),
        "ScheduleClone": obj(
            {**TIMING, **SCHEDULE_OPTIONS, "content_id": ID, "channel_ids": array(ID, minItems=1), "chain": CHAIN},
            description="Overrides of the original's fields.",
        ),
        "SchedulePreviewRequest": obj(
            {**TIMING, "max_runs": SCHEDULE_OPTIONS["max_runs"]}, oneOf=ONE_TIME_OR_RECURRING
        ),
        "SchedulePreview": record(
            {
                "description": string(examples=["At 09:30, Monday through Friday"]),
                "timezone": TIMEZONE,
                "occurrences": array(record({"utc": INSTANT, "local": string(format="date-time")}), maxItems=10),
            }
        ),
        "Publication": obj(
            {**PUBLICATION, "attempts": array(ref("Attempt"), description="Only on GET /publications/{id}")},
            required=PUBLICATION,
        ),
        "Attempt": record(ATTEMPT),
        "PublishNow": obj(
            {"content_id": ID, "channel_ids": array(ID, minItems=1), "priority": enum(Priority, default="high")}
            | {"allow_conflicts": {"type": "boolean", "default": False}},
            required=["content_id", "channel_ids"],
        ),
        "PublicationItems": record({"items": array(ref("Publication"))}),
        "BulkRequest": bulk_request(BULK_ACTIONS, FILTER),
        "ScheduleBulkRequest": bulk_request(SCHEDULE_BULK_ACTIONS, SCHEDULE_FILTER),
        "ContentBulkRequest": bulk_request(CONTENT_BULK_ACTIONS, CONTENT_FILTER),
        "BulkResult": record(BULK_COUNTS),
        "BulkStarted": record(
            {"bulk_id": ID, "state": enum(("running",)), **BULK_COUNTS, "status_url": string(format="uri-reference")}
        ),
        "BulkStatus": record(
            {
                "bulk_id": ID,
                "kind": enum(("publications", "schedules", "contents")),
                "action": enum(dict.fromkeys((*BULK_ACTIONS, *CONTENT_BULK_ACTIONS))),
                "state": enum(("running", "done")),
                **BULK_COUNTS,
            }
        ),
        "Metrics": record(
            {
                **dict.fromkeys(("active_schedules", "pending", "published_today", "failed_today"), COUNT),
                "success_rate_7d": nullable({"type": "number", "minimum": 0, "maximum": 1}),
                "lateness_ms_p50_7d": nullable(integer()),
                "lateness_ms_p95_7d": nullable(integer()),
            },
            additionalProperties=False,
        ),
        **{f"{name}List": listing(name) for name in ("Channel", "Content", "Schedule", "Publication")},
    }
