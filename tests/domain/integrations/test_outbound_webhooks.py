"""Outbound webhooks: the outbox commits with the moment it reports, deliveries are signed, retried, then given up."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rq import Queue

from tests.adapters.receiver import Receiver
from webapp.adapters.signing import verify
from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.domain.publishing import publisher, schedules
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import get_redis
from webapp.models import Publication, WebhookDelivery, utcnow


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _queued_delivery_ids() -> list[int]:
    queue = Queue("default", connection=get_redis())
    return [job.args[0] for job in queue.get_jobs() if job.func_name.endswith("deliver_webhook_job")]


def _published(make, actor, receiver_url):
    channel = make.channel(actor, url=receiver_url, name="Blog")
    content = make.content(actor, title="Launch day")
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    publication = schedules.publications_of(schedules.create_schedule(actor, data))[0]
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    return publication


def test_a_published_publication_commits_one_delivery_per_subscriber_and_enqueues_it(make, receiver):
    actor = make.actor()
    subscription, _ = subscriptions.create_subscription(actor, receiver.url, ["publication.published"])
    subscriptions.create_subscription(actor, receiver.url, ["publication.failed"])  # not interested
    publication = _published(make, actor, receiver.url)

    assert publisher.execute(publication.id) == "published"

    [delivery] = _deliveries()
    assert (delivery.subscription_id, delivery.event, delivery.status) == (
        subscription.id,
        "publication.published",
        "pending",
    )
    body = json.loads(delivery.payload)
    assert body["event"] == "publication.published" and body["id"] == delivery.event_id
    assert body["data"]["publication"]["id"] == publication.id
    assert body["data"]["content"]["title"] == "Launch day" and body["data"]["channel"]["name"] == "Blog"
    assert _queued_delivery_ids() == [delivery.id]


def test_the_delivery_is_signed_with_the_subscription_secret_and_carries_a_stable_event_id(make, receiver):
    actor = make.actor()
    subscription, secret = subscriptions.create_subscription(actor, receiver.url, ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "run skipped")
    db.session.commit()
    [delivery] = _deliveries()

    assert outbound_webhooks.deliver(delivery.id) == "delivered"

    [request] = receiver.requests
    assert verify(secret, request.headers["X-Herald-Timestamp"], request.body, request.headers["X-Herald-Signature"])
    assert not verify(
        "whsec_wrong", request.headers["X-Herald-Timestamp"], request.body, request.headers["X-Herald-Signature"]
    )
    assert request.json()["id"] == delivery.event_id == request.headers["X-Herald-Delivery"]
    assert request.json()["event"] == "schedule.missed" and request.json()["data"]["message"] == "run skipped"
    assert request.headers["X-Herald-Event"] == "schedule.missed"
    assert "whsec_" not in subscription.secret_encrypted  # stored encrypted, never in clear


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        ("failure", "publication.failed"),
        ("needs_intervention", "publication.needs_intervention"),
        ("missed", "schedule.missed"),
        ("channel_unhealthy", "channel.unhealthy"),
    ],
)
def test_each_alert_kind_maps_to_its_event(make, kind, event):
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", list(subscriptions.EVENTS))
    alerts.raise_alert(actor.workspace_id, kind, "something happened")
    db.session.commit()

    assert [d.event for d in _deliveries()] == [event]


def test_alerts_without_an_event_send_nothing(make):
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", list(subscriptions.EVENTS))
    alerts.raise_alert(actor.workspace_id, "preflight", "will fail")
    db.session.commit()

    assert _deliveries() == []


def test_a_rolled_back_transaction_leaves_no_delivery_and_enqueues_nothing(make):
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "never happened")
    db.session.flush()  # the rows existed inside the transaction...
    db.session.rollback()  # ...which did not commit
    db.session.commit()

    assert _deliveries() == []
    assert _queued_delivery_ids() == []


def test_a_500_is_retried_with_backoff_then_succeeds(make, receiver, app):
    actor = make.actor()
    subscriptions.create_subscription(actor, receiver.url, ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "late")
    db.session.commit()
    [delivery] = _deliveries()
    receiver.respond(500, body="boom")
    start = utcnow()

    assert outbound_webhooks.deliver(delivery.id, now=start) == "pending"
    [delivery] = _deliveries()
    assert (delivery.attempts, delivery.response_status, delivery.last_error) == (1, 500, "HTTP 500")
    assert delivery.response_excerpt == "boom"
    assert start <= delivery.next_attempt_at <= start + timedelta(seconds=app.config["RETRY_BASE_S"])
    assert outbound_webhooks.deliver(delivery.id, now=start) is None  # not due yet: nothing is sent
    assert len(receiver.requests) == 1

    receiver.respond(204)
    assert outbound_webhooks.deliver(delivery.id, now=delivery.next_attempt_at) == "delivered"
    [delivery] = _deliveries()
    assert (delivery.attempts, delivery.response_status, delivery.next_attempt_at) == (2, 204, None)
    first, second = receiver.requests
    assert first.body == second.body  # same bytes, same event id


def test_delivery_gives_up_after_the_attempt_limit(make, receiver, app):
    app.config["OUTBOUND_MAX_ATTEMPTS"] = 3
    try:
        actor = make.actor()
        subscriptions.create_subscription(actor, receiver.url, ["schedule.missed"])
        alerts.raise_alert(actor.workspace_id, "missed", "late")
        db.session.commit()
        receiver.respond(503)
        [delivery] = _deliveries()
        statuses = []
        for _ in range(3):
            statuses.append(outbound_webhooks.deliver(delivery.id, now=_deliveries()[0].next_attempt_at))
    finally:
        app.config["OUTBOUND_MAX_ATTEMPTS"] = 8
    assert statuses == ["pending", "pending", "failed"]
    [delivery] = _deliveries()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_retried(make):
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "late")
    db.session.commit()

    assert outbound_webhooks.deliver(_deliveries()[0].id) == "pending"
    assert "could not connect" in _deliveries()[0].last_error


def test_non_http_urls_are_refused(make):
    actor = make.actor()
    for url in ("ftp://example.test/x", "file:///etc/passwd", "javascript:alert(1)", "example.test"):
        with pytest.raises(ValidationFailed) as caught:
            subscriptions.create_subscription(actor, url, ["schedule.missed"])
        assert caught.value.fields == {"url": "must be an http(s) URL"}
    with pytest.raises(ValidationFailed) as caught:
        subscriptions.create_subscription(actor, "https://example.test/x", ["publication.deleted"])
    assert "events" in caught.value.fields


def test_the_sweep_enqueues_due_deliveries_that_lost_their_job(make, redis_conn):
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "late")
    db.session.commit()
    redis_conn.flushdb()  # a Redis blip: the job enqueued at commit is gone

    report = outbound_webhooks.sweep(now=utcnow() + timedelta(minutes=1))

    assert report == {"reset": 0, "enqueued": 1}
    assert _queued_delivery_ids() == [_deliveries()[0].id]


def test_the_sweep_restarts_a_delivery_whose_worker_died_mid_send(make):
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "late")
    db.session.commit()
    [delivery] = _deliveries()
    delivery.status, delivery.last_attempt_at = "sending", utcnow() - timedelta(minutes=10)
    db.session.commit()

    assert outbound_webhooks.sweep()["reset"] == 1
    assert _deliveries()[0].status == "pending"


def test_a_claimed_delivery_is_not_sent_twice(make, receiver):
    actor = make.actor()
    subscriptions.create_subscription(actor, receiver.url, ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "late")
    db.session.commit()
    delivery_id = _deliveries()[0].id

    assert outbound_webhooks.deliver(delivery_id) == "delivered"
    assert outbound_webhooks.deliver(delivery_id) is None
    assert len(receiver.requests) == 1


def test_a_test_event_and_a_redelivery_keep_their_event_id(make, receiver):
    actor = make.actor()
    subscription, _ = subscriptions.create_subscription(actor, receiver.url, ["schedule.missed"])
    delivery = outbound_webhooks.send_test(actor, subscription.id)
    assert outbound_webhooks.deliver(delivery.id) == "delivered"
    with pytest.raises(Conflict):
        outbound_webhooks.redeliver(actor, outbound_webhooks.send_test(actor, subscription.id).id)  # still pending

    outbound_webhooks.redeliver(actor, delivery.id)
    assert delivery.id in _queued_delivery_ids()
    assert outbound_webhooks.deliver(delivery.id) == "delivered"

    first, second = receiver.requests[0], receiver.requests[1]
    assert first.json()["event"] == "test" and first.json()["id"] == second.json()["id"]


def test_a_disabled_subscription_gets_no_events_and_its_pending_ones_fail(make, receiver):
    actor = make.actor()
    subscription, _ = subscriptions.create_subscription(actor, receiver.url, ["schedule.missed"])
    alerts.raise_alert(actor.workspace_id, "missed", "before")
    db.session.commit()
    subscriptions.update_subscription(
        actor, subscription.id, url=receiver.url, events=["schedule.missed"], active=False
    )
    alerts.raise_alert(actor.workspace_id, "missed", "after")
    db.session.commit()

    [delivery] = _deliveries()
    assert outbound_webhooks.deliver(delivery.id) == "failed"
    assert receiver.requests == []


def test_subscriptions_and_deliveries_are_isolated_by_workspace(make):
    alpha, bravo = make.actor(), make.actor()
    subscription, _ = subscriptions.create_subscription(alpha, "http://127.0.0.1:9/hook", ["schedule.missed"])
    alerts.raise_alert(bravo.workspace_id, "missed", "bravo's event")
    db.session.commit()
    assert _deliveries() == []  # bravo's events never reach alpha's subscription
    delivery = outbound_webhooks.send_test(alpha, subscription.id)

    for call in (
        lambda: subscriptions.get_subscription(bravo, subscription.id),
        lambda: subscriptions.delete_subscription(bravo, subscription.id),
        lambda: outbound_webhooks.send_test(bravo, subscription.id),
        lambda: outbound_webhooks.redeliver(bravo, delivery.id),
        lambda: subscriptions.deliveries_of(bravo, subscription.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert subscriptions.list_subscriptions(bravo) == []


def test_only_owners_reveal_the_secret_and_viewers_change_nothing(make):
    owner_user = make.user()
    owner = make.actor(owner_user)
    subscription, secret = subscriptions.create_subscription(owner, "https://example.test/h", ["schedule.missed"])
    assert subscriptions.reveal_secret(owner, subscription.id) == secret
    editor = owner.__class__(owner.user_id, owner.workspace_id, "editor", "ui")
    viewer = owner.__class__(owner.user_id, owner.workspace_id, "viewer", "ui")

    with pytest.raises(Forbidden):
        subscriptions.reveal_secret(editor, subscription.id)
    with pytest.raises(Forbidden):
        subscriptions.delete_subscription(viewer, subscription.id)
    with pytest.raises(Forbidden):
        outbound_webhooks.send_test(viewer, subscription.id)


def test_publication_rows_are_untouched_by_a_failing_receiver(make, receiver):
    # The outbox decouples: the publish commits whatever the subscriber's endpoint does later.
    actor = make.actor()
    subscriptions.create_subscription(actor, "http://127.0.0.1:9/hook", ["publication.published"])
    publication = _published(make, actor, receiver.url)
    assert publisher.execute(publication.id) == "published"
    outbound_webhooks.deliver(_deliveries()[0].id)

    assert db.session.get(Publication, publication.id).status == "published"


def test_credentials_rotate_re_encrypts_subscription_secrets(runner, make, app, monkeypatch):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", old)
    subscription, secret = subscriptions.create_subscription(
        make.actor(), "https://example.test/h", ["schedule.missed"]
    )
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", f"{new},{old}")

    result = runner.invoke(args=["credentials", "rotate"])

    assert result.exit_code == 0 and "1 webhook subscription" in result.output
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", new)  # the old key is gone now
    db.session.expire_all()
    assert subscriptions.secret_of(db.session.get(type(subscription), subscription.id)) == secret
