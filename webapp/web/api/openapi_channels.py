"""JSON Schemas of a channel's live state, pause and circuit reset (components merged into the OpenAPI description)."""

from __future__ import annotations

from webapp.models import PublicationStatus
from webapp.web.api.openapi_schemas import INSTANT, enum, integer, nullable, obj, record, ref

COUNT = integer(minimum=0)


def channel_schemas() -> dict:
    state = record(
        {
            "health": enum(("unknown", "healthy", "unhealthy", "needs_intervention")),
            "paused_at": nullable(INSTANT),
            "breaker": record(
                {
                    "state": enum(("closed", "open", "half-open", "unknown")),
                    "open_until": nullable(INSTANT),
                    "failures": COUNT,
                },
                description="half-open: the cool-off is over and the next call is a probe; unknown: Redis did not "
                "answer.",
            ),
            "rate_limit": record(
                {
                    "per_minute": COUNT,
                    "tokens": nullable({"type": "number"}),
                    "next_token_at": nullable(INSTANT),
                },
                description="per_minute 0: no limit. tokens: left in the bucket now (null: never used).",
            ),
            "held": COUNT,
            "waiting_for_rate_limit": COUNT,
            "waiting_for_circuit": COUNT,
            "in_flight": record(
                {"max": COUNT, "now": COUNT},
                description="Calls to the channel under way on every worker; max 0: no cap.",
            ),
            "waiting_for_slot": COUNT,
            "pending": obj(
                {str(s): COUNT for s in PublicationStatus},
                additionalProperties=False,
                description="Pending publications by status (only statuses that have some): what a delete cancels.",
            ),
        }
    )
    return {
        "ChannelState": state,
        "ChannelPaused": record({"held": COUNT, "channel": ref("Channel")}),
        "BreakerReset": record({"released": COUNT, "state": ref("ChannelState")}),
    }
