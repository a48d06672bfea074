"""Token buckets and circuit breakers per channel, in Redis, on a fake clock."""

from datetime import UTC, datetime

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.conftest import TEST_REDIS_URL
from webapp.adapters.base import ErrorClass
from webapp.domain.publishing import throttle
from webapp.extensions import db

T0 = 1_900_000_000.0  # 2030-03-17 17:46:40 UTC


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(throttle, "clock", fake)
    return fake


@pytest.fixture
def breaker(app, monkeypatch):
    monkeypatch.setitem(app.config, "BREAKER_FAILURES", 3)
    monkeypatch.setitem(app.config, "BREAKER_COOLOFF_S", 300)
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 0})  # the circuit alone


@pytest.fixture
def channel(make):
    return make.channel(make.actor())


def test_a_full_bucket_allows_a_burst_then_gives_each_waiter_its_own_later_slot(app, clock):
    assert [throttle.take_token("b", 6) for _ in range(6)] == [0.0] * 6

    assert throttle.take_token("b", 6) == pytest.approx(10.0)  # 6 a minute: one every 10 s
    clock.advance(4)
    # The first waiter holds the token due at +10 s; the next one gets +20 s (16 s from now), not a tie.
    assert throttle.take_token("b", 6) == pytest.approx(16.0)


def test_the_bucket_refills_by_elapsed_time_up_to_its_capacity(app, clock):
    for _ in range(6):
        throttle.take_token("b", 6)
    clock.advance(10)
    assert throttle.take_token("b", 6) == 0.0
    assert throttle.take_token("b", 6) == pytest.approx(10.0)

    clock.advance(3600)  # an hour idle refills one minute's worth, not sixty
    assert [throttle.take_token("b", 6) for _ in range(7)] == [0.0] * 6 + [pytest.approx(10.0)]


def test_a_clock_behind_the_buckets_refills_nothing(app, clock):
    throttle.take_token("b", 1)
    clock.advance(-30)  # another worker's clock, slightly behind

    assert throttle.take_token("b", 1) == pytest.approx(60.0)


def test_two_workers_on_their_own_connections_share_one_bucket(app, clock):
    first, second = Redis.from_url(TEST_REDIS_URL), Redis.from_url(TEST_REDIS_URL)
    try:
        taken = [throttle.take_token("shared", 2, connection=c) for c in (first, second, first)]
    finally:
        first.close()
        second.close()

    assert taken == [0.0, 0.0, pytest.approx(30.0)]


def test_zero_per_minute_means_no_limit(app, clock):
    assert {throttle.take_token("b", 0) for _ in range(100)} == {0.0}


def test_a_channel_rule_overrides_the_platform_default(app, channel, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 60})
    assert throttle.rate_per_minute(channel) == 60

    channel.rules = {"rate_per_minute": 2}
    db.session.commit()
    assert throttle.rate_per_minute(channel) == 2


def test_an_empty_bucket_holds_the_channel_until_the_next_token(app, channel, clock, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 1})
    assert throttle.admit(channel).allowed

    waiting = throttle.admit(channel)

    assert waiting.until == datetime.fromtimestamp(T0 + 60, UTC)
    assert waiting.reason == "waiting for rate limit until 17:47:40 UTC"


def test_the_circuit_opens_after_n_consecutive_transient_failures(app, channel, clock, breaker):
    assert [throttle.failed(channel.id) for _ in range(3)] == [False, False, True]

    refused = throttle.admit(channel)

    assert not refused.allowed
    assert refused.until == datetime.fromtimestamp(T0 + 300, UTC)
    assert refused.reason == "channel circuit open until 17:51:40 UTC"


def test_a_success_between_failures_keeps_the_circuit_closed(app, channel, clock, breaker):
    throttle.failed(channel.id)
    throttle.failed(channel.id)
    throttle.observe(channel.id, None, probe=False)
    throttle.failed(channel.id)

    assert throttle.failed(channel.id) is False
    assert throttle.admit(channel).allowed


def test_only_transient_failures_count(app, channel, clock, breaker):
    for error_class in (ErrorClass.AUTH, ErrorClass.RATE_LIMITED, ErrorClass.UNKNOWN_OUTCOME) * 2:
        throttle.observe(channel.id, error_class, probe=False)

    assert throttle.admit(channel).allowed


def _open(channel, clock) -> None:
    for _ in range(3):
        throttle.failed(channel.id)
    clock.advance(301)  # past the cool-off: half-open


def test_half_open_lets_exactly_one_probe_through(app, channel, clock, breaker):
    _open(channel, clock)

    first, second, third = (throttle.admit(channel) for _ in range(3))

    assert first.allowed and first.probe
    assert not second.allowed and not third.allowed
    assert second.reason.startswith("channel circuit open (a probe is checking it) until")
    assert second.until == datetime.fromtimestamp(clock.now + throttle.PROBE_RETRY_S, UTC)


def test_a_successful_probe_closes_the_circuit(app, channel, clock, breaker):
    _open(channel, clock)
    probe = throttle.admit(channel)

    throttle.observe(channel.id, None, probe.probe)

    assert all(throttle.admit(channel).allowed for _ in range(5))
    assert [throttle.failed(channel.id) for _ in range(3)] == [False, False, True]  # counting from zero


def test_a_failed_probe_reopens_the_circuit_for_a_full_cool_off(app, channel, clock, breaker):
    _open(channel, clock)
    throttle.admit(channel)

    assert throttle.failed(channel.id) is True

    refused = throttle.admit(channel)
    assert refused.until == datetime.fromtimestamp(clock.now + 300, UTC)
    clock.advance(301)
    assert throttle.admit(channel).probe  # the lock went with the failed probe


def test_a_probe_without_a_verdict_hands_the_lock_on(app, channel, clock, breaker):
    _open(channel, clock)
    probe = throttle.admit(channel)

    throttle.observe(channel.id, ErrorClass.AUTH, probe.probe)

    assert throttle.admit(channel).probe


def test_a_probe_held_back_by_the_rate_limit_does_not_keep_the_lock(app, channel, clock, breaker, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 1})
    _open(channel, clock)
    throttle.take_token(f"channel:{channel.id}", 1)  # another worker took the one token

    held = throttle.admit(channel, publication_id=42)

    assert held.reason.startswith("waiting for rate limit")
    clock.advance(60)
    assert throttle.admit(channel, publication_id=42).probe  # back at its slot, with its token


def test_without_redis_the_channel_is_not_held(app, channel, monkeypatch):
    def broken():
        raise RedisConnectionError("down")

    monkeypatch.setattr(throttle, "get_redis", broken)

    assert throttle.admit(channel).allowed
    assert throttle.failed(channel.id) is False


def test_waiting_publications_get_distinct_slots_and_go_at_them_without_another_token(app, channel, clock, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 1})
    assert throttle.admit(channel, publication_id=1).allowed  # the one token

    waits = [throttle.admit(channel, publication_id=pid).until for pid in (2, 3, 4)]

    assert waits == sorted(waits) and len(set(waits)) == 3  # one a minute, in order: no herd
    clock.advance(60)
    assert throttle.admit(channel, publication_id=2).allowed
    assert not throttle.admit(channel, publication_id=3).allowed  # its slot is a minute later
