"""The http.send extensions the platform adapters use: error_detail, check=False and X-RateLimit-Reset."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.adapters.base import PermanentError, RateLimited
from webapp.adapters.http import parse_reset_instant, raise_for_status, send

from .receiver import receiver_fixture  # noqa: F401

NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


def detail(response):
    return (response.json_object() or {}).get("error")


def test_error_detail_puts_the_platforms_message_in_the_error(receiver):
    receiver.respond(422, body={"error": "Validation failed: secret-token is too long"})

    with pytest.raises(PermanentError) as caught:
        send("POST", receiver.url, timeout=5, secrets=["secret-token"], error_detail=detail)

    assert caught.value.message == "HTTP 422 Unprocessable Entity: Validation failed: [redacted] is too long"


def test_check_false_returns_an_error_response_for_the_caller_to_read_then_classify(receiver):
    receiver.respond(404, body={"error": "Record not found"})

    response = send("GET", receiver.url, timeout=5, check=False)

    assert (response.status, response.json_object()) == (404, {"error": "Record not found"})
    with pytest.raises(PermanentError, match="HTTP 404 Not Found: Record not found"):
        raise_for_status(response, (), detail)


def test_429_without_retry_after_waits_until_x_ratelimit_reset(receiver):
    reset = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    receiver.respond(429, headers={"X-RateLimit-Reset": reset}, body={"error": "Too many requests"})

    with pytest.raises(RateLimited) as caught:
        send("POST", receiver.url, timeout=5)

    assert 115 <= caught.value.retry_after <= 121  # the reply's Date header has whole seconds


def test_retry_after_wins_over_x_ratelimit_reset(receiver):
    receiver.respond(429, headers={"Retry-After": "7", "X-RateLimit-Reset": "2999-01-01T00:00:00Z"})

    with pytest.raises(RateLimited) as caught:
        send("POST", receiver.url, timeout=5)

    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2026-11-22T08:01:30.000000Z", 90.0), ("2026-11-22T08:00:10+00:00", 10.0), ("2026-11-22T07:00:00Z", 0.0)],
)
def test_reset_instant_is_read_as_seconds_from_now(value, seconds):
    assert parse_reset_instant(value, NOW) == seconds


@pytest.mark.parametrize("value", [None, "", "1800000000", "soon"])
def test_unusable_reset_instant_is_none(value):
    assert parse_reset_instant(value, NOW) is None
