from datetime import UTC, datetime

import pytest

from webapp.adapters.http import excerpt, parse_retry_after, redact

NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


def test_retry_after_delta_seconds_is_read_as_seconds():
    assert parse_retry_after(" 120 ", NOW) == 120.0


def test_retry_after_http_date_is_read_as_seconds_from_now():
    assert parse_retry_after("Sun, 22 Nov 2026 08:01:30 GMT", NOW) == 90.0


def test_retry_after_in_the_past_means_now():
    assert parse_retry_after("Sun, 22 Nov 2026 07:00:00 GMT", NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "³"])
def test_unusable_retry_after_is_none(value):
    assert parse_retry_after(value, NOW) is None


def test_redact_replaces_the_longer_of_overlapping_secrets_whole():
    assert redact("token abc123xyz", ["abc", "abc123xyz"]) == "token [redacted]"


def test_excerpt_redacts_a_secret_straddling_the_cut():
    body = ("x" * 495 + "SECRETVALUE").encode()

    assert excerpt(body, ["SECRETVALUE"]) == "x" * 495 + "[reda"


def test_excerpt_replaces_invalid_utf8():
    assert excerpt(b"caf\xe9") == "caf\ufffd"
