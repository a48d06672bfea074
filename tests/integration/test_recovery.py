"""Herald repairs itself with real processes: a scheduler down over a due time, a flushed Redis, a killed
worker, a scheduler restart under a recurring schedule, and two schedulers at once.

Everything here runs on a stack of its own (`IsolatedStack`: its own redis-server on a free port, its
own database), with short knobs, so flushing Redis or killing processes never touches the shared
Redis DB 14 or the session's stack. Tests leave one worker and one scheduler running behind them.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from .harness import (
    Api,
    IsolatedStack,
    Receiver,
    isolated_stack_fixtures,
    parse_utc,
    utc_text,
    whole_seconds_ahead,
)

pytestmark = pytest.mark.integration

KNOBS = {"RECONCILE_INTERVAL_S": "2", "ORPHAN_AFTER_S": "7", "PUBLISH_TIMEOUT_S": "6", "SCHEDULER_INTERVAL_S": "1"}
SCHEDULED_JOBS = "rq:scheduler:scheduled_jobs"  # rq-scheduler's sorted set
PERIODIC_RECONCILE = "herald-periodic-reconcile"
DUPLICATE_WINDOW_S = 2.0  # a duplicate delivery would arrive within this


iso, _processes_survive_each_test = isolated_stack_fixtures(KNOBS, "recovery")


@pytest.fixture(autouse=True)
def _recurring_alive_throughout(recurring) -> None:
    """Start the recurring schedule before the first test, so it lives through everything this module does."""


@pytest.fixture(scope="module")
def api(iso) -> Api:
    return iso.api


@pytest.fixture(scope="module")
def content(api) -> dict:
    return api.create("/contents", {"title": "Recovery", "body": "Back on its feet.", "status": "approved"})


def make_channel(api: Api, receiver: Receiver) -> dict:
    return api.create(
        "/channels",
        {
            "name": f"hook {secrets.token_hex(3)}",
            "platform": "webhook",
            "settings": {"url": receiver.hook()},
            "credentials": {"secret": secrets.token_urlsafe(16)},
        },
    )


def schedule_once(api: Api, content: dict, channel: dict, run_at: datetime, **extra) -> dict:
    """Schedule the content once on one channel; return its publication."""
    body = {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text(run_at), **extra}
    (publication,) = api.create("/schedules", body)["publications"]
    return publication


def sleep_until(instant: datetime) -> None:
    time.sleep(max(0.0, instant.timestamp() - time.time()))


def deliveries_by_key(receiver: Receiver, channel: dict) -> Counter[str]:
    return Counter(d.headers["Idempotency-Key"] for d in receiver.deliveries_to(channel["settings"]["url"]))


def scheduled_entries(iso: IsolatedStack) -> list[str]:
    with iso.redis() as redis:
        return [raw.decode() for raw in redis.zrange(SCHEDULED_JOBS, 0, -1)]


# --- a recurring schedule, alive through everything this module does ---------------------------------


@dataclass(frozen=True)
class Recurring:
    schedule: dict
    channel: dict
    created_at: float


@pytest.fixture(scope="module")
def recurring(iso, receiver) -> Recurring:
    """Every minute, UTC, from the module's start: its minute boundaries pass while the other tests run
    (a scheduler stopped, Redis flushed, a worker killed, two schedulers), and the last test checks that
    exactly one future occurrence is ever materialised."""
    api = iso.api
    channel = make_channel(api, receiver)
    content = api.create("/contents", {"title": "Every minute", "body": "tick", "status": "approved"})
    schedule = api.create(
        "/schedules",
        {"content_id": content["id"], "channel_ids": [channel["id"]], "cron": "* * * * *", "timezone": "UTC"},
    )
    return Recurring(schedule, channel, time.time())


def occurrences(api: Api, schedule_id: int) -> list[dict]:
    response = api.call("GET", f"/publications?schedule_id={schedule_id}&per_page=100")
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda p: p["occurrence"])


def the_one_future_occurrence(api: Api, schedule_id: int, timeout: float = 8.0) -> dict:
    """Wait until the schedule has exactly one occurrence ahead and every earlier one is published; return it."""
    deadline = time.monotonic() + timeout
    while True:
        found = occurrences(api, schedule_id)
        now = datetime.now(UTC)
        future = [p for p in found if p["status"] == "scheduled" and parse_utc(p["due_at"]) > now]
        past = [p for p in found if p not in future]
        if len(future) == 1 and all(p["status"] == "published" for p in past):
            return future[0]
        if time.monotonic() > deadline:
            summary = [(p["id"], p["occurrence"], p["status"], p["due_at"]) for p in found]
            raise AssertionError(f"not exactly one future occurrence (others published) at {now:%H:%M:%S}: {summary}")
        time.sleep(0.2)


# --- 1. the scheduler was down over a due time -------------------------------------------------------


@dataclass(frozen=True)
class SchedulerWasDown:
    channel: dict
    run_late: dict  # publications as the API showed them at the end
    skip: dict
    while_down: dict[str, str]  # statuses just before the scheduler came back


@pytest.fixture(scope="module")
def scheduler_was_down(iso, api, content, receiver) -> SchedulerWasDown:
    """Stop the scheduler, let two publications fall 3 s overdue, start it again and let both settle."""
    channel = make_channel(api, receiver)
    iso.terminate("scheduler")
    run_at = whole_seconds_ahead(2)
    run_late = schedule_once(api, content, channel, run_at, missed_policy="run_late", grace_minutes=60)
    skip = schedule_once(api, content, channel, run_at, missed_policy="skip", grace_minutes=0)
    sleep_until(datetime.fromtimestamp(run_at.timestamp() + 3, UTC))
    while_down = {name: api.publication(p["id"])["status"] for name, p in (("run_late", run_late), ("skip", skip))}
    iso.spawn_scheduler()
    settled = [api.wait_until_final(p["id"], timeout=30) for p in (run_late, skip)]
    time.sleep(DUPLICATE_WINDOW_S)
    return SchedulerWasDown(channel, *(api.publication(p["id"]) for p in settled), while_down)


def test_nothing_moves_while_the_scheduler_is_down(scheduler_was_down):
    assert scheduler_was_down.while_down == {"run_late": "scheduled", "skip": "scheduled"}


def test_a_run_late_publication_goes_out_late_once_the_scheduler_is_back(scheduler_was_down, receiver):
    publication = scheduler_was_down.run_late

    assert publication["status"] == "published"
    assert publication["lateness_ms"] >= 3000, publication  # it was 3 s overdue when the scheduler came back
    assert parse_utc(publication["started_at"]) > parse_utc(publication["due_at"])
    assert deliveries_by_key(receiver, scheduler_was_down.channel)[publication["idempotency_key"]] == 1


def test_a_skip_publication_past_its_grace_is_missed_with_an_alert(iso, scheduler_was_down, receiver):
    publication = scheduler_was_down.skip

    assert publication["status"] == "missed", publication
    assert publication["started_at"] is None
    assert deliveries_by_key(receiver, scheduler_was_down.channel)[publication["idempotency_key"]] == 0
    alerts = iso.sql("SELECT kind, channel_id FROM alerts WHERE publication_id = ?", publication["id"])
    assert alerts == [("missed", scheduler_was_down.channel["id"])]


def _healthz_once_green(stack, timeout: float) -> dict:
    """Poll /healthz until it answers 200; return its body (fail with the last body after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(stack.url("/healthz"), timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            assert time.monotonic() < deadline, f"/healthz still {exc.code}: {body}"
        time.sleep(1)


# --- 2. Redis flushed under scheduled publications ---------------------------------------------------


def test_a_flushed_redis_is_repaired_and_everything_publishes_on_time_exactly_once(iso, api, content, receiver):
    channel = make_channel(api, receiver)
    publications = [schedule_once(api, content, channel, whole_seconds_ahead(ahead)) for ahead in (5, 6, 7, 8)]
    assert {f"herald-publication-{p['id']}-1" for p in publications} <= set(scheduled_entries(iso))
    with iso.redis() as redis:
        redis.flushall()
    try:
        # Restored within one reconcile interval (2 s), each goes out at its own second: the last by +9 s.
        last_due = parse_utc(publications[-1]["due_at"]).timestamp()
        settled = [api.wait_until_final(p["id"], timeout=max(0.5, last_due + 4 - time.time())) for p in publications]
        time.sleep(DUPLICATE_WINDOW_S)

        assert [p["status"] for p in settled] == ["published"] * 4
        for publication in settled:
            # The reconciler runs every 2 s, so it restores each entry before its due time.
            assert 0 <= publication["lateness_ms"] < 2500, publication
        assert deliveries_by_key(receiver, channel) == {p["idempotency_key"]: 1 for p in settled}
        assert PERIODIC_RECONCILE in scheduled_entries(iso)
        # Health tells the truth again: the worker is counted by its own heartbeat (RQ's registry lost it).
        health = _healthz_once_green(iso, timeout=45)
        assert health["checks"]["workers"]["alive"] >= 1, health
    finally:
        if PERIODIC_RECONCILE not in scheduled_entries(iso):
            # Today's only repair: a scheduler restart re-registers the periodic job and reconciles.
            iso.terminate("scheduler")
            iso.spawn_scheduler()
            for publication in publications:
                api.wait_until_final(publication["id"], timeout=30)


# --- 3. a killed worker; a scheduler restart under a recurring schedule -------------------------------


def test_a_worker_killed_while_idle_leaves_its_queued_publication_to_the_next_worker(iso, api, content, receiver):
    channel = make_channel(api, receiver)
    iso.kill("worker")  # kill -9: no death registered, its RQ heartbeat simply stops

    publication = schedule_once(api, content, channel, whole_seconds_ahead(1))
    sleep_until(datetime.fromtimestamp(parse_utc(publication["due_at"]).timestamp() + 1.5, UTC))
    assert api.publication(publication["id"])["status"] == "queued"  # due, moved to its queue, no one to run it
    assert not receiver.deliveries_to(channel["settings"]["url"])

    iso.spawn_worker()
    published = api.wait_until_final(publication["id"], timeout=20)
    time.sleep(DUPLICATE_WINDOW_S)

    assert published["status"] == "published"
    assert published["attempts_count"] == 1
    assert deliveries_by_key(receiver, channel) == {published["idempotency_key"]: 1}


# --- 4. two schedulers at once ------------------------------------------------------------------------


def test_two_schedulers_at_once_publish_each_of_twenty_due_publications_exactly_once(iso, api, content, receiver):
    # A deploy overlap: the new scheduler (and a new worker) start before the old ones stop.
    iso.wait_ready(iso.spawn_scheduler(wait=False), iso.spawn_worker(wait=False))
    with iso.redis() as redis:
        alive = [k for k in redis.scan_iter("rq:scheduler_instance:*") if not redis.hexists(k, "death")]
    assert len(alive) == 2
    channel = make_channel(api, receiver)
    run_at = whole_seconds_ahead(4)
    publications = [schedule_once(api, content, channel, run_at) for _ in range(20)]
    assert time.time() < run_at.timestamp(), "creating 20 schedules took too long to test one due second"

    # Twenty on one webhook channel: ten are in flight (its cap) and ten wait, each woken when a call ends or, at the
    # latest, by its retry SLOT_RETRY_S (30 s) on. Here the reconciler runs every 2 s: one that reads a publication
    # in the instant its slot is handed over (out of rq-scheduler, not yet queued) restores it at its retry time
    # instead (reconcile._redispatch_unless_moved), and it must still go out then, once.
    settled = [api.wait_until_final(p["id"], timeout=30 + 15) for p in publications]
    time.sleep(DUPLICATE_WINDOW_S)

    assert [p["status"] for p in settled] == ["published"] * 20
    assert [p["attempts_count"] for p in settled] == [1] * 20
    assert deliveries_by_key(receiver, channel) == {p["idempotency_key"]: 1 for p in settled}
    assert len(iso.role("scheduler")) == 2  # both were running to the end


# --- 3, continued: the recurring schedule, last, so its minute boundary has passed -------------------


def test_a_recurring_schedule_keeps_exactly_one_future_occurrence_across_scheduler_restarts(iso, api, recurring):
    schedule_id = recurring.schedule["id"]
    first_due = parse_utc(recurring.schedule["publications"][0]["due_at"])
    # Usually already behind us: the module's other tests take about a minute.
    sleep_until(datetime.fromtimestamp(first_due.timestamp() + 2, UTC))
    before = the_one_future_occurrence(api, schedule_id)

    iso.kill("scheduler")  # kill -9, then start again
    iso.spawn_scheduler()
    after = the_one_future_occurrence(api, schedule_id)
    iso.terminate("scheduler")  # and a graceful restart
    iso.spawn_scheduler()
    again = the_one_future_occurrence(api, schedule_id)

    assert before["id"] == after["id"] == again["id"]
    assert before["occurrence"] >= 2  # at least one occurrence went out while the other tests broke things
    found = occurrences(api, schedule_id)
    assert [p["occurrence"] for p in found] == list(range(1, len(found) + 1))  # no occurrence twice, none lost
    assert len({p["due_at"] for p in found}) == len(found)
    pending = {f"herald-publication-{p['id']}-" for p in found if p["status"] == "scheduled"}
    entries = [e for e in scheduled_entries(iso) if any(e.startswith(prefix) for prefix in pending)]
    assert len(entries) == 1, entries  # the one future occurrence, once, in rq-scheduler's sorted set
