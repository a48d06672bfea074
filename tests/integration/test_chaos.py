"""Chaos: kill -9 of a worker every few seconds and of the scheduler once, over a hundred and fifty
publications due within half a minute, on real processes (a stack of its own: its own redis-server).

Nothing is lost and nothing is sent twice: every publication ends `published`, except those whose call a
kill cut off mid-request, which wait `unconfirmed` for a person (a webhook cannot be asked whether the post
arrived, so Herald never re-sends one blindly), each with exactly one request sent; none is left scheduled,
queued or publishing; the site answers throughout. The person's retry then publishes the held ones under
their own keys, and the idempotent receiver holds exactly one post per key.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests

from .harness import IsolatedStack, isolated_stack_fixtures, utc_text

pytestmark = pytest.mark.integration

KNOBS = {"RECONCILE_INTERVAL_S": "2", "PUBLISH_TIMEOUT_S": "5", "ORPHAN_AFTER_S": "6", "SCHEDULER_INTERVAL_S": "1"}
PUBLICATIONS = 150
SPREAD_S = 20  # due over this many seconds, from a few seconds ahead
CALL_S = 0.15  # the receiver takes this long to answer a new post, so kills land mid-call too
KILL_EVERY_S = 3.0
SLOTS = 8  # WORKER_CONCURRENCY's default: publications one worker process has in flight
# A job a kill took off its queue before the claim is queued again by the reconciler once it has sat `queued`
# for reconcile.STUCK_QUEUED_AFTER (2 min) with no live job: the wait must outlast that.
SETTLE_TIMEOUT_S = 180
WAITING = "waiting for you"


iso, _processes_survive_each_test = isolated_stack_fixtures(KNOBS, "chaos")


def _seed(iso: IsolatedStack, url: str) -> list[int]:
    api = iso.api
    channel = api.create(
        "/channels",
        {"name": f"chaos {secrets.token_hex(2)}", "platform": "webhook", "settings": {"url": url},
         "credentials": {"secret": secrets.token_urlsafe(16)}},
    )  # fmt: skip
    content = api.create("/contents", {"title": "Chaos", "body": "Exactly once.", "status": "approved"})
    start = int(time.time()) + 4
    rows = [
        {
            "content_id": content["id"],
            "channel_ids": [channel["id"]],
            "run_at": utc_text_at(start + i * SPREAD_S / PUBLICATIONS),
        }
        for i in range(PUBLICATIONS)
    ]
    imported = api.call("POST", "/import?kind=schedules", json=rows)
    assert imported.status_code == 201, imported.text
    listed = api.call("GET", f"/publications?channel_id={channel['id']}&per_page=200").json()
    ids = [p["id"] for p in listed["items"]]
    assert len(ids) == PUBLICATIONS
    return ids


def utc_text_at(unix: float) -> str:
    return utc_text(datetime.fromtimestamp(int(unix), UTC))


def _statuses(iso: IsolatedStack, ids: list[int]) -> dict[int, dict]:
    """Every publication, in one list call (one call a poll: a call per publication would meet the API's rate limit)."""
    listed = iso.api.call("GET", "/publications?per_page=200")
    assert listed.status_code == 200, listed.text
    return {p["id"]: p for p in listed.json()["items"] if p["id"] in set(ids)}


def test_kill_9_of_workers_and_the_scheduler_loses_nothing_and_sends_nothing_twice(iso, peer):
    rng = random.Random(7)
    url = peer.hook(first_delay=CALL_S)
    iso.spawn_worker()  # two workers, as the benches run
    ids = _seed(iso, url)

    kills, answers, started = 0, Counter(), time.monotonic()
    scheduler_killed = False
    while time.monotonic() - started < SPREAD_S + 6:
        time.sleep(KILL_EVERY_S)
        victim = rng.choice(iso.role("worker"))
        iso.kill(victim.name)  # kill -9, wherever it is in a publication
        kills += 1
        iso.spawn_worker(wait=False)
        if not scheduler_killed and time.monotonic() - started > SPREAD_S / 2:
            iso.kill("scheduler")
            iso.spawn_scheduler(wait=False)
            scheduler_killed = True
        answers[requests.get(iso.url("/livez"), timeout=5).status_code] += 1
    assert answers == Counter({200: answers[200]}), answers  # the site answered throughout

    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        seen = _statuses(iso, ids)
        open_ = [
            p for p in seen.values() if p["status"] != "published" and not (p["hold_reason"] or "").startswith(WAITING)
        ]
        if not open_:
            break
        assert time.monotonic() < deadline, Counter(p["status"] for p in open_)
        time.sleep(1)

    held = [p for p in seen.values() if p["status"] == "unconfirmed"]
    sent = Counter(d.headers["Idempotency-Key"] for d in peer.deliveries_to(url))
    # Nothing is marked published that never went out, and no key went out twice. A kill between the claim and
    # the request (a slot still preparing it, or waiting for the GIL) leaves it held with none sent: a person's
    # retry below then makes its one post. Holding is the safe side: the worker cannot tell the two apart.
    assert {p["idempotency_key"] for p in seen.values() if p["status"] == "published"} <= set(sent)
    assert max(sent.values()) == 1, [key for key, n in sent.items() if n > 1]
    assert len(held) <= kills * SLOTS  # a kill cuts at most the calls its worker's slots had in flight
    assert all(p["status"] in ("published", "unconfirmed") for p in seen.values())

    print(
        f"chaos: {kills} worker kills, 1 scheduler kill; "
        f"{len(held)} held for a person, {len(seen) - len(held)} published"
    )
    # A person retries what waits for them: published under the same keys, still one post per key.
    if held:
        retried = iso.api.call("POST", "/publications/bulk", json={"action": "retry", "ids": [p["id"] for p in held]})
        assert retried.status_code == 200 and retried.json()["changed"] == len(held), retried.text
        for publication in held:
            # The killed slots' holds on the channel's in-flight cap were freed when a worker started or the
            # reconciler ran (throttle.release_orphans), not when their leases (throttle.SLOT_LEASE_S) ran out.
            assert iso.api.wait_until_final(publication["id"], timeout=30)["status"] == "published"
    posts = peer.posts_at(url)
    assert len(posts) == PUBLICATIONS and len({p.key for p in posts}) == PUBLICATIONS


def test_a_worker_killed_mid_call_gives_its_channel_slot_back_at_once(iso, peer):
    iso.restore(workers=1)
    api = iso.api
    hanging = peer.hook(hang_first=True)  # the call the kill cuts off: it never answers
    channel = api.create(
        "/channels",
        {"name": f"capped {secrets.token_hex(2)}", "platform": "webhook", "settings": {"url": hanging},
         "credentials": {"secret": secrets.token_urlsafe(16)}, "rules": {"max_in_flight": 1}},
    )  # fmt: skip
    content = api.create("/contents", {"title": "One at a time", "body": "Slot.", "status": "approved"})

    def publish_soon() -> int:
        body = {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text_at(time.time() + 2)}
        api.create("/schedules", body)
        listed = api.call("GET", f"/publications?channel_id={channel['id']}&per_page=10").json()["items"]
        return max(p["id"] for p in listed)

    publish_soon()
    peer.wait_for(hanging, 1)  # in flight: it holds the channel's only slot
    (victim,) = iso.role("worker")
    iso.kill(victim.name)
    iso.spawn_worker()
    api.call("PATCH", f"/channels/{channel['id']}", json={"settings": {"url": peer.hook()}})

    # Without the restart freeing the dead worker's lease it would wait out throttle.SLOT_LEASE_S (150 s).
    final = api.wait_until_final(publish_soon(), timeout=30)
    assert final["status"] == "published", final
