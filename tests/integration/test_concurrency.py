"""Many publications in flight in one worker process (WORKER_CONCURRENCY slots on threads), on real processes.

A slow platform no longer means one request at a time: publications due together are sent together, each
exactly once; copies of one job racing in several slots still make one request (the claim); a SIGTERM while
calls are in flight lets every slot finish its publication before the process exits.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import pytest
from rq_scheduler import Scheduler

from .harness import IsolatedStack, isolated_stack_fixtures, utc_text

pytestmark = pytest.mark.integration

SLOTS = 6
KNOBS = {"WORKER_CONCURRENCY": str(SLOTS), "SCHEDULER_INTERVAL_S": "1", "RECONCILE_INTERVAL_S": "30"}
CALL_S = 1.5  # the receiver holds each new post this long


iso, _processes_survive_each_test = isolated_stack_fixtures(KNOBS, "slots")


def _channel(iso: IsolatedStack, url: str) -> dict:
    return iso.api.create(
        "/channels",
        {"name": f"slow {secrets.token_hex(3)}", "platform": "webhook", "settings": {"url": url},
         "credentials": {"secret": secrets.token_urlsafe(16)}},
    )  # fmt: skip


def _due_together(iso: IsolatedStack, channel: dict, count: int, ahead_s: int = 3) -> list[dict]:
    content = iso.api.create("/contents", {"title": "Together", "body": "In flight at once.", "status": "approved"})
    run_at = utc_text(datetime.fromtimestamp(int(time.time()) + ahead_s, UTC))
    body = {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at}
    return [iso.api.create("/schedules", body)["publications"][0] for _ in range(count)]


def test_publications_due_together_are_in_flight_together_and_each_sent_once(iso, peer):
    url = peer.hook(first_delay=CALL_S)
    publications = _due_together(iso, _channel(iso, url), SLOTS)

    deliveries = peer.wait_for(url, SLOTS, timeout=20)
    settled = [iso.api.wait_until_final(p["id"]) for p in publications]

    arrivals = sorted(d.arrived_at for d in deliveries)
    # One slot would have sent them CALL_S apart; six slots send them within one scheduler tick.
    assert arrivals[-1] - arrivals[0] < CALL_S, arrivals
    assert [p["status"] for p in settled] == ["published"] * SLOTS
    assert sorted(d.headers["Idempotency-Key"] for d in peer.deliveries_to(url)) == sorted(
        p["idempotency_key"] for p in publications
    )


def test_copies_of_one_job_racing_in_every_slot_make_one_request(iso, peer):
    url = peer.hook(first_delay=0.3)
    (publication,) = _due_together(iso, _channel(iso, url), 1, ahead_s=4)
    redis = iso.redis()
    scheduler = Scheduler(connection=redis)
    (entry,) = [j for j in scheduler.get_jobs() if j.meta.get("publication_id") == publication["id"]]
    at = datetime.fromtimestamp(scheduler.connection.zscore(scheduler.scheduled_jobs_key, entry.id), UTC)
    for n in range(SLOTS - 1):  # a duplicate per slot, due in the same tick (two schedulers, a requeue, …)
        scheduler.enqueue_at(
            at, entry.func_name, *entry.args, job_id=f"{entry.id}-copy-{n}", queue_name=entry.origin, meta=entry.meta
        )
    redis.close()

    settled = iso.api.wait_until_final(publication["id"])
    time.sleep(1.0)  # any second request would have arrived by now

    assert settled["status"] == "published"
    assert [a["outcome"] for a in settled["attempts"]] == ["published"]
    assert len(peer.deliveries_to(url)) == 1


def test_sigterm_while_calls_are_in_flight_lets_each_slot_finish_its_publication(iso, peer):
    url = peer.hook(first_delay=CALL_S + 1)
    publications = _due_together(iso, _channel(iso, url), SLOTS - 2)
    peer.wait_for(url, SLOTS - 2, timeout=20)  # every call is out, the receiver holds the answers

    started = time.monotonic()
    (worker,) = iso.terminate("worker")
    stopped_after = time.monotonic() - started

    assert worker.popen.returncode == 0, worker.tail()
    assert stopped_after > 1.0  # it waited for the answers …
    states = [iso.api.publication(p["id"]) for p in publications]
    assert [p["status"] for p in states] == ["published"] * len(publications)  # … and recorded them
    assert len(peer.deliveries_to(url)) == len(publications)
