"""The per-channel in-flight cap: leases in Redis shared by every worker, given back or expiring, waiters woken."""

import uuid

import pytest
from redis import Redis
from rq_scheduler import Scheduler

from tests.conftest import TEST_REDIS_URL
from tests.domain.publishing import test_throttle
from tests.domain.publishing.test_throttle import T0
from webapp.adapters.base import ErrorClass
from webapp.domain.channels import rules
from webapp.domain.publishing import channel_limits, throttle
from webapp.infra import presence
from webapp.infra.queues import get_redis

clock = test_throttle.clock  # the fake clock fixture


@pytest.fixture
def capped(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 0})
    actor = make.actor()
    return make.channel(actor, rules={"max_in_flight": 2})


def test_a_channel_takes_no_more_calls_than_its_cap_and_says_why_the_next_waits(app, capped, clock):
    first, second = throttle.admit(capped, 1), throttle.admit(capped, 2)

    third = throttle.admit(capped, 3)

    assert first.allowed and first.slot == 1 and second.slot == 2
    assert not third.allowed and third.slot_full
    assert third.reason.startswith(f"{throttle.SLOT_WAIT} (2 in flight)")
    assert third.until.timestamp() == T0 + throttle.SLOT_RETRY_S
    assert channel_limits.limits(capped).in_flight == 2 and channel_limits.limits(capped).max_in_flight == 2


def test_a_finished_call_gives_its_slot_to_the_next(app, capped, clock):
    throttle.admit(capped, 1)
    throttle.admit(capped, 2)
    throttle.observe(capped.id, None, probe=False, slot=1)

    assert throttle.admit(capped, 3).allowed
    throttle.observe(capped.id, ErrorClass.TRANSIENT, probe=False, slot=2)
    throttle.release(capped.id, probe=False, slot=3)
    assert channel_limits.limits(capped).in_flight == 0


def test_a_killed_workers_slot_frees_itself_when_its_lease_runs_out(app, capped, clock):
    throttle.admit(capped, 1)
    throttle.admit(capped, 2)  # both workers die mid-call: nobody gives these back

    assert not throttle.admit(capped, 3).allowed
    clock.advance(throttle.SLOT_LEASE_S + 1)
    assert throttle.admit(capped, 3).allowed


def _as_process(app, monkeypatch, name: str, open_presence: bool) -> None:
    """Take the next leases as worker process `name`, with its presence connection open, or never opened (dead)."""
    if open_presence:
        app.extensions.setdefault("test.presences", []).append(presence.hold(app, name))
    else:
        monkeypatch.setitem(app.extensions, presence.EXTENSION, (name, None))
    throttle.hold_leases()


@pytest.fixture
def presences(app):
    yield
    for client in app.extensions.pop("test.presences", []):
        client.close()
    app.extensions.pop(presence.EXTENSION, None)


def test_the_leases_of_a_worker_process_that_died_are_freed_at_once_and_its_slot_handed_on(
    app, capped, clock, monkeypatch, presences
):
    redis, key = get_redis(), Scheduler.scheduled_jobs_key
    dead, alive = f"dead-{uuid.uuid4().hex[:8]}", f"alive-{uuid.uuid4().hex[:8]}"
    _as_process(app, monkeypatch, alive, open_presence=True)
    throttle.admit(capped, 1)
    _as_process(app, monkeypatch, dead, open_presence=False)  # killed -9 mid-call: its connection is gone
    throttle.admit(capped, 2)
    redis.zadd(key, {"herald-publication-3-2": T0 + 30})
    throttle.wait_for_slot(capped.id, "herald-publication-3-2")

    freed, woken = throttle.release_orphans()

    assert (freed, woken) == (1, ["herald-publication-3-2"])  # long before its lease (SLOT_LEASE_S) runs out
    assert channel_limits.limits(capped).in_flight == 1  # the live process keeps its own
    assert throttle.release_orphans() == (0, [])  # the dead one is forgotten


def test_nothing_is_freed_while_every_holder_is_present_or_when_redis_will_not_list_clients(
    app, capped, clock, monkeypatch, presences
):
    _as_process(app, monkeypatch, f"alive-{uuid.uuid4().hex[:8]}", open_presence=True)
    throttle.admit(capped, 1)
    assert throttle.release_orphans() == (0, [])

    _as_process(app, monkeypatch, f"dead-{uuid.uuid4().hex[:8]}", open_presence=False)
    throttle.admit(capped, 2)
    monkeypatch.setattr(presence, "present", lambda redis: None)  # CLIENT LIST refused: leases just expire
    assert throttle.release_orphans() == (0, [])
    assert channel_limits.limits(capped).in_flight == 2


def test_workers_on_their_own_connections_share_the_cap(app, capped, clock, monkeypatch):
    throttle.admit(capped, 1)
    other = Redis.from_url(TEST_REDIS_URL)
    monkeypatch.setattr(throttle, "get_redis", lambda: other)
    throttle.admit(capped, 2)

    assert not throttle.admit(capped, 3).allowed
    other.close()


def test_the_same_publication_admitted_again_keeps_one_slot(app, capped, clock):
    throttle.admit(capped, 1)
    throttle.admit(capped, 1)  # a retry of the same publication after its lease was left behind

    assert throttle.admit(capped, 2).allowed


def test_a_freed_slot_goes_to_the_longest_waiter_taken_out_of_rq_scheduler(app, capped, clock):
    redis, key = get_redis(), Scheduler.scheduled_jobs_key
    throttle.admit(capped, 1)
    throttle.admit(capped, 2)
    redis.zadd(key, {"herald-publication-3-2": T0 + 30, "herald-publication-4-2": T0 + 30})
    throttle.wait_for_slot(capped.id, "herald-publication-3-2")
    clock.advance(1)
    throttle.wait_for_slot(capped.id, "herald-publication-4-2")

    woken = throttle.observe(capped.id, None, probe=False, slot=1)

    assert woken == "herald-publication-3-2"  # the worker queues it now (publisher), not a tick later
    assert redis.zscore(key, "herald-publication-3-2") is None
    assert redis.zscore(key, "herald-publication-4-2") == T0 + 30


def test_a_waiter_whose_entry_is_gone_is_skipped_for_the_next(app, capped, clock):
    redis, key = get_redis(), Scheduler.scheduled_jobs_key
    throttle.admit(capped, 1)
    redis.zadd(key, {"herald-publication-4-2": T0 + 30})
    throttle.wait_for_slot(capped.id, "herald-publication-3-2")  # cancelled since: no entry
    throttle.wait_for_slot(capped.id, "herald-publication-4-2")

    assert throttle.release(capped.id, probe=False, slot=1) == "herald-publication-4-2"
    assert redis.zscore(key, "herald-publication-3-2") is None  # not re-created


def test_the_platform_default_applies_without_a_rule_and_zero_means_no_cap(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IN_FLIGHT", {"webhook": 1})
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 0})
    actor = make.actor()
    default, uncapped = make.channel(actor), make.channel(actor, rules={"max_in_flight": 0})

    assert throttle.admit(default, 1).allowed and not throttle.admit(default, 2).allowed
    assert all(throttle.admit(uncapped, pid).allowed for pid in range(10, 20))
    assert throttle.admit(uncapped, 9).slot is None  # no lease to give back


@pytest.mark.parametrize("value", [-1, 1001, "5", True])
def test_max_in_flight_is_a_whole_number_up_to_a_thousand(value):
    assert rules.validate({"max_in_flight": value}) == {
        "rules.max_in_flight": "must be a whole number from 0 to 1,000 (0: no limit)"
    }


def test_max_in_flight_is_a_known_rule():
    assert rules.validate({"max_in_flight": 5}) == {}


def test_a_publication_that_finds_its_channel_full_waits_without_an_attempt_and_goes_when_the_slot_frees(
    app, make, clock, monkeypatch
):
    from datetime import timedelta

    from rq import Queue

    from webapp.domain.publishing import publisher, schedules
    from webapp.extensions import db
    from webapp.infra import dispatch
    from webapp.models import Publication, utcnow

    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 0})
    actor = make.actor()
    channel = make.channel(actor, rules={"max_in_flight": 1})
    content = make.content(actor, status="approved")
    body = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(minutes=5)}
    (waiting,) = schedules.publications_of(schedules.create_schedule(actor, body))
    publisher.mark_queued([waiting.id])
    throttle.admit(channel, 999)  # another worker's call to the channel is under way

    assert publisher.execute(waiting.id) == "waiting"
    db.session.expire_all()
    waiting = db.session.get(Publication, waiting.id)
    assert waiting.status == "retrying" and waiting.attempts_count == 0
    assert waiting.hold_reason.startswith(f"{throttle.SLOT_WAIT} (1 in flight)")

    woken = throttle.observe(channel.id, None, probe=False, slot=999)  # that call ends
    publisher._hand_over(woken, "published")

    db.session.expire_all()
    assert db.session.get(Publication, waiting.id).status == "queued"
    queue = Queue(dispatch.QUEUE_FOR_PRIORITY[waiting.priority], connection=get_redis())
    assert queue.job_ids[0] == dispatch.job_id(waiting)
