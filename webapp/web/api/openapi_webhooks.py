"""JSON Schemas of outbound webhook subscriptions and their deliveries (components of the OpenAPI description)."""

from __future__ import annotations

from webapp.domain.integrations.outbound_webhooks import TEST_EVENT
from webapp.domain.integrations.subscriptions import EVENTS, MAX_URL_LENGTH
from webapp.web.api.openapi_schemas import COUNT, ID, INSTANT, array, enum, integer, nullable, obj, record, ref, string

BOOLEAN = {"type": "boolean"}
DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")
SUBSCRIPTION = {
    "id": ID,
    "url": string(format="uri", maxLength=MAX_URL_LENGTH),
    "events": array(enum(EVENTS), minItems=1),
    "active": BOOLEAN,
    "created_at": INSTANT,
    "updated_at": INSTANT,
}
WRITE = {
    "url": string(maxLength=MAX_URL_LENGTH, description="http(s) URL that receives the signed POSTs"),
    "events": array(enum(EVENTS), minItems=1),
    "active": {**BOOLEAN, "description": "false: keep the subscription but send nothing", "default": True},
}


def _page(item: str) -> dict:
    return record(
        {"items": array(ref(item)), "page": integer(minimum=1), "per_page": integer(minimum=1), "total": COUNT}
    )


def webhook_schemas() -> dict:
    """Return the components for subscriptions and their delivery log."""
    return {
        "Webhook": record(SUBSCRIPTION),
        "WebhookCreated": record(
            {**SUBSCRIPTION, "secret": string(description="The signing secret, in this answer only.")}
        ),
        "WebhookCreate": obj(WRITE, required=["url", "events"], additionalProperties=False),
        "WebhookUpdate": obj(WRITE, additionalProperties=False, description="Absent fields stay as they are."),
        "WebhookList": _page("Webhook"),
        "WebhookDelivery": record(
            {
                "id": ID,
                "subscription_id": ID,
                "event": enum((*EVENTS, TEST_EVENT)),
                "event_id": string(description="The body's id; the same on every attempt and redelivery."),
                "status": enum(DELIVERY_STATUSES),
                "attempts": COUNT,
                "created_at": INSTANT,
                "last_attempt_at": nullable(INSTANT),
                "next_attempt_at": nullable(INSTANT),
                "response_status": nullable(integer()),
                "response_excerpt": nullable(string()),
                "last_error": nullable(string()),
                "payload": {"type": "object", "description": "The JSON body sent (signed as these exact bytes)."},
            }
        ),
        "WebhookDeliveryList": _page("WebhookDelivery"),
    }
