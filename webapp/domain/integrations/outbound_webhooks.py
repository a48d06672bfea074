"""Outbound webhooks through an outbox: delivery rows commit with the moment they report, RQ jobs send them.

The domain signals (webapp/core/signals.py) fire inside the recording transaction; the receivers here add
one WebhookDelivery per interested subscription to that same session, so an event is delivered
exactly when its state change committed. After the commit, the new rows' ids are enqueued; the
periodic sweep re-enqueues anything due that a Redis blip or a crash left behind. A claim
(pending → sending) is the only door to a send, so a duplicate job does nothing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis.exceptions import RedisError
from sqlalchemy import bindparam, select

from webapp.adapters.base import AdapterError
from webapp.adapters.http import parse_retry_after, send
from webapp.adapters.signing import sign
from webapp.adapters.webhook import encode
from webapp.core import signals
from webapp.core.errors import Conflict, lazy_gettext
from webapp.core.time import ceil_to_second, format_utc
from webapp.domain.integrations import sending
from webapp.domain.integrations.subscriptions import get_subscription, secret_of, url_problem
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.domain.shared.scoped import get_in_workspace
from webapp.extensions import db
from webapp.infra import outbox, tasks
from webapp.infra.crypto import CredentialsError
from webapp.infra.dispatch import get_scheduler
from webapp.infra.queues import get_queue
from webapp.models import Alert, Publication, WebhookDelivery, WebhookSubscription, utcnow

log = logging.getLogger(__name__)

TEST_EVENT = "test"
ALERT_EVENTS = {
    "failure": "publication.failed",
    "needs_intervention": "publication.needs_intervention",
    "missed": "schedule.missed",
    "channel_unhealthy": "channel.unhealthy",
}
JOB_ID_PREFIX = "herald-delivery-"
JOB_TIMEOUT_S = 60
# A delivery claimed this long ago lost its worker mid-send: send it again (receivers dedupe by event id).
STUCK_SENDING = timedelta(minutes=5)
# The sweep leaves fresh deliveries to the job enqueued at commit, so it rarely doubles one.
SWEEP_GRACE = timedelta(seconds=10)
_OUTBOX = "webhook-deliveries"


def init_app(app: Flask) -> None:
    """Connect the signal receivers, and enqueue committed deliveries through the outbox hand-off."""
    signals.publication_published.connect(_on_published)
    signals.alert_raised.connect(_on_alert)
    outbox.register(_OUTBOX, enqueue, model=WebhookDelivery)


# --- the outbox: rows written in the caller's transaction ---------------------------------------


def _on_published(publication: Publication) -> None:
    # The data is made only for a workspace that has a subscriber: most publishes have none.
    record(publication.workspace_id, "publication.published", lambda: _publication_data(publication))


def _on_alert(alert: Alert) -> None:
    name = ALERT_EVENTS.get(alert.kind)
    if name is None:
        return
    data = {"message": alert.message}
    publication = db.session.get(Publication, alert.publication_id) if alert.publication_id else None
    if publication is not None:
        data.update(_publication_data(publication))
    elif alert.channel_id is not None:
        data["channel"] = {"id": alert.channel_id}
    record(alert.workspace_id, name, data)


def _publication_data(publication: Publication) -> dict:
    channel, content = publication.channel, publication.content
    return {
        "publication": {
            "id": publication.id,
            "status": publication.status,
            "schedule_id": publication.schedule_id,
            "occurrence": publication.occurrence,
            "idempotency_key": publication.idempotency_key,
            "due_at": format_utc(publication.due_at),
            "finished_at": format_utc(publication.finished_at),
            "external_id": publication.external_id,
            "external_url": publication.external_url,
            "last_error": publication.last_error,
        },
        "channel": {"id": channel.id, "name": channel.name, "platform": channel.platform},
        "content": {"id": content.id, "title": content.title},
    }


def document(event_name: str, event_id: str, workspace_id: int, data: dict) -> str:
    """Return the JSON body a receiver gets: the event id is stable across retries and redeliveries."""
    body = {"id": event_id, "event": event_name, "created_at": format_utc(utcnow()), "workspace_id": workspace_id}
    return encode({**body, "data": data}).decode("utf-8")


# Built once: every publish looks its workspace's subscriptions up, and composing the query cost more than running it.
_SUBSCRIPTIONS = select(WebhookSubscription).where(
    WebhookSubscription.workspace_id == bindparam("subscribed_workspace"), WebhookSubscription.active.is_(True)
)


def record(workspace_id: int, event_name: str, data: dict | Callable[[], dict]) -> list[WebhookDelivery]:
    """Add a delivery per active subscription to the event, in the current transaction (the caller commits).

    `data` may be a function that makes it, called only when the event has a subscriber.
    """
    with db.session.no_autoflush:  # never flush the caller's half-made changes from inside its signal
        candidates = db.session.scalars(_SUBSCRIPTIONS, {"subscribed_workspace": workspace_id})
        subscribers = [s for s in candidates if event_name in (s.events or [])]
    if not subscribers:
        return []
    event_id = "evt_" + uuid.uuid4().hex
    payload = document(event_name, event_id, workspace_id, data() if callable(data) else data)
    deliveries = [_delivery(s, event_name, event_id, payload) for s in subscribers]
    db.session.add_all(deliveries)
    return deliveries


def _delivery(subscription: WebhookSubscription, event_name: str, event_id: str, payload: str) -> WebhookDelivery:
    return WebhookDelivery(
        workspace_id=subscription.workspace_id,
        subscription_id=subscription.id,
        event=event_name,
        event_id=event_id,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )


def enqueue(delivery_ids: list[int], when: datetime | None = None) -> None:
    """Hand deliveries to RQ (now, or at `when` through rq-scheduler); Redis trouble is left to the sweep."""
    try:
        if when is None:
            queue = get_queue()
            for delivery_id in delivery_ids:
                tasks.enqueue(
                    queue,
                    tasks.DELIVER_WEBHOOK,
                    delivery_id,
                    job_timeout=JOB_TIMEOUT_S,
                    result_ttl=600,
                    failure_ttl=86400,
                )
            return
        for delivery_id in delivery_ids:
            get_scheduler().enqueue_at(
                ceil_to_second(when), tasks.DELIVER_WEBHOOK, delivery_id, timeout=JOB_TIMEOUT_S, job_result_ttl=600
            )
    except RedisError:
        log.warning("deliveries %s not enqueued: Redis unavailable; the sweep will send them", delivery_ids)


# --- sending ------------------------------------------------------------------------------------


def deliver(delivery_id: int, now: datetime | None = None) -> str | None:
    """Send one due delivery once and record the outcome; return its new status, or None if not ours to send."""
    now = now or utcnow()
    if not sending.claim(WebhookDelivery, delivery_id, now):
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id)
    subscription = delivery.subscription
    config = current_app.config
    delivery.attempts += 1
    status, error, retry_after = _send(delivery, subscription, config["PUBLISH_TIMEOUT_S"])
    delivery.response_status = status
    if error is None:
        delivery.status, delivery.last_error, delivery.next_attempt_at = "delivered", None, None
    elif retry_after is None:  # sending again would not help
        sending.fail(delivery, error)
    else:
        sending.retry_or_fail(
            delivery, error, now, retry_after=retry_after, max_attempts=config["OUTBOUND_MAX_ATTEMPTS"]
        )
    db.session.commit()
    if delivery.status == "pending":
        enqueue([delivery.id], when=delivery.next_attempt_at)
    return delivery.status


def _send(delivery: WebhookDelivery, subscription: WebhookSubscription, timeout: float):
    """POST the stored body, signed; return (HTTP status, error or None, retry-after or None for permanent)."""
    if not subscription.active and delivery.event != TEST_EVENT:
        return None, "the subscription is disabled", None
    if url_problem(subscription.url):
        return None, "refused: the URL is not http(s)", None
    try:
        secret = secret_of(subscription)
    except CredentialsError as exc:
        return None, str(exc), None
    body = delivery.payload.encode("utf-8")
    # Real time, not the claim's `now`: receivers compare the timestamp with their clock.
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Herald-Event": delivery.event,
        "X-Herald-Delivery": delivery.event_id,
        "Idempotency-Key": delivery.event_id,
        "X-Herald-Timestamp": timestamp,
        "X-Herald-Signature": sign(secret, timestamp, body),
    }
    try:
        response = send("POST", subscription.url, data=body, headers=headers, timeout=timeout, check=False)
    except AdapterError as exc:
        delivery.response_excerpt = None
        return None, exc.message, 0.0
    delivery.response_excerpt = response.excerpt
    if 200 <= response.status < 300:
        return response.status, None, None
    retry_after = parse_retry_after(response.headers.get("Retry-After"), utcnow()) or 0.0
    return response.status, f"HTTP {response.status}", retry_after


def sweep(now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Re-enqueue due deliveries and restart ones whose worker died mid-send (the periodic job)."""
    now = now or utcnow()
    reset = sending.reset_stuck(WebhookDelivery, now - STUCK_SENDING, retry_at=now - SWEEP_GRACE)
    due = sending.due_ids(WebhookDelivery, now - SWEEP_GRACE, batch)
    db.session.commit()
    if due:
        enqueue(due)
    return {"reset": reset, "enqueued": len(due)}


# --- people's actions ---------------------------------------------------------------------------


def send_test(actor: Actor, subscription_id: int) -> WebhookDelivery:
    """Queue a signed test event to the subscription's URL; commit."""
    actor.require_writer()
    subscription = get_subscription(actor, subscription_id)
    event_id = "evt_" + uuid.uuid4().hex
    data = {"message": "A test event from Herald: your endpoint and signature check work."}
    delivery = _delivery(subscription, TEST_EVENT, event_id, document(TEST_EVENT, event_id, actor.workspace_id, data))
    db.session.add(delivery)
    db.session.flush()
    audit.record(actor, "subscription.tested", "subscription", subscription.id)
    db.session.commit()
    return delivery


def get_delivery(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Return a delivery of the actor's workspace, or raise NotFound."""
    return get_in_workspace(actor, WebhookDelivery, delivery_id, "delivery")


# A delivery still being sent cannot be sent again; a finished one (delivered or failed) can.
IN_FLIGHT = frozenset({"pending", "sending"})


def may_redeliver(status: str) -> bool:
    """Whether a delivery in this status can be sent again (the delivery log offers "redeliver" for exactly these)."""
    return status not in IN_FLIGHT


def redeliver(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send a finished delivery again, same body and event id, with a fresh set of attempts; commit."""
    actor.require_writer()
    delivery = get_delivery(actor, delivery_id)
    if not may_redeliver(delivery.status):
        raise Conflict(lazy_gettext("This delivery is still being sent."))
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    delivery.last_error = None
    audit.record(actor, "delivery.redelivered", "delivery", delivery.id)
    outbox.add(_OUTBOX, delivery.id)
    db.session.commit()
    return delivery
