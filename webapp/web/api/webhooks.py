"""Outbound webhook endpoints: subscriptions, their delivery log, a test event and redelivery (as on the page)."""

from __future__ import annotations

import json

from flask import jsonify
from flask_babel import gettext

from webapp.core.time import format_utc
from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.domain.publishing.publications import paginate
from webapp.models import WebhookDelivery, WebhookSubscription
from webapp.web.api.base import ApiError, actor, bp, invalid, json_body, listing, page_args

WRITABLE = ("url", "events", "active")


def subscription_json(subscription: WebhookSubscription) -> dict:
    # Never the secret: it is answered once, when the subscription is created.
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": list(subscription.events),
        "active": subscription.active,
        "created_at": format_utc(subscription.created_at),
        "updated_at": format_utc(subscription.updated_at),
    }


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event": delivery.event,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": format_utc(delivery.created_at),
        "last_attempt_at": format_utc(delivery.last_attempt_at),
        "next_attempt_at": format_utc(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "response_status": delivery.response_status,
        "response_excerpt": delivery.response_excerpt,
        "last_error": delivery.last_error,
        "payload": json.loads(delivery.payload),
    }


def _fields(body: dict) -> dict:
    """Refuse fields this endpoint does not take and an `active` that is not a boolean (422, nothing written)."""
    errors = {name: gettext("is not a field of a subscription") for name in body if name not in WRITABLE}
    if "active" in body and not isinstance(body["active"], bool):
        errors["active"] = gettext("must be true or false")
    if errors:
        raise invalid(errors)
    return body


@bp.post("/webhooks")
def create_webhook():
    body = _fields(json_body())
    subscription, secret = subscriptions.create_subscription(
        actor(), body.get("url"), body.get("events"), active=body.get("active", True)
    )
    # The signing secret, in this answer only; the integrations page lets an owner reveal it again.
    return jsonify({**subscription_json(subscription), "secret": secret}), 201


@bp.get("/webhooks")
def list_webhooks():
    page, per_page = page_args()
    items, total = paginate(subscriptions.subscription_query(actor()), page, per_page)
    return listing(items, total, page, per_page, subscription_json)


@bp.get("/webhooks/<int:subscription_id>")
def get_webhook(subscription_id: int):
    return jsonify(subscription_json(subscriptions.get_subscription(actor(), subscription_id)))


@bp.patch("/webhooks/<int:subscription_id>")
def update_webhook(subscription_id: int):
    body = _fields(json_body())
    current = subscriptions.get_subscription(actor(), subscription_id)
    changed = subscriptions.update_subscription(
        actor(),
        subscription_id,
        url=body.get("url", current.url),
        events=body.get("events", current.events),
        active=body.get("active", current.active),
    )
    return jsonify(subscription_json(changed))


@bp.delete("/webhooks/<int:subscription_id>")
def delete_webhook(subscription_id: int):
    subscriptions.delete_subscription(actor(), subscription_id)
    return "", 204


@bp.get("/webhooks/<int:subscription_id>/deliveries")
def list_webhook_deliveries(subscription_id: int):
    page, per_page = page_args()
    items, total = paginate(subscriptions.delivery_query(actor(), subscription_id), page, per_page)
    return listing(items, total, page, per_page, delivery_json)


@bp.post("/webhooks/<int:subscription_id>/test")
def test_webhook(subscription_id: int):
    return jsonify(delivery_json(outbound_webhooks.send_test(actor(), subscription_id))), 201


@bp.post("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver")
def redeliver_webhook(subscription_id: int, delivery_id: int):
    delivery = outbound_webhooks.get_delivery(actor(), delivery_id)
    if delivery.subscription_id != subscriptions.get_subscription(actor(), subscription_id).id:
        raise ApiError(404, "not_found", gettext("delivery not found"))
    return jsonify(delivery_json(outbound_webhooks.redeliver(actor(), delivery_id)))
