"""JSON Schemas of per-channel variants and content templates (components merged into the OpenAPI description)."""

from __future__ import annotations

from webapp.adapters import PLATFORMS
from webapp.domain.content.content_templates import MAX_AFTER_DAYS, MAX_NAME
from webapp.models import CONTENT_TYPES
from webapp.web.api.openapi_schemas import (
    CONTENT_WRITE,
    ID,
    INSTANT,
    SLUG,
    TIMEZONE,
    array,
    enum,
    listing,
    nullable,
    obj,
    record,
    ref,
    string,
)

SOURCES = ("base", "platform", "channel")
VARIANT_TEXT = {
    "title": nullable(string(maxLength=300)),
    "body": nullable(string()),
    "excerpt": nullable(string(maxLength=2000)),
    "tags": nullable(array(string(minLength=1, maxLength=60))),
    "slug": nullable(SLUG),
}
DEFAULT_SCHEDULE = nullable(
    {
        "type": "object",
        "description": "Recurring ({cron, timezone}) or relative ({after_days, at, timezone}: that many days after "
        "the item is started, at a local time; a time already past moves to the next day).",
        "properties": {
            "cron": string(examples=["30 9 * * mon-fri"]),
            "after_days": {"type": "integer", "minimum": 0, "maximum": MAX_AFTER_DAYS},
            "at": string(pattern=r"^([01]\d|2[0-3]):[0-5]\d$"),
            "timezone": TIMEZONE,
        },
        "required": ["timezone"],
        "additionalProperties": False,
    }
)
TEMPLATE_SETTINGS = {
    "name": string(minLength=1, maxLength=MAX_NAME),
    "channel_ids": array(ID),
    "schedule": DEFAULT_SCHEDULE,
}


def variant_schemas() -> dict:
    """Return the components for variants and templates."""
    return {
        "ContentVariant": obj(
            {"platform": nullable(enum(PLATFORMS)), "channel_id": nullable(ID), **VARIANT_TEXT},
            additionalProperties=False,
            description="An override for every channel of a platform, or for one channel: exactly one of `platform` "
            "and `channel_id` is set (responses carry both, one null). A missing or null field (or blank text) is "
            "inherited: channel override, then platform override, then the base; `tags: []` means no tags.",
        ),
        "ResolvedVariant": record(
            {
                "content_id": ID,
                "channel_id": ID,
                "platform": enum(PLATFORMS),
                "title": string(),
                "body": string(),
                "excerpt": nullable(string()),
                "tags": array(string()),
                "slug": nullable(string()),
                "sources": record({f: enum(SOURCES) for f in VARIANT_TEXT}, description="Where each field came from."),
                "problem": nullable(string(description="What the platform's own check would refuse (nothing sent).")),
            }
        ),
        "Template": record(
            {
                "id": ID,
                **{k: v for k, v in CONTENT_WRITE.items() if k not in ("status", "excerpt", "variants", "slug")},
                "excerpt": nullable(string()),
                "content_type": enum(CONTENT_TYPES),
                "variants": array(ref("ContentVariant")),
                **TEMPLATE_SETTINGS,
                "created_at": INSTANT,
                "updated_at": INSTANT,
            }
        ),
        "TemplateCreate": obj(
            {"content_id": ID, **TEMPLATE_SETTINGS},
            required=["content_id", "name"],
            description="Copies the content item's title, body, excerpt, type, tags and variants.",
        ),
        "TemplateUpdate": obj(TEMPLATE_SETTINGS, description="Rename, or change the channels or default schedule."),
        "TemplateStart": obj(
            {
                "title": string(description="The new item's title (default: the template's)"),
                "schedule": {"type": "boolean", "default": False, "description": "Also schedule it by the default."},
            }
        ),
        "TemplateStarted": record({"content": ref("Content"), "schedule": nullable(ref("Schedule"))}),
        "TemplateList": listing("Template"),
    }
