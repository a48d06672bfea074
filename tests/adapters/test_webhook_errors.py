import time
from email.utils import formatdate

import pytest

from webapp.adapters.base import (
    AuthError,
    ErrorClass,
    PermanentError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)

from .factories import SECRET, closed_port_url, publish_request, webhook
from .receiver import receiver_fixture  # noqa: F401


def test_429_with_retry_after_seconds_raises_rate_limited_with_retry_after(receiver):
    receiver.respond(429, headers={"Retry-After": "30"}, body="slow down")

    with pytest.raises(RateLimited) as caught:
        webhook(receiver.url).publish(publish_request())

    assert (caught.value.retry_after, caught.value.http_status) == (30.0, 429)
    assert caught.value.error_class is ErrorClass.RATE_LIMITED


def test_503_with_retry_after_http_date_raises_rate_limited(receiver):
    receiver.respond(503, headers={"Retry-After": formatdate(time.time() + 120, usegmt=True)})

    with pytest.raises(RateLimited) as caught:
        webhook(receiver.url).publish(publish_request())

    assert 118 <= caught.value.retry_after <= 121


def test_503_without_retry_after_raises_transient_error(receiver):
    receiver.respond(503)

    with pytest.raises(TransientError):
        webhook(receiver.url).publish(publish_request())


def test_500_raises_transient_error_with_status(receiver):
    receiver.respond(500, body="boom")

    with pytest.raises(TransientError) as caught:
        webhook(receiver.url).publish(publish_request())

    assert (caught.value.http_status, caught.value.response_excerpt) == (500, "boom")


@pytest.mark.parametrize("status", [400, 422])
def test_client_error_raises_permanent_error_with_status_and_excerpt(receiver, status):
    receiver.respond(status, body={"error": "title too long"})

    with pytest.raises(PermanentError) as caught:
        webhook(receiver.url).publish(publish_request())

    assert caught.value.http_status == status
    assert caught.value.response_excerpt == '{"error": "title too long"}'


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_raise_auth_error(receiver, status):
    receiver.respond(status)

    with pytest.raises(AuthError) as caught:
        webhook(receiver.url).publish(publish_request())

    assert caught.value.http_status == status


def test_redirect_is_not_followed_and_raises_permanent_error(receiver):
    receiver.respond(302, headers={"Location": "https://example.org/new-hook"})

    with pytest.raises(PermanentError, match="redirect to 'https://example.org/new-hook' not followed"):
        webhook(receiver.url).publish(publish_request())

    assert len(receiver.requests) == 1


def test_connection_refused_raises_transient_error():
    with pytest.raises(TransientError, match="could not connect"):
        webhook(closed_port_url()).publish(publish_request())


def test_unresolvable_host_raises_transient_error():
    with pytest.raises(TransientError, match="could not connect"):
        webhook("http://herald-test.invalid/hook").publish(publish_request())


def test_a_connection_error_says_where_and_why_in_plain_words():
    url = closed_port_url()
    port = url.split(":")[2].split("/")[0]

    with pytest.raises(TransientError) as refused:
        webhook(url).publish(publish_request())
    with pytest.raises(TransientError) as unknown_host:
        webhook("http://user:pa55word@herald-test.invalid/hook").publish(publish_request())

    assert refused.value.message == f"could not connect: 127.0.0.1:{port}: Connection refused"
    assert unknown_host.value.message.startswith("could not connect: herald-test.invalid:80: the host name does not")
    # Not urllib3's pool and connection reprs, nor the URL's password.
    assert "Pool" not in refused.value.message + unknown_host.value.message
    assert "pa55word" not in unknown_host.value.message


def test_read_timeout_after_sending_raises_unknown_outcome(receiver):
    receiver.delay(10)

    with pytest.raises(UnknownOutcome):
        webhook(receiver.url, timeout=0.3).publish(publish_request())

    assert len(receiver.requests) == 1  # it did arrive: a resend could publish twice


def test_connection_dropped_after_sending_raises_unknown_outcome(receiver):
    receiver.drop()

    with pytest.raises(UnknownOutcome, match="connection lost after sending"):
        webhook(receiver.url).publish(publish_request())


def test_secret_never_appears_in_error_message_or_excerpt(receiver):
    receiver.respond(400, body=f"bad signature for secret {SECRET}, expected something else")

    with pytest.raises(PermanentError) as caught:
        webhook(receiver.url).publish(publish_request())

    assert SECRET not in str(caught.value)
    assert caught.value.response_excerpt == "bad signature for secret [redacted], expected something else"


def test_secret_in_the_url_never_appears_in_a_connection_error():
    url = closed_port_url() + f"?token={SECRET}"

    with pytest.raises(TransientError) as caught:
        webhook(url).publish(publish_request())

    assert SECRET not in caught.value.message


def test_response_excerpt_is_bounded_to_500_characters(receiver):
    receiver.respond(422, body="x" * 5000)

    with pytest.raises(PermanentError) as caught:
        webhook(receiver.url).publish(publish_request())

    assert caught.value.response_excerpt == "x" * 500
