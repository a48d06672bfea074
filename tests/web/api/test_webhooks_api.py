"""Outbound webhook subscriptions and their delivery log through /api/v1/webhooks, as the integrations page has them."""

from __future__ import annotations

import pytest
from rq import Queue

from tests.adapters.receiver import Receiver
from webapp.adapters.signing import verify
from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.extensions import db
from webapp.infra.queues import get_redis
from webapp.models import AuditEvent, WebhookDelivery, WebhookSubscription

HOOK = "https://example.test/hook"


@pytest.fixture
def created(api):
    return api("POST", "/webhooks", json={"url": HOOK, "events": ["schedule.missed", "publication.failed"]})


def _queued_delivery_ids() -> list[int]:
    queue = Queue("default", connection=get_redis())
    return [job.args[0] for job in queue.get_jobs() if job.func_name.endswith("deliver_webhook_job")]


def test_creating_a_subscription_answers_its_secret_once(api, created, owner, assert_schema):
    assert created.status_code == 201
    body = created.json
    assert_schema(body, "WebhookCreated")
    assert (body["url"], body["events"], body["active"]) == (HOOK, ["publication.failed", "schedule.missed"], True)
    stored = db.session.get(WebhookSubscription, body["id"])
    assert body["secret"].startswith("whsec_") and subscriptions.secret_of(stored) == body["secret"]
    shown = api("GET", f"/webhooks/{body['id']}")
    assert_schema(shown.json, "Webhook")
    assert "secret" not in shown.json and "secret" not in api("GET", "/webhooks").json["items"][0]
    assert db.session.query(AuditEvent).filter_by(action="subscription.created", source="api").count() == 1


def test_a_subscription_can_start_inactive(api):
    response = api("POST", "/webhooks", json={"url": HOOK, "events": ["channel.unhealthy"], "active": False})
    assert (response.status_code, response.json["active"]) == (201, False)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "ftp://example.test/x", "events": ["schedule.missed"]}, {"url"}),
        ({"url": HOOK, "events": []}, {"events"}),
        ({"url": HOOK, "events": ["publication.eaten"]}, {"events"}),
        ({"events": ["schedule.missed"]}, {"url"}),
        ({"url": HOOK, "events": ["schedule.missed"], "active": "yes"}, {"active"}),
        ({"url": HOOK, "events": ["schedule.missed"], "secret": "mine"}, {"secret"}),
    ],
)
def test_a_bad_subscription_is_refused_by_field_and_nothing_is_written(api, unchanged, body, fields):
    with unchanged():
        response = api("POST", "/webhooks", json=body)
    assert response.status_code == 422 and set(response.json["error"]["fields"]) == fields


def test_subscriptions_are_listed_by_page(api, assert_schema):
    ids = [
        api("POST", "/webhooks", json={"url": f"{HOOK}/{n}", "events": ["schedule.missed"]}).json["id"]
        for n in (1, 2, 3)
    ]

    first, last = api("GET", "/webhooks?per_page=2"), api("GET", "/webhooks?per_page=2&page=2")

    assert_schema(first.json, "WebhookList")
    assert (first.json["total"], [s["id"] for s in first.json["items"]]) == (3, ids[:2])
    assert [s["id"] for s in last.json["items"]] == ids[2:]


def test_patch_changes_only_the_fields_given(api, created, assert_schema):
    subscription_id = created.json["id"]

    paused = api("PATCH", f"/webhooks/{subscription_id}", json={"active": False})
    moved = api("PATCH", f"/webhooks/{subscription_id}", json={"url": f"{HOOK}/v2", "events": ["channel.unhealthy"]})

    assert (paused.status_code, paused.json["active"], paused.json["url"]) == (200, False, HOOK)
    assert_schema(moved.json, "Webhook")
    assert (moved.json["url"], moved.json["events"], moved.json["active"]) == (
        f"{HOOK}/v2",
        ["channel.unhealthy"],
        False,
    )


def test_a_bad_patch_changes_nothing(api, created, unchanged):
    subscription_id = created.json["id"]
    with unchanged():
        bad_url = api("PATCH", f"/webhooks/{subscription_id}", json={"url": "not a url", "active": False})
        bad_active = api("PATCH", f"/webhooks/{subscription_id}", json={"active": 1})
    assert bad_url.status_code == 422 and set(bad_url.json["error"]["fields"]) == {"url"}
    assert bad_active.status_code == 422 and set(bad_active.json["error"]["fields"]) == {"active"}
    assert api("GET", f"/webhooks/{subscription_id}").json["url"] == HOOK


def test_deleting_a_subscription_removes_it_and_its_log(api, created):
    subscription_id = created.json["id"]
    api("POST", f"/webhooks/{subscription_id}/test")

    assert api("DELETE", f"/webhooks/{subscription_id}").status_code == 204

    assert api("GET", f"/webhooks/{subscription_id}").status_code == 404
    assert db.session.query(WebhookDelivery).count() == 0


def test_a_test_event_is_queued_signed_and_listed_in_the_log(api, assert_schema):
    with Receiver() as receiver:
        created = api("POST", "/webhooks", json={"url": receiver.url, "events": ["schedule.missed"]}).json

        queued = api("POST", f"/webhooks/{created['id']}/test")

        assert queued.status_code == 201
        assert_schema(queued.json, "WebhookDelivery")
        assert (queued.json["event"], queued.json["status"], queued.json["attempts"]) == ("test", "pending", 0)
        assert _queued_delivery_ids() == [queued.json["id"]]
        assert outbound_webhooks.deliver(queued.json["id"]) == "delivered"
        [request] = receiver.requests
    signature = (request.headers["X-Herald-Timestamp"], request.body, request.headers["X-Herald-Signature"])
    assert verify(created["secret"], *signature)
    assert request.json()["id"] == queued.json["event_id"] == queued.json["payload"]["id"]

    log = api("GET", f"/webhooks/{created['id']}/deliveries")

    assert_schema(log.json, "WebhookDeliveryList")
    [entry] = log.json["items"]
    assert (entry["id"], entry["status"], entry["attempts"], entry["response_status"]) == (
        queued.json["id"],
        "delivered",
        1,
        200,
    )
    assert entry["next_attempt_at"] is None and entry["last_attempt_at"] is not None


def test_the_delivery_log_is_newest_first_by_page(api, created):
    subscription_id = created.json["id"]
    ids = [api("POST", f"/webhooks/{subscription_id}/test").json["id"] for _ in range(3)]

    page = api("GET", f"/webhooks/{subscription_id}/deliveries?per_page=2").json

    assert (page["total"], [d["id"] for d in page["items"]]) == (3, ids[::-1][:2])


def test_a_finished_delivery_is_redelivered_with_the_same_event_id(api, created, assert_schema):
    subscription_id = created.json["id"]
    delivery = api("POST", f"/webhooks/{subscription_id}/test").json
    redeliver = f"/webhooks/{subscription_id}/deliveries/{delivery['id']}/redeliver"
    assert api("POST", redeliver).status_code == 409  # still pending: being sent
    row = db.session.get(WebhookDelivery, delivery["id"])
    row.status, row.attempts, row.last_error = "failed", 8, "HTTP 500"
    db.session.commit()

    again = api("POST", redeliver)

    assert again.status_code == 200
    assert_schema(again.json, "WebhookDelivery")
    assert (again.json["status"], again.json["attempts"], again.json["event_id"]) == (
        "pending",
        0,
        delivery["event_id"],
    )


def test_a_delivery_is_redelivered_only_through_its_own_subscription(api, created):
    other = api("POST", "/webhooks", json={"url": f"{HOOK}/other", "events": ["schedule.missed"]}).json
    delivery = api("POST", f"/webhooks/{created.json['id']}/test").json

    response = api("POST", f"/webhooks/{other['id']}/deliveries/{delivery['id']}/redeliver")

    assert response.status_code == 404


def test_a_viewer_reads_subscriptions_and_their_log_but_changes_nothing(api, created, viewer_key, unchanged):
    subscription_id = created.json["id"]
    assert api("GET", "/webhooks", key_override=viewer_key).json["total"] == 1
    assert api("GET", f"/webhooks/{subscription_id}/deliveries", key_override=viewer_key).status_code == 200
    with unchanged():
        answers = [
            api("POST", "/webhooks", key_override=viewer_key, json={"url": HOOK, "events": ["schedule.missed"]}),
            api("PATCH", f"/webhooks/{subscription_id}", key_override=viewer_key, json={"active": False}),
            api("DELETE", f"/webhooks/{subscription_id}", key_override=viewer_key),
            api("POST", f"/webhooks/{subscription_id}/test", key_override=viewer_key),
        ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]


def test_an_editor_manages_subscriptions(api, editor_key):
    created = api("POST", "/webhooks", key_override=editor_key, json={"url": HOOK, "events": ["schedule.missed"]})

    assert created.status_code == 201
    assert api("DELETE", f"/webhooks/{created.json['id']}", key_override=editor_key).status_code == 204
