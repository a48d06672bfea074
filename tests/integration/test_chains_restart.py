"""A chain keeps its order across a crash: A is mid-call, B waits, then the worker and the scheduler are killed
(kill -9) and Redis is flushed. After the restart A's outcome is unknown and its webhook cannot be asked, so A
waits for a person (never re-sent blindly) and B keeps waiting; the person's retry publishes A, then B, exactly
once each, with A's URL in B's text (issue 8: "built on the state machine, so a restart, a retry or a reconcile
keeps the order").

Real web, worker and scheduler processes on a stack of their own (`IsolatedStack`: its own redis-server, so
FLUSHALL touches nothing shared), and an idempotent webhook peer, as a real platform would be.
"""

from __future__ import annotations

import secrets
import time

import pytest

from .harness import (
    Api,
    IdempotentReceiver,
    isolated_stack_fixtures,
    utc_text,
    whole_seconds_ahead,
)

pytestmark = pytest.mark.integration

# A's peer holds its first answer 4 s, so the worker is still in the call when it is killed. Nothing lives past
# PUBLISH_TIMEOUT_S, so a `publishing` row untouched for ORPHAN_AFTER_S is an orphan the reconciler settles.
A_ANSWER_S = 4
KNOBS = {"RECONCILE_INTERVAL_S": "2", "PUBLISH_TIMEOUT_S": "5", "ORPHAN_AFTER_S": "6", "SCHEDULER_INTERVAL_S": "1"}
SETTLE_TIMEOUT_S = 30
DUPLICATE_WINDOW_S = 2.0
BODY = "Read it: {{ published.url }} ({{ published.title }})"


iso, _processes_survive_each_test = isolated_stack_fixtures(KNOBS, "chain-restart")


def webhook_channel(api: Api, name: str, url: str) -> dict:
    return api.create(
        "/channels",
        {
            "name": name,
            "platform": "webhook",
            "settings": {"url": url},
            "credentials": {"secret": secrets.token_hex(8)},
        },
    )


def watch_until_published(api: Api, first: dict, second: dict, second_url: str, peer: IdempotentReceiver) -> list:
    """Poll both until B is published; return every (A status, B status, B deliveries) seen on the way."""
    seen = []
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        api.stack.assert_running()
        a_status = api.publication(first["id"])["status"]
        b_status = api.publication(second["id"])["status"]
        seen.append((a_status, b_status, len(peer.deliveries_to(second_url))))
        if b_status in {"published", "failed", "paused", "cancelled", "missed"}:
            return seen
        assert time.monotonic() < deadline, f"B still {b_status} (A {a_status}) after {SETTLE_TIMEOUT_S} s"
        time.sleep(0.1)


def test_a_chain_keeps_its_order_and_publishes_each_once_across_a_crash_and_a_flushed_redis(iso, peer):
    api = iso.api
    a_url, b_url = peer.hook(first_delay=A_ANSWER_S), peer.hook()
    blog, social = webhook_channel(api, "blog", a_url), webhook_channel(api, "social", b_url)
    content = api.create("/contents", {"title": "Launch", "body": BODY, "status": "approved"})
    schedule = api.create(
        "/schedules",
        {
            "content_id": content["id"],
            "channel_ids": [blog["id"], social["id"]],
            "run_at": utc_text(whole_seconds_ahead(2)),
            "chain": [{"channel_id": social["id"], "after_channel_id": blog["id"]}],
        },
    )
    by_channel = {p["channel_id"]: p for p in schedule["publications"]}
    first, second = by_channel[blog["id"]], by_channel[social["id"]]

    # A is in its platform call (the peer holds the answer); B waits for it.
    assert len(peer.wait_for(a_url, 1, timeout=15)) == 1
    assert api.publication(first["id"])["status"] == "publishing"
    before = api.publication(second["id"])
    assert (before["status"], before["hold_reason"]) == ("scheduled", f"waiting for #{first['id']} on blog")

    iso.kill("worker")  # kill -9 mid-call: A's outcome is never recorded
    iso.kill("scheduler")
    with iso.redis() as redis:
        redis.flushall()  # every job, rq-scheduler entry and periodic job is gone
    iso.wait_ready(iso.spawn_scheduler(wait=False), iso.spawn_worker(wait=False))

    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not (api.publication(first["id"])["hold_reason"] or "").startswith("waiting for you"):
        assert time.monotonic() < deadline, f"A still {api.publication(first['id'])['status']}"
        time.sleep(0.2)
    held = api.publication(second["id"])
    assert (api.publication(first["id"])["status"], held["status"]) == ("unconfirmed", "scheduled")
    assert peer.deliveries_to(b_url) == []
    retried = api.call("POST", "/publications/bulk", json={"action": "retry", "ids": [first["id"]]})
    assert retried.status_code == 200 and retried.json()["changed"] == 1, retried.text

    seen = watch_until_published(api, first, second, b_url, peer)
    time.sleep(DUPLICATE_WINDOW_S)
    a, b = api.publication(first["id"]), api.publication(second["id"])

    assert (a["status"], b["status"]) == ("published", "published"), (a, b)
    # B never went out, nor left waiting, before A had published.
    assert all(b_status == "scheduled" and sent == 0 for a_status, b_status, sent in seen if a_status != "published")
    # A: orphaned by the crash, retried by a person under its own key, which the peer answered with the same post.
    assert [(x["number"], x["outcome"]) for x in a["attempts"]] == [(1, "unknown_outcome"), (2, "published")]
    assert {d.headers["Idempotency-Key"] for d in peer.deliveries_to(a_url)} == {a["idempotency_key"]}
    [a_post] = peer.posts_at(a_url)
    # B: one request, one post, after A's outcome was known, carrying A's live URL and title.
    [b_request] = peer.deliveries_to(b_url)
    [b_post] = peer.posts_at(b_url)
    assert (b_post.key, b["idempotency_key"]) == (b_request.headers["Idempotency-Key"], b_post.key)
    assert a["external_url"] == a_post.url
    assert b_request.json()["content"]["body"] == f"Read it: {a_post.url} (Launch)"
    assert b_request.arrived_at > peer.deliveries_to(a_url)[-1].arrived_at
    assert b["started_at"] >= a["finished_at"]  # ISO 8601 UTC texts compare in time order
    assert [(x["number"], x["outcome"]) for x in b["attempts"]] == [(1, "published")]
