"""JSON Schemas of a recurring schedule's occurrences (components merged into the OpenAPI description)."""

from __future__ import annotations

from webapp.web.api.openapi_schemas import (
    ID,
    INSTANT,
    INSTANT_INPUT,
    TIMEZONE,
    array,
    enum,
    nullable,
    obj,
    record,
    string,
)

CLASH_POLICIES = ("move", "skip", "publish")
AT = {**INSTANT_INPUT, "description": "The rule's instant for the occurrence (a moved one's new time names it too)."}
RULES_BROKEN = 'The channel rules it broke, in the reader\'s language ("daily limit" to an English reader).'


def occurrence_schemas() -> dict:
    """Return the components for occurrences."""
    return {
        "Occurrence": record(
            {
                "original_at": INSTANT,
                "at": nullable({**INSTANT, "description": "When it runs; null when skipped."}),
                "state": enum(("due", "skipped", "moved")),
                "channels": array(
                    record(
                        {
                            "channel_id": ID,
                            "outcome": enum(("publish", "move", "skip")),
                            "at": nullable(INSTANT),
                            "reason": nullable(string(description=RULES_BROKEN)),
                        }
                    ),
                    description="Each channel's outcome under its rules and the schedule's clash policy.",
                ),
                "publication_ids": array(ID, description="Its publications, once materialised."),
                "notes": array(string(examples=["03 Dec 09:00 UTC: moved to 17:30 UTC, daily limit (Blog)"])),
            }
        ),
        "OccurrenceList": record(
            {
                "schedule_id": ID,
                "timezone": TIMEZONE,
                "clash_policy": enum(CLASH_POLICIES),
                "items": array({"$ref": "#/components/schemas/Occurrence"}),
            }
        ),
        "OccurrenceSkip": obj(
            {"at": AT, "timezone": TIMEZONE},
            description="Skip the occurrence `at` names, or the next one without it.",
        ),
        "OccurrenceMove": obj(
            {
                "at": AT,
                "to": {**INSTANT_INPUT, "description": "Its new time: in the future, between the series' "
                       "previous and next occurrences."},
                "timezone": {**TIMEZONE, "description": "Zone of a naive `at`/`to` (default: the schedule's)."},
                "allow_conflicts": {"type": "boolean", "default": False},
            },
            required=["at", "to"],
        ),
        "OccurrenceRestore": obj({"at": AT, "timezone": TIMEZONE}, required=["at"]),
    }  # fmt: skip
