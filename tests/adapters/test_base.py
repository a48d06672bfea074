from datetime import datetime, timedelta, timezone

import pytest

from webapp.adapters.base import (
    AdapterError,
    AuthError,
    ErrorClass,
    PermanentError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)

from .factories import content, publish_request


def test_a_naive_scheduled_for_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        publish_request(scheduled_for=datetime(2026, 11, 22, 8, 30))


def test_scheduled_for_is_normalised_to_utc():
    request = publish_request(scheduled_for=datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=1))))

    assert request.scheduled_for.utcoffset() == timedelta(0)
    assert request.scheduled_for.hour == 8


def test_tags_given_as_a_list_are_stored_as_a_tuple():
    assert content(tags=["a", "b"]).tags == ("a", "b")


@pytest.mark.parametrize(
    ("error_type", "error_class"),
    [
        (AuthError, ErrorClass.AUTH),
        (RateLimited, ErrorClass.RATE_LIMITED),
        (TransientError, ErrorClass.TRANSIENT),
        (PermanentError, ErrorClass.PERMANENT),
        (UnknownOutcome, ErrorClass.UNKNOWN_OUTCOME),
    ],
)
def test_each_error_fixes_its_class(error_type, error_class):
    error = error_type("nope", http_status=418, retry_after=1.5, response_excerpt="tea")

    assert isinstance(error, AdapterError)
    assert (
        error.error_class,
        error.message,
        error.http_status,
        error.retry_after,
        error.response_excerpt,
    ) == (
        error_class,
        "nope",
        418,
        1.5,
        "tea",
    )
